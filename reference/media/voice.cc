#include "reference/media/voice.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

extern "C" {
#include <gsm/gsm.h>
}

namespace mcpsim::reference {
namespace {

constexpr std::size_t kFrameBytes = 33;
constexpr std::size_t kWavBlock = 65;  // two frames, WAV49 packing
constexpr int kSamples = 160;

struct GsmDeleter {
  void operator()(gsm_state* g) const { gsm_destroy(g); }
};
using Gsm = std::unique_ptr<gsm_state, GsmDeleter>;

Gsm NewGsm(bool wav49) {
  Gsm g(gsm_create());
  if (g && wav49) {
    int one = 1;
    gsm_option(g.get(), GSM_OPT_WAV49, &one);
  }
  return g;
}

std::uint32_t Le32(std::string_view b, std::size_t at) {
  return std::uint32_t(std::uint8_t(b[at])) | std::uint32_t(std::uint8_t(b[at + 1])) << 8 |
         std::uint32_t(std::uint8_t(b[at + 2])) << 16 | std::uint32_t(std::uint8_t(b[at + 3])) << 24;
}
std::uint16_t Le16(std::string_view b, std::size_t at) {
  return static_cast<std::uint16_t>(std::uint8_t(b[at]) | std::uint8_t(b[at + 1]) << 8);
}
void PutLe32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}
void PutLe16(std::string& s, std::uint16_t v) {
  s.push_back(static_cast<char>(v));
  s.push_back(static_cast<char>(v >> 8));
}

Status NotGsm(const std::string& why, std::uint64_t offset) {
  return Status::Error("VOICE-2", "not GSM 6.10: " + why, offset);
}

Result<VoiceInfo> ValidateWav(std::string_view b) {
  if (b.size() < 12 || b.substr(8, 4) != "WAVE") return NotGsm("RIFF without WAVE", 8);
  if (Le32(b, 4) != b.size() - 8) return NotGsm("RIFF size is not total - 8", 4);
  std::size_t pos = 12;
  bool fmt_ok = false;
  while (pos + 8 <= b.size()) {
    const std::string_view id = b.substr(pos, 4);
    const std::uint32_t len = Le32(b, pos + 4);
    const std::size_t body = pos + 8;
    if (len > b.size() - body) return NotGsm("chunk runs past the end", pos + 4);
    if (id == "fmt ") {
      if (len < 20) return NotGsm("fmt chunk too short", pos);
      if (Le16(b, body) != 0x0031) return NotGsm("format tag is not 0x0031", body);
      if (Le16(b, body + 2) != 1) return NotGsm("not mono", body + 2);
      if (Le32(b, body + 4) != 8000) return NotGsm("sample rate is not 8000 Hz", body + 4);
      if (Le32(b, body + 8) != 1625) return NotGsm("nAvgBytesPerSec is not 1625", body + 8);
      if (Le16(b, body + 12) != kWavBlock) return NotGsm("block align is not 65", body + 12);
      if (Le16(b, body + 14) != 0) return NotGsm("wBitsPerSample is not 0", body + 14);
      if (Le16(b, body + 16) != 2) return NotGsm("cbSize is not 2", body + 16);
      if (Le16(b, body + 18) != 320) return NotGsm("wSamplesPerBlock is not 320", body + 18);
      fmt_ok = true;
    } else if (id == "data") {
      if (!fmt_ok) return NotGsm("data chunk before fmt chunk", pos);
      if (len == 0 || len % kWavBlock != 0) return NotGsm("data is not whole 65-byte blocks", pos + 4);
      Gsm g = NewGsm(true);
      gsm_signal out[kSamples];
      for (std::size_t off = 0; off < len; off += kWavBlock) {
        auto* p = reinterpret_cast<gsm_byte*>(const_cast<char*>(b.data() + body + off));
        if (gsm_decode(g.get(), p, out) != 0 || gsm_decode(g.get(), p + kFrameBytes, out) != 0) {
          return NotGsm("undecodable block", body + off);
        }
      }
      VoiceInfo info;
      info.container = VoiceInfo::Container::kWav49;
      info.frames = static_cast<std::uint32_t>(len / kWavBlock * 2);
      info.duration_ms = info.frames * 20;
      return info;
    }
    pos = body + len + (len & 1);
  }
  return NotGsm(fmt_ok ? "no data chunk" : "no fmt chunk", pos);
}

}  // namespace

Result<VoiceInfo> ValidateVoice(std::string_view b) {
  if (b.empty()) return NotGsm("empty clip", 0);
  if (b.size() >= 4 && b.substr(0, 4) == "RIFF") return ValidateWav(b);
  if (b.size() % kFrameBytes != 0) return NotGsm("length is not a multiple of 33", b.size());
  Gsm g = NewGsm(false);
  gsm_signal out[kSamples];
  for (std::size_t off = 0; off < b.size(); off += kFrameBytes) {
    if ((static_cast<std::uint8_t>(b[off]) >> 4) != 0xD) return NotGsm("bad frame magic", off);
    auto* p = reinterpret_cast<gsm_byte*>(const_cast<char*>(b.data() + off));
    if (gsm_decode(g.get(), p, out) != 0) return NotGsm("undecodable frame", off);
  }
  VoiceInfo info;
  info.frames = static_cast<std::uint32_t>(b.size() / kFrameBytes);
  info.duration_ms = info.frames * 20;
  return info;
}

namespace {
std::string Encode(std::uint32_t frames, std::uint32_t hz, bool wav49) {
  Gsm g = NewGsm(wav49);
  std::string out;
  gsm_signal pcm[kSamples];
  gsm_frame frame;
  for (std::uint32_t f = 0; f < frames; ++f) {
    for (int i = 0; i < kSamples; ++i) {
      // Integer phase keeps the samples identical on every platform.
      const std::uint32_t n = f * kSamples + static_cast<std::uint32_t>(i);
      const std::uint32_t phase = (n * hz * 64) / 8000 % 64;  // 64 steps per period
      const int tri = phase < 32 ? static_cast<int>(phase) * 2 - 32 : 96 - static_cast<int>(phase) * 2;
      pcm[i] = static_cast<gsm_signal>(tri * 256);
    }
    gsm_encode(g.get(), pcm, frame);
    // In WAV49 mode frames alternate 32 and 33 bytes (65 per pair).
    const std::size_t n = wav49 ? (f % 2 == 0 ? 32 : 33) : kFrameBytes;
    out.append(reinterpret_cast<const char*>(frame), n);
  }
  return out;
}
}  // namespace

std::string SynthesizeGsm(std::uint32_t frames, std::uint32_t hz) { return Encode(frames, hz, false); }

std::string SynthesizeWav49(std::uint32_t frames, std::uint32_t hz) {
  const std::string data = Encode(frames, hz, true);
  std::string w = "RIFF";
  PutLe32(w, static_cast<std::uint32_t>(4 + 8 + 20 + 8 + data.size()));
  w += "WAVEfmt ";
  PutLe32(w, 20);
  PutLe16(w, 0x0031);
  PutLe16(w, 1);
  PutLe32(w, 8000);
  PutLe32(w, 1625);  // bytes per second: 65 bytes per 40 ms
  PutLe16(w, kWavBlock);
  PutLe16(w, 0);     // bits per sample (unused for GSM)
  PutLe16(w, 2);     // cbSize
  PutLe16(w, 320);   // samples per block
  w += "data";
  PutLe32(w, static_cast<std::uint32_t>(data.size()));
  w += data;
  return w;
}

}  // namespace mcpsim::reference
