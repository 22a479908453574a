// GSM 6.10 voice clips (PROTOCOL.md VOICE-*): validation by really decoding
// every frame with libgsm, and synthesis of valid clips for simulated clients.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mcpsim::reference {

struct VoiceInfo {
  enum class Container { kRawGsm, kWav49 } container = Container::kRawGsm;
  std::uint32_t frames = 0;       // 160-sample (20 ms) GSM frames
  std::uint32_t duration_ms = 0;  // frames * 20
};

// Accepts exactly two containers:
//  - raw GSM 6.10: a non-empty sequence of 33-byte frames, each starting with
//    the 0xD magic nibble;
//  - WAV (RIFF/WAVE; RIFF size = total - 8) whose `fmt ` chunk (>= 20 bytes)
//    says format tag 0x0031 (Microsoft GSM 6.10), mono, 8000 Hz, 1625
//    bytes/s, block align 65, 0 bits/sample, cbSize 2, 320 samples/block,
//    followed by a data chunk of whole 65-byte blocks (SG-VOICE-6).
// Every frame is decoded with libgsm; a frame libgsm rejects fails the clip.
// Errors cite clause VOICE-2 (not GSM 6.10) with the byte offset of the
// offending frame or header field.
Result<VoiceInfo> ValidateVoice(std::string_view bytes);

// A valid raw GSM 6.10 clip of `frames` frames: a tone of `hz` Hz encoded
// with libgsm. Deterministic (no randomness).
std::string SynthesizeGsm(std::uint32_t frames, std::uint32_t hz = 440);

// The same audio as a WAV/GSM 6.10 (0x0031) file. REQUIRES frames even.
std::string SynthesizeWav49(std::uint32_t frames, std::uint32_t hz = 440);

}  // namespace mcpsim::reference
