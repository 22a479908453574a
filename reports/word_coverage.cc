#include <map>
#include <set>
#include <string>

#include "reference/wire/words.h"
#include "reports/report.h"

namespace mcpsim::reports {
namespace {

// Calls `f(token)` for every run of 2..7 uppercase letters that starts a line
// of `bytes` (offset 0, after '\n', or after "q=" in a DP GET's query) and is
// followed by a space or "%20" (WIRE-3's word shape).
template <typename F>
void ForEachLineWord(std::string_view bytes, F&& f) {
  auto at = [&](std::size_t p) {
    std::size_t e = p;
    while (e < bytes.size() && e - p < 8 && bytes[e] >= 'A' && bytes[e] <= 'Z') ++e;
    const std::size_t n = e - p;
    if (n < 2 || n > 7 || e >= bytes.size()) return;
    if (bytes[e] == ' ' || bytes.substr(e, 3) == "%20") f(bytes.substr(p, n));
  };
  at(0);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n') at(i + 1);
    if (bytes[i] == 'q' && i + 1 < bytes.size() && bytes[i + 1] == '=') at(i + 2);
  }
}

}  // namespace

std::vector<WordUse> WordCoverage(const Report& r) {
  std::map<std::string_view, std::size_t> row_of;  // request and answer words -> row
  const auto words = wire::AllWords();
  for (std::size_t i = 0; i < words.size(); ++i) {
    row_of[words[i].request] = i;
    if (!words[i].answer.empty()) row_of[words[i].answer] = i;
  }
  std::vector<WordUse> out;
  for (const wire::WordInfo& w : words) {
    out.push_back(WordUse{std::string(w.request), std::string(w.answer), std::string(wire::RoleText(w.role)),
                          wire::DirectionText(w), 0});
  }
  for (const CaseResult& c : r.cases) {
    std::set<std::string_view> requests, answers;
    for (const WireEvent& e : c.wire) {
      if (e.dir == "note") continue;
      ForEachLineWord(e.bytes, [&](std::string_view t) {
        auto it = row_of.find(t);
        if (it == row_of.end()) return;
        (words[it->second].request == t ? requests : answers).insert(words[it->second].request);
      });
    }
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (requests.count(words[i].request) && (words[i].answer.empty() || answers.count(words[i].request))) {
        ++out[i].cases;
      }
    }
  }
  return out;
}

std::vector<std::string> UnexercisedWords(const std::vector<WordUse>& words) {
  std::vector<std::string> out;
  for (const WordUse& w : words) {
    if (w.cases == 0) out.push_back(w.word);
  }
  return out;
}

std::vector<std::string> UnexercisedWords(const Report& r) { return UnexercisedWords(WordCoverage(r)); }

}  // namespace mcpsim::reports
