// The scenario verbs end to end: run (verdict lines, replay, trace-hash, exit
// codes, --out), sweep (workers, shard, summary), shrink (valid smaller YAML).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>

#include "cli/run_cli.h"

namespace mcpsim::testing {
namespace {

const std::string kLib = std::string(MCPSIM_SOURCE_DIR) + "/scenarios/library";

std::string TempPath(const std::string& name) {
  char dir[] = "/tmp/mcpsim-scen-XXXXXX";
  return std::string(mkdtemp(dir)) + "/" + name;
}

std::string Write(const std::string& name, const std::string& text) {
  const std::string p = TempPath(name);
  std::ofstream(p) << text;
  return p;
}

TEST(ScenarioCli, RunOnePrintsVerdictAndTraceHash) {
  auto r = RunCli("run " + kLib + "/upload-loss-10.yaml --seed 4");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^PASS upload-loss-10 seed=4 ")));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\ntrace-hash: ([0-9a-f]{16})\n$")));
  auto again = RunCli("run " + kLib + "/upload-loss-10.yaml --seed 4");
  EXPECT_EQ(again.out, r.out);  // replay: same verdict, same trace hash
}

TEST(ScenarioCli, FailurePrintsReplayAndExits1) {
  auto r = RunCli("run " + kLib + "/upload-duplication.yaml --seed 2 --broken-dedup");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^FAIL upload-duplication seed=2 [a-z_]+: ")));
  EXPECT_NE(r.out.find("\nreplay: mcpsim run " + kLib + "/upload-duplication.yaml --seed 2"), std::string::npos);
}

TEST(ScenarioCli, SgFailureReplaysToTheSameTraceHash) {
  const std::string cmd = "run " + kLib + "/sg-chat-duplication.yaml --seed 3 --broken-dedup";
  auto r = RunCli(cmd);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^FAIL sg-chat-duplication seed=3 exactly_once_messages: ")));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\nreplay: mcpsim (run [^\n]+)\ntrace-hash: ([0-9a-f]{16})\n$")));
  const std::string replay = m[1], hash = m[2];
  auto again = RunCli(replay);  // the printed replay command, verbatim
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.out.find("trace-hash: " + hash), std::string::npos) << again.out;
}

TEST(ScenarioCli, InvalidFileIsExit2WithPosition) {
  const std::string p = Write("bad.yaml", "name: x\npurpose: p\nsteps:\n  - {do: upload, kind: 5, bogus: 1}\n");
  auto r = RunCli("run " + p);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(p + ":4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown key 'bogus'"), std::string::npos) << r.err;
  EXPECT_EQ(RunCli("run " + kLib + " --seeds 3..1").exit_code, 2);
  EXPECT_EQ(RunCli("run /nonexistent.yaml").exit_code, 2);
}

TEST(ScenarioCli, RunFolderWithOutWritesSummary) {
  const std::string dir = TempPath("out");
  auto r = RunCli("run " + kLib + " --seeds 1..2 --out " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("trace-hash:"), std::string::npos);  // several runs: no hash line
  const std::string summary = ReadWholeFile(dir + "/summary.json");
  EXPECT_NE(summary.find("\"pass_rate\": 1.0"), std::string::npos);
  EXPECT_NE(ReadWholeFile(dir + "/index.html").find("<table>"), std::string::npos);
}

TEST(ScenarioCli, SweepWithWorkersAndShard) {
  auto r = RunCli("sweep " + kLib + "/upload-loss-10.yaml " + kLib + "/clog-release.yaml --seeds 1..40 --jobs 2 --shard 1/2 --swarm");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("sweep: 40 runs, 40 passed, 0 failed (pass rate 100.00%); determinism re-runs: "),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", 0 differed"), std::string::npos);
  auto bad = RunCli("sweep " + kLib + "/upload-duplication.yaml --seeds 1..2 --shard 2/2");
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(ScenarioCli, ShrinkWritesSmallerFailingYaml) {
  const std::string out = TempPath("min.yaml");
  auto r = RunCli("shrink " + kLib + "/multi-client-uploads.yaml --seed 3 --broken-dedup -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string y = ReadWholeFile(out);
  EXPECT_NE(y.find("clients: 1"), std::string::npos) << y;
  auto again = RunCli("run " + out + " --seed 3 --broken-dedup");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.out.find("exactly_once_uploads"), std::string::npos) << again.out;
  EXPECT_EQ(RunCli("shrink " + kLib + "/upload-loss-1.yaml --seed 1 -o " + out).exit_code, 1);
}

}  // namespace
}  // namespace mcpsim::testing
