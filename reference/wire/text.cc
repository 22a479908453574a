#include "reference/wire/text.h"

#include <cstring>

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

// Hex digit value or -1.
inline int HexVal(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

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
  return word == "RBIN" || word == "ROT" || word == "RSV" || word == "RRV";
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

bool ValidUtf8(std::string_view bytes) {
  // Raw bytes: '%' and SP are ordinary here, so validate with escapes disabled
  // by treating the input as already decoded.
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n && (Load8(bytes.data() + i) & kHighs) == 0) {
      i += 8;
      continue;
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    unsigned need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c == 0xE0) need = 2, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need = 2;
    else if (c == 0xED) need = 2, hi = 0x9F;
    else if (c == 0xF0) need = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) need = 3;
    else if (c == 0xF4) need = 3, hi = 0x8F;
    else return false;
    if (i + need >= n) return false;  // truncated sequence
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (unsigned k = 2; k <= need; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    }
    i += need + 1;
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
    // Fast path: 8 bytes of ASCII without '%' need no work between sequences.
    if (need == 0) {
      while (i + 8 <= n) {
        const std::uint64_t w = Load8(s + i);
        if ((w & kHighs) | HasByte(w, '%')) break;
        i += 8;
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
  std::size_t i = 0;
  const std::size_t n = d.size();
  while (i < n) {
    // Copy the longest run without bytes that need escaping.
    std::size_t j = i;
    while (j + 8 <= n) {
      const std::uint64_t w = Load8(d.data() + j);
      if (HasByte(w, '%') | HasByte(w, ' ') | HasByte(w, '\r') | HasByte(w, '\n')) break;
      j += 8;
    }
    while (j < n && !NeedsEscape(static_cast<unsigned char>(d[j]))) ++j;
    out.append(d.data() + i, j - i);
    if (j == n) break;
    static constexpr char kHex[] = "0123456789ABCDEF";
    const auto c = static_cast<unsigned char>(d[j]);
    const char esc[3] = {'%', kHex[c >> 4], kHex[c & 15]};
    out.append(esc, 3);
    i = j + 1;
  }
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
