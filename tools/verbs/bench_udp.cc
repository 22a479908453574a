// `mcpsim bench udp`: request throughput of the CS role on AsioEnv over
// loopback UDP, against a bare recvmmsg/sendmmsg echo server measured with
// the same load generator (a separate thread with its own socket keeping
// --outstanding RUP requests in flight). Prints
//   udp.req_per_s: <n>   udp.baseline_req_per_s: <n>   udp.ratio: <r>
// The server is hosted like `mcpsim serve` hosts it: group commit on (each
// receive burst is one store transaction, answers sent after its commit).
// --db FILE uses a SQLite file (WAL, synchronous=FULL: one fsync per burst)
// instead of the default in-memory store.
// Wall-clock measurement; figures only, nothing asserted.
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <string>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "host/host.h"
#include "net/asio_env.h"
#include "reference/roles/cs.h"
#include "reference/store/store.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

using Clock = std::chrono::steady_clock;

int UdpSocket(sockaddr_in& bound) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  int buf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  return fd;
}

// Keeps `outstanding` RUP requests in flight against `server` for `seconds`
// (after a short warm-up); returns answered requests per second. An answer
// is matched by its trid (the second token); requests unanswered for 200 ms
// are written off and replaced.
double LoadGenerator(const sockaddr_in& server, int outstanding, double seconds) {
  sockaddr_in me{};
  const int fd = UdpSocket(me);
  if (fd < 0) return 0;
  static const char* kinds[] = {"launch", "impression", "click", "view"};
  std::unordered_map<std::uint32_t, Clock::time_point> inflight;
  std::uint32_t next_trid = 1;
  std::uint64_t answered = 0;
  constexpr int kBatch = 32;
  std::vector<std::string> out;
  auto refill = [&] {
    out.clear();
    const auto now = Clock::now();
    while (static_cast<int>(inflight.size()) < outstanding) {
      const std::uint32_t t = next_trid++;
      std::string data(static_cast<std::size_t>(8 + (t % 5) * 24), 'a' + static_cast<char>(t % 26));
      out.push_back("RUP " + std::to_string(t) + " 58d05d6affef8ab9dd5a8be7afdf1c83 " + kinds[t % 4] + " " +
                    std::to_string(1700000000000ULL + t) + " " + data + "\r\n");
      inflight[t] = now;
    }
    for (std::size_t i = 0; i < out.size(); i += kBatch) {
      mmsghdr m[kBatch];
      iovec v[kBatch];
      const std::size_t n = std::min<std::size_t>(kBatch, out.size() - i);
      for (std::size_t j = 0; j < n; ++j) {
        v[j] = {out[i + j].data(), out[i + j].size()};
        m[j] = {};
        m[j].msg_hdr.msg_name = const_cast<sockaddr_in*>(&server);
        m[j].msg_hdr.msg_namelen = sizeof server;
        m[j].msg_hdr.msg_iov = &v[j];
        m[j].msg_hdr.msg_iovlen = 1;
      }
      (void)sendmmsg(fd, m, static_cast<unsigned>(n), 0);
    }
  };
  const auto start = Clock::now();
  const auto warm = start + std::chrono::milliseconds(300);
  const auto end = warm + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto last_sweep = start;
  std::vector<char> buf(kBatch * 2048);
  refill();
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10) > 0) {
      mmsghdr m[kBatch];
      iovec v[kBatch];
      for (int j = 0; j < kBatch; ++j) {
        v[j] = {buf.data() + j * 2048, 2048};
        m[j] = {};
        m[j].msg_hdr.msg_iov = &v[j];
        m[j].msg_hdr.msg_iovlen = 1;
      }
      const int n = recvmmsg(fd, m, kBatch, MSG_DONTWAIT, nullptr);
      const bool counting = Clock::now() >= warm;
      for (int j = 0; j < n; ++j) {
        const char* d = buf.data() + j * 2048;
        const char* sp = static_cast<const char*>(std::memchr(d, ' ', m[j].msg_len));
        if (!sp) continue;
        const std::uint32_t trid = static_cast<std::uint32_t>(std::strtoul(sp + 1, nullptr, 10));
        if (inflight.erase(trid) && counting) ++answered;
      }
    }
    const auto now = Clock::now();
    if (now - last_sweep > std::chrono::milliseconds(50)) {
      last_sweep = now;
      for (auto it = inflight.begin(); it != inflight.end();) {
        it = now - it->second > std::chrono::milliseconds(200) ? inflight.erase(it) : std::next(it);
      }
    }
    refill();
  }
  close(fd);
  return static_cast<double>(answered) / seconds;
}

