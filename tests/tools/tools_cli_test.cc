// Issue 19's CLI surface: help footers, the --matrix page, scenario --out
// drill-downs (and the failures-only default of sweep), flakiness over
// seeds, and the SG `resent` counter.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "reports/report.h"
#include "tests/cli/run_cli.h"

namespace mcpsim::testing {
namespace {

namespace fs = std::filesystem;
using reports::CaseResult;
using reports::Report;
using reports::Verdict;

const std::string kLib = std::string(MCPSIM_SOURCE_DIR) + "/scenarios/library";

std::string TempDir() {
  char t[] = "/tmp/mcpsim-tools-XXXXXX";
  return mkdtemp(t);
}

std::size_t CountFiles(const std::string& dir, const std::string& ext) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ext;
  return n;
}

TEST(ToolsCli, EveryVerbHelpHasExamplesAndExitCodes) {
  for (const char* verb : {"run", "sweep", "shrink", "conform", "report", "serve", "client", "wire", "wire decode",
                           "wire encode", "bench", "bench codec", "bench world"}) {
    const auto r = RunCli(std::string(verb) + " --help");
    EXPECT_EQ(r.exit_code, 0) << verb;
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << verb << "\n" << r.out;
    EXPECT_NE(r.out.find("Exit codes:"), std::string::npos) << verb;
  }
  const auto top = RunCli("--help");
  EXPECT_NE(top.out.find("Exit codes:"), std::string::npos);
  EXPECT_NE(RunCli("conform --help").out.find("{http}"), std::string::npos);
  EXPECT_NE(RunCli("serve --help").out.find("(CS, SG"), std::string::npos);
}

TEST(ToolsCli, ErrorsShareOnePrefix) {
  for (const char* args : {"report /nonexistent.json", "conform --cases nope --udp 127.0.0.1:9", "run /nonexistent.yaml",
                           "sweep /nonexistent.yaml --seeds 1..2", "conform --udp nonsense"}) {
    const auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.err.rfind("mcpsim: error: ", 0), 0u) << args << ": " << r.err;
  }
}

Report Impl(Verdict second) {
  Report r;
  r.target = "udp://127.0.0.1:7000";
  for (int i = 0; i < 2; ++i) {
    CaseResult c;
    c.id = i == 0 ? "cs.rup.ok" : "sg.chat.rsm";
    c.clauses = {i == 0 ? "CS-1" : "SG-CHAT-7"};
    c.verdict = i == 0 ? Verdict::kOk : second;
    c.reason = i == 0 ? "" : "SG-CHAT-7";
    r.cases.push_back(c);
  }
  return r;
}

TEST(ToolsCli, MatrixPutsImplementationsSideBySide) {
  const std::string dir = TempDir();
  fs::create_directories(dir + "/alpha");
  fs::create_directories(dir + "/beta");
  std::ofstream(dir + "/alpha/report.json") << reports::ToJson(Impl(Verdict::kOk));
  std::ofstream(dir + "/beta/report.json") << reports::ToJson(Impl(Verdict::kFailed));
  const auto r = RunCli("report " + dir + "/alpha/report.json " + dir + "/beta/report.json --matrix -o " + dir + "/m");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("matrix of 2 implementations in /"), std::string::npos) << r.out;
  const std::string h = ReadWholeFile(dir + "/m/index.html");
  EXPECT_NE(h.find(">alpha</a></th>"), std::string::npos);
  EXPECT_NE(h.find(">beta</a></th>"), std::string::npos);
  EXPECT_NE(h.find("href=\"beta/index.html#case-sg.chat.rsm\""), std::string::npos) << h;
  EXPECT_NE(h.find(">FAILED</a>"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir + "/m/alpha/index.html"));
  EXPECT_NE(ReadWholeFile(dir + "/m/beta/index.html").find("id=\"case-sg.chat.rsm\""), std::string::npos);
  EXPECT_EQ(RunCli("report " + dir + "/alpha/report.json " + dir + "/beta/report.json").exit_code, 2);
  EXPECT_EQ(RunCli("report " + dir + "/alpha/report.json --matrix").exit_code, 2);
  fs::remove_all(dir);
}

