// A minimal, incremental HTTP/1.1 message codec for the HTTP binding of MCP
// (PROTOCOL.md HTTP-*), used where no Beast is available: the simulator's
// streams. Sans-I/O; accepts input split at any byte.
//
// Supported: request/status line, headers (names lower-cased, values
// trimmed), bodies framed by Content-Length (absent = empty; none after HEAD
// and for 1xx/204/304, RFC 9112 §6.3). Refused with an error value whose
// clause says which answer fits (ErrorStatus): a header block > 8 KiB
// (HTTP-15, 431), a Content-Length over the configured limit (HTTP-13, 413,
// known from the header alone: the body is never buffered), Content-Length
// fields that differ (HTTP-14, 400), Transfer-Encoding and malformed lines
// (HTTP-1, 400). One message at a time; pipelined bytes after a message stay
// buffered for the next.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "reference/io/output.h"

namespace mcpsim::reference::http {

inline constexpr std::size_t kMaxHeaderBytes = 8192;

// The HTTP status answering a parser error: 413 (HTTP-13), 431 (HTTP-15),
// else 400.
int ErrorStatus(const Status& parse_error);

// Serializes a request (adds Host and Content-Length; Connection: close).
std::string SerializeRequest(const HttpRequest& req, std::string_view host);
// Serializes a response (adds Content-Length, Content-Type; Connection: close).
std::string SerializeResponse(const HttpResponse& resp);

// Percent-encoding for URL query values (RFC 3986 unreserved kept as is).
std::string UrlEncode(std::string_view raw);
// Decodes %XX and '+' (as space) in a query value; nullopt on a bad escape.
std::optional<std::string> UrlDecode(std::string_view enc);
// The value of `key` in the query string of `target` ("/p?a=1&b=2"), decoded.
std::optional<std::string> QueryParam(std::string_view target, std::string_view key);
// The path part of `target` (before '?').
std::string_view TargetPath(std::string_view target);

template <typename Message>
class Parser {
 public:
  explicit Parser(std::size_t max_body = 4 * 1024 * 1024) : max_body_(max_body) {}

  // Appends bytes. Returns an error (clause "HTTP-1", or HTTP-13/14/15)
  // once the input is known to be malformed; the parser is then unusable and
  // every later call returns that same error.
  Status Append(std::string_view bytes);
  // A complete message, if one is buffered (consumes it). Returns nullopt
  // when the bytes after the previous message are malformed: the error is
  // then in error() — callers that drain pipelined messages check it, so an
  // input reports the same error whether it arrived whole or split.
  std::optional<Message> Next();
  // The first error met by Append or Next; OK while the input is well formed.
  const Status& error() const { return error_; }
  // True while a message has started but is not complete.
  bool Partial() const { return !buf_.empty(); }
  // True once the head (start line and headers) of the current message is in.
  bool HeadDone() const { return head_done_; }
  // Responses only: the request being answered was HEAD, so the response has
  // no body whatever its Content-Length (RFC 9110 §9.3.2, RFC 9112 §6.3).
  // Bytes after its header block stay buffered (Buffered()).
  void SetHeadRequest(bool head) { head_request_ = head; }
  // TEST-ONLY (the `conflicting-length-accepted` mutant): false lets a later
  // Content-Length field override an earlier, differing one instead of
  // failing with HTTP-14. A conforming parser keeps the default.
  void SetRejectConflictingLength(bool reject) { reject_conflicting_length_ = reject; }
  // Bytes received but not part of a returned message.
  std::string_view Buffered() const { return buf_; }

 private:
  Status ParseHead();
  std::size_t max_body_;
  std::string buf_;
  bool head_done_ = false;
  std::size_t head_len_ = 0;
  std::size_t body_len_ = 0;
  Message msg_{};
  bool failed_ = false;
  Status error_;
  bool head_request_ = false;
  bool reject_conflicting_length_ = true;
};

using RequestParser = Parser<HttpRequest>;
using ResponseParser = Parser<HttpResponse>;

}  // namespace mcpsim::reference::http
