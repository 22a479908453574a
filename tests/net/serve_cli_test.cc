// `mcpsim serve` as a process (port 0 everywhere), driven by `mcpsim client`
// commands; SIGTERM must end it with exit 0 and the account on disk.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <fstream>
#include <thread>

#include "reference/store/store.h"
#include "tests/cli/run_cli.h"
#include "tests/net/child_process.h"

namespace mcpsim {
namespace {

using mcpsim::testing::Child;
using mcpsim::testing::RunCli;

TEST(ServeCli, ClientCommandsAgainstServeProcess) {
  const auto dir = std::filesystem::temp_directory_path() / ("mcpsim-serve-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "server.db").string();
  const std::string cfg = (dir / "serve.yaml").string();
  {
    std::ofstream f(cfg);
    f << "rs:\n  password_cost: minimal\n";
  }
  Child serve({"serve", "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--db", db,
                      "--config", cfg, "--seed", "5"});
  auto l = serve.Listeners(3);
  ASSERT_EQ(l.size(), 3u);
  ASSERT_TRUE(l.count("http"));
  const std::string client = "client --dp " + l["http"] + " --cache '" + (dir / "client.db").string() +
                             "' --captcha-file '" + (dir / "cap.png").string() + "' ";

  auto r = RunCli(client + "dispatch");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("ok dispatch update=none sg=" + l["tcp"] + ",", 0), 0u) << r.out;  // SG hosted
  EXPECT_NE(r.out.find(" rs=" + l["tcp"] + ","), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cs=" + l["udp"]), std::string::npos) << r.out;

  r = RunCli(client + "register bob@live.cn --password secret-1 --auto-captcha");
  EXPECT_EQ(r.exit_code, 1) << r.out;  // PRIV-1: not accepted yet
  EXPECT_NE(r.out.find("refused captcha"), std::string::npos) << r.out;

  r = RunCli(client + "--accept-privacy captcha");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok captcha " + (dir / "cap.png").string()), std::string::npos) << r.out;
  // Register in a new process: the RS session and captcha id come from the cache.
  r = RunCli(client + "register bob@live.cn --password secret-1 --auto-captcha");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok register bob@live.cn"), std::string::npos) << r.out;

  r = RunCli(client + "upload launch 'hello world'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok upload"), std::string::npos) << r.out;

  r = RunCli(client + "--interactive", "ad top\nupload click x=1\nbogus\n");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // `bogus` is an error
  EXPECT_NE(r.out.find("ok ad id=ad-1 image=" + l["http"] + "/media/banner-1"), std::string::npos) << r.out;
  const std::size_t img = r.out.find("image=");
  ASSERT_NE(img, std::string::npos);
  const std::string url = r.out.substr(img + 6, r.out.find(' ', img) - img - 6);
  r = RunCli(client + "media " + url);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("ok media image/png ", 0), 0u) << r.out;

  EXPECT_EQ(RunCli("serve --roles dp,xx --http 127.0.0.1:0").exit_code, 2);
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(10000), 0);
  auto store = reference::OpenSqliteStore(db);
  ASSERT_TRUE(store.ok());
  auto acct = (*store)->GetAccount("bob@live.cn");
  ASSERT_TRUE(acct.ok());
  EXPECT_TRUE(acct->has_value());
  EXPECT_EQ(*(*store)->CountUploads(), 2u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mcpsim
