// The values that cross the sans-I/O boundary of every role and transport
// piece (reference/roles/role.h, reference/transport/, reference/http/):
// an HTTP request or response as a role sees it, and an Output — something a
// role wants sent or done. Plain values; they sit below both transport/ and
// roles/ so neither needs the other to name them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/env.h"
#include "reference/crypto/work.h"

namespace mcpsim::reference {

// One HTTP/1.1 request as the role sees it (transport-independent, like
// Beast's handle_request). Header names are lower-cased by the driver.
struct HttpRequest {
  std::string method;  // "GET", "POST"
  std::string target;  // origin-form: "/mcp?q=..."
  std::map<std::string, std::string> headers;
  std::string body;
  Endpoint peer;
};

struct HttpResponse {
  HttpResponse() = default;
  // The blank form an Output that is not an HTTP response carries: no
  // default content type, so building one allocates nothing (an answer
  // datagram is an Output; `bench udp`'s answer path). Never sent.
  struct Blank {};
  explicit HttpResponse(Blank) : content_type() {}

  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::map<std::string, std::string> headers;
  std::string body;
  // Set on a response to HEAD (RFC 9110 §9.3.2, §8.6): the Content-Length
  // the same GET would announce. The serializer writes it as Content-Length
  // and sends `body` (empty when conforming, MS-6) after the header block.
  std::optional<std::size_t> head_length;
};

// Something a role wants sent (or done).
struct Output {
  enum class Kind : std::uint8_t {
    kDatagram,      // UDP datagram `bytes` to `to` (from the role's bound port)
    kStream,        // bytes on the established stream `conn`
    kCloseStream,   // close stream `conn` after the queued bytes
    kHttp,          // client: send `request` to `to`; the answer comes back via
                    // OnHttpResponse(now, conn, ...) with this `conn` as the id
    kHttpResponse,  // server: `response` answers exchange `conn` (OnHttp)
    kWork,          // run `work` off the event loop; the result comes back via
                    // OnWorkDone(now, conn, ...) with this `conn` as the id
    kConnect,       // client: open a stream to `to` named `conn` by the role
                    // (ids the role picks must never equal accepted stream ids:
                    // use the high bit). kStream/kCloseStream may follow at once
                    // (the host holds bytes until connected). Then OnStreamOpen(now,
                    // conn, to) when connected, OnStreamData, and OnStreamClosed
                    // (also when the connect fails).
  };
  Kind kind = Kind::kDatagram;
  Endpoint to;
  std::uint64_t conn = 0;
  std::string bytes;
  HttpRequest request;    // for kHttp
  HttpResponse response{HttpResponse::Blank{}};  // for kHttpResponse (set whole, HttpAnswer)
  std::shared_ptr<const Work> work;  // for kWork (immutable; may cross threads)
};

// The kHttpResponse output answering `exchange` with `resp`.
inline Output HttpAnswer(std::uint64_t exchange, HttpResponse resp) {
  Output o;
  o.kind = Output::Kind::kHttpResponse;
  o.conn = exchange;
  o.response = std::move(resp);
  return o;
}

}  // namespace mcpsim::reference
