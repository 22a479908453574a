// Scenario files against an external target (scenarios/external.h): the
// reference server launched as a real process, the scenario's clients on
// the paced simulated network in front of it. Bounded runs (a few seconds
// each, loopback only).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/run_cli.h"

namespace mcpsim::testing {
namespace {

namespace fs = std::filesystem;

std::string TempDir() {
  char t[] = "/tmp/mcpsim-ext-XXXXXX";
  return mkdtemp(t);
}

std::string Scenario() { return std::string(MCPSIM_SOURCE_DIR) + "/tests/scenarios/external/chat-quick.yaml"; }

std::string Serve(const std::string& extra = "") {
  return std::string(MCPSIM_BIN) + " serve --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory: " + extra;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return nlohmann::json::parse(ss.str(), nullptr, false);
}

TEST(ExternalRun, ChatPassesAgainstServeWithTheReportSet) {
  const std::string dir = TempDir();
  const auto r = RunCli("run " + Scenario() + " --out " + dir + " --launch '" + Serve("--test-hooks") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS ext-chat-quick seed=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("n/a=exactly_once_uploads,no_double_execution,contacts_converge"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("trace-hash"), std::string::npos) << "a real run does not replay: no hash";
  for (const char* f : {"report.json", "junit.xml", "index.html", "summary.md", "run.pcap", "summary.json"}) {
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  }
  const auto rep = ReadJson(dir + "/report.json");
  ASSERT_TRUE(rep.is_object());
  EXPECT_EQ(rep["kind"], "scenarios");
  ASSERT_EQ(rep["cases"].size(), 1u);
  const auto& c = rep["cases"][0];
  EXPECT_EQ(c["id"], "scenario.ext-chat-quick");
  EXPECT_EQ(c["verdict"], "OK") << c.dump();
  bool cites_chat = false;
  for (const auto& k : c["clauses"]) cites_chat |= k == "SG-CHAT-7";
  EXPECT_TRUE(cites_chat) << c["clauses"].dump();
  EXPECT_GT(c["wire"].size(), 20u) << "the clients' transcript";
  EXPECT_NE(c["actual"].get<std::string>().find("not applicable here: exactly_once_uploads"), std::string::npos);
  // Accounts came through the protocol, the captcha through the TEST-1 hook.
  EXPECT_GE(c["metrics"].value("provision_registered", 0.0), 2.0) << c["metrics"].dump();
  EXPECT_GE(c["metrics"].value("provision_captcha_hook", 0.0), 2.0) << c["metrics"].dump();
  EXPECT_GT(c["metrics"].value("bridge_datagrams_out", 0.0), 0.0);
  EXPECT_GT(c["metrics"].value("duplicated", 0.0), 0.0) << "the scenario's network applied";
  const auto run = ReadJson(dir + "/1-ext-chat-quick-seed1.json");
  ASSERT_TRUE(run.is_object());
  EXPECT_EQ(run["external"], true);
  EXPECT_NE(run["target_flags"].get<std::string>().find("--launch"), std::string::npos);
  fs::remove_all(dir);
}

TEST(ExternalRun, WithoutTheHookTheReaderReadsTheCaptcha) {
  const std::string dir = TempDir();
  const auto r = RunCli("run " + Scenario() + " --out " + dir + " --launch '" + Serve() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto rep = ReadJson(dir + "/report.json");
  ASSERT_TRUE(rep.is_object());
  const auto& m = rep["cases"][0]["metrics"];
  EXPECT_EQ(m.value("provision_captcha_hook", -1.0), 0.0) << "TEST-1 is off by default";
  EXPECT_GE(m.value("provision_captcha_reader", 0.0), 2.0) << m.dump();
  fs::remove_all(dir);
}

TEST(ExternalRun, AMutantIsCaughtAndTheReplayLineNamesTheTarget) {
  const auto r = RunCli("run " + Scenario() + " --launch '" + Serve("--test-hooks --mutant rrm-dropped") + "'");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL ext-chat-quick seed=1 expectations: counter messages_received = 0"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("replay: mcpsim run " + Scenario() + " --seed 1 --launch '"), std::string::npos) << r.out;
}

TEST(ExternalRun, NoAccountsMeansNotApplicableNeverFailed) {
  // Only a UDP listener: no RS to register with, no --accounts.
  const auto r = RunCli("run " + Scenario() + " --launch '" + std::string(MCPSIM_BIN) +
                        " serve --udp 127.0.0.1:0 --db :memory:'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("N/A ext-chat-quick seed=1: no account for user0@live.cn"), std::string::npos) << r.out;
}

TEST(ExternalRun, CrashingTheTargetsServersIsNotApplicable) {
  // The harness cannot crash and restart a third-party SG: N/A, decided
  // before the target is even started (the command would fail if launched).
  const std::string f = std::string(MCPSIM_SOURCE_DIR) + "/scenarios/library/sg-crash-mid-chat.yaml";
  const auto r = RunCli("run " + f + " --launch 'false'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("N/A sg-crash-mid-chat seed=1: the scenario crashes the server role sg"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("total: 1 runs, 0 passed, 0 failed, 1 n/a"), std::string::npos) << "N/A is never a pass";
}

TEST(ExternalRun, UsageErrors) {
  EXPECT_EQ(RunCli("run " + Scenario() + " --accounts /nonexistent").exit_code, 2);
  EXPECT_EQ(RunCli("run " + Scenario() + " --udp nope --accounts /dev/null").exit_code, 2);
  EXPECT_EQ(RunCli("run " + Scenario() + " --udp 127.0.0.1:9 --broken-dedup").exit_code, 2);
  const std::string dir = TempDir();
  std::ofstream(dir + "/acc.txt") << "just-one-field\n";
  const auto r = RunCli("run " + Scenario() + " --udp 127.0.0.1:9 --accounts " + dir + "/acc.txt");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("CONF-6"), std::string::npos) << r.err;
  EXPECT_EQ(RunCli("sweep " + Scenario() + " --seeds 1..2 --reuse-target").exit_code, 2);
  fs::remove_all(dir);
}

TEST(ExternalRun, ConformScenariosAddsScenarioCases) {
  const std::string dir = TempDir();
  const std::string folder = std::string(MCPSIM_SOURCE_DIR) + "/tests/scenarios/external";
  const auto r = RunCli("conform --cases 'cs.rup.ok' --scenarios " + folder + " --out " + dir + " --launch '" +
                        Serve("--test-hooks") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("OK scenario.ext-chat-quick"), std::string::npos) << r.out;
  const auto rep = ReadJson(dir + "/report.json");
  ASSERT_TRUE(rep.is_object());
  ASSERT_EQ(rep["cases"].size(), 2u);
  EXPECT_EQ(rep["cases"][0]["id"], "cs.rup.ok");
  EXPECT_EQ(rep["cases"][1]["id"], "scenario.ext-chat-quick");
  EXPECT_EQ(rep["cases"][1]["group"], "SCENARIO");
  fs::remove_all(dir);
}

TEST(ExternalRun, SweepReusesOneTarget) {
  const auto r = RunCli("sweep " + Scenario() + " --seeds 1..2 --reuse-target --launch '" + Serve("--test-hooks") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("sweep: 2 runs, 2 passed, 0 failed"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mcpsim::testing
