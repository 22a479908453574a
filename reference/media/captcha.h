// Captcha images for RS registration (PROTOCOL.md RS-*): a random text drawn
// with a built-in 5x7 bitmap font, scaled, jittered and speckled with noise,
// encoded as a real grayscale PNG (stored deflate blocks, CRC-32, Adler-32).
// All randomness comes from the caller's Rng, so a simulation seed fixes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/rng.h"

namespace mcpsim::reference {

// Characters a captcha may contain (RS-2): uppercase letters and digits
// without the easily confused 0/O and 1/I; 32 symbols.
inline constexpr std::string_view kCaptchaAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

struct Captcha {
  std::string text;  // the answer, uppercase
  std::string png;   // the image file bytes
  int width = 0;
  int height = 0;
};

// Draws a captcha of `length` characters (REQUIRES 1 <= length <= 12).
Captcha MakeCaptcha(Rng& rng, int length = 5);

// Encodes an 8-bit grayscale image (row-major, width*height bytes) as PNG.
std::string EncodePngGray8(const std::uint8_t* pixels, int width, int height);

// A simulated user reading a captcha image made by MakeCaptcha: decodes the
// PNG (stored-deflate images only) and matches each character cell against
// the font. nullopt if the image is not one of ours.
std::optional<std::string> ReadCaptcha(std::string_view png);

// The bitmap of `c` in the 5x7 font: 7 rows, bit 4 = leftmost column.
// Returns nullptr for characters outside kCaptchaAlphabet.
const std::uint8_t* GlyphRows(char c);

}  // namespace mcpsim::reference
