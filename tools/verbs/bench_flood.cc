// `mcpsim bench flood`: what a legitimate user sees while an attacker floods
// `mcpsim serve` (issue 15's reproductions). Spawns this binary's `serve` on
// loopback with a SQLite file and the default Argon2id cost and limits,
// provisions accounts straight into the store, then for each attack runs the
// attacker (from 127.0.0.1, on its own thread) and a legitimate client (from
// 127.0.0.2) side by side. The legitimate client loops DP GET (HTTP), RAT
// (UDP, a fresh port per login; eight accounts in turn) and RUP (UDP), each
// with a 2 s deadline (UDP requests resent after 1000 ms, TIMER-1), and prints
// per attack
//   flood.<attack>.legit_p99_ms: N        (p99 latency of its operations)
//   flood.<attack>.legit_failures: N      (wrong answer or no answer in 2 s)
//   flood.<attack>.legit_ops: N
//   flood.<attack>.legit_{get,rat,rup}_p99_ms / _failures: N  (per operation)
//   flood.<attack>.rss_growth_mb: N       (server RSS above its idle figure, peak)
//   flood.<attack>.attack_sent: N         (requests or connections the attacker sent)
//   flood.<attack>.server_loop_cpu_s / server_workers_cpu_s: N  (CPU the server's
//       event-loop thread / its hashing threads used during the phase)
//   flood.<attack>.bench_cpu_s: N         (CPU of this process in the phase: the
//       attacker's threads, the legitimate client and the RSS sampler)
// plus `flood.none.*` without an attack, `flood.server.idle_rss_mb` and the
// host's 1-minute load average before and after (`flood.host.loadavg_*`: the
// figures are wall-clock latencies on a possibly shared machine). Every attack
// is bounded in count and time; loopback only. Nothing asserted (exit 0); 2 on
// bad arguments, 3 when the server cannot be started.
//
// The attacker runs on the server's machine here, which a real attacker does
// not: `--attacker-nice N` runs its threads at nice N (the legitimate client
// and the server keep nice 0); the CPU figures show who used the cores.
// rap-flood is paced (`--rap-rate`, default 2000 RAPs/s, 4x the issue's
// 450/s) so that it covers the whole phase at a known rate: unpaced, how
// long it lasts depends on how much CPU this process gets, and the phase
// measures partly without an attack.
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "reference/crypto/password.h"
#include "reference/store/store.h"
#include "tools/verb.h"
#include "tools/verbs/bench_flood.h"

namespace mcpsim::cli {
using namespace flood;
namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// ---- the server under test ----

struct Served : FloodAddrs {
  pid_t pid = -1;
  ~Served() { Stop(); }
  void Stop() {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 150 && waitpid(pid, &st, WNOHANG) != pid; ++i) usleep(20000);
    if (waitpid(pid, &st, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
    }
    pid = -1;
  }
  // CPU seconds (user + system) of the server's main thread (its event loop)
  // and of its other threads (the hashing pool), from /proc.
  std::pair<double, double> CpuS() const {
    std::pair<double, double> out{0, 0};
    const long hz = sysconf(_SC_CLK_TCK);
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
      std::ifstream f(e.path() / "stat");
      std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      const auto close = text.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(text.substr(close + 2));  // field 3 onwards
      std::string field;
      unsigned long long utime = 0, stime = 0;
      for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
      }
      const double cpu = static_cast<double>(utime + stime) / static_cast<double>(hz > 0 ? hz : 100);
      (e.path().filename() == std::to_string(pid) ? out.first : out.second) += cpu;
    }
    return out;
  }
  // VmRSS in MiB (0 if unknown).
  double RssMb() const {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
    }
    return 0;
  }
};

bool StartServer(Served& s, const std::string& db, const std::vector<std::string>& extra) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  std::vector<std::string> args = {"mcpsim", "serve", "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0",
                                   "--http", "127.0.0.1:0", "--db", db, "--seed", "1", "--log-level", "warn"};
  for (const std::string& e : extra) args.push_back(e);
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    dup2(fds[1], 1);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(fds[1]);
  s.pid = pid;
  std::string text;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  int found = 0;
  while (found < 3 && WaitFd(fds[0], POLLIN, deadline)) {
    char buf[512];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    found = 0;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      char scheme[16] = {0};
      unsigned a = 0, b = 0, c = 0, d = 0, port = 0;
      if (std::sscanf(line.c_str(), "listening %15[a-z]://%u.%u.%u.%u:%u", scheme, &a, &b, &c, &d, &port) != 6) continue;
      const sockaddr_in ep = Addr("127.0.0.1", static_cast<std::uint16_t>(port));
      if (!std::strcmp(scheme, "udp")) s.udp = ep, ++found;
      if (!std::strcmp(scheme, "tcp")) s.tcp = ep, ++found;
      if (!std::strcmp(scheme, "http")) s.http = ep, ++found;
    }
  }
  close(fds[0]);
  return found == 3;
}

