// The attacks of `mcpsim bench flood` (bench_flood.h).
#include "tools/verbs/bench_flood.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

namespace mcpsim::cli::flood {

sockaddr_in Addr(const std::string& ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

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

// ---- the attacks (127.0.0.1), each bounded in count and time ----

// The attacker's source addresses: 127.0.1.1, 127.0.1.2, ... (`i` from 0).
static std::string AttackIp(std::size_t i) { return "127.0." + std::to_string(1 + i / 250) + "." + std::to_string(1 + i % 250); }

// Issue 15 #1: datagrams of 170 RATs with wrong passwords for one account.
std::uint64_t RatDatagram(const FloodAddrs& s, std::atomic<bool>& stop) {
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
std::uint64_t RatTcp(const FloodAddrs& s, std::atomic<bool>& stop) {
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
std::uint64_t HttpConnectClose(const FloodAddrs& s, std::atomic<bool>& stop) {
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
static std::uint64_t HoldConnections(const sockaddr_in& to, std::size_t n, std::size_t per_address, bool trickle,
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
std::uint64_t TcpIdle(const FloodAddrs& s, std::atomic<bool>& stop) { return HoldConnections(s.tcp, 4200, 64, false, stop); }
// 2100 HTTP connections sending their head at 1 byte/s (over the http-conns cap), 64 per address.
std::uint64_t Slowloris(const FloodAddrs& s, std::atomic<bool>& stop) { return HoldConnections(s.http, 2100, 64, true, stop); }

// Issue 15 #4: RAP over HTTP from 8 threads, a new connection each; paced
// at s.rap_per_s in all (so the attack lasts the whole phase at a known
// rate, however the scheduler treats this process), or as fast as answered.
std::uint64_t RapFlood(const FloodAddrs& s, std::atomic<bool>& stop) {
  constexpr int kThreads = 8;
  std::atomic<std::uint64_t> sent{0};
  const std::string req =
      "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-mcp\r\nContent-Length: 24\r\n\r\nRAP 1 1.0.0 dev-attack1\r\n";
  const auto gap = s.rap_per_s > 0 ? std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(kThreads / s.rap_per_s))
                                   : Clock::duration::zero();
  std::vector<std::thread> ts;
  for (int w = 0; w < kThreads; ++w) {
    ts.emplace_back([&, w] {
      auto next = Clock::now() + gap * w / kThreads;  // threads staggered over one gap
      for (int k = 0; k < 5000 && !stop; ++k) {
        if (gap != Clock::duration::zero()) {
          std::this_thread::sleep_until(next);
          next += gap;
          if (stop) break;
        }
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
std::uint64_t RupFlood(const FloodAddrs& s, std::atomic<bool>& stop) {
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

}  // namespace mcpsim::cli::flood
