// Swarm testing: each seed draws its own fault mix (which faults are on and
// how strong), so a sweep explores many combinations instead of one network.
// The mix comes only from Rng::Stream(seed, "swarm"), so it is replayable;
// whether fault points are on comes from Rng::Stream(seed, "swarm:fault-points").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

#include "scenarios/scenario.h"

namespace mcpsim::scenarios {

// Replaces s.default_link with a drawn mix (loss <= 30%, bursts, duplication,
// reordering, jitter) and appends up to two drawn partitions / clogs between
// the clients and the servers, each shorter than 20 s so the TIMER-3 budget
// can still succeed; with probability 0.3 one node crashes for a while (a
// client only when !crash_servers: an external target's servers cannot be
// crashed from outside); from the stream "swarm:disk" one store node may get
// a simulated disk and one disk fault (any kind, 0.5..8 s) and group commit
// — currently with probability 0 (swarm.cc: kDiskChance, off until the
// failures it found are fixed).
// Returns a one-line description of the mix.
std::string ApplySwarm(Scenario& s, std::uint64_t seed, bool crash_servers = true);

// Which fault points of the protocol code (reference/fault_sites.h) a run
// turns on. kSeeded: each site independently with the sim's enable fraction,
// decided by the seed (sim/fault_points.h); kAll: every site; kList: exactly
// `sites`. An enabled site fires with the sim's firing probability from its
// own named stream "buggify:fire:<site>".
struct FaultPointChoice {
  enum class Mode : std::uint8_t { kOff, kSeeded, kAll, kList };
  Mode mode = Mode::kOff;
  std::vector<std::string> sites;  // kList: registered names, sorted, unique
  bool on() const { return mode == Mode::kSeeded || mode == Mode::kAll || (mode == Mode::kList && !sites.empty()); }
  // "none", "seeded", "all" or "a,b" — what `--fault-points` takes back.
  std::string Spec() const;
};

// Parses `--fault-points all|none|seeded|a,b,...` (names from
// reference/fault_sites.h). "SCEN-FP" names an unknown site.
Result<FaultPointChoice> ParseFaultPoints(std::string_view spec);

// A swarm run's choice, from the seed's own stream "swarm:fault-points" (so
// the network mix of every seed stays what it was): seeded with probability
// 3/4, otherwise off.
FaultPointChoice SwarmFaultPoints(std::uint64_t seed);

}  // namespace mcpsim::scenarios
