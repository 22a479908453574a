// Internal to the harness (harness.cc, harness_resend.cc): the state a Ctx
// shares with the Env callbacks of its channels.
//
// Invariants: channels live in a std::deque (stable addresses while the Ctx
// lives); callbacks hold a weak_ptr to Shared and do nothing once the Ctx is
// gone; UDP callbacks end with CloseDatagram in ~Ctx, open streams are reset.
#pragma once

#include <algorithm>
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
  std::size_t inbox_bytes = 0;  // bytes in `inbox` (bounded: kInboxCapBytes)
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
  // The channel of Open() handle `h`, or nullptr for a bad handle.
  Chan* Handle(int h) {
    return h < 0 || static_cast<std::size_t>(h) + 1 >= chans.size() ? nullptr : &chans[static_cast<std::size_t>(h) + 1];
  }
  std::vector<std::size_t> exchanges;  // HTTP channels (closed with the Ctx)

  // Bounds against a hostile target (issue 15; harness.h kTranscriptCapBytes):
  std::size_t recv_bytes = 0;  // every byte the target sent this case
  std::size_t kept_bytes = 0;  // received bytes kept in the transcript
  bool truncated = false;      // the transcript dropped received bytes
  bool flooded = false;        // recv_bytes passed kFloodBytes

  void Record(const char* dir, const std::string& channel, std::string bytes) {
    if (std::string_view(dir) == "recv" || std::string_view(dir) == "opened") {
      if (kept_bytes + bytes.size() > kTranscriptCapBytes) {
        if (!truncated) {
          truncated = true;
          bytes.resize(kTranscriptCapBytes - kept_bytes);
          kept_bytes = kTranscriptCapBytes;
          wire.push_back({env->Now() - start, dir, channel, std::move(bytes)});
          wire.push_back({env->Now() - start, "note", "note",
                          "transcript truncated: received bytes beyond " + std::to_string(kTranscriptCapBytes) +
                              " are counted, not kept"});
        }
        return;
      }
      kept_bytes += bytes.size();
    }
    wire.push_back({env->Now() - start, dir, channel, std::move(bytes)});
  }
  // Counts an arrival of `c` and queues it for the case; false when it was
  // dropped (inbox full or flood). Records it (capped) either way.
  bool Arrive(Chan& c, std::string d) {
    recv_bytes += d.size();
    if (!flooded && recv_bytes > kFloodBytes) {
      flooded = true;
      wire.push_back({env->Now() - start, "note", "note",
                      "flood: the target sent more than " + std::to_string(kFloodBytes) +
                          " bytes to this case; later arrivals are dropped"});
    }
    if (flooded || c.inbox_bytes + d.size() > kInboxCapBytes) {
      Record("recv", c.channel, std::move(d));
      return false;
    }
    Record("recv", c.channel, d);
    c.inbox_bytes += d.size();
    c.inbox.push_back(std::move(d));
    return true;
  }
  static std::string Pop(Chan& c) {
    std::string d = std::move(c.inbox.front());
    c.inbox.pop_front();
    c.inbox_bytes -= std::min(c.inbox_bytes, d.size());
    return d;
  }
};

}  // namespace mcpsim::conformance
