#include "interpose/process.h"

#include <arpa/inet.h>
#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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
    }
  }
  *alive_ = false;
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  if (chan_ >= 0) ::close(chan_);
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
        kv.rfind("MCPSIM_INTERPOSE_NETNS=", 0) == 0) {
      continue;
    }
    envs.push_back(kv);
  }
  envs.push_back("LD_PRELOAD=" + o_.preload);
  envs.push_back(std::string(kFdEnv) + "=" + std::to_string(sv[1]));
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

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]), ::close(sv[1]);
    return Status::Error("INTERPOSE-3", std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ::fcntl(child_end, F_SETFD, 0);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(2, 1);
    bool iso = isolate && ::unshare(CLONE_NEWNET) == 0;
    ::execve(argv[0], argv, iso ? envp_iso.data() : envp.data());
    ::_exit(127);
  }
  ::close(sv[1]);
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

bool Process::ReadRequest(Request& r, std::vector<std::uint8_t>& p) {
  auto read_all = [&](void* buf, std::size_t n) -> int {  // 1 ok, 0 eof, -1 hang/error
    auto* c = static_cast<std::uint8_t*>(buf);
    while (n > 0) {
      pollfd pf{chan_, POLLIN, 0};
      int k = ::poll(&pf, 1, o_.hang_ms);
      if (k < 0 && errno == EINTR) continue;
      if (k == 0) return -1;
      ssize_t got = ::read(chan_, c, n);
      if (got < 0 && errno == EINTR) continue;
      if (got == 0) return 0;
      if (got < 0) return -1;
      c += got, n -= static_cast<std::size_t>(got);
    }
    return 1;
  };
  int k = read_all(&r, sizeof r);
  if (k == 0) {
    Fail(Reap());
    return false;
  }
  if (k < 0) {
    Fail("made no interposed call within " + std::to_string(o_.hang_ms) + " ms of wall time (hung, busy, or its "
         "calls bypass libc)");
    return false;
  }
  if (r.len > kMaxPayload) {
    Fail("violated the channel protocol (payload of " + std::to_string(r.len) + " bytes)");
    return false;
  }
  p.resize(r.len);
  if (r.len && read_all(p.data(), r.len) != 1) {
    Fail("violated the channel protocol (short payload)");
    return false;
  }
  return true;
}

bool Process::WriteAnswer(const Answer& a) {
  Reply rp = a.reply;
  rp.len = static_cast<std::uint32_t>(a.payload.size());
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
