// sim: the run trace — JSON Lines with virtual timestamps and a running hash.
//
// Every line is one JSON object, canonical and integer-only:
//   {"t":<virtual us>,"node":"<node>","ev":"<kind>"[,<detail members>]}
// The running 64-bit FNV-1a hash (core/hash.h) covers every line plus its
// '\n', whether or not the lines are written anywhere, so two runs are equal
// iff their hashes (and line counts) are equal. Lines can also be written to a
// file and/or kept in memory (used by the determinism self-check).
//
// Detail members are given as a JSON fragment without braces, e.g.
// `"port":7000,"len":12`; build it with TraceFields to get escaping right.
// Floating point must never be printed into a trace (its formatting is not
// portable); print integers (e.g. parts per million) instead.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace mcpsim::sim {

// Appends JSON string contents (without quotes) with escaping.
void AppendJsonEscaped(std::string& out, std::string_view s);

// Builds a detail fragment: TraceFields().Int("len", 5).Str("to", "x").str()
class TraceFields {
 public:
  TraceFields& Int(std::string_view key, std::int64_t v);
  TraceFields& Str(std::string_view key, std::string_view v);
  TraceFields& Bool(std::string_view key, bool v);
  // `json` is inserted verbatim (REQUIRES: a valid JSON value).
  TraceFields& Raw(std::string_view key, std::string_view json);
  const std::string& str() const { return s_; }

 private:
  void Key(std::string_view key);
  std::string s_;
};

class Trace {
 public:
  // `*now` supplies the virtual timestamp of each line. REQUIRES: `*now`
  // outlives the Trace.
  explicit Trace(const TimeUs* now) : now_(now) {}
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  // Records one event. `detail` is a brace-less JSON member list (may be empty).
  void Event(std::string_view node, std::string_view kind, std::string_view detail = {});

  // Incremental form used on hot paths (no allocation): Begin, fields, End.
  void Begin(std::string_view node, std::string_view kind);
  void Int(std::string_view key, std::int64_t v);
  void Str(std::string_view key, std::string_view v);
  void End();

  // Also writes lines to `path` (truncating it). Error "SIM-10" if it cannot
  // be opened. Closed by CloseFile or the destructor.
  Status OpenFile(const std::string& path);
  void CloseFile();
  // Keeps every line in memory (lines()).
  void set_capture(bool on) { capture_ = on; }
  const std::vector<std::string>& lines() const { return lines_; }

  std::uint64_t hash() const { return hash_; }
  std::string HashHex() const;
  std::uint64_t count() const { return count_; }

 private:
  const TimeUs* now_;
  std::string buf_;
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
  std::uint64_t count_ = 0;
  bool capture_ = false;
  std::vector<std::string> lines_;
  std::FILE* file_ = nullptr;
};

}  // namespace mcpsim::sim
