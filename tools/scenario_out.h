// `mcpsim run|sweep --out DIR`: writes the scenario runs' results.
//   summary.json   counts, per-scenario rows, failures with replay lines, build
//                  identity, and the runs' results (all, or the failing ones)
//   index.html     failures first, per scenario, all runs (when written)
//   <n>-<scenario>-seed<N>.{json,html,pcap}  one drill-down per written run:
//                  every run with all_runs, else only the failing ones
// A drill-down re-runs its (deterministic) run with the trace and pcap on to
// draw its sequence diagram.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "scenarios/scenario.h"

namespace mcpsim::cli {

struct ScenarioOutOptions {
  bool all_runs = true;       // pages for every run (false: failing runs only)
  bool swarm = false;         // the runs used --swarm
  bool broken_dedup = false;  // TEST-ONLY --broken-dedup
};

// `results`: scenarios::ResultJson of each run; `scenarios`: the loaded files
// (for the purpose line and the re-runs). Error "SCEN" on I/O failure.
Status WriteScenarioOut(const std::string& dir, std::vector<nlohmann::ordered_json> results,
                        const std::vector<scenarios::Scenario>& scenarios, const ScenarioOutOptions& o);

}  // namespace mcpsim::cli
