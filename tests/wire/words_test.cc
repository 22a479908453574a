// The word table (reference/wire/words.h) and PROTOCOL.md Appendix A describe
// the same words: same rows in the same order, same columns; and the readers
// of the table (payload rule, WIRE-21 server-only rule) agree with it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "reference/transport/retry.h"
#include "reference/transport/server.h"
#include "reference/wire/text.h"
#include "reference/wire/words.h"

namespace mcpsim::wire {
namespace {

std::string Protocol() {
  std::ifstream in(std::string(MCPSIM_SOURCE_DIR) + "/reference/PROTOCOL.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// The rows of Appendix A's table, each split into its cells.
std::vector<std::vector<std::string>> AppendixRows(const std::string& doc) {
  std::vector<std::vector<std::string>> rows;
  const auto start = doc.find("## Appendix A");
  const auto end = doc.find("## Appendix B");
  if (start == std::string::npos || end == std::string::npos) return rows;
  std::istringstream in(doc.substr(start, end - start));
  std::string line;
  bool header_seen = false;
  while (std::getline(in, line)) {
    if (line.rfind("| Request", 0) == 0) {
      header_seen = true;
      continue;
    }
    if (!header_seen || line.rfind("|---", 0) == 0 || line.empty() || line[0] != '|') continue;
    std::vector<std::string> cells;
    std::size_t pos = 1;
    while (pos < line.size()) {
      const auto bar = line.find('|', pos);
      if (bar == std::string::npos) break;
      cells.push_back(Trim(line.substr(pos, bar - pos)));
      pos = bar + 1;
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

TEST(Words, TableAndAppendixAAgreeRowByRow) {
  const auto rows = AppendixRows(Protocol());
  const auto words = AllWords();
  ASSERT_EQ(rows.size(), words.size()) << "Appendix A and reference/wire/words.cc list different numbers of words";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const WordInfo& w = words[i];
    const auto& r = rows[i];
    ASSERT_EQ(r.size(), 6u) << "row " << i;
    EXPECT_EQ(r[0], w.request) << "row " << i;
    EXPECT_EQ(r[1], w.answer.empty() ? "(none)" : std::string(w.answer)) << w.request;
    EXPECT_EQ(r[2], RoleText(w.role)) << w.request;
    EXPECT_EQ(r[3], DirectionText(w)) << w.request;
    EXPECT_EQ(r[4], w.payload ? "P" : "") << w.request;
    EXPECT_EQ(r[5], w.section) << w.request;
  }
}

TEST(Words, ServerOnlyListUnderTheTableIsTheTablesSToCWordsPlusRsn) {
  const std::string doc = Protocol();
  const auto at = doc.find("Words a server treats as server-only");
  ASSERT_NE(at, std::string::npos);
  const auto colon = doc.find(':', at);
  const auto dot = doc.find('.', colon);
  std::string listed = doc.substr(colon + 1, dot - colon - 1);
  std::string expected;
  for (const WordInfo& w : AllWords()) {
    if (w.direction == WordDirection::kServerToClient) expected += std::string(w.request) + ", ";
  }
  expected += "and RSN";
  for (char& c : listed) {
    if (c == '\n') c = ' ';
  }
  EXPECT_EQ(Trim(listed), expected);
}

TEST(Words, ReadersFollowTheTable) {
  for (const WordInfo& w : AllWords()) {
    EXPECT_EQ(IsPayloadWord(w.request), w.payload) << w.request;  // PAY-1
    EXPECT_EQ(reference::IsServerOnlyWord(w.request), w.direction == WordDirection::kServerToClient)
        << w.request;  // WIRE-21
    if (!w.answer.empty()) {
      EXPECT_EQ(reference::AnswerWord(w.request), w.answer) << w.request;  // WIRE-19
    }
    EXPECT_TRUE(IsValidWord(w.request)) << w.request;  // WIRE-3
    EXPECT_EQ(FindWord(w.request), &w);
  }
  EXPECT_EQ(FindWord("ASM"), nullptr);  // answers are not rows
  EXPECT_FALSE(IsPayloadWord("RSM"));
  EXPECT_FALSE(reference::IsServerOnlyWord("RSN"));  // SG refuses it by its own rule (SG-NUDGE-4)
}

}  // namespace
}  // namespace mcpsim::wire
