// Helpers shared by the scenario verbs (run, sweep, shrink, bench sweep):
// expanding scenario paths, seed ranges, the one-line verdicts, and the
// summary JSON of --out (tools/scenario_out.h writes the files; the reports
// module renders the pages).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "scenarios/runner.h"

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

// `PASS <scenario> seed=<N> <counters>` or `FAIL <scenario> seed=<N> <checker>: <reason>`.
std::string VerdictLine(const RunResult& r);
// `replay: mcpsim run <file> --seed <N>[ --swarm]`.
std::string ReplayLine(const RunResult& r);

// A summary of many runs: {"mcpsim": build, "runs", "passed", "failed",
// "pass_rate", "all_runs", "failing": [...], "scenarios": [per scenario: runs,
// passed, summed ops/gave_up/resent/dropped, median latency_p50_us/p99_us],
// "results": [every run, or only the failing ones when !all_runs]}.
nlohmann::ordered_json SummaryJson(const std::vector<nlohmann::ordered_json>& results, bool all_runs = true);

}  // namespace mcpsim::scenarios
