// sim: pcap export of simulated traffic.
//
// Classic libpcap files (magic a1b2c3d4, v2.4, microsecond timestamps,
// LINKTYPE_RAW = 101: each record is one IPv4 packet). Timestamps are virtual
// time (seconds since the run's start). Datagrams become IPv4+UDP, stream
// segments IPv4+TCP; IP, UDP and TCP checksums are correct. Payloads are
// truncated at 65495 bytes (orig_len keeps the true size).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace mcpsim::sim {

inline constexpr std::uint32_t kLinktypeRaw = 101;

// TCP flag bits.
inline constexpr std::uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08,
                              kTcpAck = 0x10;

// An IPv4+UDP packet (addresses and ports in host order).
std::vector<std::uint8_t> BuildIpv4Udp(std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                                       std::uint16_t dport, Bytes payload, std::uint16_t ip_id);
// An IPv4+TCP segment (20-byte TCP header, no options; window 65535).
std::vector<std::uint8_t> BuildIpv4Tcp(std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                                       std::uint16_t dport, std::uint32_t seq, std::uint32_t ack,
                                       std::uint8_t flags, Bytes payload, std::uint16_t ip_id);
// RFC 1071 Internet checksum over `data`, continuing from `sum`.
std::uint16_t InternetChecksum(Bytes data, std::uint32_t sum = 0);

class PcapWriter {
 public:
  PcapWriter() = default;
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Creates/truncates `path` and writes the global header. Error "SIM-11".
  Status Open(const std::string& path);
  void Close();
  bool is_open() const { return file_ != nullptr; }

  void WriteUdp(TimeUs t, std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                std::uint16_t dport, Bytes payload);
  void WriteTcp(TimeUs t, std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                std::uint16_t dport, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                Bytes payload);
  std::uint64_t packets() const { return packets_; }

 private:
  void Record(TimeUs t, const std::vector<std::uint8_t>& pkt, std::size_t orig_len);
  std::FILE* file_ = nullptr;
  std::uint64_t packets_ = 0;
  std::uint16_t ip_id_ = 1;
};

// pcapng (the format Wireshark writes): one section, one LINKTYPE_RAW
// interface with microsecond timestamps, Name Resolution Blocks for the
// hosts named with NameHost, and an opt_comment on every packet (who sent it
// to whom: the parties of a conformance run). Timestamps are whatever the
// caller passes (us; e.g. since the Unix epoch for real runs). Error "SIM-11".
class PcapngWriter {
 public:
  PcapngWriter() = default;
  ~PcapngWriter();
  PcapngWriter(const PcapngWriter&) = delete;
  PcapngWriter& operator=(const PcapngWriter&) = delete;

  Status Open(const std::string& path);
  void Close();
  bool is_open() const { return file_ != nullptr; }
  // An NRB record "ipv4 -> name" (each address once; later names ignored).
  void NameHost(std::uint32_t ipv4, const std::string& name);
  void WriteUdp(TimeUs t, std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport,
                Bytes payload, const std::string& comment);
  void WriteTcp(TimeUs t, std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport,
                std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, Bytes payload, const std::string& comment);
  std::uint64_t packets() const { return packets_; }

 private:
  void Block(std::uint32_t type, const std::vector<std::uint8_t>& body);
  void Packet(TimeUs t, const std::vector<std::uint8_t>& pkt, std::size_t orig_len, const std::string& comment);
  std::FILE* file_ = nullptr;
  std::uint64_t packets_ = 0;
  std::uint16_t ip_id_ = 1;
  std::vector<std::uint32_t> named_;
};

}  // namespace mcpsim::sim
