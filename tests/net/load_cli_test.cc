// `mcpsim load` against `mcpsim serve` on loopback (port 0, launched with
// --launch): users are registered, log in and run a mix; the summary and the
// per-second CSV are written; usage errors exit 2, an unreachable target 3,
// and an error rate above --max-errors 1. Small and bounded (a few users, one
// second); no timing is asserted.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/cli/run_cli.h"

namespace mcpsim::testing {
namespace {

std::map<std::string, std::string> Figures(const std::string& out) {
  std::map<std::string, std::string> f;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(": ");
    if (line.rfind("load.", 0) == 0 && colon != std::string::npos) f[line.substr(5, colon - 5)] = line.substr(colon + 2);
  }
  return f;
}

class LoadCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mcpsim-load-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::ofstream(dir_ + "/serve.yaml") << "rs:\n  password_cost: minimal\n";
  }
  void TearDown() override { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string Serve(const std::string& extra = "") const {
    return std::string("--launch '") + MCPSIM_BIN + " serve --udp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory: --config " +
           dir_ + "/serve.yaml" + extra + "'";
  }
  std::string dir_;
};

TEST_F(LoadCli, RegistersRunsTheMixAndWritesTheCsv) {
  const std::string csv = dir_ + "/stats.csv";
  auto r = RunCli("load " + Serve() +
                  " --users 4 --rate 40 --duration 1.5 --mix chat=3,offline=1,upload=1,login=1 --contacts 2 "
                  "--max-errors 50% --csv " + csv);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto f = Figures(r.out);
  EXPECT_EQ(f["users"], "4");
  EXPECT_EQ(f["logged_in"], "4");
  EXPECT_EQ(f["setup_failures"], "0");
  for (const char* k : {"all.offered", "all.completed", "all.errors", "all.skipped", "all.per_s", "all.p50_ms",
                        "all.p90_ms", "all.p99_ms", "all.p999_ms", "all.max_ms", "chat.completed", "offline.completed",
                        "upload.completed", "login.offered", "error_rate", "unfinished"}) {
    EXPECT_TRUE(f.count(k)) << "missing load." << k << "\n" << r.out;
  }
  EXPECT_GT(std::atoi(f["all.completed"].c_str()), 10);
  EXPECT_GT(std::atoi(f["upload.completed"].c_str()), 0);
  const std::string text = ReadWholeFile(csv);
  std::istringstream lines(text);
  std::string header, row;
  ASSERT_TRUE(std::getline(lines, header));
  EXPECT_EQ(header.rfind("time_s,all_offered,all_completed,all_errors,all_p50_ms,all_p90_ms,all_p99_ms,all_p999_ms,login_offered", 0), 0u)
      << header;
  int rows = 0;
  while (std::getline(lines, row)) {
    ++rows;
    EXPECT_EQ(std::count(row.begin(), row.end(), ','), std::count(header.begin(), header.end(), ',')) << row;
  }
  EXPECT_GE(rows, 1);
}

// Encrypted UDP: every simulated phone binds its own port on the one
// encrypted-only Env (UdpsEnv binds many ports on the client side), and the
// server answers each under the key of its datagrams.
TEST_F(LoadCli, UsersOverEncryptedUdp) {
  const std::string keys = WriteTestKeyFile(dir_);
  auto r = RunCli("load --launch '" + std::string(MCPSIM_BIN) +
                  " serve --udps 127.0.0.1:0 --key-file " + keys +
                  " --http 127.0.0.1:0 --db :memory: --config " + dir_ + "/serve.yaml'" +
                  " --users 3 --rate 30 --duration 1 --mix chat=1,upload=1 --contacts 2 --max-errors 50%");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto f = Figures(r.out);
  EXPECT_EQ(f["logged_in"], "3") << r.out;
  EXPECT_EQ(f["setup_failures"], "0") << r.out;
  EXPECT_GT(std::atoi(f["all.completed"].c_str()), 5) << r.out;
}

// Against the default limits and password cost: eight registrations from
// one address at once meet RATE-10 (4 may wait for a hash), and a contact
// added before its account exists is refused (305). The generator retries
// a refused set-up a second later (RATE-9) and never picks a refused
// contact as a peer, so an honest server shows no errors at all.
TEST_F(LoadCli, RefusedSetUpsAreRetriedAndRefusedContactsAreNoPeers) {
  auto r = RunCli(std::string("load --launch '") + MCPSIM_BIN +
                  " serve --udp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory:' --users 8 --rate 40 --duration 1 "
                  "--mix chat=1,offline=1 --contacts 3 --max-errors 0");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto f = Figures(r.out);
  EXPECT_EQ(f["setup_failures"], "0") << r.out;
  EXPECT_EQ(f["logged_in"], "8") << r.out;
  EXPECT_EQ(f["all.errors"], "0") << r.out;
  EXPECT_GT(std::atoi(f["offline.completed"].c_str()), 0) << r.out;
}

TEST_F(LoadCli, UsageErrorsExit2) {
  EXPECT_EQ(RunCli("load --udp 127.0.0.1:9 --mix dance=1").exit_code, 2);
  EXPECT_EQ(RunCli("load --udp 127.0.0.1:9 --users 0").exit_code, 2);
  EXPECT_EQ(RunCli("load --udp 127.0.0.1:9 --rate fast").exit_code, 2);
  EXPECT_EQ(RunCli("load --users 3").exit_code, 2);  // no target
  EXPECT_EQ(RunCli("load --udp 127.0.0.1:9 --users 2").exit_code, 2);  // no accounts, no DP to register with
  EXPECT_EQ(RunCli("load --udp 127.0.0.1:9 --max-errors 150%").exit_code, 2);
}

TEST_F(LoadCli, UnreachableTargetExits3) {
  std::ofstream(dir_ + "/accounts.txt") << "# account password\nnobody@live.cn secret-password\n";
  auto r = RunCli("load --udp 127.0.0.1:9 --accounts " + dir_ + "/accounts.txt --users 1 --setup-timeout 1 --mix chat=1");
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("LOAD-3"), std::string::npos) << r.err;
}

TEST_F(LoadCli, ErrorRateAboveMaxErrorsExits1) {
  // No CS role: every upload is refused (WIRE-21 unknown command), all errors.
  auto r = RunCli("load " + Serve(" --roles dp,rs,ms,sg") + " --users 2 --rate 20 --duration 1 --mix upload=1,chat=1");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto f = Figures(r.out);
  EXPECT_GT(std::atoi(f["upload.errors"].c_str()), 0) << r.out;
}

}  // namespace
}  // namespace mcpsim::testing
