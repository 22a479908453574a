#include "sim/trace.h"

#include <charconv>

#include "core/hash.h"

namespace mcpsim::sim {
namespace {

void AppendInt(std::string& out, std::int64_t v) {
  char tmp[24];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  out.append(tmp, r.ptr);
}

void AppendKey(std::string& out, std::string_view key) {
  out += ",\"";
  AppendJsonEscaped(out, key);
  out += "\":";
}

}  // namespace

void AppendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Fast path (node names, event kinds, keys): printable ASCII without '"'
  // or '\\' is copied in runs, one append per run instead of one per byte.
  std::size_t run = 0;
  while (run < s.size()) {
    const auto c = static_cast<unsigned char>(s[run]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') break;
    ++run;
  }
  out.append(s.data(), run);
  for (unsigned char c : s.substr(run)) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          // Bytes outside printable ASCII are escaped individually, so any
          // byte string gives valid, canonical JSON.
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

void TraceFields::Key(std::string_view key) {
  if (!s_.empty()) s_ += ',';
  s_ += '"';
  AppendJsonEscaped(s_, key);
  s_ += "\":";
}
TraceFields& TraceFields::Int(std::string_view key, std::int64_t v) {
  Key(key);
  AppendInt(s_, v);
  return *this;
}
TraceFields& TraceFields::Str(std::string_view key, std::string_view v) {
  Key(key);
  s_ += '"';
  AppendJsonEscaped(s_, v);
  s_ += '"';
  return *this;
}
TraceFields& TraceFields::Bool(std::string_view key, bool v) {
  Key(key);
  s_ += v ? "true" : "false";
  return *this;
}
TraceFields& TraceFields::Raw(std::string_view key, std::string_view json) {
  Key(key);
  s_ += json;
  return *this;
}

Trace::~Trace() { CloseFile(); }

void Trace::Begin(std::string_view node, std::string_view kind) {
  buf_.clear();
  buf_ += "{\"t\":";
  AppendInt(buf_, *now_);
  buf_ += ",\"node\":\"";
  AppendJsonEscaped(buf_, node);
  buf_ += "\",\"ev\":\"";
  AppendJsonEscaped(buf_, kind);
  buf_ += '"';
}

void Trace::Int(std::string_view key, std::int64_t v) {
  AppendKey(buf_, key);
  AppendInt(buf_, v);
}

void Trace::Str(std::string_view key, std::string_view v) {
  AppendKey(buf_, key);
  buf_ += '"';
  AppendJsonEscaped(buf_, v);
  buf_ += '"';
}

void Trace::End() {
  buf_ += "}\n";
  hash_ = Fnv1a(buf_, hash_);
  ++count_;
  if (file_ != nullptr) std::fwrite(buf_.data(), 1, buf_.size(), file_);
  if (capture_) lines_.emplace_back(buf_.data(), buf_.size() - 1);
}

void Trace::Event(std::string_view node, std::string_view kind, std::string_view detail) {
  Begin(node, kind);
  if (!detail.empty()) {
    buf_ += ',';
    buf_ += detail;
  }
  End();
}

Status Trace::OpenFile(const std::string& path) {
  CloseFile();
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) return Status::Error("SIM-10", "cannot open trace file " + path);
  return Status();
}

void Trace::CloseFile() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

std::string Trace::HashHex() const { return Hex64(hash_); }

}  // namespace mcpsim::sim
