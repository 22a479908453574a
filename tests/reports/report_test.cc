#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "reports/report.h"

namespace mcpsim::reports {
namespace {

Report Sample() {
  Report r;
  r.version = "0.1.0";
  r.target = "udp://127.0.0.1:1863";
  r.seed = 7;
  r.duration_us = 1500000;
  CaseResult ok;
  ok.id = "wire.escape";
  ok.title = "Escapes % SP CR LF";
  ok.group = "WIRE";
  ok.clauses = {"WIRE-6"};
  ok.expected = "AECHO 1 0 a%20b";
  ok.actual = "AECHO 1 0 a%20b";
  ok.wire = {{0, "send", "udp", "RECHO 1 a%20b\r\n"}, {1200, "recv", "udp", std::string("AECHO 1 0 \x01\xff<&>\r\n")}};
  ok.metrics["resends"] = 0;
  CaseResult bad = ok;
  bad.id = "udp.dedup";
  bad.group = "UDP";
  bad.clauses = {"TIMER-5"};
  bad.verdict = Verdict::kFailed;
  bad.reason = "executed twice (TIMER-5)";
  CaseResult skip = ok;
  skip.id = "enc.roundtrip";
  skip.group = "ENC";
  skip.verdict = Verdict::kUnimplemented;
  r.cases = {ok, bad, skip};
  r.clauses = {{"WIRE-6", "MUST", "x"}, {"TIMER-5", "MUST", "y"}, {"AMP-1", "MUST", "z"}};
  return r;
}

TEST(Reports, JsonRoundTripsExactly) {
  Report r = Sample();
  auto back = FromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(r));
  EXPECT_EQ(back->cases[0].wire[1].bytes, r.cases[0].wire[1].bytes);  // binary bytes survive
  EXPECT_EQ(back->cases[1].verdict, Verdict::kFailed);
  EXPECT_FALSE(FromJson("{").ok());
  EXPECT_FALSE(FromJson("{\"schema\":\"other\"}").ok());
}

TEST(Reports, JunitValidatesAgainstTheSchema) {
  const std::string xml = RenderJunit(Sample());
  EXPECT_NE(xml.find("<failure type=\"FAILED\""), std::string::npos);
  EXPECT_NE(xml.find("<skipped"), std::string::npos);
  const std::string xsd = std::string(MCPSIM_SOURCE_DIR) + "/../shared/schemas/junit-10.xsd";
  if (std::system("command -v xmllint >/dev/null 2>&1") != 0 || !std::ifstream(xsd)) {
    GTEST_SKIP() << "xmllint or the schema is not available";
  }
  const std::string path = "/tmp/mcpsim-junit-test.xml";
  std::ofstream(path) << xml;
  EXPECT_EQ(std::system(("xmllint --noout --schema " + xsd + " " + path + " 2>/dev/null").c_str()), 0);
  std::remove(path.c_str());
}

TEST(Reports, HtmlIsSelfContainedAndShowsCoverage) {
  Report r = Sample();
  Report base = Sample();
  base.cases[1].verdict = Verdict::kOk;
  const std::string html = RenderHtml(r, &base);
  EXPECT_EQ(html.find("src="), std::string::npos);          // no external images or scripts
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);  // no external links or stylesheets
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("2 of 3 MUST/SHOULD clauses"), std::string::npos);
  EXPECT_NE(html.find("AMP-1"), std::string::npos);  // listed as uncovered
  EXPECT_NE(html.find("Changes since the baseline"), std::string::npos);
  EXPECT_NE(html.find("&lt;&amp;&gt;"), std::string::npos);  // wire bytes are HTML-escaped
  const std::string md = RenderMarkdown(r, &base);
  EXPECT_NE(md.find("`udp.dedup`: OK → FAILED"), std::string::npos);
}

TEST(Reports, ExtractsEveryClauseOfTheSpecWithALevel) {
  std::ifstream f(std::string(MCPSIM_SOURCE_DIR) + "/reference/PROTOCOL.md");
  std::stringstream ss;
  ss << f.rdbuf();
  auto clauses = ExtractClauses(ss.str());
  ASSERT_GT(clauses.size(), 200u);
  std::set<std::string> ids;
  for (const auto& c : clauses) {
    EXPECT_TRUE(ids.insert(c.id).second) << "duplicate clause id " << c.id;
    EXPECT_FALSE(c.level.empty()) << c.id << " has no MUST/SHOULD/MAY";
  }
  EXPECT_TRUE(ids.count("WIRE-7"));
  EXPECT_TRUE(ids.count("TIMER-5"));
}

RC_GTEST_PROP(Reports, PrintableIsAsciiAndInjective, (const std::string& a, const std::string& b)) {
  const std::string pa = Printable(a);
  for (unsigned char c : pa) RC_ASSERT(c >= 0x20 && c < 0x7F);
  if (a != b) RC_ASSERT(pa != Printable(b));
}

}  // namespace
}  // namespace mcpsim::reports
