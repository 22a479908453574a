#include "reference/media/image.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdlib>

namespace mcpsim::reference {
namespace {

constexpr std::string_view kPngSig("\x89PNG\r\n\x1a\n", 8);

Status Bad(std::string message, std::uint64_t offset = kNoOffset) {
  return Status::Error("RS-3", std::move(message), offset);
}

std::uint32_t Be32(std::string_view s, std::size_t at) {
  return std::uint32_t(std::uint8_t(s[at])) << 24 | std::uint32_t(std::uint8_t(s[at + 1])) << 16 |
         std::uint32_t(std::uint8_t(s[at + 2])) << 8 | std::uint8_t(s[at + 3]);
}

void PutBe32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

std::uint32_t Crc(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

void Chunk(std::string& out, const char* type, const std::string& data) {
  PutBe32(out, static_cast<std::uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  out += body;
  PutBe32(out, Crc(body));
}

std::string PngWithIdat(int width, int height, const std::string& zdata) {
  std::string png(kPngSig);
  std::string ihdr;
  PutBe32(ihdr, static_cast<std::uint32_t>(width));
  PutBe32(ihdr, static_cast<std::uint32_t>(height));
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit grey, deflate, filter 0, no interlace
  Chunk(png, "IHDR", ihdr);
  Chunk(png, "IDAT", zdata);
  Chunk(png, "IEND", "");
  return png;
}

int Paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

// Undoes one scanline's filter in place. `prev` is the previous (already
// unfiltered) row of the same pass, or all zeros for the first.
bool Unfilter(std::uint8_t type, std::uint8_t* row, const std::uint8_t* prev, std::size_t n, std::size_t bpp) {
  switch (type) {
    case 0:
      return true;
    case 1:
      for (std::size_t i = bpp; i < n; ++i) row[i] = static_cast<std::uint8_t>(row[i] + row[i - bpp]);
      return true;
    case 2:
      for (std::size_t i = 0; i < n; ++i) row[i] = static_cast<std::uint8_t>(row[i] + prev[i]);
      return true;
    case 3:
      for (std::size_t i = 0; i < n; ++i) {
        const int left = i >= bpp ? row[i - bpp] : 0;
        row[i] = static_cast<std::uint8_t>(row[i] + ((left + prev[i]) >> 1));
      }
      return true;
    case 4:
      for (std::size_t i = 0; i < n; ++i) {
        const int a = i >= bpp ? row[i - bpp] : 0, c = i >= bpp ? prev[i - bpp] : 0;
        row[i] = static_cast<std::uint8_t>(row[i] + Paeth(a, prev[i], c));
      }
      return true;
    default:
      return false;
  }
}

struct PngHeader {
  std::uint32_t width = 0, height = 0;
  int depth = 0, ctype = 0, interlace = 0;
  int Channels() const { return ctype == 0 || ctype == 3 ? 1 : ctype == 2 ? 3 : ctype == 4 ? 2 : 4; }
};

bool ValidDepth(int ctype, int depth) {
  switch (ctype) {
    case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2: case 4: case 6: return depth == 8 || depth == 16;
    default: return false;
  }
}

struct Pass {
  int x0, y0, dx, dy;
};
constexpr std::array<Pass, 7> kAdam7 = {{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                         {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}};

std::uint64_t PassSize(std::uint32_t full, int start, int step) {
  return full > static_cast<std::uint32_t>(start) ? (full - start + step - 1) / step : 0;
}

}  // namespace

Result<GrayImage> DecodePng(std::string_view b) {
  if (b.size() < 8 || b.substr(0, 8) != kPngSig) return Bad("not a PNG signature", 0);
  PngHeader h;
  bool have_ihdr = false, have_iend = false;
  std::string zdata;
  std::vector<std::array<std::uint8_t, 3>> palette;
  std::vector<std::uint8_t> trns;  // raw tRNS chunk data
  std::size_t pos = 8;
  while (!have_iend) {
    if (pos + 12 > b.size()) return Bad("truncated PNG chunk (no IEND)", pos);
    const std::uint32_t len = Be32(b, pos);
    if (len > 0x7FFFFFFFu || len > b.size() - pos - 12) return Bad("PNG chunk length beyond the file", pos);
    const std::string_view type = b.substr(pos + 4, 4), data = b.substr(pos + 8, len);
    if (Crc(b.substr(pos + 4, 4 + len)) != Be32(b, pos + 8 + len)) return Bad("PNG chunk CRC mismatch", pos + 8 + len);
    if (!have_ihdr && type != "IHDR") return Bad("first PNG chunk is not IHDR", pos + 4);
    if (type == "IHDR") {
      if (have_ihdr || len != 13) return Bad("bad IHDR", pos);
      have_ihdr = true;
      h.width = Be32(data, 0);
      h.height = Be32(data, 4);
      h.depth = std::uint8_t(data[8]);
      h.ctype = std::uint8_t(data[9]);
      h.interlace = std::uint8_t(data[12]);
      if (h.width == 0 || h.height == 0 || h.width > 0x7FFFFFFFu || h.height > 0x7FFFFFFFu) {
        return Bad("PNG width or height out of range", pos + 8);
      }
      if (std::uint64_t(h.width) * h.height > kMaxImagePixels) return Bad("PNG image too large", pos + 8);
      if (!ValidDepth(h.ctype, h.depth)) return Bad("PNG colour type / bit depth combination not allowed", pos + 16);
      if (data[10] != 0 || data[11] != 0 || h.interlace > 1) return Bad("unknown PNG compression, filter or interlace method", pos + 18);
    } else if (type == "PLTE") {
      if (len % 3 != 0 || len == 0 || len > 768) return Bad("bad PLTE length", pos);
      palette.clear();
      for (std::size_t i = 0; i < len; i += 3) {
        palette.push_back({std::uint8_t(data[i]), std::uint8_t(data[i + 1]), std::uint8_t(data[i + 2])});
      }
    } else if (type == "tRNS") {
      trns.assign(data.begin(), data.end());
    } else if (type == "IDAT") {
      zdata.append(data);
    } else if (type == "IEND") {
      have_iend = true;
    } else if (type[0] >= 'A' && type[0] <= 'Z') {
      return Bad("unknown critical PNG chunk " + std::string(type), pos + 4);
    }  // ancillary chunks (lowercase first letter) are skipped
    pos += 12 + len;
  }
  if (h.ctype == 3 && palette.empty()) return Bad("palette image without PLTE");
  if (zdata.empty()) return Bad("PNG without IDAT");

  // Scanline layout of every pass (one pass without interlacing).
  const int channels = h.Channels();
  const std::uint64_t bits_pp = std::uint64_t(channels) * h.depth;
  const std::size_t bpp = static_cast<std::size_t>(std::max<std::uint64_t>(1, bits_pp / 8));
  std::vector<Pass> passes;
  if (h.interlace) {
    passes.assign(kAdam7.begin(), kAdam7.end());
  } else {
    passes.push_back({0, 0, 1, 1});
  }
  std::uint64_t raw_size = 0;
  for (const Pass& p : passes) {
    const std::uint64_t pw = PassSize(h.width, p.x0, p.dx), ph = PassSize(h.height, p.y0, p.dy);
    if (pw && ph) raw_size += ph * (1 + (pw * bits_pp + 7) / 8);
  }
  if (raw_size > kMaxImageBytes) return Bad("PNG image data too large");

  std::vector<std::uint8_t> raw(static_cast<std::size_t>(raw_size));
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Bad("zlib initialisation failed");
  zs.next_in = reinterpret_cast<Bytef*>(zdata.data());
  zs.avail_in = static_cast<uInt>(zdata.size());
  zs.next_out = raw.data();
  zs.avail_out = static_cast<uInt>(raw.size());
  int rc = inflate(&zs, Z_FINISH);
  if (rc == Z_BUF_ERROR && zs.avail_out == 0) {
    // Output full before the stream ended: one more byte would be too many.
    std::uint8_t extra = 0;
    zs.next_out = &extra;
    zs.avail_out = 1;
    rc = inflate(&zs, Z_FINISH);
    if (zs.avail_out == 0) rc = Z_DATA_ERROR;
  }
  const std::string zmsg = zs.msg ? zs.msg : "";
  const std::uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return Bad("PNG image data does not inflate" + (zmsg.empty() ? "" : ": " + zmsg));
  if (produced != raw.size()) return Bad("PNG image data shorter than the header says");

  // Palette transparency and colour keys.
  std::vector<std::uint8_t> pal_alpha(palette.size(), 255);
  int key_gray = -1, key_r = -1, key_g = -1, key_b = -1;
  if (h.ctype == 3) {
    if (trns.size() > palette.size()) return Bad("tRNS longer than PLTE");
    for (std::size_t i = 0; i < trns.size(); ++i) pal_alpha[i] = trns[i];
  } else if (h.ctype == 0 && trns.size() == 2) {
    key_gray = trns[0] << 8 | trns[1];
  } else if (h.ctype == 2 && trns.size() == 6) {
    key_r = trns[0] << 8 | trns[1];
    key_g = trns[2] << 8 | trns[3];
    key_b = trns[4] << 8 | trns[5];
  }

  GrayImage img;
  img.width = static_cast<int>(h.width);
  img.height = static_cast<int>(h.height);
  img.px.assign(static_cast<std::size_t>(h.width) * h.height, 255);
  const int maxv = (1 << h.depth) - 1;
  auto scale8 = [&](int v) { return h.depth == 16 ? v >> 8 : h.depth == 8 ? v : v * 255 / maxv; };
  std::size_t off = 0;
  for (const Pass& p : passes) {
    const std::uint64_t pw = PassSize(h.width, p.x0, p.dx), ph = PassSize(h.height, p.y0, p.dy);
    if (!pw || !ph) continue;
    const std::size_t stride = static_cast<std::size_t>((pw * bits_pp + 7) / 8);
    std::vector<std::uint8_t> zero(stride, 0);
    const std::uint8_t* prev = zero.data();
    for (std::uint64_t y = 0; y < ph; ++y) {
      std::uint8_t* row = raw.data() + off + 1;
      if (!Unfilter(raw[off], row, prev, stride, bpp)) return Bad("unknown PNG filter type " + std::to_string(raw[off]));
      auto sample = [&](std::uint64_t i) -> int {  // i-th sample of the row
        if (h.depth == 16) return row[2 * i] << 8 | row[2 * i + 1];
        if (h.depth == 8) return row[i];
        const std::uint64_t bit = i * h.depth;
        return (row[bit / 8] >> (8 - h.depth - bit % 8)) & maxv;
      };
      for (std::uint64_t x = 0; x < pw; ++x) {
        int l = 255, a = 255;
        const std::uint64_t s = x * channels;
        switch (h.ctype) {
          case 0: {
            const int g = sample(s);
            l = scale8(g);
            if (g == key_gray) a = 0;
            break;
          }
          case 2: case 6: {
            const int r = sample(s), g = sample(s + 1), bl = sample(s + 2);
            l = (scale8(r) * 299 + scale8(g) * 587 + scale8(bl) * 114 + 500) / 1000;
            if (h.ctype == 6) a = scale8(sample(s + 3));
            else if (r == key_r && g == key_g && bl == key_b) a = 0;
            break;
          }
          case 3: {
            const int idx = sample(s);
            if (static_cast<std::size_t>(idx) >= palette.size()) return Bad("palette index beyond PLTE");
            const auto& c = palette[static_cast<std::size_t>(idx)];
            l = (c[0] * 299 + c[1] * 587 + c[2] * 114 + 500) / 1000;
            a = pal_alpha[static_cast<std::size_t>(idx)];
            break;
          }
          case 4:
            l = scale8(sample(s));
            a = scale8(sample(s + 1));
            break;
        }
        const int out = (l * a + 255 * (255 - a) + 127) / 255;  // over white paper
        img.px[static_cast<std::size_t>(p.y0 + y * p.dy) * h.width + p.x0 + x * p.dx] = static_cast<std::uint8_t>(out);
      }
      prev = row;
      off += 1 + stride;
    }
  }
  return img;
}

Result<GrayImage> DecodePgm(std::string_view b) {
  if (b.size() < 2 || b[0] != 'P' || b[1] != '5') return Bad("not a binary PGM (P5)", 0);
  std::size_t pos = 2;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  std::uint64_t v[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    // Whitespace and comments ('#' to the end of the line) before each number.
    bool sep = false;
    while (pos < b.size() && (is_space(b[pos]) || b[pos] == '#')) {
      if (b[pos] == '#') {
        while (pos < b.size() && b[pos] != '\n' && b[pos] != '\r') ++pos;
      } else {
        ++pos;
      }
      sep = true;
    }
    if (!sep) return Bad("PGM header: whitespace expected", pos);
    const std::size_t start = pos;
    while (pos < b.size() && b[pos] >= '0' && b[pos] <= '9' && pos - start < 10) v[k] = v[k] * 10 + (b[pos++] - '0');
    if (pos == start || (pos < b.size() && b[pos] >= '0' && b[pos] <= '9')) return Bad("PGM header: bad number", start);
  }
  if (pos >= b.size() || !is_space(b[pos])) return Bad("PGM header: one whitespace byte must follow maxval", pos);
  ++pos;
  const std::uint64_t w = v[0], hgt = v[1], maxval = v[2];
  if (w == 0 || hgt == 0 || w * hgt > kMaxImagePixels) return Bad("PGM width or height out of range", 2);
  if (maxval == 0 || maxval > 65535) return Bad("PGM maxval out of range 1..65535", 2);
  const std::size_t bps = maxval > 255 ? 2 : 1;
  const std::uint64_t need = w * hgt * bps;
  if (b.size() - pos < need) return Bad("PGM raster truncated", b.size());
  GrayImage img;
  img.width = static_cast<int>(w);
  img.height = static_cast<int>(hgt);
  img.px.resize(static_cast<std::size_t>(w * hgt));
  for (std::size_t i = 0; i < img.px.size(); ++i) {
    std::uint64_t s = std::uint8_t(b[pos + i * bps]);
    if (bps == 2) s = s << 8 | std::uint8_t(b[pos + i * bps + 1]);
    if (s > maxval) return Bad("PGM sample above maxval", pos + i * bps);
    img.px[i] = static_cast<std::uint8_t>((s * 255 + maxval / 2) / maxval);
  }
  return img;
}

Result<GrayImage> DecodeImage(std::string_view bytes) {
  if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] == '5') return DecodePgm(bytes);
  if (bytes.size() >= 8 && bytes.substr(0, 8) == kPngSig) return DecodePng(bytes);
  return Bad("neither a PNG nor a binary PGM (P5) image", 0);
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
  PutBe32(z, static_cast<std::uint32_t>(adler32(1, reinterpret_cast<const Bytef*>(raw.data()),
                                                 static_cast<uInt>(raw.size()))));
  return PngWithIdat(width, height, z);
}

std::string EncodePngGray8Deflate(const std::uint8_t* pixels, int width, int height, int level) {
  const auto w = static_cast<std::size_t>(width);
  std::string raw;
  raw.reserve(static_cast<std::size_t>(height) * (w + 1));
  std::vector<std::uint8_t> zero(w, 0), cand(w), best(w);
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* cur = pixels + static_cast<std::size_t>(y) * w;
    const std::uint8_t* up = y ? cur - w : zero.data();
    long best_sum = -1;
    std::uint8_t best_type = 0;
    for (std::uint8_t type = 0; type <= 4; ++type) {
      long sum = 0;
      for (std::size_t i = 0; i < w; ++i) {
        const int a = i ? cur[i - 1] : 0, c = i ? up[i - 1] : 0, bb = up[i];
        int pred = 0;
        if (type == 1) pred = a;
        if (type == 2) pred = bb;
        if (type == 3) pred = (a + bb) >> 1;
        if (type == 4) pred = Paeth(a, bb, c);
        cand[i] = static_cast<std::uint8_t>(cur[i] - pred);
        sum += std::abs(static_cast<std::int8_t>(cand[i]));
      }
      if (best_sum < 0 || sum < best_sum) {
        best_sum = sum;
        best_type = type;
        best = cand;
      }
    }
    raw.push_back(static_cast<char>(best_type));
    raw.append(reinterpret_cast<const char*>(best.data()), w);
  }
  uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
  std::string z(zlen, '\0');
  compress2(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()),
            static_cast<uLong>(raw.size()), level);
  z.resize(zlen);
  return PngWithIdat(width, height, z);
}

std::string EncodePgm(const std::uint8_t* pixels, int width, int height) {
  std::string out = "P5\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n";
  out.append(reinterpret_cast<const char*>(pixels), static_cast<std::size_t>(width) * height);
  return out;
}

}  // namespace mcpsim::reference