// ---- the legitimate client (127.0.0.2) ----

constexpr const char* kLegitIp = "127.0.0.2";
constexpr const char* kMid = "58d05d6affef8ab9dd5a8be7afdf1c83";

// Sends `req` on a fresh connection and reads until the server closes.
std::string HttpExchange(const sockaddr_in& to, const std::string& req, Clock::time_point deadline) {
  const int fd = Bound(SOCK_STREAM, kLegitIp);
  if (fd < 0) return {};
  std::string out;
  fcntl(fd, F_SETFL, O_NONBLOCK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS) {
    close(fd);
    return {};
  }
  if (WaitFd(fd, POLLOUT, deadline) && send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
    char buf[4096];
    while (WaitFd(fd, POLLIN, deadline)) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  return out;
}

// One request datagram, one answer datagram (matched by its first line's
// start). Like an MC it resends the request byte-identically after 1000 ms
// without an answer (TIMER-1, TIMER-2, TIMER-4), until `deadline`.
std::string UdpExchange(int fd, const sockaddr_in& to, const std::string& req, const std::string& want,
                        Clock::time_point deadline) {
  char buf[9000];
  while (Clock::now() < deadline) {
    if (sendto(fd, req.data(), req.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) return {};
    const auto resend = std::min(deadline, Clock::now() + std::chrono::milliseconds(1000));
    while (WaitFd(fd, POLLIN, resend)) {
      const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) continue;
      std::string got(buf, static_cast<std::size_t>(n));
      if (got.rfind(want, 0) == 0) return got;
    }
  }
  return {};
}

double P99(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(static_cast<double>(v.size()) * 0.99))];
}

// Latencies of the successful operations, overall and per kind (get, rat, rup).
struct LegitStats {
  struct Sample {
    double at_ms;  // start, from the first operation of the phase
    const char* kind;
    double ms;  // -1: failed
  };
  std::vector<Sample> samples;
  std::vector<double> ms;
  std::map<std::string, std::vector<double>> by_op;
  std::map<std::string, int> failures_by_op;
  int failures = 0;
};

// Loops GET, RAT, RUP until `stop`; one cycle every `cycle`.
LegitStats RunLegit(const Served& s, const std::vector<std::string>& accounts, const std::string& password,
                    std::atomic<bool>& stop, std::chrono::milliseconds cycle) {
  LegitStats st;
  const int rup = Bound(SOCK_DGRAM, kLegitIp);
  std::uint32_t trid = 1;
  std::size_t n = 0;
  const auto start = Clock::now();
  auto timed = [&](const char* kind, const std::function<bool(Clock::time_point)>& op) {
    const auto t0 = Clock::now();
    const bool ok = op(t0 + std::chrono::seconds(2));
    st.samples.push_back({Ms(t0 - start), kind, ok ? Ms(Clock::now() - t0) : -1.0});
    if (ok) {
      st.ms.push_back(Ms(Clock::now() - t0));
      st.by_op[kind].push_back(st.ms.back());
    } else {
      ++st.failures;
      ++st.failures_by_op[kind];
    }
  };
  while (!stop) {
    const auto next = Clock::now() + cycle;
    timed("get", [&](Clock::time_point dl) {
      const std::string r = HttpExchange(
          s.http, "GET /mcp?q=RQQW%20" + std::to_string(trid++) + "%201.0.0%20s60%20dev-legit%0D%0A HTTP/1.1\r\nHost: x\r\n\r\n", dl);
      return r.rfind("HTTP/1.1 200", 0) == 0 && r.find("AQQW") != std::string::npos;
    });
    timed("rat", [&](Clock::time_point dl) {
      const int fd = Bound(SOCK_DGRAM, kLegitIp);  // a fresh endpoint: a new session each time
      const std::uint32_t t = trid++;
      const std::string r = UdpExchange(
          fd, s.udp, "RAT " + std::to_string(t) + " " + accounts[n++ % accounts.size()] + " " + password + " dev-legit 1.0.0 1\r\n",
          "AAT " + std::to_string(t) + " ", dl);
      close(fd);
      return r.rfind("AAT " + std::to_string(t) + " 0 ", 0) == 0;
    });
    timed("rup", [&](Clock::time_point dl) {
      const std::uint32_t t = trid++;
      const std::string r = UdpExchange(rup, s.udp, "RUP " + std::to_string(t) + " " + kMid + " launch 1700000000000 legit\r\n",
                                        "AUP " + std::to_string(t) + " ", dl);
      return r == "AUP " + std::to_string(t) + " 0\r\n";
    });
    std::this_thread::sleep_until(next);
  }
  close(rup);
  return st;
}

