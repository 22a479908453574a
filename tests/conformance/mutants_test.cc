// The mutant catalog and its output decorator, without sockets: every
// mutant is documented and distinct, and the rewrites do what they claim.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "conformance/catalog.h"
#include "conformance/harness.h"
#include "conformance/mutants.h"
#include "reference/roles/cs.h"
#include "reference/roles/rs.h"
#include "reference/roles/sg/sg.h"

namespace mcpsim::conformance {
namespace {

const Mutant& Get(const std::string& name) {
  const Mutant* m = FindMutant(name);
  EXPECT_NE(m, nullptr) << name;
  return *m;
}

TEST(Mutants, CatalogIsDocumentedAndUnique) {
  std::set<std::string> names;
  for (const Mutant& m : Mutants()) {
    EXPECT_TRUE(names.insert(m.name).second) << m.name;
    EXPECT_FALSE(m.breaks.empty()) << m.name;
    EXPECT_FALSE(m.clause.empty()) << m.name;
    const bool does_something = m.rs || m.sg || m.cs || m.dp || m.server || m.HasDecorator();
    EXPECT_TRUE(does_something) << m.name << " changes nothing";
  }
  EXPECT_GE(Mutants().size(), 32u);
  EXPECT_EQ(FindMutant("no-such-mutant"), nullptr);
}

// Every clause a mutant or a case names is a clause of PROTOCOL.md.
TEST(Mutants, ClausesExistInTheSpec) {
  std::ifstream f(std::string(MCPSIM_SOURCE_DIR) + "/reference/PROTOCOL.md");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string spec = ss.str();
  ASSERT_FALSE(spec.empty());
  for (const Mutant& m : Mutants()) EXPECT_NE(spec.find("[" + m.clause + "]"), std::string::npos) << m.name;
  for (const CaseDef& d : Catalog()) {
    for (const std::string& c : d.clauses) EXPECT_NE(spec.find("[" + c + "]"), std::string::npos) << d.id << " " << c;
  }
}

TEST(Mutants, WireRewrites) {
  const std::string two = "AUP 7 0\r\nASM 8 0 hi%20there\r\n";
  EXPECT_EQ(RewriteCommands(Get("trid-plus-one"), two), "AUP 8 0\r\nASM 9 0 hi%20there\r\n");
  EXPECT_EQ(RewriteCommands(Get("lf-only"), two), "AUP 7 0\nASM 8 0 hi%20there\n");
  EXPECT_EQ(RewriteCommands(Get("no-escape"), two), "AUP 7 0\r\nASM 8 0 hi there\r\n");
  EXPECT_EQ(RewriteCommands(Get("trailing-space"), two), "AUP 7 0 \r\nASM 8 0 hi%20there \r\n");
  EXPECT_EQ(RewriteCommands(Get("ok-status-00"), two), "AUP 7 00\r\nASM 8 00 hi%20there\r\n");
  EXPECT_EQ(RewriteCommands(Get("answers-reversed"), two), "ASM 8 0 hi%20there\r\nAUP 7 0\r\n");
  EXPECT_EQ(RewriteCommands(Get("answer-merged-away"), two), "AUP 7 0\r\n");
  EXPECT_EQ(RewriteCommands(Get("unknown-word-101"), "AXYZ 5 100\r\n"), "AXYZ 5 101\r\n");
  EXPECT_EQ(RewriteCommands(Get("amp-needed-low"), "AAD 77 405 86\r\n"), "AAD 77 405 70\r\n");
  EXPECT_EQ(RewriteCommands(Get("rpn-lost"), "RPN 3 1 a@b.cd 17 hi\r\nAPOL 4 0 60\r\n"), "APOL 4 0 60\r\n");
  // Payload commands keep their bytes; undecodable bytes pass unchanged.
  EXPECT_EQ(RewriteCommands(Get("trid-plus-one"), "AOT 9 0\r\nROT 3 1 0 3 3\r\nabc"), "AOT 10 0\r\nROT 3 1 0 3 3\r\nabc");
  EXPECT_EQ(RewriteCommands(Get("lf-only"), "not mcp"), "not mcp");
}

TEST(Mutants, ConfigSwitches) {
  reference::SgConfig sg;
  Get("rcr-no-wait").sg(sg);
  EXPECT_FALSE(sg.rcr_stop_and_wait);
  reference::RsConfig rs;
  Get("captcha-reusable").rs(rs);
  EXPECT_FALSE(rs.captcha_single_use);
  reference::CsConfig cs;
  Get("dedup-off").cs(cs);
  EXPECT_FALSE(cs.server.dedup_enabled);
}

// Whatever the input, a rewrite either leaves it unchanged (undecodable) or
// keeps the number of commands (trid-plus-one drops nothing).
RC_GTEST_PROP(Mutants, RewriteKeepsCommandCount, (const std::string& bytes)) {
  const std::string out = RewriteCommands(Get("trid-plus-one"), bytes);
  if (out != bytes) RC_ASSERT(Decode(out).size() == Decode(bytes).size());
  RC_ASSERT(RewriteCommands(Mutant{}, bytes) == bytes);
}

}  // namespace
}  // namespace mcpsim::conformance
