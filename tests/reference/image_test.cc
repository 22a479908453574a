// Captcha images in every RS-3 form a server may choose: PNGs written by
// Debian's libpng (every colour type, bit depths, Adam7, zlib levels) and by
// zlib directly, and binary PGM — ReadCaptcha must read them all (issue 14).
#include <png.h>
#include <zlib.h>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>

#include "reference/media/captcha.h"
#include "reference/media/image.h"

namespace mcpsim::reference {
namespace {

// A captcha and its pixels (decoded from the lossless PGM form).
struct Pic {
  std::string text;
  GrayImage img;
};

Pic Draw(std::uint64_t seed) {
  Rng rng(seed);
  Captcha c = MakeCaptcha(rng, 5, CaptchaFormat::kPgm);
  auto img = DecodePgm(c.png);
  EXPECT_TRUE(img.ok());
  return {c.text, *img};
}

enum class Form { kGray8, kGray16, kGray4, kGrayAlpha8, kRgb8, kRgba8, kRgb16, kPalette8, kPalette4, kPaletteTrns };

// Writes `img` with libpng in the given form; `interlace` = Adam7.
std::string WriteWithLibpng(const GrayImage& img, Form form, bool interlace, int zlevel) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng failed";
    return "";
  }
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<const char*>(data), n);
      },
      nullptr);
  png_set_compression_level(png, zlevel);
  int ctype = PNG_COLOR_TYPE_GRAY, depth = 8, channels = 1, bytes_per = 1;
  switch (form) {
    case Form::kGray8: break;
    case Form::kGray16: depth = 16; bytes_per = 2; break;
    case Form::kGray4: depth = 4; break;
    case Form::kGrayAlpha8: ctype = PNG_COLOR_TYPE_GRAY_ALPHA; channels = 2; break;
    case Form::kRgb8: ctype = PNG_COLOR_TYPE_RGB; channels = 3; break;
    case Form::kRgba8: ctype = PNG_COLOR_TYPE_RGBA; channels = 4; break;
    case Form::kRgb16: ctype = PNG_COLOR_TYPE_RGB; channels = 3; depth = 16; bytes_per = 2; break;
    case Form::kPalette8: case Form::kPaletteTrns: ctype = PNG_COLOR_TYPE_PALETTE; break;
    case Form::kPalette4: ctype = PNG_COLOR_TYPE_PALETTE; depth = 4; break;
  }
  png_set_IHDR(png, info, static_cast<png_uint_32>(img.width), static_cast<png_uint_32>(img.height), depth, ctype,
               interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  std::vector<png_color> pal;
  if (ctype == PNG_COLOR_TYPE_PALETTE) {
    const int n = depth == 4 ? 16 : 256;
    for (int i = 0; i < n; ++i) {
      const auto v = static_cast<png_byte>(i * 255 / (n - 1));
      pal.push_back({v, v, v});
    }
    png_set_PLTE(png, info, pal.data(), n);
    if (form == Form::kPaletteTrns) {
      // Index 255 (white) fully transparent: composited over white it stays white.
      std::vector<png_byte> alpha(256, 255);
      alpha[255] = 0;
      png_set_tRNS(png, info, alpha.data(), 256, nullptr);
    }
  }
  png_write_info(png, info);
  if (depth < 8) png_set_packing(png);
  const std::size_t row_bytes = static_cast<std::size_t>(img.width) * channels * bytes_per;
  std::vector<std::vector<png_byte>> rows(static_cast<std::size_t>(img.height), std::vector<png_byte>(row_bytes));
  std::vector<png_bytep> ptrs;
  for (int y = 0; y < img.height; ++y) {
    auto& r = rows[static_cast<std::size_t>(y)];
    for (int x = 0; x < img.width; ++x) {
      const png_byte g = img.at(x, y);
      png_byte* p = r.data() + static_cast<std::size_t>(x) * channels * bytes_per;
      switch (form) {
        case Form::kGray8: case Form::kPalette8: case Form::kPaletteTrns: p[0] = g; break;
        case Form::kGray16: p[0] = g; p[1] = g; break;  // 257 * g
        case Form::kGray4: case Form::kPalette4: p[0] = static_cast<png_byte>((g * 15 + 127) / 255); break;
        case Form::kGrayAlpha8: p[0] = g; p[1] = 255; break;
        case Form::kRgb8: p[0] = g; p[1] = g; p[2] = g; break;
        case Form::kRgba8: p[0] = g; p[1] = g; p[2] = g; p[3] = 255; break;
        case Form::kRgb16: for (int k = 0; k < 6; ++k) p[k] = g; break;
      }
    }
    ptrs.push_back(r.data());
  }
  png_write_image(png, ptrs.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

TEST(CaptchaImage, LibpngFormsAreReadLikeTheOriginal) {
  const Form forms[] = {Form::kGray8, Form::kGray16, Form::kGray4, Form::kGrayAlpha8, Form::kRgb8,
                        Form::kRgba8, Form::kRgb16, Form::kPalette8, Form::kPalette4, Form::kPaletteTrns};
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const Pic pic = Draw(seed);
    for (Form f : forms) {
      for (bool interlace : {false, true}) {
        for (int level : {1, 6, 9}) {
          const std::string bytes = WriteWithLibpng(pic.img, f, interlace, level);
          auto img = DecodeImage(bytes);
          ASSERT_TRUE(img.ok()) << "form " << int(f) << " interlace " << interlace << ": " << img.status().ToString();
          ASSERT_EQ(img->width, pic.img.width);
          ASSERT_EQ(img->height, pic.img.height);
          const bool lossless = f != Form::kGray4 && f != Form::kPalette4;
          if (lossless) {
            EXPECT_EQ(img->px, pic.img.px) << "form " << int(f) << " interlace " << interlace;
          }
          EXPECT_EQ(ReadCaptcha(bytes), pic.text) << "form " << int(f) << " interlace " << interlace;
        }
      }
    }
  }
}

TEST(CaptchaImage, EveryReferenceFormatAndZlibLevelReads) {
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    for (CaptchaFormat f : {CaptchaFormat::kPngStored, CaptchaFormat::kPngDeflate, CaptchaFormat::kPgm}) {
      Rng rng(seed);
      Captcha c = MakeCaptcha(rng, 5, f);
      EXPECT_EQ(c.mime, f == CaptchaFormat::kPgm ? "image/x-portable-graymap" : "image/png");
      EXPECT_EQ(ReadCaptcha(c.png), c.text) << "seed " << seed << " format " << int(f);
    }
  }
  // The random draws do not depend on the format: same text for one seed.
  Rng a(5), b(5);
  EXPECT_EQ(MakeCaptcha(a, 5, CaptchaFormat::kPgm).text, MakeCaptcha(b, 5, CaptchaFormat::kPngDeflate).text);
  const Pic pic = Draw(11);
  for (int level = 0; level <= 9; ++level) {
    const std::string png = EncodePngGray8Deflate(pic.img.px.data(), pic.img.width, pic.img.height, level);
    auto img = DecodePng(png);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(img->px, pic.img.px) << "level " << level;
  }
  // Compression actually happens (the noisy paper keeps the gain modest).
  Rng r1(3), r2(3);
  EXPECT_LT(MakeCaptcha(r1, 5, CaptchaFormat::kPngDeflate).png.size(),
            MakeCaptcha(r2, 5, CaptchaFormat::kPngStored).png.size());
}

