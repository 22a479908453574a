#include "conformance/pcap_tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace mcpsim::conformance {
namespace {

TimeUs EpochUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Split(const sockaddr_storage& a, std::uint32_t& ip, std::uint16_t& port) {
  ip = 0;
  port = 0;
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    ip = ntohl(v4->sin_addr.s_addr);
    port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    const std::uint8_t* b = v6->sin6_addr.s6_addr;
    // v4-mapped (::ffff:a.b.c.d) and ::1 keep a readable IPv4 form.
    bool mapped = true;
    for (int i = 0; i < 10; ++i) mapped = mapped && b[i] == 0;
    mapped = mapped && b[10] == 0xff && b[11] == 0xff;
    if (mapped) ip = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) | (std::uint32_t{b[14]} << 8) | b[15];
    if (IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) ip = 0x7f000001;
    port = ntohs(v6->sin6_port);
  }
}

Bytes B(std::string_view s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

}  // namespace

Status PcapTap::Open(const std::string& path) {
  std::lock_guard<std::mutex> g(mu_);
  return writer_.Open(path);
}

void PcapTap::Close() {
  std::lock_guard<std::mutex> g(mu_);
  writer_.Close();
}

std::uint64_t PcapTap::packets() const {
  auto& self = const_cast<PcapTap&>(*this);
  std::lock_guard<std::mutex> g(self.mu_);
  return writer_.packets();
}

void PcapTap::Udp(int fd, bool sent, std::string_view bytes, const sockaddr* peer, socklen_t peer_len) {
  sockaddr_storage local{}, remote{};
  socklen_t l = sizeof local, r = sizeof remote;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &l);
  if (peer) {
    std::memcpy(&remote, peer, std::min<std::size_t>(peer_len, sizeof remote));
  } else if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &r) != 0) {
    return;
  }
  std::uint32_t lip, rip;
  std::uint16_t lport, rport;
  Split(local, lip, lport);
  Split(remote, rip, rport);
  if (lip == 0 && rip == 0x7f000001) lip = rip;  // bound to any: loopback peer
  std::lock_guard<std::mutex> g(mu_);
  if (sent) {
    writer_.WriteUdp(EpochUs(), lip, lport, rip, rport, B(bytes));
  } else {
    writer_.WriteUdp(EpochUs(), rip, rport, lip, lport, B(bytes));
  }
}

void PcapTap::TcpOpen(int fd, bool we_connected) {
  sockaddr_storage local{}, remote{};
  socklen_t l = sizeof local, r = sizeof remote;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &l) != 0 ||
      getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &r) != 0) {
    return;
  }
  Conn c;
  Split(local, c.local_ip, c.local_port);
  Split(remote, c.peer_ip, c.peer_port);
  const TimeUs t = EpochUs();
  std::lock_guard<std::mutex> g(mu_);
  using sim::kTcpAck, sim::kTcpSyn;
  if (we_connected) {
    writer_.WriteTcp(t, c.local_ip, c.local_port, c.peer_ip, c.peer_port, c.local_seq, 0, kTcpSyn, {});
    writer_.WriteTcp(t, c.peer_ip, c.peer_port, c.local_ip, c.local_port, c.peer_seq, c.local_seq + 1,
                     kTcpSyn | kTcpAck, {});
    writer_.WriteTcp(t, c.local_ip, c.local_port, c.peer_ip, c.peer_port, c.local_seq + 1, c.peer_seq + 1, kTcpAck, {});
  } else {
    writer_.WriteTcp(t, c.peer_ip, c.peer_port, c.local_ip, c.local_port, c.peer_seq, 0, kTcpSyn, {});
    writer_.WriteTcp(t, c.local_ip, c.local_port, c.peer_ip, c.peer_port, c.local_seq, c.peer_seq + 1,
                     kTcpSyn | kTcpAck, {});
    writer_.WriteTcp(t, c.peer_ip, c.peer_port, c.local_ip, c.local_port, c.peer_seq + 1, c.local_seq + 1, kTcpAck, {});
  }
  ++c.local_seq;
  ++c.peer_seq;
  conns_[fd] = c;
}

void PcapTap::TcpData(int fd, bool sent, std::string_view bytes) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = conns_.find(fd);
  if (it == conns_.end() || bytes.empty()) return;
  Conn& c = it->second;
  const TimeUs t = EpochUs();
  using sim::kTcpAck, sim::kTcpPsh;
  // Segments of at most 65000 bytes (PcapWriter truncates larger payloads).
  for (std::size_t off = 0; off < bytes.size(); off += 65000) {
    const std::string_view part = bytes.substr(off, 65000);
    if (sent) {
      writer_.WriteTcp(t, c.local_ip, c.local_port, c.peer_ip, c.peer_port, c.local_seq, c.peer_seq, kTcpAck | kTcpPsh,
                       B(part));
      c.local_seq += static_cast<std::uint32_t>(part.size());
    } else {
      writer_.WriteTcp(t, c.peer_ip, c.peer_port, c.local_ip, c.local_port, c.peer_seq, c.local_seq, kTcpAck | kTcpPsh,
                       B(part));
      c.peer_seq += static_cast<std::uint32_t>(part.size());
    }
  }
}

void PcapTap::TcpClose(int fd) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  const Conn c = it->second;
  conns_.erase(it);
  const TimeUs t = EpochUs();
  using sim::kTcpAck, sim::kTcpFin;
  writer_.WriteTcp(t, c.local_ip, c.local_port, c.peer_ip, c.peer_port, c.local_seq, c.peer_seq, kTcpFin | kTcpAck, {});
  writer_.WriteTcp(t, c.peer_ip, c.peer_port, c.local_ip, c.local_port, c.peer_seq, c.local_seq + 1, kTcpFin | kTcpAck,
                   {});
}

}  // namespace mcpsim::conformance
