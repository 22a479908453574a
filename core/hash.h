// mcpsim core: fixed, documented hashes (never std::hash, whose values are
// implementation-defined). FNV-1a 64-bit: offset basis 0xcbf29ce484222325,
// prime 0x100000001b3.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace mcpsim {

inline constexpr std::uint64_t kFnv1aBasis = 0xcbf29ce484222325ULL;

inline constexpr std::uint64_t Fnv1a(std::string_view bytes,
                                     std::uint64_t h = kFnv1aBasis) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// 16 lowercase hex digits.
inline std::string Hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace mcpsim
