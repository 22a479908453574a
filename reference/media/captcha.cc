#include "reference/media/captcha.h"

#include <array>
#include <vector>

namespace mcpsim::reference {
namespace {

struct Glyph {
  char c;
  std::uint8_t rows[7];
};

// 5x7 font, one byte per row, bit 4 is the leftmost pixel.
constexpr Glyph kFont[] = {
    {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}}, {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}}, {'D', {0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}}, {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}}, {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}}, {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
    {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}}, {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}},
    {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}}, {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
    {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}}, {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
    {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}}, {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}},
    {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}}, {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}},
    {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}}, {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
    {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}}, {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
    {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}}, {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
    {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}}, {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
    {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
};

std::uint32_t Crc32(const std::uint8_t* p, std::size_t n, std::uint32_t crc = 0) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void PutBe32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

void Chunk(std::string& out, const char* type, const std::string& data) {
  PutBe32(out, static_cast<std::uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  PutBe32(out, Crc32(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
}

}  // namespace

const std::uint8_t* GlyphRows(char c) {
  for (const Glyph& g : kFont) {
    if (g.c == c) return g.rows;
  }
  return nullptr;
}

std::string EncodePngGray8(const std::uint8_t* pixels, int width, int height) {
  // Raw scanlines, each prefixed by filter type 0.
  std::string raw;
  raw.reserve(static_cast<std::size_t>(height) * (width + 1));
  for (int y = 0; y < height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(pixels + static_cast<std::size_t>(y) * width), width);
  }
  // zlib stream of stored (uncompressed) deflate blocks of at most 65535 bytes.
  std::string z = "\x78\x01";
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min<std::size_t>(65535, raw.size() - pos);
    const bool last = pos + n == raw.size();
    z.push_back(last ? '\x01' : '\x00');
    z.push_back(static_cast<char>(n & 0xFF));
    z.push_back(static_cast<char>(n >> 8));
    z.push_back(static_cast<char>(~n & 0xFF));
    z.push_back(static_cast<char>((~n >> 8) & 0xFF));
    z.append(raw, pos, n);
    pos += n;
  } while (pos < raw.size());
  std::uint32_t a = 1, b = 0;  // Adler-32
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  PutBe32(z, (b << 16) | a);

  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  PutBe32(ihdr, static_cast<std::uint32_t>(width));
  PutBe32(ihdr, static_cast<std::uint32_t>(height));
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit gray, deflate, filter 0, no interlace
  Chunk(png, "IHDR", ihdr);
  Chunk(png, "IDAT", z);
  Chunk(png, "IEND", "");
  return png;
}

namespace {
constexpr int kScale = 3, kCell = 6 * kScale, kMargin = 4;

std::uint32_t Be32(std::string_view s, std::size_t at) {
  return std::uint32_t(std::uint8_t(s[at])) << 24 | std::uint32_t(std::uint8_t(s[at + 1])) << 16 |
         std::uint32_t(std::uint8_t(s[at + 2])) << 8 | std::uint8_t(s[at + 3]);
}
}  // namespace

std::optional<std::string> ReadCaptcha(std::string_view png) {
  if (png.size() < 33 || png.substr(0, 8) != std::string_view("\x89PNG\r\n\x1a\n", 8)) return std::nullopt;
  const int width = static_cast<int>(Be32(png, 16)), height = static_cast<int>(Be32(png, 20));
  if (width <= 0 || height <= 0 || width > 4096 || height > 4096) return std::nullopt;
  std::string z;
  for (std::size_t pos = 8; pos + 12 <= png.size();) {
    const std::uint32_t len = Be32(png, pos);
    if (len > png.size() - pos - 12) return std::nullopt;
    if (png.substr(pos + 4, 4) == "IDAT") z.append(png.substr(pos + 8, len));
    pos += 12 + len;
  }
  // Inflate stored blocks only (what EncodePngGray8 writes).
  std::string raw;
  std::size_t p = 2;
  for (bool last = false; !last;) {
    if (p + 5 > z.size()) return std::nullopt;
    const auto hdr = static_cast<std::uint8_t>(z[p]);
    if ((hdr >> 1) & 3) return std::nullopt;
    last = hdr & 1;
    const std::size_t n = std::uint8_t(z[p + 1]) | std::uint8_t(z[p + 2]) << 8;
    if (p + 5 + n > z.size()) return std::nullopt;
    raw.append(z, p + 5, n);
    p += 5 + n;
  }
  if (raw.size() != static_cast<std::size_t>(height) * (width + 1)) return std::nullopt;
  auto ink = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= width || y >= height) return false;
    return static_cast<std::uint8_t>(raw[static_cast<std::size_t>(y) * (width + 1) + 1 + x]) < 80;
  };
  const int length = (width - 2 * kMargin) / kCell;
  std::string text;
  for (int i = 0; i < length; ++i) {
    int best = -1 << 30;
    char best_c = '?';
    for (char c : kCaptchaAlphabet) {
      const std::uint8_t* rows = GlyphRows(c);
      for (int dx = 0; dx < 3; ++dx) {
        for (int dy = 0; dy < 5; ++dy) {
          const int x0 = kMargin + i * kCell + dx, y0 = kMargin + dy;
          int score = 0;
          for (int gy = 0; gy < 7; ++gy) {
            for (int gx = 0; gx < 5; ++gx) {
              // A scaled pixel is inked if most of its block is; a stroke
              // across it (drawn over the text) hides at most one row.
              const bool want = rows[gy] & (0x10 >> gx);
              int inked = 0;
              for (int sy = 0; sy < kScale; ++sy) {
                for (int sx = 0; sx < kScale; ++sx) inked += ink(x0 + gx * kScale + sx, y0 + gy * kScale + sy);
              }
              const bool got = inked >= 4;
              score += want == got ? 1 : -1;
            }
          }
          if (score > best) {
            best = score;
            best_c = c;
          }
        }
      }
    }
    text.push_back(best_c);
  }
  return text;
}

