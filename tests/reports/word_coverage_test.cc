// reports::WordCoverage: which of Appendix A's words a conformance run sent
// and saw answered, read from the cases' wire transcripts.
#include <gtest/gtest.h>

#include <algorithm>

#include "reference/wire/words.h"
#include "reports/report.h"

namespace mcpsim::reports {
namespace {

int CasesOf(const std::vector<WordUse>& ws, const std::string& word) {
  for (const WordUse& w : ws) {
    if (w.word == word) return w.cases;
  }
  return -1;
}

CaseResult Case(std::string id, std::vector<WireEvent> wire) {
  CaseResult c;
  c.id = std::move(id);
  c.wire = std::move(wire);
  return c;
}

TEST(WordCoverage, CountsARequestAndItsAnswerAtLineStartsOfOneCase) {
  Report r;
  r.cases = {
      // A datagram of two requests, one answered: RUP counts, RAD does not.
      Case("a", {{0, "send", "udp", "RUP 1 m launch 1 x\r\nRAD 2 m top\r\n"}, {1, "recv", "udp", "AUP 1 0\r\n"}}),
      // A DP GET: the query's `q=RQQW%20` starts the request line.
      Case("b", {{0, "send", "http", "GET /mcp?q=RQQW%205%201.0.0%20s60%20d%0D%0A HTTP/1.1\r\nHost: x\r\n\r\n"},
                 {1, "recv", "http", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nAQQW 5 0 a b\r\n"}}),
      // Words not at a line start, a note, and an unknown word do not count.
      Case("c", {{0, "send", "udp", "XRAT 1 a\r\n RSM 2\r\nRATX 3\r\n"},
                 {1, "note", "udp", "RAT 1 a\r\nAAT 1 0\r\n"},
                 {2, "recv", "udp", "AAT 1 0\r\nASM 2 0\r\n"}}),
      // RPAD is never answered: the request alone counts. An answer word in
      // another case than its request does not.
      Case("d", {{0, "send", "udp", "RUP 3 m launch 1 x\r\nRPAD 4 000\r\n"}, {1, "recv", "udp", "AUP 3 0\r\n"}}),
      Case("e", {{0, "recv", "udp", "AAD 2 0 a b c d e\r\n"}}),
  };
  r.cases[0].wire.push_back({2, "recv", "tcp", "ACS 9 0\r\n"});  // an answer without its request
  const std::vector<WordUse> ws = WordCoverage(r);
  ASSERT_EQ(ws.size(), wire::AllWords().size());
  EXPECT_EQ(ws.front().word, std::string(wire::AllWords().front().request));
  EXPECT_EQ(CasesOf(ws, "RUP"), 2);
  EXPECT_EQ(CasesOf(ws, "RAD"), 0);
  EXPECT_EQ(CasesOf(ws, "RQQW"), 1);
  EXPECT_EQ(CasesOf(ws, "RAT"), 0);
  EXPECT_EQ(CasesOf(ws, "RSM"), 0);
  EXPECT_EQ(CasesOf(ws, "RPAD"), 1);
  EXPECT_EQ(CasesOf(ws, "RCS"), 0);
  const std::vector<std::string> missing = UnexercisedWords(r);
  EXPECT_EQ(missing.size(), wire::AllWords().size() - 3);
  EXPECT_EQ(std::count(missing.begin(), missing.end(), "RUP"), 0);
  EXPECT_EQ(std::count(missing.begin(), missing.end(), "RAD"), 1);
}

TEST(WordCoverage, IsInTheJsonAndTheSummariesOfConformanceReportsOnly) {
  Report r;
  r.cases = {Case("a", {{0, "send", "udp", "RUP 1 m launch 1 x\r\n"}, {1, "recv", "udp", "AUP 1 0\r\n"}})};
  EXPECT_NE(ToJson(r).find("\"unexercised_words\""), std::string::npos);
  EXPECT_NE(RenderMarkdown(r).find("## Protocol words (1 of " + std::to_string(wire::AllWords().size())),
            std::string::npos);
  EXPECT_NE(RenderHtml(r).find("<h2>Protocol words</h2>"), std::string::npos);
  r.kind = "scenarios";
  EXPECT_EQ(ToJson(r).find("\"unexercised_words\""), std::string::npos);
  EXPECT_EQ(RenderMarkdown(r).find("Protocol words"), std::string::npos);
}

}  // namespace
}  // namespace mcpsim::reports
