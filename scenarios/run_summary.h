// What the scenario verbs (run, sweep, shrink, bench sweep) print about runs:
// the one-line verdicts and the summary JSON of --out (tools/scenario_out.h
// writes the files; the reports module renders the pages). Their inputs
// (scenario paths, seed ranges) are read by scenarios/inputs.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "scenarios/runner.h"

namespace mcpsim::scenarios {

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
