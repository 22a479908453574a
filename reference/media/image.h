// Captcha image codecs (PROTOCOL.md RS-3: "a PNG or binary PGM (`P5`)").
//
// DecodeImage reads any valid PNG (PNG 1.2 / ISO 15948: every colour type —
// greyscale, RGB, palette, greyscale+alpha, RGBA — every bit depth, every
// filter type, Adam7 interlacing, any zlib compression level, tRNS) and
// binary PGM `P5` (maxval 1..65535, comments in the header), and returns the
// picture as 8-bit luminance, composited over white where it has alpha.
// Hostile input is bounded: at most kMaxImagePixels pixels and
// kMaxImageBytes of decompressed scanline data; every failure is an error
// value (clause RS-3, byte offset into the file where one applies), never a
// crash or an unbounded allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mcpsim::reference {

inline constexpr std::uint64_t kMaxImagePixels = 4u << 20;   // 4 Mi pixels
inline constexpr std::uint64_t kMaxImageBytes = 64u << 20;   // decompressed PNG scanlines

struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> px;  // row-major, width*height, 0 = black, 255 = white
  std::uint8_t at(int x, int y) const { return px[static_cast<std::size_t>(y) * width + x]; }
};

// PNG or PGM P5, chosen by the file's signature.
Result<GrayImage> DecodeImage(std::string_view bytes);
Result<GrayImage> DecodePng(std::string_view bytes);
Result<GrayImage> DecodePgm(std::string_view bytes);

// Encoders (the reference RS's captcha formats, RsConfig::captcha_format).
// 8-bit greyscale PNG with its image data in stored (uncompressed) deflate
// blocks — no compression library needed to read it back.
std::string EncodePngGray8(const std::uint8_t* pixels, int width, int height);
// 8-bit greyscale PNG compressed by zlib at `level` (0..9), with per-row
// filters chosen by the usual minimum-sum-of-absolute-differences heuristic.
std::string EncodePngGray8Deflate(const std::uint8_t* pixels, int width, int height, int level = 9);
// Binary PGM: "P5\n<w> <h>\n255\n" + the pixels.
std::string EncodePgm(const std::uint8_t* pixels, int width, int height);

}  // namespace mcpsim::reference
