// Third-party servers inside the simulation (`mcpsim run FILE --sim-launch
// CMD [--sim-roles cs]`, issue 17): the target runs as a child process with
// libmcpsim_interpose.so preloaded (interpose/), and the simulated server node
// of its role serves its calls — its sockets are that node's ports on the
// simulated network, its clocks the virtual clock, its randomness the node's
// seeded stream. Unlike --launch (external.h: real sockets, wall-clock time),
// a run is a function of scenario + seed + target binary: it replays bit for
// bit (same trace-hash), and every fault of the scenario applies.
//
// Today: one role per target, `cs` (the interposer simulates TCP too, but a
// target playing DP/RS/MS/SG needs accounts provisioned through the protocol
// inside the simulation: not yet; `mcpsim conform --sim-launch` exercises
// those roles). The target binds its listener
// itself: loopback and wildcard addresses map to the node's address, port 0
// to a free simulated port, and the DP hands out the port it bound.
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
  // " --sim-launch 'CMD' --sim-roles cs" (for replay lines).
  std::string Flags() const;
  // Usage errors (unknown or unsupported roles) with the reason.
  Status Validate() const;
};

// Spawns the target on `env` (the node of its role) and runs it until it
// waits; then it must have bound exactly one UDP port (returned in `port`).
Result<std::unique_ptr<interpose::Process>> StartSimTarget(const SimTarget& t, Env& env, std::uint16_t& port);

// Why the run must fail because of the target ("" if it did not): it died,
// hung, or did something the simulator refuses.
std::string SimTargetFailure(const interpose::Process& p);

}  // namespace mcpsim::scenarios
