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

namespace mcpsim {
namespace {

using mcpsim::testing::RunCli;

class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      std::string bin = MCPSIM_BIN;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
  }
  ~ServeProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }
  // Reads `listening <scheme>://<host:port> <roles>` lines until `n` arrived.
  std::map<std::string, std::string> Listeners(std::size_t n) {
    std::map<std::string, std::string> m;
    std::string buf;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (m.size() < n && std::chrono::steady_clock::now() < end) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char chunk[512];
      const ssize_t r = read(out_, chunk, sizeof chunk);
      if (r <= 0) break;
      buf.append(chunk, static_cast<std::size_t>(r));
      std::size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        const std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (line.rfind("listening ", 0) != 0) continue;
        const std::string uri = line.substr(10, line.find(' ', 10) - 10);
        m[uri.substr(0, uri.find(':'))] = uri;
      }
    }
    return m;
  }
  // SIGTERM, then the exit code (or -1 if it did not exit within 10 s).
  int Terminate() {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 1000; ++i) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool reaped_ = false;
};

TEST(ServeCli, ClientCommandsAgainstServeProcess) {
  const auto dir = std::filesystem::temp_directory_path() / ("mcpsim-serve-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "server.db").string();
  const std::string cfg = (dir / "serve.yaml").string();
  {
    std::ofstream f(cfg);
    f << "rs:\n  password_cost: minimal\n";
  }
  ServeProcess serve({"serve", "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--db", db,
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
  EXPECT_EQ(serve.Terminate(), 0);
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
