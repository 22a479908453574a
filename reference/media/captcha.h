// Captcha images for RS registration (PROTOCOL.md RS-*): a random text drawn
// with a built-in 5x7 bitmap font, scaled, jittered and speckled with noise,
// encoded as a greyscale PNG (stored or zlib-compressed image data) or a
// binary PGM (reference/media/image.h). All randomness comes from the
// caller's Rng, so a simulation seed fixes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/rng.h"
#include "reference/media/image.h"

namespace mcpsim::reference {

// Characters a captcha may contain (RS-2): uppercase letters and digits
// without the easily confused 0/O and 1/I; 32 symbols.
inline constexpr std::string_view kCaptchaAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

// How the reference RS encodes its captchas (RsConfig::captcha_format; all
// are RS-3 formats a client must read).
enum class CaptchaFormat {
  kPngStored,   // PNG, image data in stored deflate blocks (the default)
  kPngDeflate,  // PNG, zlib level 9 with per-row filters
  kPgm,         // binary PGM P5
};
// "png", "png-deflate", "pgm"; nullopt for other names.
std::optional<CaptchaFormat> ParseCaptchaFormat(std::string_view name);
// The AAP mime param (RS-3): "image/png" or "image/x-portable-graymap".
std::string_view CaptchaMime(CaptchaFormat f);

struct Captcha {
  std::string text;  // the answer, uppercase
  std::string png;   // the image file bytes (PNG or PGM, see `mime`)
  std::string mime = "image/png";
  int width = 0;
  int height = 0;
};

// Draws a captcha of `length` characters (REQUIRES 1 <= length <= 12). The
// random draws do not depend on `format`.
Captcha MakeCaptcha(Rng& rng, int length = 5, CaptchaFormat format = CaptchaFormat::kPngStored);

// A simulated user reading a captcha image drawn in the reference's font and
// layout: decodes any valid PNG or binary PGM (DecodeImage) and matches each
// character cell against the font. nullopt if the image does not decode or
// has no room for one character cell.
std::optional<std::string> ReadCaptcha(std::string_view image);
std::optional<std::string> ReadCaptcha(const GrayImage& image);

// The bitmap of `c` in the 5x7 font: 7 rows, bit 4 = leftmost column.
// Returns nullptr for characters outside kCaptchaAlphabet.
const std::uint8_t* GlyphRows(char c);

}  // namespace mcpsim::reference
