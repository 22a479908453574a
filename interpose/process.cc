#include "interpose/process.h"

#include <arpa/inet.h>
#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

extern char** environ;

namespace mcpsim::interpose {

namespace fs = std::filesystem;

Result<std::string> FindPreload() {
  if (const char* v = std::getenv("MCPSIM_INTERPOSE_LIB"); v && *v) {
    if (fs::exists(v)) return std::string(v);
    return Status::Error("INTERPOSE-1", std::string("MCPSIM_INTERPOSE_LIB names a missing file: ") + v);
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path dir = exe.parent_path();
    for (const fs::path& p : {dir / "libmcpsim_interpose.so", dir / ".." / "interpose" / "libmcpsim_interpose.so",
                              dir / ".." / "lib" / "mcpsim" / "libmcpsim_interpose.so"}) {
      if (fs::exists(p, ec)) return fs::canonical(p, ec).string();
    }
  }
  return Status::Error("INTERPOSE-1",
                       "libmcpsim_interpose.so not found next to the mcpsim binary (set MCPSIM_INTERPOSE_LIB)");
}

Status CheckProgram(const std::string& command) {
  std::istringstream in(command);
  std::string prog;
  in >> prog;
  while (!prog.empty() && prog.find('=') != std::string::npos && prog.find('/') == std::string::npos) in >> prog;
  if (prog.empty()) return Status::Error("INTERPOSE-2", "empty command");
  fs::path path = prog;
  std::error_code ec;
  if (prog.find('/') == std::string::npos) {
    const char* env_path = std::getenv("PATH");
    std::istringstream dirs(env_path ? env_path : "/usr/bin:/bin");
    std::string d;
    path.clear();
    while (std::getline(dirs, d, ':')) {
      if (fs::exists(fs::path(d) / prog, ec)) {
        path = fs::path(d) / prog;
        break;
      }
    }
    if (path.empty()) return Status();  // the shell will say it is not found
  }
  std::ifstream f(path, std::ios::binary);
  Elf64_Ehdr eh{};
  if (!f.read(reinterpret_cast<char*>(&eh), sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64) {
    return Status();  // a script: its interpreter is dynamically linked or refused at run time
  }
  for (int i = 0; i < eh.e_phnum && i < 256; ++i) {
    Elf64_Phdr ph{};
    f.seekg(static_cast<std::streamoff>(eh.e_phoff + static_cast<std::uint64_t>(i) * eh.e_phentsize));
    if (!f.read(reinterpret_cast<char*>(&ph), sizeof ph)) break;
    if (ph.p_type == PT_INTERP) return Status();
  }
  return Status::Error("INTERPOSE-2", path.string() +
                                          " is statically linked: LD_PRELOAD cannot interpose its calls (only "
                                          "dynamically linked targets run on virtual time)");
}

Process::Process(Env& env, ProcessOptions options) : env_(env), o_(std::move(options)) {}

void Process::Abandon() {
  env_gone_ = true;
  Fail("abandoned (the simulation ended)");
}

Process::~Process() {
  if (!env_gone_) {
    if (pending_.active && pending_.timer) env_.CancelTimer(pending_.timer);
    for (auto& [fd, s] : socks_) {
      if (s.kind == 1 && s.port) env_.CloseDatagram(s.port);
      if (s.kind == 3) CloseStream(s);
      if (s.kind == 5 && s.timer) env_.CancelTimer(s.timer);
    }
  }
  *alive_ = false;
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  if (chan_ >= 0) ::close(chan_);
  if (out_ >= 0) ::close(out_);
  if (page_) ::munmap(page_, kPageFds);
}

std::string Process::ReadStdout() {
  if (out_ >= 0) DrainStdout();
  return std::exchange(stdout_, {});
}

Status Process::Start() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Status::Error("INTERPOSE-3", std::string("socketpair: ") + std::strerror(errno));
  }
  // Everything the child needs, built before fork.
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("LD_PRELOAD=", 0) == 0 || kv.rfind(std::string(kFdEnv) + "=", 0) == 0 ||
        kv.rfind("MCPSIM_INTERPOSE_NETNS=", 0) == 0 || kv.rfind("MCPSIM_INTERPOSE_SKIP_FILTER=", 0) == 0) {
      continue;
    }
    envs.push_back(kv);
  }
  envs.push_back("LD_PRELOAD=" + o_.preload);
  envs.push_back(std::string(kFdEnv) + "=" + std::to_string(sv[1]));
  // The readiness page (wire.h): shared with the child, rewritten before each reply.
  const int page_fd = static_cast<int>(::memfd_create("mcpsim-interpose-page", MFD_CLOEXEC));
  if (page_fd >= 0 && ::ftruncate(page_fd, kPageFds) == 0) {
    void* m = ::mmap(nullptr, kPageFds, PROT_READ | PROT_WRITE, MAP_SHARED, page_fd, 0);
    if (m != MAP_FAILED) {
      page_ = static_cast<std::uint8_t*>(m);
      envs.push_back(std::string(kPageEnv) + "=" + std::to_string(page_fd));
    }
  }
  // The shell that execs the target installs no seccomp filter (it would
  // outlive the exec); the variable is consumed there (shim_seccomp.cc).
  envs.push_back("MCPSIM_INTERPOSE_SKIP_FILTER=1");
  std::vector<std::string> envs_iso = envs;
  envs_iso.push_back("MCPSIM_INTERPOSE_NETNS=1");
  auto ptrs = [](std::vector<std::string>& v) {
    std::vector<char*> p;
    for (auto& s : v) p.push_back(s.data());
    p.push_back(nullptr);
    return p;
  };
  std::vector<char*> envp = ptrs(envs), envp_iso = ptrs(envs_iso);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = "exec " + o_.command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  const bool isolate = o_.isolate_network;
  const int child_end = sv[1];
  int outp[2] = {-1, -1};
  if (o_.capture_stdout && ::pipe2(outp, O_CLOEXEC) != 0) {
    ::close(sv[0]), ::close(sv[1]);
    return Status::Error("INTERPOSE-3", std::string("pipe: ") + std::strerror(errno));
  }
  const int out_w = outp[1];

  const pid_t pid = ::fork();
  if (pid < 0) {
    if (page_fd >= 0) ::close(page_fd);
    ::close(sv[0]), ::close(sv[1]);
    return Status::Error("INTERPOSE-3", std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ::fcntl(child_end, F_SETFD, 0);
    if (page_fd >= 0) ::fcntl(page_fd, F_SETFD, 0);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(out_w >= 0 ? out_w : 2, 1);
    bool iso = isolate && ::unshare(CLONE_NEWNET) == 0;
    ::execve(argv[0], argv, iso ? envp_iso.data() : envp.data());
    ::_exit(127);
  }
  ::close(sv[1]);
  if (page_fd >= 0) ::close(page_fd);  // (the mapping stays)
  if (outp[1] >= 0) ::close(outp[1]);
  out_ = outp[0];
  if (out_ >= 0) ::fcntl(out_, F_SETFL, O_NONBLOCK);
  pid_ = pid;
  chan_ = sv[0];
  in_pump_ = false;
  Pump();
  if (!failure_.empty()) return Status::Error("INTERPOSE-4", "target: " + failure_);
  return Status();
}

