// The self-contained HTML report: summary, baseline changes, clause coverage,
// latency/resend charts, and one section per case with expected vs actual
// and the wire transcript as an SVG sequence diagram. No external assets.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "reports/report.h"

namespace mcpsim::reports {
namespace {

std::string H(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string Num(double v, const char* fmt = "%.1f") {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

const char* Color(Verdict v) {
  switch (v) {
    case Verdict::kOk: return "#2e7d32";
    case Verdict::kNonStrict: return "#ef6c00";
    case Verdict::kInformational: return "#1565c0";
    case Verdict::kUnimplemented: return "#757575";
    case Verdict::kFailed: return "#c62828";
    case Verdict::kError: return "#6a1b9a";
  }
  return "#000";
}

std::string Badge(Verdict v) {
  return "<span class=b style=\"background:" + std::string(Color(v)) + "\">" + std::string(VerdictName(v)) + "</span>";
}

// Two lifelines (runner, target); one arrow per wire event.
std::string SequenceSvg(const CaseResult& c, const std::string& tester, const std::string& tested) {
  if (c.wire.empty()) return "<p class=muted>No wire traffic.</p>";
  const int row = 22, top = 30, width = 900, left = 120, right = 780;
  const int height = top + static_cast<int>(c.wire.size()) * row + 10;
  std::string s = "<svg width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
                  "\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"monospace\" font-size=\"11\">";
  s += "<text x=\"" + std::to_string(left - 20) + "\" y=\"14\">" + H(tester) + "</text><text x=\"" +
       std::to_string(right - 20) + "\" y=\"14\">" + H(tested) + "</text>";
  s += "<line x1=\"" + std::to_string(left) + "\" y1=\"20\" x2=\"" + std::to_string(left) + "\" y2=\"" +
       std::to_string(height) + "\" stroke=\"#999\"/>";
  s += "<line x1=\"" + std::to_string(right) + "\" y1=\"20\" x2=\"" + std::to_string(right) + "\" y2=\"" +
       std::to_string(height) + "\" stroke=\"#999\"/>";
  int y = top;
  for (const WireEvent& e : c.wire) {
    const bool send = e.dir == "send";
    const bool note = e.transport == "note";
    std::string label = Printable(e.bytes);
    if (label.size() > 90) label = label.substr(0, 87) + "...";
    s += "<text x=\"4\" y=\"" + std::to_string(y + 4) + "\" fill=\"#666\">" + Num(e.t_us / 1000.0, "%.1f") +
         "ms</text>";
    if (note) {
      s += "<text x=\"" + std::to_string(left + 10) + "\" y=\"" + std::to_string(y + 4) +
           "\" fill=\"#6a1b9a\">" + H(label) + "</text>";
    } else {
      const int x1 = send ? left : right, x2 = send ? right : left;
      s += "<line x1=\"" + std::to_string(x1) + "\" y1=\"" + std::to_string(y) + "\" x2=\"" + std::to_string(x2) +
           "\" y2=\"" + std::to_string(y) + "\" stroke=\"" + (send ? "#1565c0" : "#2e7d32") +
           "\" marker-end=\"url(#a)\"/>";
      s += "<text x=\"" + std::to_string(left + 8) + "\" y=\"" + std::to_string(y - 3) + "\">" + H(e.transport) +
           " " + H(label) + "</text>";
    }
    y += row;
  }
  s += "<defs><marker id=\"a\" markerWidth=\"8\" markerHeight=\"8\" refX=\"8\" refY=\"4\" orient=\"auto\">"
       "<path d=\"M0,0 L8,4 L0,8 z\" fill=\"#555\"/></marker></defs></svg>";
  return s;
}

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
    s += "<text x=\"" + std::to_string(305 + len) + "\" y=\"" + std::to_string(y + 10) + "\">" + Num(v) + " " +
         unit + "</text>";
    y += row;
  }
  return s + "</svg>";
}

}  // namespace

std::string RenderHtml(const Report& r, const Report* baseline) {
  std::string h = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + H(r.tool + " " + r.kind) +
                  " report</title><style>"
                  "body{font-family:sans-serif;margin:24px;max-width:1100px}"
                  "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}"
                  ".b{color:#fff;padding:1px 6px;border-radius:3px;font-size:12px}.muted{color:#777}"
                  "pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}details{margin:6px 0}"
                  "</style></head><body>";
  h += "<h1>" + H(r.tool) + " " + H(r.kind) + " report</h1>";
  h += "<p>target <code>" + H(r.target) + "</code> · seed " + std::to_string(r.seed) + " · version " +
       H(r.version) + " · " + std::to_string(r.cases.size()) + " cases · " + Num(r.duration_us / 1e6, "%.2f") +
       " s</p><table><tr><th>verdict</th><th>count</th></tr>";
  for (auto [v, n] : CountVerdicts(r)) h += "<tr><td>" + Badge(v) + "</td><td>" + std::to_string(n) + "</td></tr>";
  h += "</table>";

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

  if (!r.clauses.empty()) {
    std::map<std::string, std::vector<const CaseResult*>> by_clause;
    for (const CaseResult& c : r.cases) {
      for (const auto& id : c.clauses) by_clause[id].push_back(&c);
    }
    int musts = 0, covered = 0;
    std::string rows;
    for (const ClauseInfo& cl : r.clauses) {
      if (cl.level != "MUST" && cl.level != "SHOULD") continue;
      ++musts;
      auto it = by_clause.find(cl.id);
      if (it == by_clause.end()) {
        continue;
      }
      ++covered;
      std::string cells;
      for (const CaseResult* c : it->second) {
        cells += "<span title=\"" + H(c->id) + "\" class=b style=\"background:" + Color(c->verdict) + "\">" +
                 H(c->id) + "</span> ";
      }
      rows += "<tr><td><code>" + H(cl.id) + "</code></td><td>" + cl.level + "</td><td>" + cells + "</td></tr>";
    }
    h += "<h2>Clause coverage</h2><p>" + std::to_string(covered) + " of " + std::to_string(musts) +
         " MUST/SHOULD clauses checked by at least one case.</p><table><tr><th>clause</th><th>level</th><th>cases</th></tr>" +
         rows + "</table>";
    const std::vector<ClauseInfo> missing = UncoveredClauses(r);
    h += "<h3>Uncovered MUST/SHOULD clauses (" + std::to_string(missing.size()) + ")</h3>";
    if (missing.empty()) {
      h += "<p>None.</p>";
    } else {
      h += "<details><summary>" + std::to_string(missing.size()) +
           " clauses no case checks</summary><table><tr><th>clause</th><th>level</th><th>text</th></tr>";
      for (const ClauseInfo& cl : missing) {
        h += "<tr><td><code>" + H(cl.id) + "</code></td><td>" + H(cl.level) + "</td><td>" + H(cl.text) + "</td></tr>";
      }
      h += "</table></details>";
    }
    const std::vector<ClauseInfo> unjudged = NotJudgedClauses(r);
    if (!unjudged.empty()) {
      h += "<h3>Not judged from the wire (" + std::to_string(unjudged.size()) +
           ")</h3><details><summary>" + std::to_string(unjudged.size()) +
           " clauses a peer cannot observe</summary><table><tr><th>clause</th><th>level</th><th>why</th></tr>";
      for (const ClauseInfo& cl : unjudged) {
        h += "<tr><td><code>" + H(cl.id) + "</code></td><td>" + H(cl.level) + "</td><td>" + H(cl.not_judged) + "</td></tr>";
      }
      h += "</table></details>";
    }
  }

  if (!r.fault.empty()) {
    h += "<h2>Fault proxy</h2><p>spec <code>" + H(r.fault) + "</code> (seed " + std::to_string(r.seed) +
         ")</p><table><tr><th>counter</th><th>value</th></tr>";
    for (const auto& [k, v] : r.fault_counters) {
      h += "<tr><td>" + H(k) + "</td><td>" + std::to_string(v) + "</td></tr>";
    }
    h += "</table>";
  }
  if (!r.artifacts.empty()) {
    h += "<p>Artifacts:";
    for (const std::string& a : r.artifacts) h += " <a href=\"" + H(a) + "\">" + H(a) + "</a>";
    h += "</p>";
  }

  h += "<h2>Durations</h2>" + BarChart(r, "", "ms");
  h += "<h2>Latency (first request to first answer)</h2>" + BarChart(r, "latency_ms", "ms");
  h += "<h2>Resends</h2>" + BarChart(r, "resends", "");

  h += "<h2>Cases</h2><table><tr><th>case</th><th>verdict</th><th>clauses</th><th>title</th></tr>";
  for (const CaseResult& c : r.cases) {
    std::string clauses;
    for (const auto& id : c.clauses) clauses += id + " ";
    h += "<tr><td><a href=\"#" + H(c.id) + "\">" + H(c.id) + "</a></td><td>" + Badge(c.verdict) + "</td><td>" +
         H(clauses) + "</td><td>" + H(c.title) + "</td></tr>";
  }
  h += "</table>";
  const bool client = r.kind == "client-conformance";
  for (const CaseResult& c : r.cases) {
    h += "<section id=\"" + H(c.id) + "\"><h3>" + Badge(c.verdict) + " " + H(c.id) + "</h3><p>" + H(c.title) +
         "</p><table><tr><th>expected</th><td>" + H(c.expected) + "</td></tr><tr><th>actual</th><td>" + H(c.actual) +
         "</td></tr><tr><th>reason</th><td>" + H(c.reason) + "</td></tr></table>";
    h += "<details" + std::string(c.verdict == Verdict::kOk ? "" : " open") + "><summary>wire transcript (" +
         std::to_string(c.wire.size()) + " events)</summary>" + SequenceSvg(c, client ? "mcpsim servers" : "runner", client ? "client" : "target") +
         "</details></section>";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace mcpsim::reports
