// The inputs of the scenario verbs (run, sweep, shrink, bench sweep): scenario
// files named directly or by folder, seed ranges and sweep shards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "scenarios/scenario.h"

namespace mcpsim::scenarios {

// Files named directly, plus every *.yaml / *.yml inside a named folder or
// any folder below it (hidden folders skipped; sorted by path). Error "SCEN" for a missing path or empty folder.
Result<std::vector<std::string>> ExpandScenarioPaths(const std::vector<std::string>& paths);
// ExpandScenarioPaths, then ParseScenarioFile on each; the first error wins.
Result<std::vector<Scenario>> LoadScenarios(const std::vector<std::string>& paths);

// "7" or "A..B" (inclusive, A <= B, at most 10^7 seeds).
std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseSeedRange(const std::string& s);
// "I/N" with I < N.
std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseShard(const std::string& s);

}  // namespace mcpsim::scenarios
