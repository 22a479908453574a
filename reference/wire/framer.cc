#include "reference/wire/framer.h"

#include <cstring>

namespace mcpsim::wire {

StreamFramer::StreamFramer(const Limits& limits) : limits_(limits) {}

std::string_view StreamFramer::Discard(std::string_view bytes) {
  // Invariant: while discarding_, buf_ is empty and base_ is the stream offset
  // of the next byte to arrive.
  std::size_t i = 0;
  if (pending_cr_ && !bytes.empty()) {
    pending_cr_ = false;
    if (bytes[0] == '\n') {
      discarding_ = false;
      base_ += 1;
      return bytes.substr(1);
    }
  }
  while (i < bytes.size()) {
    const void* cr = std::memchr(bytes.data() + i, '\r', bytes.size() - i);
    if (!cr) break;
    const auto c = static_cast<std::size_t>(static_cast<const char*>(cr) - bytes.data());
    if (c + 1 == bytes.size()) {
      pending_cr_ = true;
      break;
    }
    if (bytes[c + 1] == '\n') {
      discarding_ = false;
      base_ += c + 2;
      return bytes.substr(c + 2);
    }
    i = c + 1;
  }
  base_ += bytes.size();
  return {};
}

void StreamFramer::Append(std::string_view bytes) {
  if (discarding_) {
    bytes = Discard(bytes);
    if (discarding_) return;
  }
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {  // compact before growing
    buf_.erase(0, pos_);
    base_ += pos_;
    pos_ = 0;
  }
  buf_.append(bytes);
}

void StreamFramer::Next(Outcome& out) {
  if (discarding_ || pos_ == buf_.size()) {
    out.kind = OutcomeKind::kNeedMore;
    out.offset = offset();
    return;
  }
  const std::uint64_t start = base_ + pos_;
  ParseOneInto(std::string_view(buf_).substr(pos_), limits_, false, out);
  out.offset = start;
  if (out.need_more()) return;
  if (out.is_error()) out.error.offset += start;
  pos_ += out.consumed;
  if (out.is_error() && out.skip_to_crlf) {
    // Everything buffered was dropped; keep dropping up to the next CRLF.
    base_ += buf_.size();
    buf_.clear();
    pos_ = 0;
    discarding_ = true;
    pending_cr_ = out.ends_with_cr;
  }
}

std::optional<WireError> StreamFramer::Finish() {
  std::optional<WireError> err;
  if (!discarding_ && pos_ < buf_.size()) {
    err = WireError{"WIRE-10", base_ + pos_, "incomplete command at the end of the stream"};
  }
  base_ += buf_.size();
  buf_.clear();
  pos_ = 0;
  discarding_ = false;
  pending_cr_ = false;
  return err;
}

}  // namespace mcpsim::wire
