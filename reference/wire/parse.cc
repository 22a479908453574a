#include "reference/wire/parse.h"

#include <algorithm>
#include <cstring>

namespace mcpsim::wire {
namespace {

constexpr std::size_t kNpos = static_cast<std::size_t>(-1);

inline const char* Find(const char* p, char c, std::size_t n) {
  return n ? static_cast<const char*>(std::memchr(p, c, n)) : nullptr;
}

// Index just past the first CRLF whose CR is at index >= from, or kNpos.
std::size_t FindCrlfEnd(std::string_view buf, std::size_t from) {
  while (from + 1 < buf.size()) {
    const char* cr = Find(buf.data() + from, '\r', buf.size() - from - 1);
    if (!cr) return kNpos;
    const auto c = static_cast<std::size_t>(cr - buf.data());
    if (buf[c + 1] == '\n') return c + 2;
    from = c + 1;
  }
  return kNpos;
}

// An error whose resynchronisation point is the next CRLF at or after
// `resync_from` (searched in `buf`; in stream framing the caller continues the
// search in later bytes when none is found).
void FramingError(Outcome& out, std::string_view buf, bool complete, const char* clause,
                  const char* message, std::size_t at, std::size_t resync_from) {
  out.kind = OutcomeKind::kError;
  out.error = WireError{clause, at, message};
  const std::size_t end = FindCrlfEnd(buf, resync_from);
  if (end != kNpos) {
    out.consumed = end;
    return;
  }
  out.consumed = buf.size();
  if (!complete) {
    out.skip_to_crlf = true;
    out.ends_with_cr = buf.size() > resync_from && buf.back() == '\r';
  }
}

// An error inside a well-framed line: resume after the line's CRLF.
void LineError(Outcome& out, const char* clause, const char* message, std::size_t at,
               std::size_t line_end) {
  out.kind = OutcomeKind::kError;
  out.error = WireError{clause, at, message};
  out.consumed = line_end;
}

void Truncated(Outcome& out, std::size_t n) {
  out.kind = OutcomeKind::kError;
  out.error = WireError{"WIRE-10", 0, "incomplete command at the end of the datagram/body"};
  out.consumed = n;
}

inline int HexVal(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

void ParseOneInto(std::string_view buf, const Limits& lim, bool complete, Outcome& out) {
  out.kind = OutcomeKind::kNeedMore;
  out.offset = 0;
  out.consumed = 0;
  out.skip_to_crlf = false;
  out.ends_with_cr = false;
  const char* d = buf.data();
  const std::size_t n = buf.size();
  if (n == 0) {
    if (complete) Truncated(out, 0);
    return;
  }

  // ---- framing: the line is everything up to the first LF, which must
  // directly follow the line's only CR, within max_line bytes.
  const std::size_t window = std::min(n, lim.max_line);
  const char* lfp = Find(d, '\n', window);
  if (!lfp) {
    // Any CR before the window's last byte is followed by a non-LF byte.
    const char* cr = window > 1 ? Find(d, '\r', window - 1) : nullptr;
    if (cr) {
      const auto c = static_cast<std::size_t>(cr - d);
      return FramingError(out, buf, complete, "WIRE-9", "CR not followed by LF", c, c + 1);
    }
    if (n >= lim.max_line) {
      return FramingError(out, buf, complete, "LIM-1", "line exceeds max_line bytes without CRLF",
                          lim.max_line, lim.max_line ? lim.max_line - 1 : 0);
    }
    if (complete) Truncated(out, n);
    return;
  }
  const auto lf = static_cast<std::size_t>(lfp - d);
  const char* crp = Find(d, '\r', lf);
  if (!crp) return FramingError(out, buf, complete, "WIRE-9", "LF not preceded by CR", lf, lf + 1);
  const auto cr = static_cast<std::size_t>(crp - d);
  if (cr != lf - 1) return FramingError(out, buf, complete, "WIRE-9", "CR not followed by LF", cr, cr + 1);
  const std::size_t end = cr;           // end of line content
  const std::size_t line_end = lf + 1;  // start of payload / next command

  // ---- header fields.
  CommandView& v = out.command;
  const char* sp = Find(d, ' ', end);
  const std::size_t word_end = sp ? static_cast<std::size_t>(sp - d) : end;
  const std::string_view word(d, word_end);
  if (!IsValidWord(word)) {
    return LineError(out, "WIRE-3", "command word is not R/A + 2..7 uppercase letters", 0, line_end);
  }
  if (!sp) return LineError(out, "WIRE-4", "missing trid", end, line_end);
  std::size_t f = word_end + 1;
  sp = Find(d + f, ' ', end - f);
  std::size_t fe = sp ? static_cast<std::size_t>(sp - d) : end;
  const auto trid = ParseTrid(std::string_view(d + f, fe - f));
  if (!trid) return LineError(out, "WIRE-4", "trid is not a decimal 0..4294967295", f, line_end);
  v.status_ = -1;
  if (word[0] == 'A') {
    if (!sp) return LineError(out, "WIRE-5", "answer without a status", end, line_end);
    f = fe + 1;
    sp = Find(d + f, ' ', end - f);
    fe = sp ? static_cast<std::size_t>(sp - d) : end;
    const auto status = ParseStatus(std::string_view(d + f, fe - f));
    if (!status) return LineError(out, "WIRE-5", "status is not a decimal 0..65535", f, line_end);
    v.status_ = *status;
  }

  // ---- params: after the last header field, each SP starts one more param.
  std::size_t np = 0;
  if (sp) {
    const std::size_t max_params = std::min(lim.max_params, kMaxParams);
    const std::size_t region = fe + 1;
    std::size_t p = region;
    for (;;) {
      if (np == max_params) return LineError(out, "LIM-2", "too many params", p, line_end);
      const char* s = Find(d + p, ' ', end - p);
      const std::size_t e = s ? static_cast<std::size_t>(s - d) : end;
      v.params_[np++] = std::string_view(d + p, e - p);
      if (!s) break;
      p = e + 1;
    }
    if (auto err = ValidateEscaped(std::string_view(d + region, end - region), region, true)) {
      return LineError(out, err->clause, err->message, static_cast<std::size_t>(err->offset),
                       line_end);
    }
  }

  // ---- payload (PAY-1/2, LIM-4).
  std::size_t total = line_end;
  v.has_payload_ = false;
  v.payload_ = {};
  if (IsPayloadWord(word)) {
    if (np == 0) return LineError(out, "PAY-2", "payload command without a length param", end, line_end);
    const std::string_view len_field = v.params_[np - 1];
    const auto at = static_cast<std::size_t>(len_field.data() - d);
    const auto len = ParseTrid(len_field);
    if (!len) return LineError(out, "PAY-2", "payload length is not a valid decimal", at, line_end);
    if (*len > lim.max_payload) return LineError(out, "LIM-4", "payload exceeds max_payload", at, line_end);
    --np;
    if (n - line_end < *len) {
      if (complete) Truncated(out, n);
      return;
    }
    v.has_payload_ = true;
    v.payload_ = std::string_view(d + line_end, *len);
    total = line_end + *len;
  }
  v.nparams_ = static_cast<std::uint32_t>(np);
  v.word_ = word;
  v.trid_ = *trid;
  v.bytes_ = std::string_view(d, total);
  out.kind = OutcomeKind::kCommand;
  out.consumed = total;
}

Outcome ParseOne(std::string_view buf, const Limits& limits, bool complete) {
  Outcome o;
  ParseOneInto(buf, limits, complete, o);
  return o;
}

bool CommandView::ParamIsPlain(std::size_t i) const {
  return std::memchr(params_[i].data(), '%', params_[i].size()) == nullptr;
}

bool CommandView::ParamEquals(std::size_t i, std::string_view decoded) const {
  const std::string_view raw = params_[i];
  std::size_t r = 0, k = 0;
  while (r < raw.size()) {
    char c = raw[r];
    if (c == '%') {  // validated at parse time: two hex digits follow
      c = static_cast<char>(HexVal(static_cast<unsigned char>(raw[r + 1])) * 16 +
                            HexVal(static_cast<unsigned char>(raw[r + 2])));
      r += 3;
    } else {
      ++r;
    }
    if (k >= decoded.size() || decoded[k] != c) return false;
    ++k;
  }
  return k == decoded.size();
}

void CommandView::DecodeParamInto(std::size_t i, std::string& out) const {
  out.clear();
  AppendUnescapedUnchecked(params_[i], out);
}

std::string CommandView::DecodeParam(std::size_t i) const {
  std::string s;
  DecodeParamInto(i, s);
  return s;
}

DatagramParser::DatagramParser(std::string_view datagram, const Limits& limits)
    : buf_(datagram), limits_(limits) {}

bool DatagramParser::Next(Outcome& out) {
  if (first_) {
    first_ = false;
    if (buf_.size() > limits_.max_datagram) {
      out = Outcome{};
      out.kind = OutcomeKind::kError;
      out.error = WireError{"LIM-3", limits_.max_datagram, "datagram exceeds max_datagram bytes"};
      pos_ = buf_.size();
      return true;
    }
    if (buf_.empty()) {
      ParseOneInto(buf_, limits_, true, out);
      return true;
    }
  }
  if (pos_ >= buf_.size()) return false;
  ParseOneInto(buf_.substr(pos_), limits_, true, out);
  out.offset = pos_;
  if (out.is_error()) out.error.offset += pos_;
  pos_ += out.consumed;
  return true;
}

}  // namespace mcpsim::wire
