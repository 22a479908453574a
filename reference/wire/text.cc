#include "reference/wire/text.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "reference/wire/words.h"

namespace mcpsim::wire {
namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

inline std::uint64_t Load8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
// Nonzero iff some byte of w equals b (classic "has zero byte" trick).
inline std::uint64_t HasByte(std::uint64_t w, unsigned char b) {
  const std::uint64_t x = w ^ (kOnes * b);
  return (x - kOnes) & ~x & kHighs;
}

// The word-at-a-time scans below find the first special byte with
// countr_zero, which relies on little-endian loads.
static_assert(std::endian::native == std::endian::little, "wire codec scans assume little-endian");

// Index (0..7) of the first flagged byte of a nonzero mask built from
// (w & kHighs) and HasByte(): the lowest flag is always exact.
inline std::size_t FirstFlagged(std::uint64_t mask) {
  return static_cast<std::size_t>(std::countr_zero(mask)) >> 3;
}

constexpr std::array<std::int8_t, 256> kHexTable = [] {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<std::int8_t>(c - '0');
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<std::int8_t>(c - 'A' + 10);
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<std::int8_t>(c - 'a' + 10);
  return t;
}();

// Hex digit value or -1.
inline int HexVal(unsigned char c) { return kHexTable[c]; }

inline bool NeedsEscape(unsigned char c) { return c == '%' || c == ' ' || c == '\r' || c == '\n'; }

}  // namespace

bool IsValidWord(std::string_view word) {
  if (word.size() < 3 || word.size() > 8) return false;
  if (word[0] != 'R' && word[0] != 'A') return false;
  for (std::size_t i = 1; i < word.size(); ++i) {
    if (word[i] < 'A' || word[i] > 'Z') return false;
  }
  return true;
}

bool IsPayloadWord(std::string_view word) {
  return IsPayloadRequest(word);  // Appendix A's P column (words.h)
}

std::optional<std::uint32_t> ParseTrid(std::string_view f) {
  if (f.empty() || f.size() > 10) return std::nullopt;
  if (f.size() > 1 && f[0] == '0') return std::nullopt;
  std::uint64_t v = 0;
  for (char c : f) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > 0xFFFFFFFFULL) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

std::optional<std::uint16_t> ParseStatus(std::string_view f) {
  if (f.empty() || f.size() > 5) return std::nullopt;
  if (f.size() > 1 && f[0] == '0') return std::nullopt;
  std::uint32_t v = 0;
  for (char c : f) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > 0xFFFF) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

// Length of the complete, valid UTF-8 sequence of raw bytes starting with the
// non-ASCII byte p[0], or 0 if there is none (invalid, truncated, or — inside
// params — continued through %XX escapes, which the caller's slow path handles).
inline std::size_t RawSeqLen(const unsigned char* p, std::size_t rem) {
  const unsigned char c = p[0];
  unsigned char lo = 0x80, hi = 0xBF;
  std::size_t need;
  if (c >= 0xC2 && c <= 0xDF) {
    if (rem < 2 || (p[1] & 0xC0) != 0x80) return 0;
    return 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (rem <= need || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return 0;
  if (need == 3 && (p[3] & 0xC0) != 0x80) return 0;
  return need + 1;
}

bool ValidUtf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      const std::uint64_t m = Load8(bytes.data() + i) & kHighs;
      if (!m) {
        i += 8;
        continue;
      }
      i += FirstFlagged(m);
    } else if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = RawSeqLen(p + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::optional<WireError> ValidateEscaped(std::string_view raw, std::uint64_t base,
                                         bool space_separates) {
  const char* s = raw.data();
  const std::size_t n = raw.size();
  std::size_t i = 0;
  unsigned need = 0;                       // continuation bytes still expected
  unsigned char lo = 0x80, hi = 0xBF;      // allowed range of the next one
  std::size_t seq_start = 0;               // raw offset of the current sequence's lead
  auto utf8_error = [&](std::size_t at) {
    return WireError{"WIRE-8", base + at, "param is not valid UTF-8 after unescaping"};
  };
  while (i < n) {
    // Fast path between sequences: raw ASCII other than '%' (8 bytes at a
    // time where possible) and complete raw multibyte sequences.
    if (need == 0) {
      const auto* u = reinterpret_cast<const unsigned char*>(s);
      while (i < n) {
        if (i + 8 <= n) {
          const std::uint64_t w = Load8(s + i);
          const std::uint64_t m = (w & kHighs) | HasByte(w, '%');
          if (!m) {
            i += 8;
            continue;
          }
          i += FirstFlagged(m);
        } else if (u[i] < 0x80 && u[i] != '%') {
          ++i;
          continue;
        }
        if (u[i] == '%') {  // an escape of an ASCII byte needs no UTF-8 state
          if (i + 2 < n && HexVal(u[i + 1]) >= 0 && HexVal(u[i + 1]) < 8 && HexVal(u[i + 2]) >= 0) {
            i += 3;
            continue;
          }
          break;
        }
        const std::size_t len = RawSeqLen(u + i, n - i);
        if (len == 0) break;
        i += len;
      }
      if (i >= n) break;
    }
    const std::size_t at = i;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      const int h1 = i + 1 < n ? HexVal(static_cast<unsigned char>(s[i + 1])) : -1;
      const int h2 = i + 2 < n ? HexVal(static_cast<unsigned char>(s[i + 2])) : -1;
      if (h1 < 0 || h2 < 0) {
        return WireError{"WIRE-7", base + at, "'%' not followed by two hex digits"};
      }
      c = static_cast<unsigned char>(h1 * 16 + h2);
      i += 3;
    } else {
      ++i;
      if (c == ' ' && space_separates) {
        if (need) return utf8_error(seq_start);
        continue;
      }
    }
    if (need == 0) {
      if (c < 0x80) continue;
      seq_start = at;
      lo = 0x80;
      hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) need = 1;
      else if (c == 0xE0) need = 2, lo = 0xA0;
      else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need = 2;
      else if (c == 0xED) need = 2, hi = 0x9F;
      else if (c == 0xF0) need = 3, lo = 0x90;
      else if (c >= 0xF1 && c <= 0xF3) need = 3;
      else if (c == 0xF4) need = 3, hi = 0x8F;
      else return utf8_error(at);
    } else {
      if (c < lo || c > hi) return utf8_error(seq_start);
      lo = 0x80;
      hi = 0xBF;
      --need;
    }
  }
  if (need) return utf8_error(seq_start);
  return std::nullopt;
}

