// `mcpsim bench flood` (bench_flood.cc): the attacks of issue 15, each
// bounded in count and time, sent from 127.0.0.1 / 127.0.1.x on loopback to
// the server's listeners, and the raw-socket helpers they share with the
// legitimate client. Tools only (plain POSIX sockets and threads).
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace mcpsim::cli::flood {

using Clock = std::chrono::steady_clock;

constexpr const char* kAttackIp = "127.0.0.1";

// The listeners of the server under test, and the attacks' settings.
struct FloodAddrs {
  sockaddr_in udp{}, tcp{}, http{};
  // rap-flood: RAPs per second over the 8 attacker threads, paced evenly
  // (0: each thread as fast as answered, until its share of 40000 is sent).
  double rap_per_s = 2000;
};

sockaddr_in Addr(const std::string& ip, std::uint16_t port);
// A socket bound to `ip` (port 0); -1 on failure.
int Bound(int type, const std::string& ip);
// Polls `fd` for `events` until `deadline`; true when ready.
bool WaitFd(int fd, short events, Clock::time_point deadline);

// An attack runs until `stop` or its own bound and returns how many requests
// (or connections) it sent.
using Attack = std::function<std::uint64_t(const FloodAddrs&, std::atomic<bool>& stop)>;

std::uint64_t RatDatagram(const FloodAddrs& s, std::atomic<bool>& stop);       // rat-datagram
std::uint64_t RatTcp(const FloodAddrs& s, std::atomic<bool>& stop);            // rat-tcp
std::uint64_t HttpConnectClose(const FloodAddrs& s, std::atomic<bool>& stop);  // http-connect-close
std::uint64_t TcpIdle(const FloodAddrs& s, std::atomic<bool>& stop);           // tcp-idle
std::uint64_t Slowloris(const FloodAddrs& s, std::atomic<bool>& stop);         // slowloris
std::uint64_t RapFlood(const FloodAddrs& s, std::atomic<bool>& stop);          // rap-flood
std::uint64_t RupFlood(const FloodAddrs& s, std::atomic<bool>& stop);          // rup-flood

}  // namespace mcpsim::cli::flood
