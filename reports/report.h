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
  std::string dir;         // "send" (mcpsim -> implementation under test), "recv", "note"
  std::string transport;   // "udp", "tcp", "http", "note"
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
};

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
  std::string version;
  std::string target;                // what was tested
  std::uint64_t seed = 0;
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

// Bytes for display: printable ASCII kept, CR/LF/backslash as \r \n \\,
// everything else (including UTF-8 bytes) as \xHH.
std::string Printable(std::string_view bytes);

// Verdict counts.
std::map<Verdict, int> CountVerdicts(const Report& r);

// Writes report.json, junit.xml, index.html and summary.md into `dir`
// (created if missing).
Status WriteReportFiles(const Report& r, const std::string& dir, const Report* baseline = nullptr);

}  // namespace mcpsim::reports
