// One report set for scenario runs against an external target (issue 13
// item 6): the same reports::Report as `mcpsim conform`, so report.json,
// junit.xml, index.html (with the clients' wire transcript), summary.md and
// run.pcap come out of the same renderers, and `mcpsim conform --scenarios
// DIR` can put scenario cases next to the fixed cases.
//
// A run becomes the case `scenario.<name>` (`scenario.<name>.seed<N>` when a
// report holds several seeds of one scenario): group SCENARIO, title = the
// scenario's purpose, clauses = those its steps and checkers cite, verdict
// OK (every applicable checker passed), FAILED (a checker or the harness
// failed: the reason names it) or UNIMPLEMENTED (no accounts could be had,
// or nothing applicable was judged). Checkers that cannot judge an external
// target are listed in `actual`, never counted as passes.
#pragma once

#include <string>
#include <vector>

#include "reports/report.h"
#include "scenarios/runner.h"
#include "scenarios/scenario.h"

namespace mcpsim::scenarios {

// The PROTOCOL.md clauses a scenario exercises: its step kinds' and its
// checkers' (in a fixed order, without duplicates).
std::vector<std::string> ScenarioClauses(const Scenario& s);

// `id_suffix` = "" or ".seed<N>".
reports::CaseResult ScenarioCase(const Scenario& s, const RunResult& r, const std::string& id_suffix = "");

}  // namespace mcpsim::scenarios
