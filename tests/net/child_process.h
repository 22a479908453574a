// Test helper: the mcpsim binary (MCPSIM_BIN) as a child process with pipes
// on stdin and stdout (stderr goes to a file next to nothing: /dev/null unless
// asked), read line by line with wall-clock bounds so no test can hang.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace mcpsim::testing {

class Child {
 public:
  // Starts `MCPSIM_BIN args…`; stderr is appended to `stderr_file` if given.
  explicit Child(const std::vector<std::string>& args, const std::string& stderr_file = "/dev/null") {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      const int err = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (err >= 0) dup2(err, 2);
      for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
      std::vector<char*> argv;
      std::string bin = MCPSIM_BIN;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    in_ = in[1];
    out_ = out[0];
    signal(SIGPIPE, SIG_IGN);
  }
  ~Child() {
    CloseStdin();
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool Write(const std::string& s) {
    return in_ >= 0 && write(in_, s.data(), s.size()) == static_cast<ssize_t>(s.size());
  }
  void CloseStdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }
  // Reads lines until one satisfies `match` (returned) or `ms` pass ("" then).
  std::string WaitLine(const std::function<bool(const std::string&)>& match, int ms = 15000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      while (next_ < lines_.size()) {
        if (match(lines_[next_])) return lines_[next_++];
        ++next_;
      }
      if (eof_ || std::chrono::steady_clock::now() > end) return "";
      ReadSome(100);
    }
  }
  // The next line starting with `prefix` (after the lines already matched).
  std::string WaitPrefix(const std::string& prefix, int ms = 15000) {
    return WaitLine([&](const std::string& l) { return l.rfind(prefix, 0) == 0; }, ms);
  }
  // Every line read so far.
  const std::vector<std::string>& lines() const { return lines_; }
  std::string Transcript() const {
    std::string s;
    for (const auto& l : lines_) s += l + "\n";
    return s;
  }
  void Signal(int sig) { kill(pid_, sig); }
  // The exit code (128+signal if killed), or -1 if it did not end within `ms`.
  int Wait(int ms = 15000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      ReadSome(0);
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        reaped_ = true;
        while (ReadSome(0)) {
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  // `listening <scheme>://<host:port> <roles>` lines of `mcpsim serve`: scheme -> URI.
  std::map<std::string, std::string> Listeners(std::size_t n) {
    std::map<std::string, std::string> m;
    while (m.size() < n) {
      const std::string line = WaitPrefix("listening ");
      if (line.empty()) break;
      const std::string uri = line.substr(10, line.find(' ', 10) - 10);
      m[uri.substr(0, uri.find(':'))] = uri;
    }
    return m;
  }

 private:
  // Reads what is available within `ms`; false on EOF or nothing read.
  bool ReadSome(int ms) {
    if (out_ < 0 || eof_) return false;
    pollfd p{out_, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return false;
    char chunk[4096];
    const ssize_t r = read(out_, chunk, sizeof chunk);
    if (r <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(chunk, static_cast<std::size_t>(r));
    std::size_t nl;
    while ((nl = buf_.find('\n')) != std::string::npos) {
      lines_.push_back(buf_.substr(0, nl));
      buf_.erase(0, nl + 1);
    }
    return true;
  }

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  bool reaped_ = false, eof_ = false;
  std::string buf_;
  std::vector<std::string> lines_;
  std::size_t next_ = 0;
};

}  // namespace mcpsim::testing
