// MCP wire codec: incremental framing of a byte stream (a TCP connection or a
// streamed HTTP body) into commands.
//
// Split invariance: however the stream is cut into Append() calls, the
// sequence of commands and errors (with their stream offsets) is the same as
// for the whole stream at once. Buffering is bounded: the framer never waits
// for more than max_line + max_payload bytes of one command; a line with no
// CRLF within max_line bytes is LIM-1, after which bytes are dropped (not
// buffered) up to the next CRLF.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reference/wire/parse.h"

namespace mcpsim::wire {

class StreamFramer {
 public:
  explicit StreamFramer(const Limits& limits = Limits::Stream());

  // Adds bytes (copied). Callers drain with Next() until kNeedMore before the
  // next Append to keep memory bounded. Invalidates views from earlier Next().
  void Append(std::string_view bytes);

  // The next command (views into the framer's buffer, valid until the next
  // Append or Next call), error (then resumes after the next CRLF), or
  // kNeedMore. Offsets (out.offset, out.error.offset) count from the first byte
  // ever appended. out.consumed is not meaningful here.
  void Next(Outcome& out);
  Outcome Next() {
    Outcome o;
    Next(o);
    return o;
  }

  // End of stream: WIRE-10 (offset of the partial command) if an incomplete
  // command is buffered, else nullopt. Clears the buffer.
  std::optional<WireError> Finish();

  // Stream offset of the first byte not yet returned as a command or error.
  std::uint64_t offset() const { return base_ + pos_; }
  // Bytes currently held.
  std::size_t buffered() const { return buf_.size() - pos_; }
  // The held bytes not yet returned (the next command starts here unless the
  // framer is discarding after an error). Valid until the next Append/Next.
  std::string_view Pending() const { return std::string_view(buf_).substr(pos_); }

 private:
  // Drops bytes until just past the next CRLF; returns the unused rest.
  std::string_view Discard(std::string_view bytes);

  Limits limits_;
  std::string buf_;
  std::size_t pos_ = 0;      // first unparsed byte in buf_
  std::uint64_t base_ = 0;   // stream offset of buf_[0]
  bool discarding_ = false;  // after an error: dropping bytes up to a CRLF
  bool pending_cr_ = false;  // discarding_ and the last dropped byte was a CR
};

}  // namespace mcpsim::wire
