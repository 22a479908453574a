// The scenario runner: builds a RefWorld from a Scenario, applies the network
// (links, scheduled faults), runs the steps and the workload on virtual time,
// applies the checkers and returns a RunResult (also as JSON for reports).
//
// A run is a pure function of (scenario, seed, options): same inputs -> same
// trace hash. Nothing here reads a clock or spawns a thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/checkers.h"
#include "scenarios/external.h"
#include "scenarios/scenario.h"
#include "scenarios/sim_target.h"
#include "scenarios/swarm.h"

namespace mcpsim::scenarios {

struct RunOptions {
  std::optional<std::uint64_t> seed;  // default: the scenario's seed
  std::string trace_path;             // write the JSON Lines trace here
  std::string pcap_path;              // write a pcap of all traffic here
  // Swarm testing: the seed also draws a fault mix (see swarm.h) applied on
  // top of the scenario's network; step expectations are then not checked.
  bool swarm = false;
  // Fault points of the protocol code (reference/fault_sites.h). Unset: a
  // swarm run draws its choice from the seed (SwarmFaultPoints), any other
  // run has none. Set (`--fault-points`): exactly this, swarm or not. With
  // fault points on, step expectations are not checked (a legal fault such as
  // a 501 changes answers the expectations were written for).
  std::optional<FaultPointChoice> fault_points;
  // TEST-ONLY: the firing probability of an enabled site (default: the sim's
  // WorldOptions::buggify_fire), to force sites in tests.
  std::optional<double> fault_fire;
  // TEST-ONLY: runs the reference with server duplicate suppression off.
  bool broken_dedup = false;
  // TEST-ONLY: the simulated disks lie about syncs (sim::Disk::SetLyingSync):
  // the stores acknowledge writes a power cut then loses.
  bool broken_sync = false;
  // TEST-ONLY: each client's first notification of this kind is discarded,
  // as by a client UI that loses it (proves the messaging checkers can fail).
  std::optional<reference::McOp> hide_first_notice;
  // Only these checkers (empty = the scenario's list). Used by the shrinker.
  std::vector<std::string> only_checkers;
  // Run against this external target instead of the reference servers
  // (scenarios/external.h; real time). Not owned.
  const ExternalTarget* external = nullptr;
  // Run this third-party server inside the simulation in place of the
  // reference role(s) it names (scenarios/sim_target.h; virtual time,
  // replays bit for bit). Not owned.
  const SimTarget* sim_target = nullptr;
  // The clients' SG transport ("udp", "tcp", "auto"; "" = udp in simulation,
  // the external target's setting otherwise).
  std::string sg_transport;
};

struct CheckResult {
  std::string checker;
  bool pass = true;
  std::string reason;  // why it failed ("" on pass), or why it does not apply
  // false: what the checker judges cannot be observed here (an external
  // target's store, say); `pass` is then true but it is no pass (reported N/A).
  bool applicable = true;
};

struct RunResult {
  std::string scenario, file;
  std::uint64_t seed = 0;
  bool pass = false;
  std::string harness_error;  // the run itself broke (bad trace path, SIM-1, ...)
  std::vector<CheckResult> checks;
  Counters counters;
  std::string trace_hash;  // 16 hex digits
  std::uint64_t trace_lines = 0;
  TimeUs end_time = 0;
  bool swarm = false;
  std::string swarm_mix;  // human-readable fault mix (swarm only)
  // Fault points: the choice (FaultPointChoice::Spec), whether it was given
  // explicitly (then the replay line repeats it), the registered sites this
  // run enabled, and how often each site that was reached fired.
  std::string fault_points = "none";
  bool fault_points_explicit = false;
  std::vector<std::string> fault_points_enabled;
  std::map<std::string, std::uint64_t> fault_points_fired;
  // External target runs (scenarios/external.h): the target, the flags that
  // reproduce it, and why the run could not be made (no accounts: N/A).
  bool external = false;
  std::string target, target_flags;
  std::string unimplemented;  // non-empty: the run is N/A for this reason (never a pass or a failure)
  std::vector<std::string> not_applicable;  // steps that need what the wire cannot do
  std::vector<reports::WireEvent> wire;     // external runs: the clients' traffic, in time order

  // The first failing check ("harness" for a harness error), or nullptr.
  const CheckResult* first_failure() const;
};

RunResult RunScenario(const Scenario& s, const RunOptions& options);

nlohmann::ordered_json ResultJson(const RunResult& r);

}  // namespace mcpsim::scenarios
