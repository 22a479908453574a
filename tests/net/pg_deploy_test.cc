// The three-process reference deployment of issue 21 (README "Several SG
// processes", PROTOCOL.md §3.1): PostgreSQL, two `serve --roles sg --sg-id N`
// and one `serve --roles dp,rs,cs,ms`, on loopback. Conformance of every
// process; a live chat between phones placed on different SGs (presence and
// conversations relayed between SG processes, CLU-10..13; a file, CLU-17); `kill -9` of the
// recipient's SG in the middle, after which nothing acknowledged is lost (the
// phone logs in again through DP, which now sends it to the live SG); the
// killed SG restarts and rejoins. Skips when no PostgreSQL server can be started (ctest fixture `pg`).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/cli/pg_env.h"
#include "tests/cli/run_cli.h"
#include "tests/net/child_process.h"

namespace mcpsim {
namespace {

using mcpsim::testing::Child;
using mcpsim::testing::RunCli;
using mcpsim::testing::ReadWholeFile;

bool Has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }
// Whether `c` printed a line starting with `prefix` (already, or within `ms`),
// wherever it is among the lines other waits skipped.
bool Printed(Child& c, const std::string& prefix, int ms = 15000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    for (const std::string& l : c.lines()) {
      if (l.rfind(prefix, 0) == 0) return true;
    }
    if (std::chrono::steady_clock::now() > end) return false;
    (void)c.WaitLine([](const std::string&) { return false; }, 100);
  }
}
std::string HostPort(const std::string& uri) { return uri.substr(uri.find("://") + 3); }

