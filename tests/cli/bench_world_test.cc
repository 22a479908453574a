// `mcpsim bench world` at a small size: every figure line is printed and
// parses, the run is deterministic from --seed (the counters repeat), and bad
// options are usage errors. Timing is printed by the bench, never asserted.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <sstream>

#include "tests/cli/run_cli.h"

namespace mcpsim::testing {
namespace {

// "world.<key>: <value>" lines -> key -> value text.
std::map<std::string, std::string> Figures(const std::string& out) {
  std::map<std::string, std::string> f;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(": ");
    if (line.rfind("world.", 0) == 0 && colon != std::string::npos) f[line.substr(6, colon - 6)] = line.substr(colon + 2);
  }
  return f;
}

double Number(const std::string& s, const char* suffix = "") {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  EXPECT_NE(end, s.c_str()) << s;
  EXPECT_EQ(std::string(end), suffix) << s;
  return v;
}

TEST(BenchWorld, SmallRunPrintsEveryFigure) {
  const std::string args = "bench world --clients 20 --virtual-s 60 --seed 3";
  auto r = RunCli(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto f = Figures(r.out);
  for (const char* k : {"wall_s", "speedup", "cpu_s", "cpu_per_mc_hour_us", "bytes_per_mc", "bytes_per_mc_method", "idle_heap_per_mc", "rss_per_mc", "logins",
                        "messages_sent", "messages_accepted", "messages_delivered", "client_resends",
                        "datagrams_sent"}) {
    EXPECT_TRUE(f.count(k)) << "missing world." << k << "\n" << r.out;
  }
  EXPECT_GE(Number(f["wall_s"]), 0.0);
  EXPECT_GT(Number(f["speedup"], "x"), 0.0);
  EXPECT_GT(Number(f["bytes_per_mc"]), 0.0);
  EXPECT_GT(Number(f["idle_heap_per_mc"]), 0.0);
  EXPECT_GT(Number(f["rss_per_mc"]), 0.0);
  EXPECT_GE(Number(f["cpu_s"]), 0.0);
  EXPECT_GT(Number(f["logins"]), 0.0);
  EXPECT_GT(Number(f["messages_sent"]), 0.0);
  EXPECT_LE(Number(f["messages_delivered"]), Number(f["messages_sent"]));
  EXPECT_GT(Number(f["datagrams_sent"]), 0.0);
  // Deterministic from the seed: the counters repeat exactly.
  auto again = Figures(RunCli(args).out);
  for (const char* k : {"logins", "messages_sent", "messages_accepted", "messages_delivered", "client_resends",
                        "datagrams_sent", "datagrams_dropped"}) {
    EXPECT_EQ(f[k], again[k]) << k;
  }
}

TEST(BenchWorld, BadOptionIsAUsageError) {
  EXPECT_EQ(RunCli("bench world --clients 0").exit_code, 2);
  EXPECT_EQ(RunCli("bench world --loss 2").exit_code, 2);
}

}  // namespace
}  // namespace mcpsim::testing