struct Args {
  std::string attacks = "rat-datagram,rat-tcp,http-connect-close,tcp-idle,slowloris,rap-flood,rup-flood";
  double seconds = 10;
  int cycle_ms = 125;
  std::vector<std::string> serve_args;
  bool none = true;
  int attacker_nice = 0;  // nice value of the attacker's threads (0..19)
  double rap_per_s = 2000;  // rap-flood's rate (0: as fast as answered)
  std::string samples;  // CSV of every legitimate operation ("" = none)
};

double SelfCpuS() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double LoadAvg1() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : -1;
}

int Run(const Args& a) {
  const std::map<std::string, Attack> attacks = {
      {"rat-datagram", RatDatagram}, {"rat-tcp", RatTcp},       {"http-connect-close", HttpConnectClose},
      {"tcp-idle", TcpIdle},         {"slowloris", Slowloris}, {"rap-flood", RapFlood},
      {"rup-flood", RupFlood}};
  std::vector<std::string> chosen;
  std::istringstream in(a.attacks);
  for (std::string name; std::getline(in, name, ',');) {
    if (name.empty()) continue;
    if (!attacks.count(name)) {
      std::fprintf(stderr, "mcpsim bench flood: unknown attack '%s'\n", name.c_str());
      return 2;
    }
    chosen.push_back(name);
  }
  if (!(a.seconds > 0 && a.seconds <= 600) || a.cycle_ms <= 0 || a.cycle_ms > 60000 || a.attacker_nice < 0 ||
      a.attacker_nice > 19 || !(a.rap_per_s >= 0 && a.rap_per_s <= 100000)) {
    std::fprintf(stderr,
                 "mcpsim bench flood: --seconds must be in (0, 600], --cycle-ms in [1, 60000], "
                 "--attacker-nice in [0, 19], --rap-rate in [0, 100000]\n");
    return 2;
  }
  // The attacks hold thousands of sockets.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("mcpsim-flood-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "flood.db").string();
  // Accounts straight into the store, hashed at the default (serve's) cost.
  const std::string password = "correcthorse1";  // no SP: sent raw in RAT
  // Eight accounts, used in turn: at the default cycle each logs in 1 time/s,
  // under rat-account (2/s), and the address's 8 RAT/s stay under rat-address.
  std::vector<std::string> legit;
  for (int i = 1; i <= 8; ++i) legit.push_back("legit" + std::to_string(i) + "@live.cn");
  {
    auto store = reference::OpenSqliteStore(db);
    if (!store.ok()) return 3;
    Rng rng(7);
    std::vector<std::string> names = legit;
    names.push_back("victim@live.cn");
    for (const std::string& name : names) {
      reference::Account acc;
      acc.name = name;
      acc.nickname = name.substr(0, name.find('@'));
      acc.password_hash = *reference::HashPassword(password, rng);
      acc.profile_version = acc.list_version = 1;
      if (!(*store)->CreateAccount(acc).ok()) return 3;
    }
  }
  std::FILE* samples = nullptr;
  if (!a.samples.empty()) {
    samples = std::fopen(a.samples.c_str(), "w");
    if (!samples) {
      std::fprintf(stderr, "mcpsim bench flood: cannot write --samples %s: %s\n", a.samples.c_str(), std::strerror(errno));
      return 2;
    }
    std::fprintf(samples, "phase,at_ms,op,ms\n");
  }
  int rc = 0;
  {
    Served s;
    s.rap_per_s = a.rap_per_s;
    if (!StartServer(s, db, a.serve_args)) {
      std::fprintf(stderr, "mcpsim bench flood: could not start `mcpsim serve`\n");
      rc = 3;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      std::vector<std::string> phases;
      if (a.none) phases.push_back("none");
      phases.insert(phases.end(), chosen.begin(), chosen.end());
      double idle_rss = s.RssMb();
      std::printf("flood.host.loadavg_before: %.2f\nflood.server.idle_rss_mb: %.1f\nflood.host.attacker_nice: %d\n"
                  "flood.host.rap_rate: %.0f\n",
                  LoadAvg1(), idle_rss, a.attacker_nice, a.rap_per_s);
      for (const std::string& phase : phases) {
        std::atomic<bool> stop{false};
        std::atomic<double> peak{s.RssMb()};
        std::uint64_t sent = 0;
        const std::pair<double, double> server_cpu0 = s.CpuS();
        const double self_cpu0 = SelfCpuS();
        std::thread attacker([&] {
          // Threads the attack starts inherit this thread's nice value.
          if (a.attacker_nice) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), a.attacker_nice);
          if (phase != "none") sent = attacks.at(phase)(s, stop);
        });
        std::thread sampler([&] {
          while (!stop) {
            peak = std::max(peak.load(), s.RssMb());
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        });
        // Let the attack start, then measure the legitimate client.
        std::this_thread::sleep_for(std::chrono::milliseconds(phase == "none" ? 0 : 300));
        std::atomic<bool> legit_stop{false};
        std::thread timer([&] {
          std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
          legit_stop = true;
        });
        const LegitStats st = RunLegit(s, legit, password, legit_stop, std::chrono::milliseconds(a.cycle_ms));
        timer.join();
        stop = true;
        attacker.join();
        sampler.join();
        const char* p = phase.c_str();
        if (samples) {
          for (const LegitStats::Sample& x : st.samples) std::fprintf(samples, "%s,%.1f,%s,%.2f\n", p, x.at_ms, x.kind, x.ms);
          std::fflush(samples);
        }
        std::printf("flood.%s.legit_p99_ms: %.1f\nflood.%s.legit_failures: %d\nflood.%s.legit_ops: %zu\n", p,
                    P99(st.ms), p, st.failures, p, st.ms.size() + static_cast<std::size_t>(st.failures));
        for (const char* kind : {"get", "rat", "rup"}) {
          const auto it = st.by_op.find(kind);
          const auto f = st.failures_by_op.find(kind);
          std::printf("flood.%s.legit_%s_p99_ms: %.1f\nflood.%s.legit_%s_failures: %d\n", p, kind,
                      it == st.by_op.end() ? 0.0 : P99(it->second), p, kind,
                      f == st.failures_by_op.end() ? 0 : f->second);
        }
        std::printf("flood.%s.rss_growth_mb: %.1f\nflood.%s.attack_sent: %llu\n", p, std::max(0.0, peak.load() - idle_rss),
                    p, static_cast<unsigned long long>(sent));
        const std::pair<double, double> server_cpu1 = s.CpuS();
        std::printf("flood.%s.server_loop_cpu_s: %.2f\nflood.%s.server_workers_cpu_s: %.2f\nflood.%s.bench_cpu_s: %.2f\n", p,
                    server_cpu1.first - server_cpu0.first, p, server_cpu1.second - server_cpu0.second, p,
                    SelfCpuS() - self_cpu0);
        std::fflush(stdout);
        if (phase == "none") idle_rss = std::max(idle_rss, s.RssMb());
        // Let the server shed the attack's leftovers (deadlines, back-off).
        std::this_thread::sleep_for(std::chrono::seconds(2));
      }
      std::printf("flood.host.loadavg_after: %.2f\n", LoadAvg1());
    }
  }
  if (samples) std::fclose(samples);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}

