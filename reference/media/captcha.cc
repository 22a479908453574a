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

}  // namespace

const std::uint8_t* GlyphRows(char c) {
  for (const Glyph& g : kFont) {
    if (g.c == c) return g.rows;
  }
  return nullptr;
}

namespace {
constexpr int kScale = 3, kCell = 6 * kScale, kMargin = 4;

}  // namespace

std::optional<CaptchaFormat> ParseCaptchaFormat(std::string_view name) {
  if (name == "png") return CaptchaFormat::kPngStored;
  if (name == "png-deflate") return CaptchaFormat::kPngDeflate;
  if (name == "pgm") return CaptchaFormat::kPgm;
  return std::nullopt;
}

std::string_view CaptchaMime(CaptchaFormat f) {
  return f == CaptchaFormat::kPgm ? "image/x-portable-graymap" : "image/png";
}

std::optional<std::string> ReadCaptcha(std::string_view image) {
  auto img = DecodeImage(image);
  if (!img.ok()) return std::nullopt;
  return ReadCaptcha(*img);
}

std::optional<std::string> ReadCaptcha(const GrayImage& img) {
  const int width = img.width, height = img.height;
  auto ink = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= width || y >= height) return false;
    return img.at(x, y) < 80;
  };
  const int length = (width - 2 * kMargin) / kCell;
  if (length < 1 || length > 64) return std::nullopt;
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

Captcha MakeCaptcha(Rng& rng, int length, CaptchaFormat format) {
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
  switch (format) {
    case CaptchaFormat::kPngStored: c.png = EncodePngGray8(px.data(), c.width, c.height); break;
    case CaptchaFormat::kPngDeflate: c.png = EncodePngGray8Deflate(px.data(), c.width, c.height, 9); break;
    case CaptchaFormat::kPgm: c.png = EncodePgm(px.data(), c.width, c.height); break;
  }
  c.mime = std::string(CaptchaMime(format));
  return c;
}

}  // namespace mcpsim::reference
