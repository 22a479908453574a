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
// plus `flood.none.*` without an attack, `flood.server.idle_rss_mb` and the
// host's 1-minute load average before and after (`flood.host.loadavg_*`: the
// figures are wall-clock latencies on a possibly shared machine). Every attack
// is bounded in count and time; loopback only. Nothing asserted (exit 0); 2 on
// bad arguments, 3 when the server cannot be started.
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
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

namespace mcpsim::cli {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

sockaddr_in Addr(const std::string& ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// A socket bound to `ip` (port 0); -1 on failure.
int Bound(int type, const std::string& ip) {
  const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a = Addr(ip, 0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool WaitFd(int fd, short events, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, events, 0};
  return poll(&p, 1, static_cast<int>(left)) > 0;
}

// ---- the server under test ----

struct Served {
  pid_t pid = -1;
  sockaddr_in udp{}, tcp{}, http{};
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
constexpr const char* kAttackIp = "127.0.0.1";
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
  auto timed = [&](const char* kind, const std::function<bool(Clock::time_point)>& op) {
    const auto t0 = Clock::now();
    const bool ok = op(t0 + std::chrono::seconds(2));
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

// ---- the attacks (127.0.0.1), each bounded in count and time ----

// Returns how many requests (or connections) it sent.
using Attack = std::function<std::uint64_t(const Served&, std::atomic<bool>& stop)>;

// The attacker's source addresses: 127.0.1.1, 127.0.1.2, ... (`i` from 0).
std::string AttackIp(std::size_t i) { return "127.0." + std::to_string(1 + i / 250) + "." + std::to_string(1 + i % 250); }

// Issue 15 #1: datagrams of 170 RATs with wrong passwords for one account.
std::uint64_t RatDatagram(const Served& s, std::atomic<bool>& stop) {
  const int fd = Bound(SOCK_DGRAM, kAttackIp);
  std::uint32_t t = 1;
  int k = 0;
  for (; k < 1200 && !stop; ++k) {
    std::string d;
    for (int i = 0; i < 170; ++i) d += "RAT " + std::to_string(t++) + " victim@live.cn wrongpass12 d 1.0.0 1\r\n";
    (void)sendto(fd, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&s.udp), sizeof s.udp);
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  close(fd);
  return static_cast<std::uint64_t>(k) * 170;
}

// Issue 15 #1: 300 RATs on one TCP connection, again and again.
std::uint64_t RatTcp(const Served& s, std::atomic<bool>& stop) {
  int k = 0;
  for (; k < 100 && !stop; ++k) {
    const int fd = Bound(SOCK_STREAM, kAttackIp);
    if (fd < 0) break;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&s.tcp), sizeof s.tcp) == 0) {
      std::string d;
      for (int i = 0; i < 300; ++i) d += "RAT " + std::to_string(i + 1) + " victim@live.cn wrongpass12 d 1.0.0 1\r\n";
      (void)send(fd, d.data(), d.size(), MSG_NOSIGNAL);
      const auto dl = Clock::now() + std::chrono::seconds(1);
      char buf[4096];
      while (!stop && WaitFd(fd, POLLIN, dl) && recv(fd, buf, sizeof buf, 0) > 0) {
      }
    }
    close(fd);
  }
  return static_cast<std::uint64_t>(k) * 300;
}

// Issue 15 #2: bursts of 4100 connect-and-close calls (no request), one
// burst every 2 s (the reproduction, repeated).
std::uint64_t HttpConnectClose(const Served& s, std::atomic<bool>& stop) {
  std::uint64_t sent = 0;
  for (int burst = 0; burst < 30 && !stop; ++burst) {
    const auto next = Clock::now() + std::chrono::seconds(2);
    for (int k = 0; k < 4100 && !stop; ++k) {
      const int fd = Bound(SOCK_STREAM, kAttackIp);
      if (fd < 0) break;
      (void)connect(fd, reinterpret_cast<const sockaddr*>(&s.http), sizeof s.http);
      close(fd);
      ++sent;
    }
    while (!stop && Clock::now() < next) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return sent;
}

// Holds `n` connections to `to` open, `per_address` from each attacker
// address (so both the per-address and the listener-wide caps are hit);
// `trickle` sends one byte per second on each. Every second, connections the
// server closed are reopened (at most 4 * n opens in all).
std::uint64_t HoldConnections(const sockaddr_in& to, std::size_t n, std::size_t per_address, bool trickle,
                              std::atomic<bool>& stop) {
  struct Conn {
    int fd = -1;
    std::size_t pos = 0;  // next byte of kSlow
  };
  static const std::string kSlow = "GET /mcp?q=RQQW HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  std::vector<Conn> conns(n);
  std::uint64_t opened = 0;
  const std::uint64_t max_opens = 4 * static_cast<std::uint64_t>(n);
  auto open_one = [&](std::size_t i) {
    if (opened >= max_opens) return;
    const int fd = Bound(SOCK_STREAM, AttackIp(i / per_address));
    if (fd < 0) return;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    (void)connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    conns[i] = Conn{fd, 0};
    ++opened;
  };
  for (std::size_t i = 0; i < n && !stop; ++i) open_one(i);
  while (!stop) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    for (std::size_t i = 0; i < n && !stop; ++i) {
      Conn& c = conns[i];
      if (c.fd >= 0) {
        pollfd p{c.fd, POLLIN, 0};
        char buf[512];
        const bool closed = poll(&p, 1, 0) > 0 && ((p.revents & (POLLHUP | POLLERR)) || recv(c.fd, buf, sizeof buf, MSG_DONTWAIT) == 0);
        if (closed) {
          close(c.fd);
          c.fd = -1;
        } else if (trickle) {
          (void)send(c.fd, &kSlow[std::min(c.pos++, kSlow.size() - 1)], 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
      }
      if (c.fd < 0) open_one(i);
    }
  }
  for (Conn& c : conns) {
    if (c.fd >= 0) close(c.fd);
  }
  return opened;
}

// 4200 idle TCP connections (over the tcp-conns cap), 64 per address.
std::uint64_t TcpIdle(const Served& s, std::atomic<bool>& stop) { return HoldConnections(s.tcp, 4200, 64, false, stop); }
// 2100 HTTP connections sending their head at 1 byte/s (over the http-conns cap), 64 per address.
std::uint64_t Slowloris(const Served& s, std::atomic<bool>& stop) { return HoldConnections(s.http, 2100, 64, true, stop); }

// Issue 15 #4: RAP over HTTP, 8 connections at a time, as fast as answered.
std::uint64_t RapFlood(const Served& s, std::atomic<bool>& stop) {
  std::atomic<std::uint64_t> sent{0};
  const std::string req =
      "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-mcp\r\nContent-Length: 24\r\n\r\nRAP 1 1.0.0 dev-attack1\r\n";
  std::vector<std::thread> ts;
  for (int w = 0; w < 8; ++w) {
    ts.emplace_back([&] {
      for (int k = 0; k < 5000 && !stop; ++k) {
        const int fd = Bound(SOCK_STREAM, kAttackIp);
        if (fd < 0) break;
        if (connect(fd, reinterpret_cast<const sockaddr*>(&s.http), sizeof s.http) == 0) {
          (void)send(fd, req.data(), req.size(), MSG_NOSIGNAL);
          ++sent;
          char buf[4096];
          const auto dl = Clock::now() + std::chrono::seconds(1);
          while (WaitFd(fd, POLLIN, dl) && recv(fd, buf, sizeof buf, 0) > 0) {
          }
        }
        close(fd);
      }
    });
  }
  for (auto& t : ts) t.join();
  return sent;
}

// Issue 15 #4: unauthenticated RUPs as fast as the socket takes them.
std::uint64_t RupFlood(const Served& s, std::atomic<bool>& stop) {
  const int fd = Bound(SOCK_DGRAM, kAttackIp);
  std::uint32_t t = 1;
  int k = 0;
  for (; k < 2000000 && !stop; ++k) {
    char mid[33];
    std::snprintf(mid, sizeof mid, "%032x", t);
    const std::string d = "RUP " + std::to_string(t++) + " " + mid + " launch 1700000000000 flood\r\n";
    (void)sendto(fd, d.data(), d.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&s.udp), sizeof s.udp);
    if (k % 64 == 63) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  close(fd);
  return static_cast<std::uint64_t>(k);
}

struct Args {
  std::string attacks = "rat-datagram,rat-tcp,http-connect-close,tcp-idle,slowloris,rap-flood,rup-flood";
  double seconds = 10;
  int cycle_ms = 125;
  std::vector<std::string> serve_args;
  bool none = true;
};

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
  if (!(a.seconds > 0 && a.seconds <= 600) || a.cycle_ms <= 0 || a.cycle_ms > 60000) {
    std::fprintf(stderr, "mcpsim bench flood: --seconds must be in (0, 600] and --cycle-ms in [1, 60000]\n");
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
  int rc = 0;
  {
    Served s;
    if (!StartServer(s, db, a.serve_args)) {
      std::fprintf(stderr, "mcpsim bench flood: could not start `mcpsim serve`\n");
      rc = 3;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      std::vector<std::string> phases;
      if (a.none) phases.push_back("none");
      phases.insert(phases.end(), chosen.begin(), chosen.end());
      double idle_rss = s.RssMb();
      std::printf("flood.host.loadavg_before: %.2f\nflood.server.idle_rss_mb: %.1f\n", LoadAvg1(), idle_rss);
      for (const std::string& phase : phases) {
        std::atomic<bool> stop{false};
        std::atomic<double> peak{s.RssMb()};
        std::uint64_t sent = 0;
        std::thread attacker([&] {
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
        std::fflush(stdout);
        if (phase == "none") idle_rss = std::max(idle_rss, s.RssMb());
        // Let the server shed the attack's leftovers (deadlines, back-off).
        std::this_thread::sleep_for(std::chrono::seconds(2));
      }
      std::printf("flood.host.loadavg_after: %.2f\n", LoadAvg1());
    }
  }
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
                    return [a] { return Run(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
