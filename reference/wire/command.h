// MCP wire codec: the owning Command and serialization (reference/PROTOCOL.md
// WIRE-1..6, LIM-1/2/4, PAY-1/2).
//
// Serializers validate what they write, so that every byte string they
// produce parses back to the same command: a failing Status leaves `out`
// exactly as it was before the command was started.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "reference/wire/parse.h"

namespace mcpsim::wire {

// One command with decoded params. For payload words (PAY-1) `params` excludes
// the wire's length param and `payload` holds the bytes; for all other words
// `payload` is nullopt.
struct Command {
  std::string word;
  std::uint32_t trid = 0;
  std::optional<std::uint32_t> status;  // answers only (0..65535)
  std::vector<std::string> params;      // decoded, valid UTF-8
  std::optional<std::string> payload;

  static Command FromView(const CommandView& view);
  bool operator==(const Command&) const = default;
};

// Builds one command at the end of a caller-provided string with no
// allocation beyond `out`'s growth:
//
//   LineWriter w(out);
//   w.Begin("RSM", 7).Param("hi there").Param("");
//   Status s = w.Finish();   // out += "RSM 7 hi%20there \r\n"
//
// The first violation is remembered and returned by Finish(), which then
// truncates `out` back to where Begin() started. Errors: WIRE-3 bad word,
// WIRE-5 status on a request / missing on an answer / > 65535, WIRE-8 param
// not valid UTF-8, LIM-2 too many params, LIM-1 line too long, PAY-1 payload
// on a non-payload word, PAY-2 payload word without Payload(), LIM-4 payload
// too large, and "WRITER" for call-order misuse. Offsets are kNoOffset.
class LineWriter {
 public:
  // `out` must outlive the writer.
  explicit LineWriter(std::string& out, const Limits& limits = Limits::Stream());

  // Starts a command. `status` must be given exactly for answers ('A' words).
  LineWriter& Begin(std::string_view word, std::uint32_t trid,
                    std::optional<std::uint32_t> status = std::nullopt);
  // Appends one param given DECODED; it is escaped (WIRE-6).
  LineWriter& Param(std::string_view decoded);
  // Appends a decimal param.
  LineWriter& ParamNumber(std::uint64_t value);
  // For payload words: appends the length param, ends the line and appends the
  // bytes. No Param() may follow.
  LineWriter& Payload(std::string_view bytes);
  // Ends the command (CRLF unless Payload() already ended the line).
  Status Finish();

 private:
  void Fail(const char* clause, std::string message);
  bool CheckParamRoom();

  std::string& out_;
  Limits limits_;
  std::size_t start_ = 0;
  std::size_t nparams_ = 0;
  bool begun_ = false;
  bool payload_word_ = false;
  bool line_closed_ = false;
  Status error_;
};

// Appends the wire form of `c` to `out` (unchanged on error).
Status AppendCommand(const Command& c, std::string& out, const Limits& limits = Limits::Stream());
Result<std::string> Serialize(const Command& c, const Limits& limits = Limits::Stream());

}  // namespace mcpsim::wire
