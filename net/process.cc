#include "net/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace mcpsim::net {
namespace {

std::int64_t MonoMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::int64_t UnixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> ResolveHost(const std::string& host) {
  if (host == "localhost") return std::string("127.0.0.1");
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1) return host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return Status::Error("NET-1", "cannot resolve host name '" + host + "'");
  }
  std::string out;
  for (addrinfo* a = res; a != nullptr && out.empty(); a = a->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (a->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, buf, sizeof buf);
      out = buf;
    }
  }
  for (addrinfo* a = res; a != nullptr && out.empty(); a = a->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (a->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, buf, sizeof buf);
      out = buf;
    }
  }
  freeaddrinfo(res);
  if (out.empty()) return Status::Error("NET-1", "no address for host name '" + host + "'");
  return out;
}

Result<std::unique_ptr<Child>> Child::Start(const std::string& cmd, ChildOptions o) {
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0) return Status::Error("NET-10", std::string("pipe: ") + std::strerror(errno));
  if (o.pipe_stdout && pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return Status::Error("NET-10", std::string("pipe: ") + std::strerror(errno));
  }
  const std::string script = "exec " + cmd;
  const pid_t pid = fork();
  if (pid < 0) return Status::Error("NET-10", std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(in[0], 0);
    if (o.pipe_stdout) {
      dup2(out[1], 1);
    } else if (!o.stdout_path.empty()) {
      const int f = open(o.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (f >= 0) dup2(f, 1);
    }
    if (!o.stderr_path.empty()) {
      const int f = open(o.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (f >= 0) dup2(f, 2);
    }
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  if (o.pipe_stdout) close(out[1]);
  auto c = std::unique_ptr<Child>(new Child());
  c->pid_ = pid;
  c->out_fd_ = o.pipe_stdout ? out[0] : -1;
  signal(SIGPIPE, SIG_IGN);
  if (!o.stdin_text.empty()) (void)!write(in[1], o.stdin_text.data(), o.stdin_text.size());
  close(in[1]);
  return c;
}

std::string Child::ReadStdout(int wait_ms, const std::function<bool(const std::string&)>& seen, int quiet_ms) {
  const std::int64_t deadline = MonoMs() + wait_ms;
  bool matched = seen && seen(out_text_);
  while (out_fd_ >= 0) {
    const std::int64_t left = deadline - MonoMs();
    if (left <= 0) break;
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(matched ? std::min<std::int64_t>(left, quiet_ms) : left)) <= 0) break;
    char buf[1024];
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) break;  // EOF: the child closed stdout (or exited)
    out_text_.append(buf, static_cast<std::size_t>(n));
    matched = seen && seen(out_text_);
  }
  return out_text_;
}

bool Child::Exited() {
  if (pid_ <= 0) return true;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) != pid_) return false;
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  pid_ = -1;
  return true;
}

namespace {
int StatusOf(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0); }
}  // namespace

int Child::Wait() {
  if (pid_ > 0) {
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    status_ = StatusOf(st);
    pid_ = -1;
  }
  return status_;
}

std::size_t Child::WaitAny(const std::vector<Child*>& children) {
  for (;;) {
    for (std::size_t i = 0; i < children.size(); ++i) {
      if (children[i]->Exited()) return i;
    }
    int st = 0;
    const pid_t pid = waitpid(-1, &st, 0);
    if (pid < 0 && errno != EINTR) return 0;
    for (std::size_t i = 0; i < children.size(); ++i) {
      if (children[i]->pid_ == pid) {
        children[i]->status_ = StatusOf(st);
        children[i]->pid_ = -1;
        return i;
      }
    }
  }
}

void Child::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && !Exited(); ++i) usleep(20000);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int st = 0;
      waitpid(pid_, &st, 0);
      status_ = 128 + SIGKILL;
      pid_ = -1;
    }
  }
  if (out_fd_ >= 0) close(out_fd_);
  out_fd_ = -1;
}

Child::~Child() { Stop(); }

}  // namespace mcpsim::net
