// Helpers shared by the fault/pcap and client-conformance tests: a pcapng
// walker for run.pcap (conformance/capture.h writes pcapng with a comment
// naming the parties of every packet).
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mcpsim::conformance::testhelp {

inline std::string TempDir() {
  char t[] = "/tmp/mcpsim-confx-XXXXXX";
  return mkdtemp(t);
}

inline std::uint32_t Le32(const std::string& b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
}
inline std::uint16_t Le16(const std::string& b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) | static_cast<unsigned char>(b[at + 1]) << 8);
}

struct PcapPacket {
  std::uint64_t ts_us = 0;
  int proto = 0;  // 17 UDP, 6 TCP
  std::string comment;
};

// Walks a pcapng file (SHB, IDB LINKTYPE_RAW, NRB, EPB); returns the packets
// (nullopt-like: empty with *ok = false if malformed) and the NRB names.
inline std::vector<PcapPacket> ReadPcapng(const std::string& b, bool* ok, std::vector<std::string>* names = nullptr) {
  std::vector<PcapPacket> out;
  *ok = false;
  if (b.size() < 28 || Le32(b, 0) != 0x0A0D0D0Au || Le32(b, 8) != 0x1A2B3C4Du) return out;
  std::size_t at = 0;
  bool raw = false;
  while (at < b.size()) {
    if (at + 12 > b.size()) return out;
    const std::uint32_t type = Le32(b, at), len = Le32(b, at + 4);
    if (len < 12 || len % 4 != 0 || at + len > b.size() || Le32(b, at + len - 4) != len) return out;
    if (type == 1) raw = Le16(b, at + 8) == 101;
    if (type == 4 && names) {
      std::size_t r = at + 8;
      while (r + 4 <= at + len - 4 && Le16(b, r) != 0) {
        const std::uint16_t rl = Le16(b, r + 2);
        if (Le16(b, r) == 1 && rl > 4) names->push_back(b.substr(r + 8, rl - 5));
        r += 4 + ((rl + 3u) & ~3u);
      }
    }
    if (type == 6) {
      if (!raw) return out;
      PcapPacket p;
      p.ts_us = (std::uint64_t{Le32(b, at + 12)} << 32) | Le32(b, at + 16);
      const std::uint32_t cap = Le32(b, at + 20);
      if (cap < 20 || at + 28 + cap > at + len) return out;
      p.proto = static_cast<unsigned char>(b[at + 28 + 9]);
      std::size_t opt = at + 28 + ((cap + 3u) & ~3u);
      while (opt + 4 <= at + len - 4 && Le16(b, opt) != 0) {
        const std::uint16_t ol = Le16(b, opt + 2);
        if (Le16(b, opt) == 1) p.comment = b.substr(opt + 4, ol);
        opt += 4 + ((ol + 3u) & ~3u);
      }
      out.push_back(std::move(p));
    }
    at += len;
  }
  *ok = true;
  return out;
}

// Record count (-1 if malformed or timestamps are not real Unix times) and
// the number of UDP (proto 17) and TCP (6) records.
inline int PcapRecords(const std::string& b, int* udp, int* tcp) {
  bool ok = false;
  const auto pkts = ReadPcapng(b, &ok);
  if (!ok) return -1;
  for (const PcapPacket& p : pkts) {
    if (p.ts_us < 1600000000ull * 1000000ull) return -1;  // real (wall clock) timestamps
    *udp += p.proto == 17;
    *tcp += p.proto == 6;
  }
  return static_cast<int>(pkts.size());
}

}  // namespace mcpsim::conformance::testhelp
