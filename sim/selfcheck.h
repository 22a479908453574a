// sim: the determinism self-check.
//
// Runs a caller-provided setup+run twice on fresh Worlds with the same seed
// and options (trace captured in memory) and compares the two traces line by
// line, plus the Status each run returned. Any difference means the run
// depends on something other than the seed (wall clock, addresses, unordered
// iteration, uninitialised memory, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "sim/world.h"

namespace mcpsim::sim {

// Builds the scenario in the given World (nodes, links, roles) and runs it.
using WorldRun = std::function<Status(World&)>;

struct DeterminismReport {
  bool identical = false;
  std::uint64_t hash_a = 0, hash_b = 0;
  std::uint64_t lines_a = 0, lines_b = 0;
  std::string status_a, status_b;  // Status::ToString of each run
  // When !identical: index of the first differing trace line and both lines
  // ("<end of trace>" for a run that ended earlier). If the traces are equal
  // but the statuses differ, first_diff == lines_a.
  std::uint64_t first_diff = 0;
  std::string line_a, line_b;
  // One-line summary: "deterministic: N lines, hash H" or the divergence.
  std::string ToString() const;
};

// REQUIRES: `run` is callable twice and keeps no state between calls other
// than through the World it is given.
DeterminismReport CheckDeterminism(std::uint64_t seed, const WorldOptions& options,
                                   const WorldRun& run);

}  // namespace mcpsim::sim
