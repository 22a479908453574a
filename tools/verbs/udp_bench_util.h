// Raw-socket helpers shared by `mcpsim bench udp` and `mcpsim bench load`:
// a loopback UDP socket, the raw load generator (keeps N RUP requests in
// flight, matches answers by trid) and a bare server thread that either
// echoes every datagram (bench udp's baseline) or answers each request line
// `Rxxx trid ...` with `Axxx trid 0` (a server doing no work, for measuring a
// generator that expects real answers). Linux recvmmsg/sendmmsg; tools only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mcpsim::cli::udpbench {

using Clock = std::chrono::steady_clock;

inline int UdpSocket(sockaddr_in& bound) {
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
inline double LoadGenerator(const sockaddr_in& server, int outstanding, double seconds) {
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


// A bare server on its own thread (stopped and joined by the destructor).
class BareServer {
 public:
  enum class Mode { kEcho, kAnswer };
  explicit BareServer(Mode mode) : mode_(mode) {
    fd_ = UdpSocket(addr_);
    if (fd_ >= 0) thread_ = std::thread([this] { Loop(); });
  }
  ~BareServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  const sockaddr_in& addr() const { return addr_; }
  std::uint16_t port() const { return ntohs(addr_.sin_port); }

 private:
  // "RUP 7 ...\r\nRAD 8 ...\r\n" -> "AUP 7 0\r\nAAD 8 0\r\n" (in place into `out`).
  static std::size_t Answer(const char* in, std::size_t n, char* out, std::size_t cap) {
    std::size_t o = 0;
    for (std::size_t i = 0; i < n;) {
      const char* line = in + i;
      const void* e = std::memchr(line, '\n', n - i);
      const std::size_t len = e ? static_cast<std::size_t>(static_cast<const char*>(e) - line) + 1 : n - i;
      i += len;
      const char* sp1 = static_cast<const char*>(std::memchr(line, ' ', len));
      if (!sp1 || line[0] != 'R') continue;
      const char* sp2 = static_cast<const char*>(std::memchr(sp1 + 1, ' ', len - static_cast<std::size_t>(sp1 + 1 - line)));
      const char* end = sp2 ? sp2 : line + len;
      while (end > sp1 + 1 && (end[-1] == '\r' || end[-1] == '\n')) --end;
      const std::size_t need = static_cast<std::size_t>(end - line) + 4;
      if (o + need > cap) break;
      out[o++] = 'A';
      std::memcpy(out + o, line + 1, static_cast<std::size_t>(end - line) - 1);
      o += static_cast<std::size_t>(end - line) - 1;
      std::memcpy(out + o, " 0\r\n", 4);
      o += 4;
    }
    return o;
  }
  void Loop() {
    constexpr int kBatch = 32;
    std::vector<char> buf(kBatch * 2048), ans(kBatch * 2048);
    sockaddr_storage from[kBatch];
    while (!stop_.load(std::memory_order_relaxed)) {
      pollfd p{fd_, POLLIN, 0};
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
      const int n = recvmmsg(fd_, m, kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) continue;
      for (int j = 0; j < n; ++j) {
        if (mode_ == Mode::kEcho) {
          v[j].iov_len = m[j].msg_len;
        } else {
          v[j].iov_len = Answer(buf.data() + j * 2048, m[j].msg_len, ans.data() + j * 2048, 2048);
          v[j].iov_base = ans.data() + j * 2048;
        }
      }
      (void)sendmmsg(fd_, m, static_cast<unsigned>(n), 0);
    }
  }

  Mode mode_;
  int fd_ = -1;
  sockaddr_in addr_{};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mcpsim::cli::udpbench
