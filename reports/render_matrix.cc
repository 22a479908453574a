// The side-by-side page of several implementations (Autobahn's main page):
// implementations as columns, cases as rows, verdict chips linking to each
// implementation's own report page.
#include <map>
#include <set>

#include "reports/html_util.h"
#include "reports/report.h"

namespace mcpsim::reports {

std::string RenderMatrix(const std::vector<MatrixColumn>& cols) {
  using html::H;
  std::string h = html::PageStart("mcpsim conformance matrix");
  h += "<h1>mcpsim conformance matrix</h1><p>" + std::to_string(cols.size()) +
       " implementations; each chip links to the case in that implementation's report.</p>";
  // Rows: every case id, in order of first appearance over the columns.
  std::vector<std::string> ids;
  std::map<std::string, const CaseResult*> any;
  std::set<std::string> seen;
  for (const MatrixColumn& c : cols) {
    for (const CaseResult& k : c.report->cases) {
      if (seen.insert(k.id).second) {
        ids.push_back(k.id);
        any[k.id] = &k;
      }
    }
  }
  h += "<table><tr><th>case</th><th>clauses</th>";
  for (const MatrixColumn& c : cols) {
    h += "<th title=\"" + H(c.report->target) + "\"><a href=\"" + H(c.link) + "\">" + H(c.name) + "</a></th>";
  }
  h += "</tr><tr><th colspan=2>summary</th>";
  for (const MatrixColumn& c : cols) {
    std::string cell;
    if (!c.report->error.empty()) cell += "<span class=b style=\"background:#6a1b9a\">NOT RUN</span> ";
    for (auto [v, n] : CountVerdicts(*c.report)) cell += html::Badge(v) + " " + std::to_string(n) + "<br>";
    cell += "<span class=muted>mcpsim " + H(c.report->version) + " · " + H(c.report->commit.empty() ? "—" : c.report->commit) +
            "</span>";
    h += "<td>" + cell + "</td>";
  }
  h += "</tr>";
  for (const std::string& id : ids) {
    std::string clauses;
    for (const std::string& cl : any[id]->clauses) clauses += (clauses.empty() ? "" : " ") + cl;
    h += "<tr><td title=\"" + H(any[id]->title) + "\">" + H(id) + "</td><td class=muted>" + H(clauses) + "</td>";
    for (const MatrixColumn& c : cols) {
      const CaseResult* k = nullptr;
      for (const CaseResult& x : c.report->cases) {
        if (x.id == id) {
          k = &x;
          break;
        }
      }
      if (!k) {
        h += "<td class=muted>—</td>";
        continue;
      }
      const std::string reason = ReasonText(*c.report, *k);
      h += "<td><a href=\"" + H(c.link) + "#" + html::Anchor(id) + "\" title=\"" + H(reason) + "\" class=b style=\"background:" +
           html::Color(k->verdict) + "\">" + std::string(VerdictName(k->verdict)) + "</a>" +
           (IsFlaky(*k) ? " <span class=flaky>FLAKY</span>" : "") + "</td>";
    }
    h += "</tr>";
  }
  h += "</table></body></html>\n";
  return h;
}

}  // namespace mcpsim::reports
