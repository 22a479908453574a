// `mcpsim serve --db postgresql://…` (issue 21): the reference servers on the
// PostgreSQL store pass the conformance cases that exercise the store in every
// role, and two server processes on one database share accounts, contact lists and offline messages (a user
// registered on one is known to the other; a message stored while the
// recipient is away is delivered at a login on the other). Skips when no
// PostgreSQL server can be started (ctest fixture `pg`).
#include <gtest/gtest.h>

#include <filesystem>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "tests/cli/pg_env.h"
#include "tests/cli/run_cli.h"
#include "tests/net/child_process.h"

namespace mcpsim {
namespace {

using mcpsim::testing::Child;
using mcpsim::testing::RunCli;

bool Has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

class PgServe : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::PgUri().empty()) GTEST_SKIP() << testing::kPgSkipReason;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    schema_ = std::string("serve_") + info->name() + "_" + std::to_string(::getpid());
    for (char& c : schema_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string err;
    uri_ = testing::PgTestSchema(schema_, &err);
    ASSERT_EQ(err, "") << "cannot prepare a schema on " << testing::PgUri();
    dir_ = std::filesystem::temp_directory_path() / ("mcpsim-pg-serve-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "serve.yaml") << "rs:\n  password_cost: minimal\n";
  }
  void TearDown() override {
    for (auto& s : servers_) {
      s->Signal(SIGTERM);
      EXPECT_EQ(s->Wait(), 0);
    }
    servers_.clear();
    if (!schema_.empty()) (void)testing::PgAdmin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  // Starts `serve` (every role) on the database; returns its DP URL.
  std::string Serve(int seed) {
    servers_.push_back(std::make_unique<Child>(
        std::vector<std::string>{"serve", "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0",
                                 "--db", uri_, "--config", (dir_ / "serve.yaml").string(), "--seed",
                                 std::to_string(seed)},
        (dir_ / ("serve" + std::to_string(seed) + ".log")).string()));
    auto l = servers_.back()->Listeners(3);
    EXPECT_EQ(l.size(), 3u);
    return l["http"];
  }
  std::string Client(const std::string& dp, const std::string& user) const {
    return "client --dp " + dp + " --cache '" + (dir_ / (user + ".db")).string() + "' --captcha-file '" +
           (dir_ / (user + ".png")).string() + "' --password pw-" + user + "-1 --timeout-ms 15000 ";
  }

  std::string schema_;
  std::string uri_;
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<Child>> servers_;
};

// The cases whose servers write or read the store in each role (accounts,
// uploads, media, lists, profiles, offline messages). The whole catalog
// passes too (`conform --launch 'mcpsim serve … --db postgresql://…'`, 62
// RS/CS/MS/SG cases ≈ 50 s, as on SQLite); CI runs this subset to stay fast.
constexpr const char* kStoreCases =
    "cs.rup.ok,cs.ad.media,rs.reg.ok,rs.reg.duplicate,rs.tcp.register,ms.get.ok,sg.login.ok,sg.sync.paging,"
    "sg.offline.delivered,sg.offline.refused_kept,sg.rom.resend,sg.cont.edits,sg.prof.version,sg.pres.change,"
    "sg.chat.rsm";

TEST_F(PgServe, ConformanceSuitePassesOnThePostgresStore) {
  const auto r = RunCli(std::string("conform --timeout 3000 --cases '") + kStoreCases + "' --launch '" + MCPSIM_BIN +
                        " serve --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http 127.0.0.1:0 --db \"" + uri_ +
                        "\"' --out " + (dir_ / "conf").string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(Has(r.out, "FAILED ")) << r.out;
  EXPECT_TRUE(Has(r.out, "OK sg.")) << r.out;
}

TEST_F(PgServe, TwoServersShareAccountsListsAndOfflineMessages) {
  const std::string dp1 = Serve(1);
  const std::string dp2 = Serve(2);
  for (const char* u : {"alice", "bob"}) {
    auto r = RunCli(Client(dp1, u) + "--accept-privacy register " + u + "@live.cn --auto-captcha");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  // alice, registered through server 1, logs in at server 2 and adds bob; bob
  // is away, so her message is stored (ROM) in the shared database.
  auto r = RunCli(Client(dp2, "alice") + "-i", "login alice@live.cn\nadd bob@live.cn\nsend bob@live.cn hi from two\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "ok login alice@live.cn")) << r.out;
  EXPECT_TRUE(Has(r.out, "ok add bob@live.cn version=2")) << r.out;
  EXPECT_TRUE(Has(r.out, "ok send bob@live.cn offline id=")) << r.out;
  // bob logs in at server 1: the message is delivered there.
  r = RunCli(Client(dp1, "bob") + "-i", "login bob@live.cn\nwait offline-message 10000\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "event offline-message")) << r.out;
  EXPECT_TRUE(Has(r.out, "from=alice@live.cn")) << r.out;
  EXPECT_TRUE(Has(r.out, "text=hi from two")) << r.out;
  // alice's list as server 1 sees it: bob, at version 2.
  r = RunCli(Client(dp1, "alice") + "-i", "login alice@live.cn\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "ok login alice@live.cn contacts=1 version=2")) << r.out;
}

// §3.1 (CLU-1..5): two `serve --roles sg --sg-id N` processes register in the
// database; the DP of a `serve --roles dp,rs,cs,ms` process spreads devices
// over both, with its own RS; an SG killed with SIGKILL (no leave) drops out
// of the DP's answers after its lease; a restarted SG with the same id rejoins.
TEST_F(PgServe, DpListsTheLiveSgProcesses) {
  auto sg = [&](int id) {
    servers_.push_back(std::make_unique<Child>(
        std::vector<std::string>{"serve", "--roles", "sg", "--sg-id", std::to_string(id), "--lease-ms", "1000",
                                 "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--db", uri_, "--config",
                                 (dir_ / "serve.yaml").string()},
        (dir_ / ("sg" + std::to_string(id) + ".log")).string()));
    return servers_.back()->Listeners(2)["udp"];
  };
  const std::string udp1 = sg(1), udp2 = sg(2);
  ASSERT_FALSE(udp1.empty());
  ASSERT_FALSE(udp2.empty());
  servers_.push_back(std::make_unique<Child>(
      std::vector<std::string>{"serve", "--roles", "dp,rs,cs,ms", "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0",
                               "--http", "127.0.0.1:0", "--db", uri_, "--config", (dir_ / "serve.yaml").string()},
      (dir_ / "dp.log").string()));
  auto front = servers_.back()->Listeners(3);
  ASSERT_EQ(front.size(), 3u);
  const std::string dp = front["http"];
  // The SG lists the DP hands out to 8 devices (FNV-1a mod N, DP-3).
  auto dispatch = [&] {
    std::set<std::string> sgs;
    for (int d = 0; d < 8; ++d) {
      const auto r = RunCli("client --dp " + dp + " --cache '" + (dir_ / "d.db").string() + "' --device dev-" +
                            std::to_string(d) + " dispatch");
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
      EXPECT_TRUE(Has(r.out, " rs=" + front["tcp"])) << r.out;  // the DP's own RS
      const auto at = r.out.find(" sg=");
      if (at != std::string::npos) sgs.insert(r.out.substr(at + 4, r.out.find(' ', at + 4) - at - 4));
    }
    return sgs;
  };
  auto both = dispatch();
  ASSERT_EQ(both.size(), 2u);
  bool seen1 = false, seen2 = false;
  for (const std::string& l : both) {
    seen1 = seen1 || Has(l, udp1);
    seen2 = seen2 || Has(l, udp2);
  }
  EXPECT_TRUE(seen1 && seen2);
  // SG 2 dies without leaving: gone from the answers once its lease ends.
  servers_[1]->Signal(SIGKILL);
  EXPECT_EQ(servers_[1]->Wait(), 128 + SIGKILL);
  std::set<std::string> left;
  for (int i = 0; i < 40; ++i) {
    left = dispatch();
    if (left.size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(left.size(), 1u);
  EXPECT_TRUE(Has(*left.begin(), udp1));
  // A new SG 2 (the killed one's lease has ended) rejoins.
  servers_.erase(servers_.begin() + 1);
  const std::string udp2b = sg(2);
  ASSERT_FALSE(udp2b.empty());
  std::set<std::string> again;
  for (int i = 0; i < 40; ++i) {
    again = dispatch();
    if (again.size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(again.size(), 2u);
}

TEST_F(PgServe, SgIdNeedsPostgresAndTheSgRole) {
  auto r = RunCli("serve --roles sg --sg-id 1 --db " + (dir_ / "x.db").string() + " --udp 127.0.0.1:0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "CLU-1")) << r.err;
  r = RunCli("serve --roles dp,rs --sg-id 1 --db '" + uri_ + "' --http 127.0.0.1:0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "needs the sg role")) << r.err;
  r = RunCli("serve --roles sg --sg-id 0 --db '" + uri_ + "' --udp 127.0.0.1:0");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace mcpsim