std::string Process::Reap() {
  if (pid_ <= 0) return "not running";
  int st = 0;
  pid_t r = 0;
  for (int i = 0; i < 200 && (r = ::waitpid(pid_, &st, WNOHANG)) == 0; ++i) ::usleep(10000);
  if (r == 0) {
    ::kill(pid_, SIGKILL);
    r = ::waitpid(pid_, &st, 0);
    pid_ = -1;
    return "closed its channel and did not exit within 2 s (killed)";
  }
  pid_ = -1;
  if (r < 0) return "vanished";
  if (WIFEXITED(st)) return "exited with status " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(st));
  return "stopped";
}

void Process::Fail(const std::string& why) {
  if (!failure_.empty()) return;
  failure_ = why;
  spdlog::warn("interpose: target {}", why);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }
  if (pending_.active && pending_.timer && !env_gone_) env_.CancelTimer(pending_.timer);
  pending_.active = false;
}

void Process::DrainStdout() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {  // the target closed its stdout
      ::close(out_);
      out_ = -1;
      break;
    }
    if (n < 0) break;
    // What it prints beyond 1 MiB between two ReadStdout() calls is dropped
    // (the pipe is drained so that a chatty target never blocks on stdout).
    if (stdout_.size() < (1u << 20)) stdout_.append(buf, static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < sizeof buf) break;
  }
}

