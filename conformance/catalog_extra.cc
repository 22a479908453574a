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
  Add(out, "ms.head.no_body", "HEAD /media/<id> is 200 without a body", "MS", {"MS-6", "MS-1"}, [](Ctx& c) {
    auto r = Request(c, "HEAD", "/media/banner-1");
    if (!r.ok()) return Failed("HTTP 200, no body", r.status().message(), "no HTTP response");
    if (r->status == 404) return Outcome{reports::Verdict::kInformational, "HTTP 200", "404", "target has no banner-1"};
    const std::string actual = "HTTP " + std::to_string(r->status) + ", " + std::to_string(r->body.size()) + " body bytes";
    if (r->status != 200 || !r->body.empty()) return Failed("HTTP 200, no body", actual, "MS-6: HEAD is GET without a body");
    return Ok("HTTP 200, no body", actual);
  });
  Add(out, "ms.get.complete", "GET /media/banner-1 delivers a complete PNG", "MS", {"MS-2"}, [](Ctx& c) {
    auto r = Request(c, "GET", "/media/banner-1");
    if (!r.ok()) return Failed("a complete PNG", r.status().message(), "no HTTP response");
    if (r->status == 404) return Outcome{reports::Verdict::kInformational, "HTTP 200", "404", "target has no banner-1"};
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