Captcha MakeCaptcha(Rng& rng, int length) {
  Captcha c;
  for (int i = 0; i < length; ++i) {
    c.text.push_back(kCaptchaAlphabet[rng.Below(kCaptchaAlphabet.size())]);
  }
  c.width = kMargin * 2 + kCell * length;
  c.height = kMargin * 2 + 7 * kScale + 4;
  std::vector<std::uint8_t> px(static_cast<std::size_t>(c.width) * c.height);
  for (auto& p : px) p = static_cast<std::uint8_t>(200 + rng.Below(56));  // light noisy paper
  for (int i = 0; i < length; ++i) {
    const std::uint8_t* rows = GlyphRows(c.text[i]);
    const int x0 = kMargin + i * kCell + static_cast<int>(rng.Below(3));
    const int y0 = kMargin + static_cast<int>(rng.Below(5));
    const auto ink = static_cast<std::uint8_t>(rng.Below(70));
    for (int gy = 0; gy < 7; ++gy) {
      for (int gx = 0; gx < 5; ++gx) {
        if (!(rows[gy] & (0x10 >> gx))) continue;
        for (int sy = 0; sy < kScale; ++sy) {
          for (int sx = 0; sx < kScale; ++sx) {
            const int x = x0 + gx * kScale + sx, y = y0 + gy * kScale + sy;
            px[static_cast<std::size_t>(y) * c.width + x] = ink;
          }
        }
      }
    }
  }
  // A few random grey strokes across the text.
  for (int line = 0; line < 3; ++line) {
    int y = static_cast<int>(rng.Below(c.height));
    for (int x = 0; x < c.width; ++x) {
      auto& p = px[static_cast<std::size_t>(y) * c.width + x];
      p = std::min<std::uint8_t>(p, 90);  // strokes run behind the (darker) ink
      if (rng.Chance(0.2)) y = std::min(c.height - 1, std::max(0, y + (rng.Chance(0.5) ? 1 : -1)));
    }
  }
  c.png = EncodePngGray8(px.data(), c.width, c.height);
  return c;
}

}  // namespace mcpsim::reference
