// MS and HTTP-binding checks added with the mutants (issue 9 self-test):
// HEAD without a body, a complete media body, lenient Content-Type.
#include <string>

#include "conformance/catalog.h"

namespace mcpsim::conformance {
namespace {

void Add(std::vector<CaseDef>& out, std::string id, std::string title, std::string group,
         std::vector<std::string> clauses, std::function<Outcome(Ctx&)> run, bool required = true) {
  out.push_back({std::move(id), std::move(title), std::move(group), std::move(clauses), required, "http", std::move(run)});
}

Result<reference::HttpResponse> Request(Ctx& c, const std::string& method, const std::string& target) {
  reference::HttpRequest req;
  req.method = method;
  req.target = target;
  return c.Http(req);
}

// The PNG trailer: an IEND chunk (length 0, type, CRC) ends every PNG.
constexpr std::string_view kIend("\0\0\0\0IEND\xae\x42\x60\x82", 12);

}  // namespace

void AddExtraCases(std::vector<CaseDef>& out) {
  Add(out, "ms.head.no_body", "HEAD /media/<id> is GET without a body: same status, type and Content-Length", "MS",
      {"MS-6", "MS-1"}, [](Ctx& c) {
        const auto id = FindMediaId(c);
        if (!id) return NoMediaId();
        auto g = Request(c, "GET", "/media/" + *id);
        if (!g.ok()) return Failed("HTTP 200", g.status().message(), "no HTTP response to GET");
        if (g->status == 404) return Outcome{reports::Verdict::kInformational, "HTTP 200", "404", "target has no " + *id};
        auto r = Request(c, "HEAD", "/media/" + *id);
        const std::string expected = "HTTP " + std::to_string(g->status) + ", Content-Length " +
                                     std::to_string(g->body.size()) + ", no body";
        if (!r.ok()) return Failed(expected, r.status().message(), "no HTTP response to HEAD");
        auto header = [](const reference::HttpResponse& x, const char* name) {
          auto it = x.headers.find(name);
          return it == x.headers.end() ? std::string("(none)") : it->second;
        };
        const std::string actual = "HTTP " + std::to_string(r->status) + ", Content-Length " +
                                   header(*r, "content-length") + ", " + std::to_string(r->body.size()) + " body bytes";
        if (r->status != g->status) return Failed(expected, actual, "MS-6: HEAD answers like GET");
        if (!r->body.empty()) return Failed(expected, actual, "MS-6: no body after HEAD (RFC 9110 §9.3.2)");
        const std::string cl = header(*r, "content-length");
        if (cl != "(none)" && cl != std::to_string(g->body.size())) {
          return Failed(expected, actual, "MS-6: Content-Length of a HEAD answer is the GET body's (RFC 9110 §8.6)");
        }
        if (header(*r, "content-type") != header(*g, "content-type")) {
          return Failed(expected + ", Content-Type " + header(*g, "content-type"), actual + ", Content-Type " +
                        header(*r, "content-type"), "MS-6: HEAD answers like GET");
        }
        return Ok(expected, actual);
      });
  Add(out, "ms.get.complete", "GET /media/<id> delivers a complete PNG", "MS", {"MS-2"}, [](Ctx& c) {
    const auto id = FindMediaId(c);
    if (!id) return NoMediaId();
    auto r = Request(c, "GET", "/media/" + *id);
    if (!r.ok()) return Failed("a complete PNG", r.status().message(), "no HTTP response");
    if (r->status == 404) return Outcome{reports::Verdict::kInformational, "HTTP 200", "404", "target has no " + *id};
    const std::string& b = r->body;
    const bool png = b.rfind("\x89PNG\r\n\x1a\n", 0) == 0;
    if (!png) return Outcome{reports::Verdict::kInformational, "a PNG", "another media type", "not checked"};
    if (b.size() < 20 || b.compare(b.size() - kIend.size(), kIend.size(), kIend) != 0) {
      return Failed("PNG ending in IEND", std::to_string(b.size()) + " bytes, truncated", "MS-2: the stored bytes");
    }
    return Ok("PNG ending in IEND", std::to_string(b.size()) + " bytes");
  });
  Add(out, "http.content_type.lenient", "POST /mcp with Content-Type text/plain is still served", "HTTP", {"HTTP-3"},
      [](Ctx& c) {
        reference::HttpRequest req;
        req.method = "POST";
        req.target = "/mcp";
        req.headers["content-type"] = "text/plain";
        req.body = "RAP 1 1.0.0 conf-ct\r\n";
        auto r = c.Http(req);
        if (!r.ok()) return Failed("HTTP 200 AAP 1 0", r.status().message(), "no HTTP response");
        if (r->status != 200) return Failed("HTTP 200 AAP 1 0", "HTTP " + std::to_string(r->status), "HTTP-3 SHOULD NOT reject");
        auto got = Decode(r->body);
        if (got.empty() || got[0].word != "AAP" || got[0].status != 0u) return Failed("AAP 1 0", ShowAll(got), "HTTP-3");
        return Ok("HTTP 200 AAP 1 0", ShowAll(got).substr(0, 40));
      },
      false);
}

}  // namespace mcpsim::conformance
