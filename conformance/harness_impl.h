// Internal to the harness (harness.cc, harness_resend.cc): the state a Ctx
// shares with the Env callbacks of its channels.
//
// Invariants: channels live in a std::deque (stable addresses while the Ctx
// lives); callbacks hold a weak_ptr to Shared and do nothing once the Ctx is
// gone; UDP callbacks end with CloseDatagram in ~Ctx, open streams are reset.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "conformance/harness.h"
#include "reference/http/http1.h"

namespace mcpsim::conformance {

// One channel of the case: the default UDP endpoint, an Open()ed endpoint or
// stream, or one HTTP exchange. Env callbacks fill `inbox` and the transcript.
struct Ctx::Chan {
  std::string channel;  // transcript name: "udp", "udp#1", "tcp#2", "http"
  bool tcp = false;
  // Plain UDP to target().udp: behind the fault proxy (Target::resend_ms > 0)
  // its requests are resent until answered (harness_resend.cc).
  bool resend = false;
  std::vector<std::string> unanswered;  // datagrams sent since the last receive (resend mode)
  std::uint16_t port = 0;  // UDP: the bound local port (0: none)
  StreamId sid = 0;        // TCP
  Endpoint to;
  std::deque<std::string> inbox;
  bool connected = false;
  bool closed = false;  // TCP: EOF, reset or closed
  Status close_reason;
  // HTTP exchanges.
  bool http = false;
  std::unique_ptr<reference::http::ResponseParser> parser;
  std::string raw;
  std::optional<reference::HttpResponse> response;
  Status parse_error;
  // A HEAD exchange (RFC 9110 §9.3.2): the response ends with its header
  // block; bytes after it (a body sent in violation of MS-6) go to `extra`.
  bool head = false;
  std::string extra;
};

struct Ctx::Shared {
  Env* env = nullptr;
  TimeUs start = 0;
  std::vector<reports::WireEvent> wire;
  std::deque<Chan> chans;  // [0] = the default UDP endpoint; Open() handle h = chans[h + 1]
  std::vector<std::size_t> exchanges;  // HTTP channels (closed with the Ctx)

  void Record(const char* dir, const std::string& channel, std::string bytes) {
    wire.push_back({env->Now() - start, dir, channel, std::move(bytes)});
  }
};

}  // namespace mcpsim::conformance
