// Swarm testing: each seed draws its own fault mix (which faults are on and
// how strong), so a sweep explores many combinations instead of one network.
// The mix comes only from Rng::Stream(seed, "swarm"), so it is replayable.
#pragma once

#include <cstdint>
#include <string>

#include "scenarios/scenario.h"

namespace mcpsim::scenarios {

// Replaces s.default_link with a drawn mix (loss <= 30%, bursts, duplication,
// reordering, jitter) and appends up to two drawn partitions / clogs between
// the clients and the servers, each shorter than 20 s so the TIMER-3 budget
// can still succeed; with probability 0.3 one node crashes for a while (a
// client only when !crash_servers: an external target's servers cannot be
// crashed from outside). Returns a one-line description of the mix.
std::string ApplySwarm(Scenario& s, std::uint64_t seed, bool crash_servers = true);

}  // namespace mcpsim::scenarios
