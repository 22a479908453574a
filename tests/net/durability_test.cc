// Durability (issue 8): an offline message acknowledged to its sender (AOM)
// is never lost, even if the server is killed with SIGKILL right after the
// acknowledgement and restarted on the same database. The store commits the
// ROM (WAL, synchronous=FULL; see reference/store/sqlite.h) before the AOM
// leaves, so the restarted server must deliver every acknowledged message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "tests/cli/run_cli.h"
#include "tests/net/child_process.h"

namespace mcpsim {
namespace {

using mcpsim::testing::Child;
using mcpsim::testing::RunCli;

TEST(Durability, AcknowledgedOfflineMessagesSurviveKill9) {
  const auto dir = std::filesystem::temp_directory_path() / ("mcpsim-durable-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "serve.yaml") << "rs:\n  password_cost: minimal\n";
  const std::vector<std::string> serve_args = {"serve", "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--http",
                                               "127.0.0.1:0", "--db", (dir / "server.db").string(), "--config",
                                               (dir / "serve.yaml").string()};
  auto client = [&](const std::string& dp, const std::string& user) {
    return "client --dp " + dp + " --cache '" + (dir / (user + ".db")).string() + "' --captcha-file '" +
           (dir / (user + ".png")).string() + "' --password pw-" + user + "-1 --timeout-ms 15000 ";
  };
  constexpr int kMessages = 30;
  std::set<std::string> acked;
  {
    Child serve(serve_args);
    auto l = serve.Listeners(3);
    ASSERT_EQ(l.size(), 3u);
    for (const char* user : {"alice", "bob"}) {
      auto r = RunCli(client(l["http"], user) + "--accept-privacy register " + user + "@live.cn --auto-captcha");
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    Child alice({"client", "--dp", l["http"], "--cache", (dir / "alice.db").string(), "--password", "pw-alice-1",
                 "--timeout-ms", "15000", "-i"});
    std::string script = "login alice@live.cn\nadd bob@live.cn\n";
    for (int i = 0; i < kMessages; ++i) script += "offline bob@live.cn message " + std::to_string(i) + "\n";
    ASSERT_TRUE(alice.Write(script));
    for (int i = 0; i < kMessages; ++i) {
      const std::string ack = alice.WaitPrefix("ok offline bob@live.cn id=");
      ASSERT_NE(ack, "") << alice.Transcript();
      acked.insert("message " + std::to_string(i));
    }
    serve.Signal(SIGKILL);  // right after the last AOM reached the sender
    EXPECT_EQ(serve.Wait(), 128 + SIGKILL);
  }
  ASSERT_EQ(acked.size(), static_cast<std::size_t>(kMessages));

  Child serve(serve_args);  // same database, new ports
  auto l = serve.Listeners(3);
  ASSERT_EQ(l.size(), 3u);
  auto r = RunCli(client(l["http"], "bob") + "--linger-ms 2000 login bob@live.cn");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::set<std::string> delivered;
  std::size_t lines = 0;
  for (std::size_t at = r.out.find("event offline-message "); at != std::string::npos;
       at = r.out.find("event offline-message ", at + 1)) {
    const std::size_t t = r.out.find(" text=", at), end = r.out.find('\n', at);
    ASSERT_LT(t, end);
    delivered.insert(r.out.substr(t + 6, end - t - 6));
    ++lines;
  }
  EXPECT_EQ(delivered, acked) << r.out;
  EXPECT_EQ(lines, acked.size()) << "each message shown once (SG-OFF-6)\n" << r.out;
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mcpsim
