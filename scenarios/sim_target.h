// Third-party servers inside the simulation (`mcpsim run FILE --sim-launch
// CMD [--sim-roles cs]`, issue 17): the target runs as a child process with
// libmcpsim_interpose.so preloaded (interpose/), and the simulated server node
// of its role serves its calls — its sockets are that node's ports on the
// simulated network, its clocks the virtual clock, its randomness the node's
// seeded stream. Unlike --launch (external.h: real sockets, wall-clock time),
// a run is a function of scenario + seed + target binary: it replays bit for
// bit (same trace-hash), and every fault of the scenario applies.
//
// A target playing `cs` alone runs on the cs node itself (this file): it
// binds its listener itself (loopback and wildcard addresses map to the
// node's address, port 0 to a free simulated port) and the DP hands out the
// port it bound. A target playing any other set of roles (e.g. all five,
// `mcpsim serve`) runs on a node of its own and the role nodes relay to it
// (sim_stage.h); its accounts are provisioned through the protocol.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "interpose/process.h"

namespace mcpsim::scenarios {

struct SimTarget {
  std::string command;
  std::vector<std::string> roles{"cs"};
  // Given by the scenario's `nodes.external` (replay lines need no flags).
  bool from_scenario = false;
  // " --sim-launch 'CMD' --sim-roles cs" (for replay lines; "" from_scenario).
  std::string Flags() const;
  // Usage errors (unknown, repeated or incoherent roles) with the reason.
  Status Validate() const;
  // True unless the target plays cs alone: it runs behind relays (sim_stage.h).
  bool Relayed() const { return !(roles.size() == 1 && roles.front() == "cs"); }
};

// "dp,rs,sg" -> {"dp", "rs", "sg"} (empty items dropped).
std::vector<std::string> ParseRoleList(const std::string& list);

// A scenario's external command: `{mcpsim}` is the running mcpsim binary,
// `{dir}` the folder of the scenario file (`scenario_file`).
std::string ExpandTargetCommand(const std::string& cmd, const std::string& scenario_file);

// Spawns the target on `env` (the node of its role) and runs it until it
// waits; then it must have bound exactly one UDP port (returned in `port`).
Result<std::unique_ptr<interpose::Process>> StartSimTarget(const SimTarget& t, Env& env, std::uint16_t& port);

// Why the run must fail because of the target ("" if it did not): it died,
// hung, or did something the simulator refuses.
std::string SimTargetFailure(const interpose::Process& p);

}  // namespace mcpsim::scenarios