class PgDeploy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::PgUri().empty()) GTEST_SKIP() << testing::kPgSkipReason;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    schema_ = std::string("deploy_") + info->name() + "_" + std::to_string(::getpid());
    for (char& c : schema_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    schema_ = schema_.substr(0, 40);
    std::string err;
    uri_ = testing::PgTestSchema(schema_, &err);
    ASSERT_EQ(err, "") << "cannot prepare a schema on " << testing::PgUri();
    // The processes log in as a role of their own, so one test can take the
    // database away from them (PgOutage) without touching the other tests.
    ASSERT_EQ(testing::PgAdmin("DROP ROLE IF EXISTS " + schema_ + "; CREATE ROLE " + schema_ + " LOGIN SUPERUSER"), "");
    role_ = schema_;
    const auto at = uri_.find("://") + 3;
    uri_ = uri_.substr(0, at) + role_ + uri_.substr(uri_.find('@', at));
    dir_ = std::filesystem::temp_directory_path() / ("mcpsim-pg-deploy-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "serve.yaml") << "rs:\n  password_cost: minimal\n";
    sg_[1] = StartSg(1);
    sg_[2] = StartSg(2);
    front_ = std::make_unique<Child>(
        std::vector<std::string>{"serve", "--roles", "dp,rs,cs,ms", "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0",
                                 "--http", "127.0.0.1:0", "--db", uri_, "--config", (dir_ / "serve.yaml").string(),
                                 "--test-hooks"},
        (dir_ / "front.log").string());
    front_l_ = front_->Listeners(3);
    ASSERT_EQ(front_l_.size(), 3u);
    dp_ = front_l_["http"];
  }
  void TearDown() override {
    for (auto& [id, c] : sg_) Stop(c);
    Stop(front_);
    if (!schema_.empty()) (void)testing::PgAdmin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    if (!role_.empty()) (void)testing::PgAdmin("DROP OWNED BY " + role_ + "; DROP ROLE IF EXISTS " + role_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  static void Stop(std::unique_ptr<Child>& c) {
    if (!c) return;
    c->Signal(SIGTERM);
    EXPECT_EQ(c->Wait(), 0);
    c.reset();
  }
  std::unique_ptr<Child> StartSg(int id) {
    auto c = std::make_unique<Child>(
        std::vector<std::string>{"serve", "--roles", "sg", "--sg-id", std::to_string(id), "--lease-ms", "1000",
                                 "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--db",
                                 uri_, "--config", (dir_ / "serve.yaml").string()},
        (dir_ / ("sg" + std::to_string(id) + ".log")).string());
    sg_l_[id] = c->Listeners(3);
    EXPECT_EQ(sg_l_[id].size(), 3u);
    return c;
  }
  std::vector<std::string> Client(const std::string& user, const std::string& device) const {
    return {"client", "--dp", dp_, "--cache", (dir_ / (user + ".db")).string(), "--device", device, "--password",
            "pw-" + user + "-1", "--timeout-ms", "15000", "-i"};
  }
  // The same options for a one-shot command (without -i, first word "client").
  std::string ClientLine(const std::string& user, const std::string& device) const {
    std::string s;
    for (const std::string& a : Client(user, device)) {
      if (a != "-i") s += "'" + a + "' ";
    }
    return s;
  }
  // The SG (1 or 2) DP assigns to `device`, 0 if none.
  int SgOf(const std::string& device) {
    const auto r = RunCli("client --dp " + dp_ + " --cache '" + (dir_ / "probe.db").string() + "' --device " +
                          device + " dispatch");
    for (int id : {1, 2}) {
      if (Has(r.out, "sg=" + sg_l_[id]["tcp"]) || Has(r.out, sg_l_[id]["udp"])) return id;
    }
    return 0;
  }

  std::string schema_, role_, uri_, dp_;
  std::filesystem::path dir_;
  std::map<int, std::unique_ptr<Child>> sg_;
  std::map<int, std::map<std::string, std::string>> sg_l_;
  std::unique_ptr<Child> front_;
  std::map<std::string, std::string> front_l_;
};

// `mcpsim conform` judges every case of each process's roles. The harness
// takes one address per transport, so the SG processes are judged with the
// front's HTTP listener for registration (RS); the cases that need SG and RS
// behind one HTTP address (sg.http.*) or RS on the SG's TCP (rs.*) are judged
// on a single-process server elsewhere (PgServe, conform_*), not here.
TEST_F(PgDeploy, EveryProcessPassesConformance) {
  const auto list = RunCli("conform --list --roles sg");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::string cases;
  std::istringstream in(list.out);
  for (std::string line; std::getline(in, line);) {
    const std::string id = line.substr(0, line.find(' '));
    if (id.empty() || id.rfind("sg.http.", 0) == 0 || id.rfind("rs.", 0) == 0) continue;
    if (id.rfind("sg.", 0) != 0) continue;
    cases += (cases.empty() ? "" : ",") + id;
  }
  ASSERT_FALSE(cases.empty());
  for (int id : {1, 2}) {
    auto r = RunCli("conform --roles sg,rs --timeout 3000 --udp " + HostPort(sg_l_[id]["udp"]) + " --tcp " +
               HostPort(sg_l_[id]["tcp"]) + " --http " + dp_ + " --cases '" + cases + "' --out " +
               (dir_ / ("conf-sg" + std::to_string(id))).string());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    // On a failure, the report's expected / actual lines say what the target answered.
    EXPECT_FALSE(Has(r.out, "FAILED ")) << r.out << ReadWholeFile((dir_ / ("conf-sg" + std::to_string(id)) / "summary.md").string());
    EXPECT_TRUE(Has(r.out, "OK sg.chat.rsm")) << r.out;
  }
  // The front last: its abuse cases (rate.*, run last in a run) drain the
  // runner address's RAP/REG buckets at the shared RS, which the SG runs
  // above register through.
  auto r = RunCli("conform --roles dp,rs,cs,ms --timeout 3000 --udp " + HostPort(front_l_["udp"]) + " --tcp " +
                  HostPort(front_l_["tcp"]) + " --http " + dp_ + " --out " + (dir_ / "conf-front").string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(Has(r.out, "FAILED ")) << r.out << ReadWholeFile((dir_ / "conf-front" / "summary.md").string());
  EXPECT_TRUE(Has(r.out, "OK dp.")) << r.out;
  EXPECT_TRUE(Has(r.out, "OK rs.")) << r.out;
}

// Phones on different SG processes chat live (CLU-10..13): each sees the
// other online, `send` is an RSI/RSM conversation (not offline messages),
// and what one sends arrives as RRM. Then the recipient's SG is killed with
// `kill -9` while the sender goes on: every message the sender's SG
// acknowledged reaches the recipient — live before the kill, afterwards as
// offline messages (a relay its dead SG never took becomes one, CLU-13) once
// the phone is back through DP at the live SG.
TEST_F(PgDeploy, ChatAcrossSgsIsLiveAndLosesNothingWhenOneSgIsKilled) {
  // Devices DP places on different SGs (DP-3: FNV-1a of the device id).
  const std::string dev_a = "dev-a";
  const int sg_a = SgOf(dev_a);
  ASSERT_NE(sg_a, 0);
  std::string dev_b;
  for (int i = 0; i < 32 && dev_b.empty(); ++i) {
    const std::string d = "dev-b" + std::to_string(i);
    if (const int s = SgOf(d); s != 0 && s != sg_a) dev_b = d;
  }
  ASSERT_FALSE(dev_b.empty());
  const int sg_b = 3 - sg_a;
  for (const auto& [u, d] : {std::pair<std::string, std::string>{"alice", dev_a}, {"bob", dev_b}}) {
    auto r = RunCli(ClientLine(u, d) + "--accept-privacy --auto-captcha --captcha-file '" +
                    (dir_ / (u + ".png")).string() + "' register " + u + "@live.cn");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  auto bob_args = Client("bob", dev_b);
  std::filesystem::create_directories(dir_ / "bob-files");
  bob_args.insert(bob_args.end(), {"--download-dir", (dir_ / "bob-files").string()});
  Child bob(bob_args, (dir_ / "bob.log").string());
  bob.Write("login bob@live.cn\nadd alice@live.cn\n");
  ASSERT_NE(bob.WaitPrefix("ok add alice@live.cn"), "") << bob.Transcript();
  EXPECT_TRUE(Has(bob.Transcript(), sg_l_[sg_b]["udp"])) << bob.Transcript();
  Child alice(Client("alice", dev_a), (dir_ / "alice.log").string());
  alice.Write("login alice@live.cn\nadd bob@live.cn\n");
  ASSERT_NE(alice.WaitPrefix("ok add bob@live.cn"), "") << alice.Transcript();
  EXPECT_TRUE(Has(alice.Transcript(), sg_l_[sg_a]["udp"])) << alice.Transcript();
  // Presence across SG processes (CLU-11), both ways.
  EXPECT_TRUE(Printed(alice, "event presence account=bob@live.cn state=online")) << alice.Transcript();
  EXPECT_TRUE(Printed(bob, "event presence account=alice@live.cn state=online")) << bob.Transcript();

  std::set<std::string> acked, received;
  int live_acks = 0;
  auto send = [&](int n) {
    alice.Write("send bob@live.cn msg-" + std::to_string(n) + "\n");
    const std::string ok = alice.WaitPrefix("ok send bob@live.cn");
    ASSERT_NE(ok, "") << alice.Transcript();
    if (Has(ok, " call=")) ++live_acks;
    acked.insert("msg-" + std::to_string(n));
  };
  auto take = [&](Child& c, const char* prefix, std::size_t want) {
    while (received.size() < want) {
      const std::string e = c.WaitPrefix(prefix, 10000);
      if (e.empty()) break;
      received.insert(e.substr(e.find("text=") + 5));
    }
  };
  for (int n = 1; n <= 3; ++n) send(n);
  EXPECT_EQ(live_acks, 3) << alice.Transcript();  // a conversation, not ROM
  take(bob, "event message", 3);                  // RRM across SG processes (CLU-13)
  EXPECT_EQ(received, acked) << bob.Transcript();
  EXPECT_FALSE(Has(bob.Transcript(), "event offline-message")) << bob.Transcript();
  bob.Write("send alice@live.cn re-1\n");
  EXPECT_NE(bob.WaitPrefix("ok send alice@live.cn call="), "") << bob.Transcript();
  EXPECT_NE(alice.WaitPrefix("event message"), "") << alice.Transcript();

  // A file across SG processes (CLU-17): offered and uploaded at alice's SG,
  // accepted at bob's, which relays it to him whole; alice hears "done".
  std::string photo(5000, '\0');
  for (std::size_t i = 0; i < photo.size(); ++i) photo[i] = static_cast<char>(i * 7 + i / 256);
  std::ofstream(dir_ / "photo.bin", std::ios::binary) << photo;
  alice.Write("sendfile bob@live.cn " + (dir_ / "photo.bin").string() + "\n");
  const std::string offered = alice.WaitPrefix("ok sendfile bob@live.cn transfer=");
  ASSERT_NE(offered, "") << alice.Transcript();
  const std::string transfer = offered.substr(offered.find("transfer=") + 9, offered.find(' ', offered.find("transfer=")) -
                                                                                 offered.find("transfer=") - 9);
  ASSERT_NE(bob.WaitPrefix("event file-offered"), "") << bob.Transcript();
  bob.Write("accept " + transfer + "\n");
  EXPECT_NE(bob.WaitPrefix("event file-received"), "") << bob.Transcript();
  EXPECT_TRUE(Printed(alice, "event file-done")) << alice.Transcript();
  std::ifstream got_file(dir_ / "bob-files" / "photo.bin", std::ios::binary);
  std::stringstream got;
  got << got_file.rdbuf();
  EXPECT_TRUE(got.str() == photo) << "received " << got.str().size() << " bytes";

  // bob's SG dies mid-chat; alice goes on writing at once (her SG learns of
  // the death only when its lease is over).
  sg_[sg_b]->Signal(SIGKILL);
  EXPECT_EQ(sg_[sg_b]->Wait(), 128 + SIGKILL);
  sg_.erase(sg_b);
  for (int n = 4; n <= 6; ++n) send(n);
  // Her SG learns of it: bob leaves the conversation and goes offline.
  EXPECT_TRUE(Printed(alice, "event member-left", 10000)) << alice.Transcript();
  for (int n = 7; n <= 8; ++n) send(n);
  bob.Signal(SIGKILL);  // the phone gives up on its dead SG
  (void)bob.Wait();
  // Once the lease is over DP sends bob's device to the live SG, where the
  // rest waits for him.
  for (int i = 0; i < 40 && SgOf(dev_b) != sg_a; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  ASSERT_EQ(SgOf(dev_b), sg_a);
  Child bob2(Client("bob", dev_b), (dir_ / "bob2.log").string());
  bob2.Write("login bob@live.cn\n");
  take(bob2, "event offline-message", acked.size());
  EXPECT_EQ(received, acked) << bob2.Transcript() << alice.Transcript();
  bob2.Write("logout\n");
  bob2.CloseStdin();
  EXPECT_EQ(bob2.Wait(), 0) << bob2.Transcript();
  alice.Write("logout\n");
  alice.CloseStdin();
  EXPECT_EQ(alice.Wait(), 0) << alice.Transcript();

  // The killed SG restarts under its id and DP lists it again.
  sg_[sg_b] = StartSg(sg_b);
  bool back = false;
  for (int i = 0; i < 40 && !back; ++i) {
    back = SgOf(dev_b) == sg_b;
    if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(back);
}

// PostgreSQL goes away under the running processes (their role may not log
// in and their connections are cut, as in a database restart): the SG answers
// what needs the store with 501 (STORE-1) instead of hanging or exiting, and
// once the database is back every process recovers on its next call, without
// a restart of its own (issue 21, CLU-1..8).
TEST_F(PgDeploy, ProcessesAnswer501WhileTheDatabaseIsDownAndRecoverWithoutARestart) {
  const std::string dev = "dev-outage";
  auto reg = RunCli(ClientLine("carol", dev) + "--accept-privacy --auto-captcha --captcha-file '" +
                    (dir_ / "carol.png").string() + "' register carol@live.cn");
  ASSERT_EQ(reg.exit_code, 0) << reg.out << reg.err;
  const int sg = SgOf(dev);
  ASSERT_NE(sg, 0);
  Child carol(Client("carol", dev), (dir_ / "carol.log").string());
  carol.Write("login carol@live.cn\n");
  ASSERT_NE(carol.WaitPrefix("ok login"), "") << carol.Transcript();

  ASSERT_EQ(testing::PgAdmin("ALTER ROLE " + role_ + " NOLOGIN; SELECT pg_terminate_backend(pid) FROM "
                             "pg_stat_activity WHERE usename = '" + role_ + "'"),
            "");
  // A contact edit needs the store: 501 at once, the session stays.
  carol.Write("add nobody@live.cn\n");
  const std::string down = carol.WaitPrefix("status edit-contact", 15000);
  EXPECT_TRUE(Has(down, "501")) << carol.Transcript();

  ASSERT_EQ(testing::PgAdmin("ALTER ROLE " + role_ + " LOGIN"), "");
  // Back: the next store call reconnects — the unknown contact is now
  // judged (305, SG-CONT-*), not 501.
  carol.Write("add nobody@live.cn\n");
  EXPECT_TRUE(Has(carol.WaitPrefix("status edit-contact", 15000), "305")) << carol.Transcript();
  carol.Write("logout\n");
  carol.CloseStdin();
  EXPECT_EQ(carol.Wait(), 1) << carol.Transcript();  // 1: one command was refused (the 501)
  // DP lists the SG again once its heartbeats reach the database, and the
  // front's first store call after the outage (a registration) succeeds.
  bool listed = false;
  for (int i = 0; i < 40 && !listed; ++i) {
    listed = SgOf(dev) == sg;
    if (!listed) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(listed);
  auto again = RunCli(ClientLine("dave", "dev-after") + "--accept-privacy --auto-captcha --captcha-file '" +
                      (dir_ / "dave.png").string() + "' register dave@live.cn");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

}  // namespace
}  // namespace mcpsim