RegisterVerb reg{{"bench", "flood", "What a legitimate client sees while `serve` is flooded (issue 15's attacks)",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<Args>();
                    cmd.add_option("--attacks", a->attacks, "Comma-separated attacks to run")->capture_default_str();
                    cmd.add_option("--seconds", a->seconds, "Measured seconds per attack")->capture_default_str();
                    cmd.add_option("--cycle-ms", a->cycle_ms, "One legitimate GET+RAT+RUP cycle every N ms")
                        ->capture_default_str();
                    cmd.add_option("--serve-arg", a->serve_args, "Extra argument for `mcpsim serve` (repeatable)");
                    cmd.add_flag("!--no-baseline", a->none, "Skip the phase without attack (flood.none.*)");
                    cmd.add_option("--rap-rate", a->rap_per_s,
                                   "rap-flood: RAPs per second in all, paced over the phase (0 = as fast as "
                                   "answered, at most 40000)")
                        ->capture_default_str();
                    cmd.add_option("--attacker-nice", a->attacker_nice,
                                   "Run the attacker's threads at this nice value (0..19; the server and the "
                                   "legitimate client stay at 0)")
                        ->capture_default_str();
                    cmd.add_option("--samples", a->samples,
                                   "Write every legitimate operation to this CSV file (phase,at_ms,op,ms; "
                                   "ms = -1 for a failure)");
                    return [a] { return Run(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