// The CS role on AsioEnv on its own thread; returns the measured rate.
double MeasureCs(int outstanding, double seconds, const std::string& db) {
  boost::asio::io_context io(1);  // one thread: no locking inside Asio's scheduler
  net::AsioEnv env(io);
  auto store = reference::OpenSqliteStore(db);
  if (!store.ok()) return 0;
  reference::CsRole cs({}, **store);
  host::RoleHost host(env, cs);
  host.SetBatchStore(store->get());
  if (!host.Start({0, std::nullopt, std::nullopt}).ok()) return 0;
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  server.sin_port = htons(host.udp_endpoint().port);
  auto guard = boost::asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  const double rate = LoadGenerator(server, outstanding, seconds);
  io.stop();
  t.join();
  spdlog::info("bench udp: {} datagrams in {} receive calls, {} committed batches ({} failed)",
               host.stats().datagrams_received, env.stats().receive_batches, host.stats().batches_committed,
               host.stats().batches_failed);
  return rate;
}

// A bare echo server: recvmmsg a batch, sendmmsg it back.
double MeasureBaseline(int outstanding, double seconds) {
  sockaddr_in server{};
  const int fd = UdpSocket(server);
  if (fd < 0) return 0;
  std::atomic<bool> stop{false};
  std::thread t([&] {
    constexpr int kBatch = 32;
    std::vector<char> buf(kBatch * 2048);
    sockaddr_storage from[kBatch];
    while (!stop.load(std::memory_order_relaxed)) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 10) <= 0) continue;
      mmsghdr m[kBatch];
      iovec v[kBatch];
      for (int j = 0; j < kBatch; ++j) {
        v[j] = {buf.data() + j * 2048, 2048};
        m[j] = {};
        m[j].msg_hdr.msg_name = &from[j];
        m[j].msg_hdr.msg_namelen = sizeof from[j];
        m[j].msg_hdr.msg_iov = &v[j];
        m[j].msg_hdr.msg_iovlen = 1;
      }
      const int n = recvmmsg(fd, m, kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) continue;
      for (int j = 0; j < n; ++j) v[j].iov_len = m[j].msg_len;
      (void)sendmmsg(fd, m, static_cast<unsigned>(n), 0);
    }
  });
  const double rate = LoadGenerator(server, outstanding, seconds);
  stop = true;
  t.join();
  close(fd);
  return rate;
}

RegisterVerb reg{{"bench", "udp", "CS on AsioEnv vs a bare recvmmsg/sendmmsg echo over loopback UDP",
                  [](CLI::App& cmd) -> Runner {
                    auto outstanding = std::make_shared<int>(64);
                    auto seconds = std::make_shared<double>(2.0);
                    auto db = std::make_shared<std::string>(":memory:");
                    cmd.add_option("--outstanding", *outstanding, "Requests kept in flight")->capture_default_str();
                    cmd.add_option("--seconds", *seconds, "Measured seconds per server")->capture_default_str();
                    cmd.add_option("--db", *db, "CS store: a SQLite file (created), or :memory:")
                        ->capture_default_str();
                    return [outstanding, seconds, db] {
                      if (*outstanding < 1 || *seconds <= 0) return 2;
                      const double cs = MeasureCs(*outstanding, *seconds, *db);
                      const double base = MeasureBaseline(*outstanding, *seconds);
                      if (cs <= 0 || base <= 0) return 3;
                      std::printf("udp.req_per_s: %.0f\nudp.baseline_req_per_s: %.0f\nudp.ratio: %.2f\n", cs, base,
                                  cs / base);
                      return 0;
                    };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
