// Fault points from the command line: the catalog listing, usage errors, and
// the swarm reaching at least 20 distinct sites over seeds 1..50 of the
// library (issue 16: ">= 20 fault points fire in swarm runs").
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "cli/run_cli.h"

namespace mcpsim::testing {
namespace {

const std::string kLib = std::string(MCPSIM_SOURCE_DIR) + "/scenarios/library";

TEST(FaultPointsCli, ListsEveryRegisteredSite) {
  auto r = RunCli("run --list-fault-points");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    EXPECT_TRUE(std::regex_match(line, std::regex("[a-z_.]+\t[a-z/]+\t[A-Z0-9, -]+\t.+"))) << line;
  }
  EXPECT_GE(n, 20);
}

TEST(FaultPointsCli, UnknownSiteIsAUsageError) {
  auto r = RunCli("run " + kLib + "/register-ok.yaml --fault-points push.window.shrink,bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown fault point 'bogus'"), std::string::npos) << r.err;
}

TEST(FaultPointsCli, RunReportsFiredSitesAndReplays) {
  const std::string cmd = "run " + kLib + "/sg-chat-two-party.yaml --seed 3 --fault-points all";
  auto r = RunCli(cmd);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(" fault-points=["), std::string::npos) << r.out;
  EXPECT_EQ(RunCli(cmd).out, r.out);  // same firings, same trace hash
}

TEST(FaultPointsCli, SwarmFiresAtLeastTwentyDistinctSites) {
  auto r = RunCli("sweep " + kLib + " --seeds 1..50 --swarm --jobs 2 --determinism-every 0");
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("fault-points: ([0-9]+) sites fired in ([0-9]+) runs")))
      << r.out;
  EXPECT_GE(std::stoi(m[1]), 20) << r.out;
}

}  // namespace
}  // namespace mcpsim::testing
