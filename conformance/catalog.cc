#include "conformance/catalog.h"

namespace mcpsim::conformance {

const std::vector<CaseDef>& Catalog() {
  static const std::vector<CaseDef> cases = [] {
    std::vector<CaseDef> v;
    AddCsCases(v);
    AddHttpCases(v);
    AddSgCases(v);
    AddSgTcpCases(v);
    AddSgAccountCases(v);
    AddSgChatCases(v);
    AddGapCases(v);
    AddEncCases(v);
    AddFormCases(v);
    AddCoverCases(v);
    AddClauseCases(v);
    AddWindowCases(v);
    AddOrderCases(v);
    AddAbuseCases(v);  // last: they drain the runner address's buckets
    return v;
  }();
  return cases;
}

Outcome Ok(std::string expected, std::string actual) {
  return Outcome{reports::Verdict::kOk, std::move(expected), std::move(actual), ""};
}

Outcome Failed(std::string expected, std::string actual, std::string reason) {
  return Outcome{reports::Verdict::kFailed, std::move(expected), std::move(actual), std::move(reason)};
}

std::string Want::Show() const {
  std::string s = word + " " + std::to_string(trid) + " " + std::to_string(status);
  if (nparams) s += " (+" + std::to_string(*nparams) + " params)";
  return s;
}

std::string ShowAll(const std::vector<wire::Command>& got) {
  if (got.empty()) return "(nothing)";
  std::string s;
  for (const wire::Command& c : got) s += (s.empty() ? "" : " | ") + conformance::Show(c);
  return s;
}

std::optional<std::string> Match(const std::vector<wire::Command>& got, const std::vector<Want>& want) {
  if (got.size() != want.size()) {
    return "expected " + std::to_string(want.size()) + " answer(s), got " + std::to_string(got.size());
  }
  for (std::size_t i = 0; i < want.size(); ++i) {
    const wire::Command& c = got[i];
    const Want& w = want[i];
    const std::string at = "answer " + std::to_string(i + 1) + ": ";
    if (c.word != w.word) return at + "word " + c.word + ", expected " + w.word;
    if (c.trid != w.trid) return at + "trid " + std::to_string(c.trid) + ", expected " + std::to_string(w.trid);
    if (!c.status) return at + "no status";
    if (*c.status != w.status) return at + "status " + std::to_string(*c.status) + ", expected " + std::to_string(w.status);
    if (w.nparams && c.params.size() != *w.nparams) {
      return at + std::to_string(c.params.size()) + " params, expected " + std::to_string(*w.nparams);
    }
  }
  return std::nullopt;
}

}  // namespace mcpsim::conformance
