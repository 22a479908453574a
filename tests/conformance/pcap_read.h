// Helpers shared by the fault/pcap and client-conformance tests.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <string>

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

// Walks a classic pcap file; returns the record count (-1 if malformed) and
// the number of UDP (proto 17) and TCP (6) records.
inline int PcapRecords(const std::string& b, int* udp, int* tcp) {
  if (b.size() < 24 || Le32(b, 0) != 0xa1b2c3d4u || Le32(b, 20) != 101) return -1;
  std::size_t at = 24;
  int n = 0;
  while (at < b.size()) {
    if (at + 16 > b.size()) return -1;
    const std::uint32_t sec = Le32(b, at), incl = Le32(b, at + 8);
    if (sec < 1600000000u || at + 16 + incl > b.size() || incl < 20) return -1;  // real (wall clock) timestamps
    const unsigned char proto = static_cast<unsigned char>(b[at + 16 + 9]);
    *udp += proto == 17;
    *tcp += proto == 6;
    at += 16 + incl;
    ++n;
  }
  return n;
}

}  // namespace mcpsim::conformance::testhelp