void AppendEscaped(std::string_view d, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const std::size_t n = d.size();
  const std::size_t old = out.size();
  out.resize(old + 3 * n);  // worst case; trimmed below
  char* w = out.data() + old;
  const char* s = d.data();
  std::size_t i = 0;
  // Room: w <= old + 3*i, so an 8-byte store at w fits while i + 8 <= n.
  while (i + 8 <= n) {
    const std::uint64_t v = Load8(s + i);
    const std::uint64_t m = HasByte(v, '%') | HasByte(v, ' ') | HasByte(v, '\r') | HasByte(v, '\n');
    std::memcpy(w, s + i, 8);
    if (!m) {
      w += 8;
      i += 8;
      continue;
    }
    const std::size_t k = FirstFlagged(m);
    w += k;
    i += k;
    const auto c = static_cast<unsigned char>(s[i++]);
    w[0] = '%';
    w[1] = kHex[c >> 4];
    w[2] = kHex[c & 15];
    w += 3;
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (NeedsEscape(c)) {
      w[0] = '%';
      w[1] = kHex[c >> 4];
      w[2] = kHex[c & 15];
      w += 3;
    } else {
      *w++ = static_cast<char>(c);
    }
  }
  out.resize(static_cast<std::size_t>(w - out.data()));
}

std::string Escape(std::string_view decoded) {
  std::string out;
  out.reserve(decoded.size());
  AppendEscaped(decoded, out);
  return out;
}

void AppendUnescapedUnchecked(std::string_view raw, std::string& out) {
  const std::size_t n = raw.size();
  std::size_t i = 0;
  while (i < n) {
    const void* pct = std::memchr(raw.data() + i, '%', n - i);
    if (!pct) {
      out.append(raw.data() + i, n - i);
      break;
    }
    const auto j = static_cast<std::size_t>(static_cast<const char*>(pct) - raw.data());
    out.append(raw.data() + i, j - i);
    const int h1 = j + 1 < n ? HexVal(static_cast<unsigned char>(raw[j + 1])) : -1;
    const int h2 = j + 2 < n ? HexVal(static_cast<unsigned char>(raw[j + 2])) : -1;
    if (h1 < 0 || h2 < 0) {  // unchecked input: keep the '%' literally, never read out of range
      out.push_back('%');
      i = j + 1;
      continue;
    }
    out.push_back(static_cast<char>(h1 * 16 + h2));
    i = j + 3;
  }
}

Result<std::string> Unescape(std::string_view raw) {
  if (auto err = ValidateEscaped(raw, 0, false)) return err->ToStatus();
  std::string out;
  out.reserve(raw.size());
  AppendUnescapedUnchecked(raw, out);
  return out;
}

}  // namespace mcpsim::wire