TEST(CaptchaImage, PgmVariants) {
  const Pic pic = Draw(4);
  // Comments, other whitespace, maxval 65535 (two bytes per sample).
  std::string pgm = "P5 # made by hand\n# second comment\n" + std::to_string(pic.img.width) + "\t" +
                    std::to_string(pic.img.height) + "\r\n65535\n";
  for (std::uint8_t g : pic.img.px) {
    pgm.push_back(static_cast<char>(g));
    pgm.push_back(static_cast<char>(g));
  }
  auto img = DecodeImage(pgm);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->px, pic.img.px);
  EXPECT_EQ(ReadCaptcha(pgm), pic.text);
  // maxval 15 is scaled to 0..255.
  std::string small = "P5\n2 1\n15\n";
  small += '\x00';
  small += '\x0f';
  auto s = DecodePgm(small);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->px, (std::vector<std::uint8_t>{0, 255}));
}

TEST(CaptchaImage, BadImagesAreErrorsWithOffsets) {
  Rng rng(2);
  const std::string png = MakeCaptcha(rng, 5, CaptchaFormat::kPngDeflate).png;
  auto expect_bad = [](std::string_view bytes, const char* what) {
    auto r = DecodeImage(bytes);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().clause(), "RS-3") << what;
  };
  expect_bad("", "empty");
  expect_bad("GIF89a", "other format");
  expect_bad(png.substr(0, png.size() - 20), "truncated");
  std::string crc = png;
  crc[30] ^= 1;  // inside IHDR: CRC mismatch
  expect_bad(crc, "crc");
  expect_bad("P5\n10 10\n255\n" + std::string(50, 'x'), "short PGM raster");
  expect_bad("P5\n10 10\n0\n" + std::string(100, 'x'), "maxval 0");
  expect_bad("P5\n100000 100000\n255\n", "huge PGM");
  expect_bad("P2\n1 1\n255\n0", "plain PGM is not RS-3");
  // A decompression bomb: IHDR claims 2048x2048, IDAT is a few bytes of zeros
  // compressing 16 MiB; the decoder stops at the header's size.
  std::string raw(2048u * 2049u + 1000, '\0');
  uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
  std::string z(zlen, '\0');
  compress2(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()),
            static_cast<uLong>(raw.size()), 9);
  z.resize(zlen);
  std::string bomb = EncodePngGray8(reinterpret_cast<const std::uint8_t*>(raw.data()), 2048, 2048);
  // Replace the stored IDAT by the compressed one that is 1000 bytes too long.
  std::string ihdr_part = bomb.substr(0, 33);
  std::string idat;
  idat.push_back(static_cast<char>(z.size() >> 24));
  idat.push_back(static_cast<char>(z.size() >> 16));
  idat.push_back(static_cast<char>(z.size() >> 8));
  idat.push_back(static_cast<char>(z.size()));
  idat += "IDAT" + z;
  const std::uint32_t c = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(idat.data() + 4),
                                                           static_cast<uInt>(idat.size() - 4)));
  for (int k = 3; k >= 0; --k) idat.push_back(static_cast<char>(c >> (8 * k)));
  expect_bad(ihdr_part + idat + bomb.substr(bomb.size() - 12), "too much image data");
}

RC_GTEST_PROP(CaptchaImage, ArbitraryBytesNeverCrash, (const std::string& bytes)) {
  for (const std::string& b : {bytes, std::string("\x89PNG\r\n\x1a\n", 8) + bytes, "P5 " + bytes}) {
    auto r = DecodeImage(b);
    if (!r.ok()) RC_ASSERT(r.status().clause() == "RS-3");
  }
}

RC_GTEST_PROP(CaptchaImage, CorruptedCaptchasNeverCrash, (std::uint64_t seed, std::size_t at, std::uint8_t x)) {
  Rng rng(seed);
  std::string png = MakeCaptcha(rng, 5, CaptchaFormat::kPngDeflate).png;
  png[at % png.size()] = static_cast<char>(x);
  auto r = DecodeImage(png);
  if (r.ok()) {
    RC_ASSERT(r->px.size() == static_cast<std::size_t>(r->width) * r->height);
  }
  (void)ReadCaptcha(png);
}

}  // namespace
}  // namespace mcpsim::reference
