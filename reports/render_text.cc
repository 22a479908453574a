// JUnit XML and Markdown renderers.
#include <cstdio>
#include <map>

#include "reports/report.h"

namespace mcpsim::reports {
namespace {

std::string Xml(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters even as references.
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "?";
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string Seconds(std::int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(us) / 1e6);
  return buf;
}

std::string Transcript(const CaseResult& c) {
  std::string t;
  for (const WireEvent& e : c.wire) {
    t += '[';
    t += Seconds(e.t_us);
    t += "s] ";
    t += e.dir;
    t += ' ';
    t += e.transport;
    t += ": ";
    t += Printable(e.bytes);
    t += '\n';
  }
  return t;
}

}  // namespace

std::string RenderJunit(const Report& r) {
  std::map<std::string, std::vector<const CaseResult*>> groups;
  for (const CaseResult& c : r.cases) groups[c.group.empty() ? "cases" : c.group].push_back(&c);
  int failures = 0, errors = 0;
  for (const CaseResult& c : r.cases) {
    failures += c.verdict == Verdict::kFailed;
    errors += c.verdict == Verdict::kError;
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"" + Xml(r.tool + " " + r.kind) + "\" tests=\"" + std::to_string(r.cases.size()) +
       "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
       "\" time=\"" + Seconds(r.duration_us) + "\">\n";
  for (const auto& [group, cases] : groups) {
    int f = 0, e = 0, sk = 0;
    std::int64_t us = 0;
    for (const CaseResult* c : cases) {
      f += c->verdict == Verdict::kFailed;
      e += c->verdict == Verdict::kError;
      sk += c->verdict == Verdict::kUnimplemented;
      us += c->duration_us;
    }
    x += "  <testsuite name=\"" + Xml(group) + "\" tests=\"" + std::to_string(cases.size()) +
         "\" failures=\"" + std::to_string(f) + "\" errors=\"" + std::to_string(e) + "\" skipped=\"" +
         std::to_string(sk) + "\" time=\"" + Seconds(us) + "\">\n";
    x += "    <properties><property name=\"target\" value=\"" + Xml(r.target) +
         "\"/><property name=\"seed\" value=\"" + std::to_string(r.seed) + "\"/></properties>\n";
    for (const CaseResult* c : cases) {
      std::string clauses;
      for (const auto& id : c->clauses) {
        if (!clauses.empty()) clauses += ' ';
        clauses += id;
      }
      x += "    <testcase name=\"" + Xml(c->id) + "\" classname=\"" + Xml(group) + "\" time=\"" +
           Seconds(c->duration_us) + "\">\n";
      const std::string msg = Xml(c->reason.empty() ? std::string(VerdictName(c->verdict)) : c->reason);
      const std::string detail = Xml("clauses: " + clauses + "\nexpected: " + c->expected +
                                     "\nactual: " + c->actual + "\n" + Transcript(*c));
      if (c->verdict == Verdict::kFailed) {
        x += "      <failure type=\"FAILED\" message=\"" + msg + "\">" + detail + "</failure>\n";
      } else if (c->verdict == Verdict::kError) {
        x += "      <error type=\"ERROR\" message=\"" + msg + "\">" + detail + "</error>\n";
      } else if (c->verdict == Verdict::kUnimplemented) {
        x += "      <skipped type=\"UNIMPLEMENTED\" message=\"" + msg + "\"/>\n";
      }
      x += "      <system-out>" + Xml(std::string(VerdictName(c->verdict)) + ": " + c->title + "\n" + detail) +
           "</system-out>\n";
      x += "    </testcase>\n";
    }
    x += "  </testsuite>\n";
  }
  x += "</testsuites>\n";
  return x;
}

std::string RenderMarkdown(const Report& r, const Report* baseline) {
  std::string m = "# " + r.tool + " " + r.kind + " report\n\n";
  m += "- target: `" + r.target + "`\n- seed: " + std::to_string(r.seed) + "\n- version: " + r.version +
       "\n- cases: " + std::to_string(r.cases.size()) + "\n- duration: " + Seconds(r.duration_us) + " s\n\n";
  m += "| verdict | count |\n|---|---|\n";
  for (auto [v, n] : CountVerdicts(r)) m += "| " + std::string(VerdictName(v)) + " | " + std::to_string(n) + " |\n";
  m += "\n## Cases not OK\n\n";
  bool any = false;
  for (const CaseResult& c : r.cases) {
    if (c.verdict == Verdict::kOk) continue;
    any = true;
    std::string clauses;
    for (const auto& id : c.clauses) {
      if (!clauses.empty()) clauses += ", ";
      clauses += id;
    }
    m += "- **" + std::string(VerdictName(c.verdict)) + "** `" + c.id + "` (" + clauses + "): " + c.reason +
         "\n  - expected: " + c.expected + "\n  - actual: " + c.actual + "\n";
  }
  if (!any) m += "None.\n";
  if (!r.fault.empty()) {
    m += "\n## Fault proxy\n\n- spec: `" + r.fault + "`\n";
    for (const auto& [k, v] : r.fault_counters) m += "- " + k + ": " + std::to_string(v) + "\n";
  }
  if (!r.clauses.empty()) {
    const std::vector<ClauseInfo> missing = UncoveredClauses(r);
    m += "\n## Uncovered MUST/SHOULD clauses (" + std::to_string(missing.size()) + ")\n\n";
    std::string ids;
    for (const ClauseInfo& c : missing) ids += (ids.empty() ? "" : ", ") + c.id;
    m += (ids.empty() ? std::string("None.") : ids) + "\n";
    const std::vector<ClauseInfo> unjudged = NotJudgedClauses(r);
    if (!unjudged.empty()) {
      m += "\n## Not judged from the wire (" + std::to_string(unjudged.size()) + ")\n\n";
      for (const ClauseInfo& c : unjudged) m += "- " + c.id + ": " + c.not_judged + "\n";
    }
  }
  if (baseline) {
    std::map<std::string, Verdict> before;
    for (const CaseResult& c : baseline->cases) before[c.id] = c.verdict;
    m += "\n## Changes since the baseline\n\n";
    bool changed = false;
    for (const CaseResult& c : r.cases) {
      auto it = before.find(c.id);
      if (it == before.end()) {
        m += "- new `" + c.id + "`: " + std::string(VerdictName(c.verdict)) + "\n";
        changed = true;
      } else if (it->second != c.verdict) {
        m += "- `" + c.id + "`: " + std::string(VerdictName(it->second)) + " → " +
             std::string(VerdictName(c.verdict)) + "\n";
        changed = true;
      }
    }
    if (!changed) m += "No verdict changed.\n";
  }
  return m;
}

}  // namespace mcpsim::reports
