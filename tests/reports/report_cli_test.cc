// `mcpsim report FILE --format ...` re-renders a report.json.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "reports/report.h"
#include "tests/cli/run_cli.h"

namespace mcpsim::reports {
namespace {

TEST(ReportCli, ReRendersEveryFormat) {
  char t[] = "/tmp/mcpsim-report-cli-XXXXXX";
  const std::string dir = mkdtemp(t);
  Report r;
  r.target = "udp://127.0.0.1:7000";
  r.seed = 5;
  CaseResult c;
  c.id = "cs.rup.ok";
  c.group = "CS";
  c.clauses = {"CS-1"};
  c.verdict = Verdict::kFailed;
  c.reason = "no answer (CS-1)";
  c.wire = {{0, "send", "udp", "RUP 1 x\r\n"}};
  r.cases = {c};
  std::ofstream(dir + "/report.json") << ToJson(r);
  Report before = r;
  before.cases[0].verdict = Verdict::kOk;
  std::ofstream(dir + "/before.json") << ToJson(before);

  auto html = testing::RunCli("report " + dir + "/report.json --baseline " + dir + "/before.json");
  EXPECT_EQ(html.exit_code, 0) << html.err;
  EXPECT_NE(html.out.find("Changes since the baseline"), std::string::npos);
  EXPECT_NE(html.out.find("cs.rup.ok"), std::string::npos);
  auto junit = testing::RunCli("report " + dir + "/report.json --format junit --out " + dir + "/j.xml");
  EXPECT_EQ(junit.exit_code, 0) << junit.err;
  EXPECT_NE(testing::ReadWholeFile(dir + "/j.xml").find("<failure type=\"FAILED\""), std::string::npos);
  auto md = testing::RunCli("report " + dir + "/report.json --format md");
  EXPECT_NE(md.out.find("**FAILED** `cs.rup.ok`"), std::string::npos) << md.out;
  auto json = testing::RunCli("report " + dir + "/report.json --format json");
  EXPECT_EQ(json.out, ToJson(r));
  EXPECT_EQ(testing::RunCli("report " + dir + "/report.json --format pdf").exit_code, 2);
  EXPECT_EQ(testing::RunCli("report " + dir + "/missing.json").exit_code, 2);
  std::ofstream(dir + "/bad.json") << "{\"schema\":\"nope\"}";
  EXPECT_EQ(testing::RunCli("report " + dir + "/bad.json").exit_code, 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mcpsim::reports