TEST(ToolsCli, RunOutWritesDrillDownPages) {
  const std::string dir = TempDir();
  const auto r = RunCli("run " + kLib + "/user-journey.yaml --seeds 1..2 --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(CountFiles(dir, ".html"), 3u);  // index + 2 runs
  EXPECT_EQ(CountFiles(dir, ".pcap"), 2u);
  const std::string page = ReadWholeFile(dir + "/1-user-journey-seed1.html");
  for (const char* s : {"Sequence diagram", "<svg", "mcpsim run ", "--seed 1", "1-user-journey-seed1.json",
                        "Checkers", "no_double_execution", "latency_p50", " ms</td>", "✗ lost: "}) {
    EXPECT_NE(page.find(s), std::string::npos) << s;
  }
  const auto summary = nlohmann::json::parse(ReadWholeFile(dir + "/summary.json"));
  EXPECT_FALSE(summary["mcpsim"]["commit"].get<std::string>().empty());
  EXPECT_EQ(summary["scenarios"][0]["runs"], 2);
  EXPECT_NE(ReadWholeFile(dir + "/index.html").find("href=\"1-user-journey-seed1.html\""), std::string::npos);
  fs::remove_all(dir);
}

TEST(ToolsCli, SweepOutWritesFailuresOnlyByDefault) {
  const std::string dir = TempDir();
  const auto r = RunCli("sweep " + kLib + "/register-ok.yaml --seeds 1..20 --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(CountFiles(dir, ".json"), 1u);  // summary.json only
  EXPECT_EQ(CountFiles(dir, ".html"), 1u);
  const auto summary = nlohmann::json::parse(ReadWholeFile(dir + "/summary.json"));
  EXPECT_EQ(summary["runs"], 20);
  EXPECT_EQ(summary["all_runs"], false);
  EXPECT_TRUE(summary["results"].empty());
  // A failing run gets its page even in failures-only mode (broken reference: TIMER-5 dedup off).
  const std::string dir2 = TempDir();
  const auto f = RunCli("run " + kLib + "/upload-duplication.yaml --broken-dedup --failures-only --out " + dir2);
  ASSERT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_EQ(CountFiles(dir2, ".html"), 2u);
  EXPECT_NE(ReadWholeFile(dir2 + "/index.html").find("-upload-duplication-seed"), std::string::npos);
  fs::remove_all(dir);
  fs::remove_all(dir2);
}

TEST(ToolsCli, RunRecursesIntoFolders) {
  const auto r = RunCli("run " + std::string(MCPSIM_SOURCE_DIR) + "/scenarios --seeds 1..1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("PASS register-ok seed=1"), std::string::npos);
}

TEST(ToolsCli, SgResendsCountAsResent) {
  // sg-file-accept has no CS traffic: every resend is an SG request.
  const auto r = RunCli("run " + kLib + "/sg-file-accept.yaml --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find(" resent=0 "), std::string::npos) << r.out;
}

TEST(ToolsCli, MergeSeedRunsGivesPassRatesAndFlaky) {
  std::vector<Report> runs;
  for (int s = 0; s < 4; ++s) {
    Report r = Impl(s == 2 ? Verdict::kFailed : Verdict::kOk);
    r.duration_us = 10;
    runs.push_back(r);
  }
  const Report m = reports::MergeSeedRuns(runs, {5, 6, 7, 8}, false);
  EXPECT_EQ(m.seeds, "5..8");
  ASSERT_EQ(m.cases.size(), 2u);
  EXPECT_EQ(m.cases[0].runs, 4);
  EXPECT_EQ(m.cases[0].passes, 4);
  EXPECT_FALSE(reports::IsFlaky(m.cases[0]));
  EXPECT_EQ(m.cases[1].passes, 3);
  EXPECT_EQ(m.cases[1].verdict, Verdict::kFailed);
  EXPECT_EQ(m.cases[1].failing_seeds, std::vector<std::uint64_t>{7});
  EXPECT_TRUE(reports::IsFlaky(m.cases[1]));
  EXPECT_EQ(m.cases[1].reason.rfind("seed 7: ", 0), 0u) << m.cases[1].reason;
  EXPECT_EQ(m.duration_us, 40);
  const std::string junit = reports::RenderJunit(m);
  EXPECT_NE(junit.find("<property name=\"pass_rate\" value=\"0.750\"/>"), std::string::npos) << junit;
  EXPECT_NE(junit.find("<property name=\"flaky\" value=\"true\"/>"), std::string::npos);
  EXPECT_NE(reports::RenderHtml(m).find("3/4 (75%) FLAKY"), std::string::npos);
  EXPECT_NE(reports::RenderMarkdown(m).find("| `sg.chat.rsm` | 3/4 | 75.0% | FLAKY |"), std::string::npos);
}

TEST(ToolsCli, ConformOverSeedsReportsPassRates) {
  const std::string dir = TempDir();
  const auto r = RunCli(std::string("conform --seeds 1..3 --cases 'cs.rup.ok,wire.trid.echo' --launch '") +
                        MCPSIM_BIN + " serve --udp 127.0.0.1:0 --db :memory:' --fault 'dup=0.2' --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* s : {"seed 1: OK=2", "seed 3: OK=2", "FLAKY=0 over seeds 1..3"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  }
  const auto j = nlohmann::json::parse(ReadWholeFile(dir + "/report.json"));
  EXPECT_EQ(j["seeds"], "1..3");
  EXPECT_EQ(j["cases"][0]["runs"], 3);
  EXPECT_EQ(j["cases"][0]["passes"], 3);
  EXPECT_EQ(j["cases"][0]["flaky"], false);
  EXPECT_GT(j["fault"]["counters"]["forwarded"].get<int>(), 0);
  EXPECT_NE(ReadWholeFile(dir + "/junit.xml").find("<property name=\"runs\" value=\"3\"/>"), std::string::npos);
  // Every seed's wire: run.pcap (seed 1), run-seed-2.pcap, run-seed-3.pcap.
  const std::vector<std::string> pcaps{"run.pcap", "run-seed-2.pcap", "run-seed-3.pcap"};
  EXPECT_EQ(j["artifacts"].get<std::vector<std::string>>(), pcaps);
  for (const std::string& p : pcaps) EXPECT_GT(fs::file_size(dir + "/" + p), 100u) << p;
  EXPECT_EQ(RunCli("conform --seeds 5..1 --udp 127.0.0.1:9").exit_code, 2);
  fs::remove_all(dir);
}

// Issue 14: the report's clause coverage comes from the PROTOCOL.md compiled
// into the binary, not from a file found near the working directory or the
// binary. A copy of mcpsim in a folder outside the source tree, run from
// there, used to write a report without clauses (no coverage, no uncovered
// list, no clause text on the case lines).
TEST(ToolsCli, ConformCoverageDoesNotDependOnWhereTheBinaryRuns) {
  const std::string dir = TempDir();
  fs::copy_file(MCPSIM_BIN, dir + "/mcpsim");
  fs::permissions(dir + "/mcpsim", fs::perms::owner_exec, fs::perm_options::add);
  ASSERT_FALSE(fs::exists(dir + "/reference/PROTOCOL.md"));
  const std::string cmd = "cd '" + dir + "' && ./mcpsim conform --cases cs.rup.ok --launch './mcpsim serve --udp " +
                          "127.0.0.1:0 --db :memory:' --out rep >out.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadWholeFile(dir + "/out.txt");
  const auto j = nlohmann::json::parse(ReadWholeFile(dir + "/rep/report.json"));
  ASSERT_TRUE(j["clauses"].is_array());
  EXPECT_GT(j["clauses"].size(), 200u) << "no clause list: the coverage section is empty";
  bool wire1 = false;
  for (const auto& c : j["clauses"]) wire1 = wire1 || c["id"] == "WIRE-1";
  EXPECT_TRUE(wire1);
  // One case ran, so most clauses are uncovered and the summary lists them.
  EXPECT_GT(j["uncovered_clauses"].size(), 100u);
  EXPECT_NE(ReadWholeFile(dir + "/rep/summary.md").find("## Uncovered MUST/SHOULD clauses"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcpsim::testing
