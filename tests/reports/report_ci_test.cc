// The CI contract of `mcpsim conform` (issue 19): report.json of a real run
// on every transport validates against reports/report.schema.json (python3
// jsonschema, skipped when absent); --strict NON-STRICT counts as a JUnit
// failure; --cases matching nothing is a usage error; an unreachable or
// failed target still writes report.json/junit.xml saying why; a --launch
// that exits says how; every JSON output names the build.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <fstream>

#include <nlohmann/json.hpp>

#include "reports/report.h"
#include "tests/cli/run_cli.h"

namespace mcpsim::reports {
namespace {

namespace fs = std::filesystem;
using testing::ReadWholeFile;
using testing::RunCli;

std::string TempDir() {
  char t[] = "/tmp/mcpsim-ci-XXXXXX";
  return mkdtemp(t);
}

bool HaveJsonschema() { return std::system("python3 -c 'import jsonschema' >/dev/null 2>&1") == 0; }

// Validates `json_file` against the schema; returns "" or the first errors.
std::string SchemaErrors(const std::string& json_file) {
  const std::string dir = TempDir();
  std::ofstream(dir + "/check.py") <<
      "import json,sys,jsonschema\n"
      "s=json.load(open(sys.argv[1]))\n"
      "v=jsonschema.Draft202012Validator(s)\n"
      "errs=list(v.iter_errors(json.load(open(sys.argv[2]))))\n"
      "for e in errs[:5]: print('/'.join(map(str,e.absolute_path)), e.message[:200])\n"
      "sys.exit(1 if errs else 0)\n";
  const std::string cmd = "python3 " + dir + "/check.py " + MCPSIM_SOURCE_DIR "/reports/report.schema.json " +
                          json_file + " >" + dir + "/out 2>&1";
  const int rc = std::system(cmd.c_str());
  std::string out = ReadWholeFile(dir + "/out");
  fs::remove_all(dir);
  return rc == 0 ? "" : (out.empty() ? "validator failed" : out);
}

TEST(ConformCi, RealRunOnEveryTransportValidatesAgainstTheSchema) {
  const std::string dir = TempDir();
  const std::string keys = dir + "/keys.txt";
  std::ofstream(keys) << "4 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
  // A few cases per transport (UDP sockets udp#N, TCP, HTTP, encrypted UDP).
  const auto r = RunCli(std::string("conform --strict --timeout 3000 --cases 'cs.rup.ok,wire.trid.echo,dp.*,"
                                    "tcp.sg.login,enc.sealed.ok,sg.login.ok' --launch '") +
                        MCPSIM_BIN + " serve --udp 127.0.0.1:0 --udps 127.0.0.1:0 --key-file " + keys +
                        " --tcp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory:' --out " + dir + "/out");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("report in /"), std::string::npos) << "the summary names the absolute report path: " << r.out;
  const std::string json_text = ReadWholeFile(dir + "/out/report.json");
  const auto j = nlohmann::json::parse(json_text, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["strict"], true);
  EXPECT_FALSE(j["commit"].get<std::string>().empty());
  EXPECT_EQ(j["build_type"].get<std::string>().empty(), false);
  std::set<std::string> transports;
  for (const auto& c : j["cases"]) {
    for (const auto& w : c["wire"]) transports.insert(w["transport"].get<std::string>().substr(0, 3));
  }
  for (const char* t : {"udp", "tcp", "htt"}) EXPECT_TRUE(transports.count(t)) << t;
  if (!HaveJsonschema()) GTEST_SKIP() << "python3 jsonschema absent (tools/setup.sh installs python3-jsonschema)";
  EXPECT_EQ(SchemaErrors(dir + "/out/report.json"), "");
  fs::remove_all(dir);
}

TEST(ConformCi, StrictCountsNonStrictAsJunitFailure) {
  Report r;
  CaseResult c;
  c.id = "dp.should";
  c.group = "DP";
  c.clauses = {"DP-6"};
  c.verdict = Verdict::kNonStrict;
  c.reason = "DP-6";
  c.expected = "ADP 1 0";
  c.actual = "ADP 1 500";
  r.cases = {c};
  r.clauses = {{"DP-6", "SHOULD", "The DP should answer quickly."}};
  EXPECT_NE(RenderJunit(r).find("failures=\"0\""), std::string::npos);
  r.strict = true;
  const std::string x = RenderJunit(r);
  EXPECT_EQ(x.find("failures=\"0\""), std::string::npos) << x;
  EXPECT_NE(x.find("<testsuites name=\"mcpsim conformance\" tests=\"1\" failures=\"1\""), std::string::npos) << x;
  EXPECT_NE(x.find("<failure type=\"NON-STRICT\""), std::string::npos) << x;
  // The message is the reason text, never a bare clause id.
  EXPECT_NE(x.find("message=\"DP-6 SHOULD: The DP should answer quickly. — expected ADP 1 0, got ADP 1 500\""),
            std::string::npos)
      << x;
}

TEST(ConformCi, CasesMatchingNothingIsAUsageError) {
  const auto r = RunCli("conform --cases 'nope.*' --udp 127.0.0.1:9");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("mcpsim: error: --cases 'nope.*' matches no case"), std::string::npos) << r.err;
  EXPECT_EQ(RunCli("conform --client --cases 'nope.*' --launch true").exit_code, 2);
  EXPECT_EQ(RunCli("conform --list --cases 'nope.*'").exit_code, 2);
}

TEST(ConformCi, UnreachableTargetStillWritesReportsSayingWhy) {
  const std::string dir = TempDir();
  // Port 9 on loopback: nothing listens, so nothing answers.
  const auto r = RunCli("conform --timeout 200 --udp 127.0.0.1:9 --out " + dir);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  auto rep = FromJson(ReadWholeFile(dir + "/report.json"));
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_NE(rep->error.find("unreachable"), std::string::npos) << rep->error;
  const std::string junit = ReadWholeFile(dir + "/junit.xml");
  EXPECT_NE(junit.find("errors=\"1\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<error type=\"HARNESS\" message=\"target unreachable"), std::string::npos) << junit;
  EXPECT_NE(ReadWholeFile(dir + "/index.html").find("target unreachable"), std::string::npos);
  if (HaveJsonschema()) {
    EXPECT_EQ(SchemaErrors(dir + "/report.json"), "");
  }
  fs::remove_all(dir);
}

TEST(ConformCi, LaunchThatExitsSaysWhatHappened) {
  const std::string dir = TempDir();
  const auto r = RunCli("conform --launch \"sh -c 'echo booting; exit 4'\" --out " + dir);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("exited with status 4 before printing a `listening"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"booting \""), std::string::npos) << r.err;
  auto rep = FromJson(ReadWholeFile(dir + "/report.json"));
  ASSERT_TRUE(rep.ok());
  EXPECT_NE(rep->error.find("exited with status 4"), std::string::npos);
  fs::remove_all(dir);
}

TEST(ConformCi, VersionNamesCommitAndBuildType) {
  const auto r = RunCli("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("mcpsim 0.1.0 (commit ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(" build)\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("commit unknown"), std::string::npos) << "built from a git checkout: " << r.out;
}

}  // namespace
}  // namespace mcpsim::reports