bool Process::ReadRequest(Request& r, std::vector<std::uint8_t>& p) {
  // One request at a time (wire.h): header and payload usually arrive in one
  // read. Waiting polls the channel (and the captured stdout, drained so the
  // target never blocks on it) for at most hang_ms of wall time.
  const auto t0 = std::chrono::steady_clock::now();
  if (rx_.size() < sizeof(Request) + kMaxPayload) rx_.resize(sizeof(Request) + kMaxPayload);
  std::size_t have = 0, want = sizeof(Request);
  bool header = false;
  while (have < want) {
    pollfd pf[2] = {{chan_, POLLIN, 0}, {out_, POLLIN, 0}};
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    const int left = std::max<int>(0, o_.hang_ms - static_cast<int>(waited.count()));
    const int k = ::poll(pf, out_ >= 0 ? 2 : 1, left);
    if (k < 0 && errno == EINTR) continue;
    if (k == 0) {
      Fail("made no interposed call within " + std::to_string(o_.hang_ms) + " ms of wall time (hung, busy, or its "
           "calls bypass libc)");
      return false;
    }
    if (out_ >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) DrainStdout();
    if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const ssize_t got = ::recv(chan_, rx_.data() + have, rx_.size() - have, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got == 0 || (got < 0 && have == 0)) {
      Fail(Reap());
      return false;
    }
    if (got < 0) {
      Fail("violated the channel protocol (short request)");
      return false;
    }
    have += static_cast<std::size_t>(got);
    if (!header && have >= sizeof(Request)) {
      header = true;
      std::memcpy(&r, rx_.data(), sizeof r);
      if (r.len > kMaxPayload) {
        Fail("violated the channel protocol (payload of " + std::to_string(r.len) + " bytes)");
        return false;
      }
      want = sizeof(Request) + r.len;
    }
  }
  if (have > want) {
    Fail("violated the channel protocol (a second request before the answer)");
    return false;
  }
  p.assign(rx_.begin() + sizeof(Request), rx_.begin() + static_cast<std::ptrdiff_t>(want));
  stats_.wall_wait_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stats_.local += r.local;
  ++stats_.by_op[std::min<std::uint32_t>(r.op, 63)];
  return true;
}

bool Process::WriteAnswer(const Answer& a) {
  Reply rp = a.reply;
  rp.len = static_cast<std::uint32_t>(a.payload.size());
  rp.now_us = env_.Now();
  UpdatePage();
  std::vector<std::uint8_t> buf(sizeof rp + a.payload.size());
  std::memcpy(buf.data(), &rp, sizeof rp);
  if (!a.payload.empty()) std::memcpy(buf.data() + sizeof rp, a.payload.data(), a.payload.size());
  std::size_t off = 0;
  while (off < buf.size()) {
    ssize_t w = ::send(chan_, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      Fail(Reap());
      return false;
    }
    off += static_cast<std::size_t>(w);
  }
  return true;
}

void Process::Pump() {
  if (in_pump_) return;
  in_pump_ = true;
  while (failure_.empty() && pid_ > 0) {
    Request r{};
    std::vector<std::uint8_t> p;
    if (!ReadRequest(r, p)) break;
    ++stats_.calls;
    if (env_.Now() != instant_) instant_ = env_.Now(), calls_at_instant_ = 0, spins_at_instant_ = 0;
    if (++calls_at_instant_ > o_.busy_limit) {
      Fail("made " + std::to_string(o_.busy_limit) + " calls without letting virtual time pass (busy loop)");
      break;
    }
    TimeUs deadline = kNever;
    auto ans = Handle(r, p, true, deadline);
    if (!failure_.empty()) break;
    if (!ans) {
      ++stats_.waits;
      pending_.active = true;
      pending_.req = r;
      pending_.payload = std::move(p);
      pending_.deadline = deadline;
      pending_.timer = 0;
      if (deadline != kNever) {
        pending_.timer = env_.StartTimer(deadline, [this] {
          pending_.timer = 0;
          Retry();
        });
      }
      break;
    }
    if (!WriteAnswer(*ans)) break;
  }
  in_pump_ = false;
}

void Process::Retry() {
  if (!pending_.active || !failure_.empty() || in_pump_) return;
  TimeUs deadline = pending_.deadline;
  auto ans = Handle(pending_.req, pending_.payload, false, deadline);
  if (!failure_.empty()) return;
  if (!ans) return;
  if (pending_.timer) env_.CancelTimer(pending_.timer);
  pending_ = Pending{};
  if (WriteAnswer(*ans)) Pump();
}

std::vector<std::uint16_t> Process::udp_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& [fd, s] : socks_) {
    if (s.kind == 1 && s.port) out.push_back(s.port);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mcpsim::interpose
