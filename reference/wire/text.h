// MCP wire codec: limits, typed wire errors and the field-level grammar
// (reference/PROTOCOL.md clauses WIRE-3..WIRE-8, LIM-1..LIM-4, PAY-1/2).
//
// Everything here is pure, allocation-free unless it returns a std::string,
// and never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mcpsim::wire {

// Capacity of a CommandView's inline param array (LIM-2 default). Limits with a
// larger max_params are clamped to this.
inline constexpr std::size_t kMaxParams = 32;

// Configurable codec limits. Defaults are the UDP values; Stream() is the
// TCP/HTTP-body variant (LIM-4: 65536-byte payloads).
struct Limits {
  std::size_t max_line = 4096;      // LIM-1: bytes per line incl. CRLF, excl. payload
  std::size_t max_params = 32;      // LIM-2: params per line (incl. a payload length param)
  std::size_t max_payload = 1024;   // LIM-4: payload bytes per command
  std::size_t max_datagram = 8192;  // LIM-3: bytes per datagram (ParseDatagram only)

  static Limits Datagram() { return Limits{}; }
  static Limits Stream() {
    Limits l;
    l.max_payload = 65536;
    return l;
  }
};

// A typed wire violation. `clause` and `message` point to static strings.
// `offset` is the byte offset of the violation, relative to the start of the
// buffer (or stream) handed to the parser.
struct WireError {
  const char* clause = "";
  std::uint64_t offset = 0;
  const char* message = "";

  Status ToStatus() const { return Status::Error(clause, message, offset); }
};

// WIRE-3: "R" or "A" followed by 2..7 uppercase ASCII letters.
bool IsValidWord(std::string_view word);
// PAY-1: exactly RBIN, ROT, RSV, RRV carry a payload.
bool IsPayloadWord(std::string_view word);

// WIRE-4 digit rules: 1..10 decimal digits, no leading zero except "0" itself,
// value <= 4294967295. Returns nullopt otherwise. Also used for payload lengths.
std::optional<std::uint32_t> ParseTrid(std::string_view field);
// WIRE-5 digit rules: no leading zero except "0", value <= 65535.
std::optional<std::uint16_t> ParseStatus(std::string_view field);

// True iff `bytes` is well-formed UTF-8 (no overlongs, no surrogates,
// <= U+10FFFF).
bool ValidUtf8(std::string_view bytes);

// Validates escaped param bytes: every '%' starts a %XX escape (WIRE-7) and the
// unescaped bytes are valid UTF-8 (WIRE-8). When `space_separates` is true a
// raw SP ends one param and starts the next (a UTF-8 sequence may not span it),
// so a whole param region of a line can be checked in one pass. Error offsets
// are `base` + the raw byte offset (the '%' for WIRE-7, the first byte of the
// bad sequence for WIRE-8). Allocation-free.
std::optional<WireError> ValidateEscaped(std::string_view raw, std::uint64_t base,
                                         bool space_separates);

// WIRE-6 encoding: '%' SP CR LF become %25 %20 %0D %0A (uppercase hex); every
// other byte is copied. Appends to `out`.
void AppendEscaped(std::string_view decoded, std::string& out);
std::string Escape(std::string_view decoded);

// Decodes escaped param bytes (any well-formed %XX, upper or lower hex) and
// checks WIRE-7/WIRE-8; error offsets are relative to `raw`.
Result<std::string> Unescape(std::string_view raw);
// As Unescape but without validation: REQUIRES ValidateEscaped(raw) succeeded.
// Appends to `out`.
void AppendUnescapedUnchecked(std::string_view raw, std::string& out);

}  // namespace mcpsim::wire
