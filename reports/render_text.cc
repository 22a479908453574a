// JUnit XML and Markdown renderers.
#include <cstdio>
#include <map>

#include "reports/markup.h"
#include "reports/report.h"

namespace mcpsim::reports {
namespace {

std::string Xml(std::string_view s) { return Escape(s, Markup::kXml); }

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
  // Under --strict a NON-STRICT case fails the run, so JUnit counts it too.
  auto fails = [&](const CaseResult& c) {
    return c.verdict == Verdict::kFailed || (r.strict && c.verdict == Verdict::kNonStrict);
  };
  int failures = 0, errors = r.error.empty() ? 0 : 1;
  for (const CaseResult& c : r.cases) {
    failures += fails(c);
    errors += c.verdict == Verdict::kError;
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const std::size_t tests = r.cases.size() + (r.error.empty() ? 0 : 1);
  x += "<testsuites name=\"" + Xml(r.tool + " " + r.kind) + "\" tests=\"" + std::to_string(tests) +
       "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
       "\" time=\"" + Seconds(r.duration_us) + "\">\n";
  const std::string props = "    <properties><property name=\"target\" value=\"" + Xml(r.target) +
                            "\"/><property name=\"seed\" value=\"" + std::to_string(r.seed) +
                            "\"/><property name=\"mcpsim.version\" value=\"" + Xml(r.version) +
                            "\"/><property name=\"mcpsim.commit\" value=\"" + Xml(r.commit) +
                            "\"/><property name=\"strict\" value=\"" + (r.strict ? "true" : "false") +
                            (r.seeds.empty() ? std::string() : "\"/><property name=\"seeds\" value=\"" + Xml(r.seeds)) +
                            "\"/></properties>\n";
  if (!r.error.empty()) {
    // The run never reached the cases: one errored test says why, so CI shows it.
    x += "  <testsuite name=\"harness\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"" +
         Seconds(r.duration_us) + "\">\n" + props;
    x += "    <testcase name=\"run\" classname=\"harness\" time=\"" + Seconds(r.duration_us) + "\">\n";
    x += "      <error type=\"HARNESS\" message=\"" + Xml(r.error) + "\">" + Xml(r.error) + "</error>\n";
    x += "    </testcase>\n  </testsuite>\n";
  }
  for (const auto& [group, cases] : groups) {
    int f = 0, e = 0, sk = 0;
    std::int64_t us = 0;
    for (const CaseResult* c : cases) {
      f += fails(*c);
      e += c->verdict == Verdict::kError;
      sk += c->verdict == Verdict::kUnimplemented;
      us += c->duration_us;
    }
    x += "  <testsuite name=\"" + Xml(group) + "\" tests=\"" + std::to_string(cases.size()) +
         "\" failures=\"" + std::to_string(f) + "\" errors=\"" + std::to_string(e) + "\" skipped=\"" +
         std::to_string(sk) + "\" time=\"" + Seconds(us) + "\">\n";
    x += props;
    for (const CaseResult* c : cases) {
      std::string clauses;
      for (const auto& id : c->clauses) {
        if (!clauses.empty()) clauses += ' ';
        clauses += id;
      }
      x += "    <testcase name=\"" + Xml(c->id) + "\" classname=\"" + Xml(group) + "\" time=\"" +
           Seconds(c->duration_us) + "\">\n";
      const std::string reason = ReasonText(r, *c);
      const std::string msg = Xml(reason.empty() ? std::string(VerdictName(c->verdict)) : reason);
      const std::string detail = Xml("clauses: " + clauses + "\nreason: " + reason + "\nexpected: " + c->expected +
                                     "\nactual: " + c->actual + "\n" + Transcript(*c));
      if (c->runs > 0) {
        // Flakiness runs: the pass rate over the seeds, as JUnit properties.
        char rate[16];
        std::snprintf(rate, sizeof rate, "%.3f", static_cast<double>(c->passes) / c->runs);
        std::string seeds;
        for (std::uint64_t s : c->failing_seeds) {
          if (!seeds.empty()) seeds += ' ';
          seeds += std::to_string(s);
        }
        x += "      <properties><property name=\"runs\" value=\"" + std::to_string(c->runs) +
             "\"/><property name=\"passes\" value=\"" + std::to_string(c->passes) +
             "\"/><property name=\"pass_rate\" value=\"" + rate + "\"/><property name=\"flaky\" value=\"" +
             (IsFlaky(*c) ? "true" : "false") + "\"/><property name=\"failing_seeds\" value=\"" + seeds +
             "\"/></properties>\n";
      }
      if (fails(*c)) {
        x += "      <failure type=\"" + std::string(VerdictName(c->verdict)) + "\" message=\"" + msg + "\">" + detail +
             "</failure>\n";
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
  if (!r.error.empty()) m += "**The run did not complete: " + r.error + "**\n\n";
  m += "- target: `" + r.target + "`\n- seed: " + (r.seeds.empty() ? std::to_string(r.seed) : r.seeds) +
       "\n- mcpsim: " + r.version + " (commit " + r.commit + ", " + r.build_type + " build)" +
       (r.strict ? "\n- strict: NON-STRICT cases fail the run" : "") +
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
    m += "- **" + std::string(VerdictName(c.verdict)) + "** `" + c.id + "` (" + clauses + "): " + ReasonText(r, c) +
         "\n  - expected: " + c.expected + "\n  - actual: " + c.actual + "\n";
  }
  if (!any) m += "None.\n";
  bool flaky_any = false;
  for (const CaseResult& c : r.cases) {
    if (c.runs == 0) continue;
    if (!flaky_any) m += "\n## Pass rate over seeds " + r.seeds + "\n\n| case | passed | rate | |\n|---|---|---|---|\n";
    flaky_any = true;
    char rate[16];
    std::snprintf(rate, sizeof rate, "%.1f%%", 100.0 * c.passes / c.runs);
    m += "| `" + c.id + "` | " + std::to_string(c.passes) + "/" + std::to_string(c.runs) + " | " + rate + " | " +
         (IsFlaky(c) ? "FLAKY" : c.passes == 0 ? "always fails" : "") + " |\n";
  }
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
  if (r.kind == "conformance" && !r.cases.empty()) {
    const std::vector<WordUse> words = WordCoverage(r);
    const std::vector<std::string> missing = UnexercisedWords(words);
    m += "\n## Protocol words (" + std::to_string(words.size() - missing.size()) + " of " +
         std::to_string(words.size()) + " exercised)\n\n";
    std::string ids;
    for (const std::string& w : missing) ids += (ids.empty() ? "" : ", ") + w;
    m += ids.empty() ? std::string("Every word of PROTOCOL.md Appendix A was sent and answered.\n")
                     : "Not exercised (request and answer never both seen in one case): " + ids + "\n";
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
