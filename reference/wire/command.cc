#include "reference/wire/command.h"

#include <charconv>

namespace mcpsim::wire {

Command Command::FromView(const CommandView& v) {
  Command c;
  c.word = std::string(v.word());
  c.trid = v.trid();
  c.status = v.status();
  c.params.resize(v.param_count());
  for (std::size_t i = 0; i < v.param_count(); ++i) v.DecodeParamInto(i, c.params[i]);
  if (auto p = v.payload()) c.payload = std::string(*p);
  return c;
}

LineWriter::LineWriter(std::string& out, const Limits& limits) : out_(out), limits_(limits) {}

void LineWriter::Fail(const char* clause, std::string message) {
  if (error_.ok()) error_ = Status::Error(clause, std::move(message));
}

LineWriter& LineWriter::Begin(std::string_view word, std::uint32_t trid,
                              std::optional<std::uint32_t> status) {
  start_ = out_.size();
  nparams_ = 0;
  begun_ = true;
  line_closed_ = false;
  error_ = Status();
  payload_word_ = IsPayloadWord(word);
  if (!IsValidWord(word)) {
    Fail("WIRE-3", "command word must be R/A + 2..7 uppercase letters");
    return *this;
  }
  if (word[0] == 'A' && !status) Fail("WIRE-5", "an answer needs a status");
  if (word[0] == 'R' && status) Fail("WIRE-5", "a request carries no status");
  if (status && *status > 0xFFFF) Fail("WIRE-5", "status must be 0..65535");
  out_.append(word);
  char buf[16];
  out_.push_back(' ');
  out_.append(buf, std::to_chars(buf, buf + sizeof buf, trid).ptr);
  if (status && word[0] == 'A') {
    out_.push_back(' ');
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, *status).ptr);
  }
  return *this;
}

bool LineWriter::CheckParamRoom() {
  if (!begun_) {
    Fail("WRITER", "Param/Payload before Begin");
    return false;
  }
  if (line_closed_) {
    Fail("WRITER", "nothing may follow the payload");
    return false;
  }
  if (nparams_ >= std::min(limits_.max_params, kMaxParams)) {
    Fail("LIM-2", "too many params");
    return false;
  }
  return true;
}

LineWriter& LineWriter::Param(std::string_view decoded) {
  if (!CheckParamRoom()) return *this;
  if (!ValidUtf8(decoded)) {
    Fail("WIRE-8", "param " + std::to_string(nparams_) + " is not valid UTF-8");
    return *this;
  }
  ++nparams_;
  out_.push_back(' ');
  AppendEscaped(decoded, out_);
  return *this;
}

LineWriter& LineWriter::ParamNumber(std::uint64_t value) {
  if (!CheckParamRoom()) return *this;
  ++nparams_;
  char buf[24];
  out_.push_back(' ');
  out_.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
  return *this;
}

LineWriter& LineWriter::Payload(std::string_view bytes) {
  if (!payload_word_ && begun_) {
    Fail("PAY-1", "only RBIN, ROT, RSV and RRV carry a payload");
    return *this;
  }
  if (bytes.size() > limits_.max_payload) {
    Fail("LIM-4", "payload exceeds max_payload");
    return *this;
  }
  ParamNumber(bytes.size());
  if (!error_.ok()) return *this;
  out_.append("\r\n");
  if (out_.size() - start_ > limits_.max_line) Fail("LIM-1", "line exceeds max_line bytes");
  line_closed_ = true;
  out_.append(bytes);
  return *this;
}

Status LineWriter::Finish() {
  if (!begun_) Fail("WRITER", "Finish before Begin");
  if (error_.ok() && !line_closed_) {
    if (payload_word_) {
      Fail("PAY-2", "payload command without a payload");
    } else {
      out_.append("\r\n");
      if (out_.size() - start_ > limits_.max_line) Fail("LIM-1", "line exceeds max_line bytes");
    }
  }
  begun_ = false;
  if (!error_.ok()) {
    out_.resize(start_);
    return error_;
  }
  return Status();
}

Status AppendCommand(const Command& c, std::string& out, const Limits& limits) {
  LineWriter w(out, limits);
  w.Begin(c.word, c.trid, c.status);
  for (const std::string& p : c.params) w.Param(p);
  if (c.payload) w.Payload(*c.payload);
  return w.Finish();
}

Result<std::string> Serialize(const Command& c, const Limits& limits) {
  std::string out;
  Status s = AppendCommand(c, out, limits);
  if (!s.ok()) return s;
  return out;
}

}  // namespace mcpsim::wire
