// The self-contained HTML report of a conformance run. Order: what failed
// first (run error, failures with expected/actual/reason text, flaky cases),
// then baseline changes, the case table, and per case the transcript as a
// sequence diagram with one lane per party plus every message in full;
// clause coverage and charts come last. No scripts, no external assets.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "reports/html_util.h"
#include "reports/report.h"

namespace mcpsim::reports {
namespace {

using html::Badge;
using html::Color;
using html::H;
using html::Num;

// Horizontal bars of one metric per case (duration when `metric` is empty).
std::string BarChart(const Report& r, const std::string& metric, const std::string& unit) {
  std::vector<std::pair<std::string, double>> rows;
  for (const CaseResult& c : r.cases) {
    double v = metric.empty() ? c.duration_us / 1000.0 : (c.metrics.count(metric) ? c.metrics.at(metric) : -1);
    if (v >= 0) rows.emplace_back(c.id, v);
  }
  if (rows.empty()) return "<p class=muted>No data.</p>";
  double max = 0;
  for (auto& [id, v] : rows) max = std::max(max, v);
  if (max <= 0) max = 1;
  const int row = 14, w = 500;
  std::string s = "<svg width=\"900\" height=\"" + std::to_string(rows.size() * row + 4) +
                  "\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"monospace\" font-size=\"10\">";
  int y = 0;
  for (auto& [id, v] : rows) {
    const int len = static_cast<int>(v / max * w);
    s += "<text x=\"0\" y=\"" + std::to_string(y + 10) + "\">" + H(id.substr(0, 40)) + "</text>";
    s += "<rect x=\"300\" y=\"" + std::to_string(y + 2) + "\" width=\"" + std::to_string(std::max(len, 1)) +
         "\" height=\"10\" fill=\"#1565c0\"/>";
    s += "<text x=\"" + std::to_string(305 + len) + "\" y=\"" + std::to_string(y + 10) + "\">" + Num(v) +
         (unit.empty() ? "" : " " + unit) + "</text>";
    y += row;
  }
  return s + "</svg>";
}

std::string Clauses(const CaseResult& c) {
  std::string s;
  for (const auto& id : c.clauses) s += (s.empty() ? "" : " ") + id;
  return s;
}

std::string Metric(const CaseResult& c, const char* key, const char* fmt) {
  auto it = c.metrics.find(key);
  return it == c.metrics.end() ? "—" : Num(it->second, fmt);
}

std::string PassRate(const CaseResult& c) {
  if (c.runs == 0) return "—";
  std::string s = std::to_string(c.passes) + "/" + std::to_string(c.runs) + " (" +
                  Num(100.0 * c.passes / c.runs, "%.0f") + "%)";
  if (IsFlaky(c)) s = "<span class=flaky>" + s + " FLAKY</span>";
  return s;
}

// Listed under "Failures": FAILED, ERROR and NON-STRICT (a SHOULD not met;
// it fails the run only under --strict).
bool Fails(const CaseResult& c) {
  return c.verdict == Verdict::kFailed || c.verdict == Verdict::kError || c.verdict == Verdict::kNonStrict;
}

}  // namespace

std::string RenderHtml(const Report& r, const Report* baseline) {
  const bool client = r.kind == "client-conformance";
  const bool flaky_run = std::any_of(r.cases.begin(), r.cases.end(), [](const CaseResult& c) { return c.runs > 0; });
  std::string h = html::PageStart(r.tool + " " + r.kind + " report");
  h += "<h1>" + H(r.tool) + " " + H(r.kind) + " report</h1>";
  if (!r.error.empty()) {
    h += "<p class=err><b>The run did not complete:</b> " + H(r.error) + "</p>";
  }
  h += "<p>target <code>" + H(r.target) + "</code> · " +
       (r.seeds.empty() ? "seed " + std::to_string(r.seed) : "seeds " + H(r.seeds)) + " · " +
       std::to_string(r.cases.size()) + " cases · " + Num(r.duration_us / 1e6, "%.2f") + " s" +
       (r.strict ? " · strict (NON-STRICT fails the run)" : "") + "<br><span class=muted>mcpsim " + H(r.version) +
       " · commit " + H(r.commit.empty() ? "—" : r.commit) + " · " + H(r.build_type.empty() ? "—" : r.build_type) +
       " build</span></p><p>";
  for (auto [v, n] : CountVerdicts(r)) h += Badge(v) + " " + std::to_string(n) + " &nbsp; ";
  h += "</p>";

  // 1. What needs attention, at the top.
  std::string rows;
  int n_fail = 0;
  for (const CaseResult& c : r.cases) {
    if (!Fails(c) && !IsFlaky(c)) continue;
    ++n_fail;
    rows += "<tr><td><a href=\"#" + html::Anchor(c.id) + "\">" + H(c.id) + "</a></td><td>" + Badge(c.verdict) +
            (IsFlaky(c) ? " <span class=flaky>FLAKY</span>" : "") + "</td><td>" + H(Clauses(c)) + "</td><td>" +
            H(ReasonText(r, c)) + "</td><td>" + H(c.expected.empty() ? "—" : c.expected) + "</td><td>" +
            H(c.actual.empty() ? "—" : c.actual) + "</td></tr>";
  }
  h += "<h2 id=failures>Failures (" + std::to_string(n_fail) + ")</h2>";
  if (n_fail == 0) {
    h += r.error.empty() ? "<p>None: every case passed.</p>" : "<p>No case ran.</p>";
  } else {
    h += "<table><tr><th>case</th><th>verdict</th><th>clauses</th><th>reason</th><th>expected</th><th>actual</th></tr>" +
         rows + "</table>";
  }

  if (baseline) {
    std::map<std::string, Verdict> before;
    for (const CaseResult& c : baseline->cases) before[c.id] = c.verdict;
    h += "<h2>Changes since the baseline</h2><table><tr><th>case</th><th>before</th><th>now</th></tr>";
    int n = 0;
    for (const CaseResult& c : r.cases) {
      auto it = before.find(c.id);
      if (it != before.end() && it->second == c.verdict) continue;
      ++n;
      h += "<tr><td>" + H(c.id) + "</td><td>" + (it == before.end() ? std::string("(new)") : Badge(it->second)) +
           "</td><td>" + Badge(c.verdict) + "</td></tr>";
    }
    h += "</table>";
    if (n == 0) h += "<p>No verdict changed.</p>";
  }

  if (!r.fault.empty()) {
    h += "<h2>Fault proxy</h2><p>spec <code>" + H(r.fault) + "</code> (seed " + std::to_string(r.seed) +
         ")</p><table><tr><th>counter</th><th>value</th></tr>";
    for (const auto& [k, v] : r.fault_counters) {
      h += "<tr><td>" + H(k) + "</td><td class=num>" + std::to_string(v) + "</td></tr>";
    }
    h += "</table>";
  }
  if (!r.artifacts.empty()) {
    h += "<p>Artifacts:";
    for (const std::string& a : r.artifacts) h += " <a href=\"" + H(a) + "\">" + H(a) + "</a>";
    h += " (open run.pcap in Wireshark with the mcpsim dissector, <code>mcp.lua</code>)</p>";
  }

  // 2. Every case.
  h += "<h2>Cases</h2><table><tr><th>case</th><th>verdict</th>" + std::string(flaky_run ? "<th>passed</th>" : "") +
       "<th>clauses</th><th>title</th><th>duration</th><th>latency</th><th>resends</th></tr>";
  for (const CaseResult& c : r.cases) {
    h += "<tr><td><a href=\"#" + html::Anchor(c.id) + "\">" + H(c.id) + "</a></td><td>" + Badge(c.verdict) +
         "</td>" + (flaky_run ? "<td class=num>" + PassRate(c) + "</td>" : std::string()) + "<td>" + H(Clauses(c)) +
         "</td><td>" + H(c.title) + "</td><td class=num>" + (c.duration_us > 0 ? html::Ms(c.duration_us) : "—") +
         "</td><td class=num>" + (c.metrics.count("latency_ms") ? Metric(c, "latency_ms", "%.1f") + " ms" : "—") +
         "</td><td class=num>" + Metric(c, "resends", "%.0f") + "</td></tr>";
  }
  h += "</table>";

  for (const CaseResult& c : r.cases) {
    const std::string anchor = html::Anchor(c.id);
    h += "<section id=\"" + anchor + "\"><h3>" + Badge(c.verdict) + " " + H(c.id) + "</h3><p>" + H(c.title) +
         "</p><table><tr><th>clauses</th><td>" + H(Clauses(c)) + "</td></tr><tr><th>expected</th><td>" +
         H(c.expected.empty() ? "—" : c.expected) + "</td></tr><tr><th>actual</th><td>" +
         H(c.actual.empty() ? "—" : c.actual) + "</td></tr><tr><th>reason</th><td>" +
         H(ReasonText(r, c).empty() ? "—" : ReasonText(r, c)) + "</td></tr>";
    if (c.runs > 0) {
      std::string seeds;
      for (std::uint64_t s : c.failing_seeds) seeds += (seeds.empty() ? "" : ", ") + std::to_string(s);
      h += "<tr><th>passed</th><td>" + PassRate(c) + (seeds.empty() ? "" : "; failing seeds: " + seeds) +
           "</td></tr>";
    }
    h += "</table>";
    h += "<details" + std::string(c.verdict == Verdict::kOk ? "" : " open") + "><summary>wire transcript (" +
         std::to_string(c.wire.size()) + " events)</summary>" +
         html::RenderSequence(html::WireDiagram(c, client), anchor) + "</details></section>";
  }

  // 3. Coverage and charts, folded.
  if (!r.clauses.empty()) {
    std::map<std::string, std::vector<const CaseResult*>> by_clause;
    for (const CaseResult& c : r.cases) {
      for (const auto& id : c.clauses) by_clause[id].push_back(&c);
    }
    int musts = 0, covered = 0;
    std::string crow;
    for (const ClauseInfo& cl : r.clauses) {
      if (cl.level != "MUST" && cl.level != "SHOULD") continue;
      ++musts;
      auto it = by_clause.find(cl.id);
      if (it == by_clause.end()) continue;
      ++covered;
      std::string cells;
      for (const CaseResult* c : it->second) {
        cells += "<a href=\"#" + html::Anchor(c->id) + "\" title=\"" + H(c->id) + "\" class=b style=\"background:" +
                 Color(c->verdict) + "\">" + H(c->id) + "</a> ";
      }
      crow += "<tr><td><code>" + H(cl.id) + "</code></td><td>" + cl.level + "</td><td>" + cells + "</td></tr>";
    }
    const std::vector<ClauseInfo> missing = UncoveredClauses(r);
    h += "<h2>Clause coverage</h2><p>" + std::to_string(covered) + " of " + std::to_string(musts) +
         " MUST/SHOULD clauses checked by at least one case; " + std::to_string(missing.size()) +
         " uncovered.</p><details><summary>coverage matrix</summary><table><tr><th>clause</th><th>level</th><th>cases</th></tr>" +
         crow + "</table></details>";
    if (!missing.empty()) {
      h += "<details><summary>Uncovered MUST/SHOULD clauses (" + std::to_string(missing.size()) +
           "): no case checks them</summary><table><tr><th>clause</th><th>level</th><th>text</th></tr>";
      for (const ClauseInfo& cl : missing) {
        h += "<tr><td><code>" + H(cl.id) + "</code></td><td>" + H(cl.level) + "</td><td>" + H(cl.text) + "</td></tr>";
      }
      h += "</table></details>";
    }
    const std::vector<ClauseInfo> unjudged = NotJudgedClauses(r);
    if (!unjudged.empty()) {
      h += "<details><summary>Not judged from the wire (" + std::to_string(unjudged.size()) +
           "): clauses a peer cannot observe</summary><table><tr><th>clause</th><th>level</th><th>why</th></tr>";
      for (const ClauseInfo& cl : unjudged) {
        h += "<tr><td><code>" + H(cl.id) + "</code></td><td>" + H(cl.level) + "</td><td>" + H(cl.not_judged) + "</td></tr>";
      }
      h += "</table></details>";
    }
  }
  if (r.kind == "conformance" && !r.cases.empty()) {
    const std::vector<WordUse> words = WordCoverage(r);
    std::string rows;
    std::size_t used = 0;
    for (const WordUse& w : words) {
      used += w.cases > 0;
      rows += "<tr><td><code>" + H(w.word) + "</code></td><td><code>" + H(w.answer) + "</code></td><td>" + H(w.role) +
              "</td><td>" + H(w.direction) + "</td><td" + (w.cases ? "" : " style=\"background:#fdd\"") + ">" +
              std::to_string(w.cases) + "</td></tr>";
    }
    h += "<h2>Protocol words</h2><p>" + std::to_string(used) + " of " + std::to_string(words.size()) +
         " words of PROTOCOL.md Appendix A exercised (request and answer seen in one case's transcript).</p>"
         "<details><summary>cases per word</summary><table><tr><th>request</th><th>answer</th><th>role</th>"
         "<th>direction</th><th>cases</th></tr>" +
         rows + "</table></details>";
  }
  h += "<h2>Charts</h2><details><summary>duration per case (ms)</summary>" + BarChart(r, "", "ms") + "</details>";
  h += "<details><summary>Latency, first request to first answer (ms)</summary>" + BarChart(r, "latency_ms", "ms") +
       "</details>";
  h += "<details><summary>Resends per case</summary>" + BarChart(r, "resends", "") + "</details>";
  h += "</body></html>\n";
  return h;
}

}  // namespace mcpsim::reports
