// MCP wire codec: zero-copy parsing of commands (reference/PROTOCOL.md WIRE-*,
// LIM-1/2/4, PAY-1/2).
//
//   request = rword SP trid *(SP param) CRLF [payload]
//   answer  = aword SP trid SP status *(SP param) CRLF [payload]
//
// A CommandView is a set of views into the caller's buffer: no heap allocation
// happens while parsing. Params are kept RAW (still %XX-escaped) but fully
// validated (WIRE-7 escapes, WIRE-8 UTF-8); decode them on demand.
//
// Payload commands (PAY-1: RBIN ROT RSV RRV): the wire's last param is the
// payload length. It is framing, not content: param_count()/raw_param() do NOT
// include it; payload() returns the bytes. (Command and the JSON form follow
// the same convention; serializers append the length themselves.)
//
// Error precedence within one command (one error is reported per command):
// framing (WIRE-9 lone CR/LF, LIM-1 no CRLF within max_line) > WIRE-3 word >
// WIRE-4 trid > WIRE-5 status > LIM-2 param count > WIRE-7/WIRE-8 (first in
// the line) > PAY-2 / LIM-4 length param > WIRE-10 truncated (datagram only).
//
// Resynchronisation after an error: decoding resumes just after the next CRLF
// at or after the violation (for a field error that is the end of its line;
// for a lone LF, the CRLF after it), or at the end of the buffer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reference/wire/text.h"

namespace mcpsim::wire {

struct Outcome;

class CommandView {
 public:
  // The command word ("RSM", "ASM", …; any word matching WIRE-3).
  std::string_view word() const { return word_; }
  std::uint32_t trid() const { return trid_; }
  bool is_request() const { return word_[0] == 'R'; }
  bool is_answer() const { return word_[0] == 'A'; }
  // The status of an answer; nullopt for requests.
  std::optional<std::uint32_t> status() const {
    if (status_ < 0) return std::nullopt;
    return static_cast<std::uint32_t>(status_);
  }
  // Number of content params (excludes a payload command's length param).
  std::size_t param_count() const { return nparams_; }
  // Param i exactly as on the wire (escaped). REQUIRES: i < param_count().
  std::string_view raw_param(std::size_t i) const { return params_[i]; }
  // True iff param i contains no escape, so raw_param(i) is its decoded value.
  bool ParamIsPlain(std::size_t i) const;
  // Compares the decoded value of param i with `decoded` without allocating.
  bool ParamEquals(std::size_t i, std::string_view decoded) const;
  // Decoded (unescaped) value of param i; valid UTF-8 by construction.
  std::string DecodeParam(std::size_t i) const;
  // Replaces `out` with the decoded value (reuses its capacity).
  void DecodeParamInto(std::size_t i, std::string& out) const;
  // The payload bytes of a payload command (possibly empty); nullopt otherwise.
  std::optional<std::string_view> payload() const {
    if (!has_payload_) return std::nullopt;
    return payload_;
  }
  // The whole command as on the wire: the line with its CRLF, then the payload.
  std::string_view bytes() const { return bytes_; }

 private:
  friend void ParseOneInto(std::string_view, const Limits&, bool, Outcome&);
  std::string_view bytes_;
  std::string_view word_;
  std::uint32_t trid_ = 0;
  std::int32_t status_ = -1;
  std::uint32_t nparams_ = 0;
  bool has_payload_ = false;
  std::string_view payload_;
  std::array<std::string_view, kMaxParams> params_;
};

enum class OutcomeKind : std::uint8_t { kCommand, kError, kNeedMore };

// The result of one parse step.
struct Outcome {
  OutcomeKind kind = OutcomeKind::kNeedMore;
  // Offset of the first byte of the command (or of the failed command), from
  // the start of the buffer/stream.
  std::uint64_t offset = 0;
  CommandView command;  // valid iff kind == kCommand
  WireError error;      // valid iff kind == kError; error.offset is absolute
  // ParseOne only: bytes of the given buffer consumed (the command, or up to
  // the resync point after an error). 0 for kNeedMore.
  std::size_t consumed = 0;
  // ParseOne in stream framing, kError only: no CRLF followed the violation
  // yet, so the caller must drop bytes until the next CRLF (which may start with
  // the buffer's last byte when `ends_with_cr`).
  bool skip_to_crlf = false;
  bool ends_with_cr = false;

  bool is_command() const { return kind == OutcomeKind::kCommand; }
  bool is_error() const { return kind == OutcomeKind::kError; }
  bool need_more() const { return kind == OutcomeKind::kNeedMore; }
};

// Parses the command at the start of `buf`. With `complete` (datagram/body:
// `buf` holds everything there will be) a truncated command is error WIRE-10
// and kNeedMore never occurs; without it (stream) a truncated command yields
// kNeedMore, and a result other than kNeedMore never changes when more bytes
// are appended to `buf`. Offsets in `out` are relative to `buf`. Empty `buf`
// with `complete` is WIRE-10. Reuses `out` (no allocation).
void ParseOneInto(std::string_view buf, const Limits& limits, bool complete, Outcome& out);
Outcome ParseOne(std::string_view buf, const Limits& limits, bool complete);

// Iterates over every command of one datagram or HTTP body (WIRE-10): each
// Next() yields a command or an error (then resumes after the next CRLF). A
// datagram larger than limits.max_datagram yields one LIM-3 error (offset
// max_datagram) and nothing else; an empty one yields one WIRE-10 error.
// Views point into `datagram`, which must outlive their use.
class DatagramParser {
 public:
  DatagramParser(std::string_view datagram, const Limits& limits);
  // Fills `out` (kCommand or kError, absolute offsets) and returns true, or
  // returns false when the datagram is exhausted.
  bool Next(Outcome& out);

 private:
  std::string_view buf_;
  Limits limits_;
  std::size_t pos_ = 0;
  bool first_ = true;
};

// Convenience: calls on_command(const CommandView&, uint64_t offset) or
// on_error(const WireError&) for each command of `datagram` in order; returns
// the number of errors.
template <typename OnCommand, typename OnError>
std::size_t ParseDatagram(std::string_view datagram, const Limits& limits, OnCommand&& on_command,
                          OnError&& on_error) {
  DatagramParser p(datagram, limits);
  Outcome o;
  std::size_t errors = 0;
  while (p.Next(o)) {
    if (o.is_command()) {
      on_command(o.command, o.offset);
    } else {
      ++errors;
      on_error(o.error);
    }
  }
  return errors;
}

}  // namespace mcpsim::wire
