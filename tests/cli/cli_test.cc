#include <gtest/gtest.h>

#include <algorithm>

#include "tests/cli/run_cli.h"

namespace mcpsim::testing {
namespace {

int CountLines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(Cli, VersionPrintsNameAndVersion) {
  auto r = RunCli("--version");
  EXPECT_EQ(r.exit_code, 0);
  // "mcpsim 0.1.0 (commit <12 hex>[-dirty], Release build)"
  EXPECT_EQ(r.out.rfind(std::string("mcpsim ") + "0.1.0 (commit ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(" build)\n"), std::string::npos) << r.out;
}

TEST(Cli, HelpListsVerbs) {
  auto r = RunCli("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Mobile Communication Protocol"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Subcommands:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bench"), std::string::npos) << r.out;
}

TEST(Cli, UnknownVerbExitsTwoWithOneLineError) {
  auto r = RunCli("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << r.err;
}

TEST(Cli, UnknownOptionExitsTwoWithOneLineError) {
  auto r = RunCli("--no-such-option");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--no-such-option"), std::string::npos) << r.err;
}

TEST(Cli, NoVerbIsAUsageError) {
  auto r = RunCli("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
}

TEST(Cli, BadLogLevelIsAUsageError) {
  auto r = RunCli("--log-level loud bench");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
}

TEST(Cli, GroupVerbWithoutNameIsAUsageError) {
  auto e = RunCli("bench");
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_EQ(CountLines(e.err), 1) << e.err;
}

}  // namespace
}  // namespace mcpsim::testing
