// The result model every report is rendered from (conformance runs and
// scenario runs alike), its JSON form (report.json, schema in
// reports/report.schema.json) and the renderers: JUnit XML, self-contained
// HTML, Markdown. Pure functions: no I/O except WriteReportFiles.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "core/status.h"

namespace mcpsim::reports {

// Autobahn-style verdicts. Only kFailed (and kError) fail a run; kNonStrict
// fails it under --strict.
enum class Verdict : std::uint8_t { kOk, kNonStrict, kInformational, kUnimplemented, kFailed, kError };
std::string_view VerdictName(Verdict v);  // "OK", "NON-STRICT", ..., "ERROR"
std::optional<Verdict> ParseVerdict(std::string_view name);

// One line of the wire transcript.
struct WireEvent {
  std::int64_t t_us = 0;   // since the case started
  // "send" (mcpsim -> implementation under test), "recv", "note"; "sealed" /
  // "opened": the plaintext of an encrypted-UDP envelope sent / received
  // (the envelope itself is the send / recv event).
  std::string dir;
  // "udp", "udps", "tcp", "http" or "note", optionally with the runner-side
  // socket or connection number: "udp#0", "tcp#1" (one party per socket).
  std::string transport;
  std::string bytes;       // raw bytes (rendered escaped)
};

struct CaseResult {
  std::string id;                    // e.g. "wire.escape.roundtrip"
  std::string title;
  std::string group;                 // clause group / suite, e.g. "WIRE"
  std::vector<std::string> clauses;  // clause ids checked
  Verdict verdict = Verdict::kOk;
  std::string expected;
  std::string actual;
  std::string reason;                // why this verdict (cites the clause)
  std::int64_t duration_us = 0;
  std::vector<WireEvent> wire;
  std::map<std::string, double> metrics;  // e.g. "resends", "latency_ms"
  // Flakiness runs (`conform --seeds A..B`): how many seeds ran the case and
  // how many of them passed (OK/INFORMATIONAL/UNIMPLEMENTED), and the seeds
  // that did not. runs == 0: a single run.
  int runs = 0;
  int passes = 0;
  std::vector<std::uint64_t> failing_seeds;
};

// True for a case run over several seeds that passed on some but not all.
bool IsFlaky(const CaseResult& c);

// A normative clause of PROTOCOL.md and its requirement level.
struct ClauseInfo {
  ClauseInfo() = default;
  // {id, level, text} stays valid; not_judged is optional.
  ClauseInfo(std::string id_, std::string level_, std::string text_, std::string not_judged_ = "")
      : id(std::move(id_)), level(std::move(level_)), text(std::move(text_)), not_judged(std::move(not_judged_)) {}
  std::string id;
  std::string level;  // "MUST", "SHOULD", "MAY", "" (none found)
  std::string text;   // first line, for display
  // Why no conformance run can judge this clause from the wire (client-side,
  // storage, timing beyond a run, …); empty when it can. Such a clause is
  // listed apart from the uncovered ones.
  std::string not_judged;
};

struct Report {
  std::string kind = "conformance";  // or "scenarios"
  std::string tool = "mcpsim";
  // The build that wrote the report (core/build_info.h); defaults to this one.
  std::string version = core::GetBuildInfo().version;
  std::string commit = core::GetBuildInfo().commit;
  std::string build_type = core::GetBuildInfo().build_type;
  std::string target;                // what was tested
  std::uint64_t seed = 0;
  // Flakiness runs: the seed range ("1..20"); empty for a single run.
  std::string seeds;
  // --strict: NON-STRICT cases count as failures (JUnit <failure>, exit 1).
  bool strict = false;
  // Why the run could not be carried out (target unreachable, launch failed);
  // empty when the cases ran. Rendered first in every format.
  std::string error;
  std::int64_t duration_us = 0;
  std::vector<CaseResult> cases;
  std::vector<ClauseInfo> clauses;   // every clause of the spec (for coverage)
  // `--fault SPEC` runs: the spec and the proxy's counters (forwarded,
  // dropped, duplicated, reordered, ...); empty otherwise.
  std::string fault;
  std::map<std::string, std::int64_t> fault_counters;
  // Files written next to report.json besides the renderings (e.g. "run.pcap").
  std::vector<std::string> artifacts;
};

// MUST/SHOULD clauses of `r.clauses` that no case of `r` cites and that have
// no not_judged reason, in document order.
std::vector<ClauseInfo> UncoveredClauses(const Report& r);
// MUST/SHOULD clauses no case cites that carry a not_judged reason.
std::vector<ClauseInfo> NotJudgedClauses(const Report& r);

// The protocol words of PROTOCOL.md Appendix A (wire::AllWords, in its
// order) a conformance run exercised: `cases` counts the cases whose wire
// transcript holds the request word and, if the word is answered, its answer
// word, each at a line start (a DP GET's `q=RQQW%20…` counts). Sealed (udps)
// bytes are not looked into. Report kind "conformance" only.
struct WordUse {
  std::string word, answer, role, direction;
  int cases = 0;
};
std::vector<WordUse> WordCoverage(const Report& r);
// The words with no case, in table order (of `words`, or of WordCoverage(r)).
std::vector<std::string> UnexercisedWords(const std::vector<WordUse>& words);
std::vector<std::string> UnexercisedWords(const Report& r);

// Per-case figures derived from the wire transcript, merged into `metrics`
// unless already set: "latency_ms" (first send to first receive) and
// "resends" (sends byte-identical to an earlier send of the case).
void DeriveWireMetrics(CaseResult& c);

// Extracts `[PREFIX-N]` clauses from PROTOCOL.md text, in document order,
// classifying each by the first RFC 2119 keyword in it.
std::vector<ClauseInfo> ExtractClauses(std::string_view markdown);

std::string ToJson(const Report& r, int indent = 2);
// Parses report.json; errors cite clause "REPORT-1" with a message.
Result<Report> FromJson(std::string_view json);

// JUnit XML (Jenkins xUnit schema): one <testsuite> per group; FAILED as
// <failure>, ERROR as <error>, UNIMPLEMENTED as <skipped>.
std::string RenderJunit(const Report& r);
// Markdown summary.
std::string RenderMarkdown(const Report& r, const Report* baseline = nullptr);
// Self-contained HTML (inline CSS and SVG, no external assets).
std::string RenderHtml(const Report& r, const Report* baseline = nullptr);

// One implementation of a matrix page: its name (column header), its report
// and the page its chips link to (relative URL of its index.html).
struct MatrixColumn {
  std::string name;
  const Report* report = nullptr;
  std::string link;
};
// Self-contained HTML: implementations as columns, cases as rows (first
// appearance order), verdict chips linking to `link#case-<id>`.
std::string RenderMatrix(const std::vector<MatrixColumn>& columns);

// Scenario runs (`mcpsim run|sweep --out`), rendered from the runs' JSON
// (scenarios::ResultJson plus "purpose" and "mcpsim").
struct ScenarioRunFiles {
  std::string json;          // the run's JSON file name (relative link)
  std::string pcap;          // its pcap file name, "" if none
  std::string diagram_note;  // shown above the diagram (e.g. a re-run that differed)
};
// One run's page: purpose, verdict, replay, checkers, counters (ms, "—"), the
// sequence diagram of `pcap` (classic pcap, LINKTYPE_RAW) with node names and
// losses from `trace_jsonl` (the scenario trace).
std::string RenderScenarioRun(const nlohmann::ordered_json& result, const ScenarioRunFiles& files,
                              const std::string& pcap, const std::string& trace_jsonl);
// The index of a summary (scenarios::SummaryJson): failures first, per-scenario
// rows, all runs when s["all_runs"]; `pages` maps "scenario#seed" to page links.
std::string RenderScenarioIndex(const nlohmann::ordered_json& summary,
                                const std::map<std::string, std::string>& pages);

// Bytes for display: printable ASCII kept, CR/LF/backslash as \r \n \\,
// everything else (including UTF-8 bytes) as \xHH.
std::string Printable(std::string_view bytes);

// The reason text shown for a case: its reason, expanded when it is only a
// clause id (or empty) with that clause's text from `r.clauses` and the
// expected/actual pair, so a reader never sees a bare "SG-CHAT-7".
std::string ReasonText(const Report& r, const CaseResult& c);

// One report from the reports of the same suite run once per seed
// (`conform --seeds A..B`; `seeds[i]` is the seed of `runs[i]`): each case
// gets runs/passes/failing_seeds; a case that failed on any seed takes the
// worst failing verdict, and the transcript and expected/actual of its first
// failing seed (reason prefixed "seed N: "). NON-STRICT passes unless strict.
Report MergeSeedRuns(const std::vector<Report>& runs, const std::vector<std::uint64_t>& seeds, bool strict);

// Verdict counts.
std::map<Verdict, int> CountVerdicts(const Report& r);

// Writes report.json, junit.xml, index.html and summary.md into `dir`
// (created if missing).
Status WriteReportFiles(const Report& r, const std::string& dir, const Report* baseline = nullptr);

}  // namespace mcpsim::reports
