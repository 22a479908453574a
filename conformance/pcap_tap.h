// A pcap recording of the traffic the conformance harness itself sends and
// receives (`run.pcap` in --out): every UDP datagram, and every HTTP exchange
// as a synthesized TCP connection (SYN, SYN-ACK, ACK, data segments with
// consistent seq/ack numbers, FIN) so that Wireshark's "Follow TCP stream"
// works. Written with sim::PcapWriter (LINKTYPE_RAW, IPv4); IPv6 endpoints
// are recorded as 0.0.0.0. Timestamps are real (wall clock, us since the Unix
// epoch) because these are real sockets.
//
// Thread-safe (the client-conformance servers and the runner may share one).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sim/pcap.h"

namespace mcpsim::conformance {

class PcapTap {
 public:
  Status Open(const std::string& path);  // error "SIM-11"
  void Close();
  std::uint64_t packets() const;

  // A datagram on a UDP socket `fd` (connected, or with `peer` given).
  // `sent`: from this process to the peer.
  void Udp(int fd, bool sent, std::string_view bytes, const sockaddr* peer = nullptr, socklen_t peer_len = 0);
  // TCP connection `fd` (connected): handshake when first seen, data, FIN.
  // `we_connected`: this process is the client side (SYN comes from us).
  void TcpOpen(int fd, bool we_connected);
  void TcpData(int fd, bool sent, std::string_view bytes);
  void TcpClose(int fd);

 private:
  struct Conn {
    std::uint32_t local_ip = 0, peer_ip = 0;
    std::uint16_t local_port = 0, peer_port = 0;
    std::uint32_t local_seq = 1000, peer_seq = 5000;
  };
  std::mutex mu_;
  sim::PcapWriter writer_;
  std::map<int, Conn> conns_;
};

}  // namespace mcpsim::conformance
