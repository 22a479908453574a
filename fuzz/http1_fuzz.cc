// libFuzzer target: the HTTP/1 message codec (reference/http/http1.h) that
// every host runs on its listeners. The first byte picks the message kind
// and a split pattern. Checks (trap on failure):
//  1. whole input vs. the input split into pieces: the same messages, the
//     same error (clause) — split invariance;
//  2. a parsed request never has a body larger than the parser's limit, and
//     an error's answer status is one of 400, 413, 431 (HTTP-6);
//  3. a parsed request serialized again parses to the same request.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/http/http1.h"

namespace {

using namespace mcpsim::reference;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Result {
  std::vector<std::string> messages;  // canonical text of each message
  std::string error;                  // clause of the first error
};

std::string Canon(const HttpRequest& r) {
  std::string s = r.method + "\n" + r.target + "\n";
  for (const auto& [k, v] : r.headers) s += k + "=" + v + "\n";
  return s + "\n" + r.body;
}
std::string Canon(const HttpResponse& r) {
  std::string s = std::to_string(r.status) + "\n" + r.content_type + "\n";
  for (const auto& [k, v] : r.headers) s += k + "=" + v + "\n";
  return s + "\n" + r.body;
}

template <typename Parser>
Result Parse(std::string_view in, std::uint32_t split, std::size_t max_body) {
  Result out;
  Parser p(max_body);
  std::size_t pos = 0;
  std::uint32_t x = split | 1;
  while (pos < in.size() && out.error.empty()) {
    std::size_t n = in.size() - pos;
    if (split) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      n = std::min<std::size_t>(n, x % 17);
    }
    mcpsim::Status s = p.Append(in.substr(pos, n));
    pos += n;
    if (!s.ok()) {
      out.error = s.clause();
      Check(http::ErrorStatus(s) == 400 || http::ErrorStatus(s) == 413 || http::ErrorStatus(s) == 431);
      break;
    }
    while (auto m = p.Next()) {
      Check(m->body.size() <= max_body);
      out.messages.push_back(Canon(*m));
    }
    // A malformed head after a complete message is found by Next().
    if (!p.error().ok()) {
      out.error = p.error().clause();
      Check(http::ErrorStatus(p.error()) == 400 || http::ErrorStatus(p.error()) == 413 ||
            http::ErrorStatus(p.error()) == 431);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t max_body = (mode & 2) ? 64 : 131072;
  if (mode & 1) {
    const Result whole = Parse<http::ResponseParser>(in, 0, max_body);
    const Result split = Parse<http::ResponseParser>(in, mode * 2654435761u, max_body);
    // Errors are detected as early as the bytes allow, so a split input may
    // report the same clause; messages before it must agree.
    Check(whole.error == split.error);
    Check(whole.messages == split.messages);
    return 0;
  }
  const Result whole = Parse<http::RequestParser>(in, 0, max_body);
  const Result split = Parse<http::RequestParser>(in, mode * 2654435761u, max_body);
  Check(whole.error == split.error);
  Check(whole.messages == split.messages);
  // Round trip of the first request through the serializer.
  http::RequestParser p(max_body);
  if (p.Append(in).ok()) {
    if (auto req = p.Next()) {
      if (req->target.find_first_of(" \r\n") == std::string::npos &&
          req->method.find_first_of(" \r\n") == std::string::npos) {
        const std::string wire = http::SerializeRequest(*req, "h");
        http::RequestParser q(max_body);
        Check(q.Append(wire).ok());
        auto again = q.Next();
        Check(again.has_value());
        Check(again->method == req->method && again->target == req->target && again->body == req->body);
      }
    }
  }
  return 0;
}
