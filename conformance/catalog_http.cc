// DP (GET /mcp), RS (POST /mcp) and MS (GET and HEAD /media/<id>, complete
// bodies) over HTTP, plus the HTTP binding rules (HTTP-*, lenient Content-Type).

#include <map>
#include <string>

#include "conformance/catalog.h"
#include "core/hash.h"
#include "core/rng.h"
#include "reference/http/http1.h"
#include "reference/media/captcha.h"

namespace mcpsim::conformance {
namespace {

using V = reports::Verdict;
using reference::HttpRequest;
using reference::HttpResponse;

std::string Head(const HttpResponse& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

Result<HttpResponse> Get(Ctx& c, const std::string& target, std::map<std::string, std::string> headers = {}) {
  HttpRequest req;
  req.method = "GET";
  req.target = target;
  req.headers = std::move(headers);
  return c.Http(req);
}

Result<HttpResponse> Dp(Ctx& c, const std::string& line) { return Get(c, "/mcp?q=" + reference::http::UrlEncode(line)); }

// An HTTP exchange whose MCP answers must match `want`.
Outcome ExpectMcp(const Result<HttpResponse>& r, const std::vector<Want>& want, const std::string& clause) {
  std::string expected = "HTTP 200: ";
  for (const Want& w : want) expected += w.Show() + " ";
  if (!r.ok()) return Failed(expected, r.status().message(), "no HTTP response");
  if (r->status != 200) return Failed(expected, "HTTP " + std::to_string(r->status), "MCP errors are MCP statuses (HTTP-6)");
  std::vector<std::string> errs;
  auto got = Decode(r->body, &errs);
  if (!errs.empty()) return Failed(expected, reports::Printable(r->body), "undecodable body (" + errs[0] + ")");
  if (auto why = Match(got, want)) return Failed(expected, ShowAll(got), *why + " (" + clause + ")");
  return Ok(expected, ShowAll(got));
}

Outcome ExpectHttp(const Result<HttpResponse>& r, int status, bool empty_body, const std::string& clause) {
  const std::string expected = "HTTP " + std::to_string(status) + (empty_body ? ", empty body" : "");
  if (!r.ok()) return Failed(expected, r.status().message(), "no HTTP response");
  const std::string actual = "HTTP " + std::to_string(r->status) + ", " + std::to_string(r->body.size()) + " body bytes";
  if (r->status != status) return Failed(expected, actual, clause);
  if (empty_body && !r->body.empty()) return Failed(expected, actual, "error bodies are empty (" + clause + ")");
  return Ok(expected, actual);
}

int UpdateLevel(const std::string& u) { return u == "none" ? 0 : u == "recommended" ? 1 : u == "required" ? 2 : -1; }

// A registration session with a captcha read from its reassembled image.
struct Reg {
  std::string sid;
  std::string captcha_id;
  std::string png;
  std::string text;
};

// RAP, then collect the RBIN chunks (answering each with ABIN) until the
// image is complete; checks PAY-4/PAY-5 on every chunk and reads the text.
std::optional<Outcome> GetCaptcha(Ctx& c, Reg& reg) {
  auto r = c.PostMcp("RAP 1 1.0.0 conf-dev\r\n");
  if (!r.ok()) return Failed("HTTP 200 AAP", r.status().message(), "no HTTP response");
  if (r->status != 200) return Failed("HTTP 200 AAP", "HTTP " + std::to_string(r->status), "HTTP-4");
  std::vector<std::string> errs;
  auto cmds = Decode(r->body, &errs);
  if (!errs.empty() || cmds.empty()) return Failed("AAP 1 0 ...", reports::Printable(r->body), "undecodable body");
  if (auto why = Match({cmds[0]}, {{"AAP", 1, 0, 5}})) return Failed("AAP 1 0 +5 params", ShowAll(cmds), *why);
  const wire::Command aap = cmds[0];
  reg.sid = aap.params[0];
  reg.captcha_id = aap.params[1];
  if (Head(*r, "sessionid") != reg.sid) {
    return Failed("SessionID: " + reg.sid, "SessionID: " + Head(*r, "sessionid"), "HTTP-7: header must carry the AAP session id");
  }
  if (reg.sid.size() != 32 || reg.sid.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Failed("hex32", reg.sid, "session id is not 32 lowercase hex digits (RS-1)");
  }
  if (Head(*r, "content-type").rfind("application/x-mcp", 0) != 0) {
    return Failed("Content-Type: application/x-mcp", Head(*r, "content-type"), "HTTP-4");
  }
  const std::size_t total = std::strtoul(aap.params[2].c_str(), nullptr, 10);
  if (total < 1 || total > 65536) return Failed("total 1..65536", aap.params[2], "AAP total");
  std::string image(total, '\0');
  std::vector<bool> have((total + 1023) / 1024, false);
  std::size_t missing = have.size();
  cmds.erase(cmds.begin());
  for (int round = 0; round < 20 && missing > 0; ++round) {
    std::string abins;
    for (const wire::Command& k : cmds) {
      if (k.word != "RBIN") continue;
      if (k.params.size() != 3 || !k.payload) return Failed("RBIN id offset total <payload>", Show(k), "PAY-4");
      const std::size_t off = std::strtoul(k.params[1].c_str(), nullptr, 10);
      const std::size_t tot = std::strtoul(k.params[2].c_str(), nullptr, 10);
      if (k.params[0] != reg.captcha_id || tot != total || off % 1024 != 0 || off >= total ||
          k.payload->size() != std::min<std::size_t>(1024, total - off)) {
        return Failed("chunk of captcha " + reg.captcha_id + " per PAY-5", Show(k), "PAY-4/PAY-5/PAY-6 violated");
      }
      if (!have[off / 1024]) {
        have[off / 1024] = true;
        --missing;
        image.replace(off, k.payload->size(), *k.payload);
      }
      abins += "ABIN " + std::to_string(k.trid) + " 0\r\n";
    }
    if (missing == 0) {
      if (!abins.empty()) (void)c.PostMcp(abins, reg.sid);  // acknowledge the last chunks (RS-5)
      break;
    }
    auto next = c.PostMcp(abins.empty() ? "RAP 2 1.0.0 conf-dev\r\n" : abins, reg.sid);
    if (!next.ok() || next->status != 200) return Failed("more RBIN chunks", next.ok() ? "HTTP error" : next.status().message(), "RS-4");
    cmds = Decode(next->body);
  }
  if (missing > 0) return Failed("all " + std::to_string(have.size()) + " chunks", std::to_string(missing) + " missing", "RS-4");
  reg.png = image;
  if (image.rfind("\x89PNG\r\n\x1a\n", 0) != 0 && image.rfind("P5", 0) != 0) {
    return Failed("PNG or PGM image", reports::Printable(image.substr(0, 8)), "RS-3");
  }
  auto text = reference::ReadCaptcha(image);
  if (!text) return Outcome{V::kInformational, "a readable captcha", "unreadable", "ReadCaptcha cannot read this image"};
  reg.text = *text;
  return std::nullopt;
}

std::string FreshAccount(Ctx& c, const std::string& tag) {
  Rng rng(c.Fresh());
  return "c" + Hex64(rng.Next()).substr(0, 12) + tag + "@example.com";
}

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  return s;
}

std::string RegLine(std::uint32_t trid, const Reg& g, const std::string& text, const std::string& account,
                    const std::string& password = "correct-horse", const std::string& nick = "Conf") {
  return "REG " + std::to_string(trid) + " " + g.captcha_id + " " + wire::Escape(text) + " " + wire::Escape(account) +
         " " + wire::Escape(password) + " " + wire::Escape(nick) + "\r\n";
}

// Runs `body(reg)` after a successful captcha download.
Outcome WithCaptcha(Ctx& c, const std::function<Outcome(Reg&)>& body) {
  Reg reg;
  if (auto bad = GetCaptcha(c, reg)) return *bad;
  return body(reg);
}

Result<reference::HttpResponse> Request(Ctx& c, const std::string& method, const std::string& target) {
  reference::HttpRequest req;
  req.method = method;
  req.target = target;
  return c.Http(req);
}

// The PNG trailer: an IEND chunk (length 0, type, CRC) ends every PNG.
constexpr std::string_view kIend("\0\0\0\0IEND\xae\x42\x60\x82", 12);

void Add(std::vector<CaseDef>& out, std::string id, std::string title, std::string group,
         std::vector<std::string> clauses, std::function<Outcome(Ctx&)> run, bool required = true) {
  out.push_back({std::move(id), std::move(title), std::move(group), std::move(clauses), required, "http", std::move(run)});
}

}  // namespace

void AddHttpCases(std::vector<CaseDef>& out) {
  Add(out, "dp.rqqw.ok", "RQQW over GET is answered AQQW 0 with 7 params", "DP", {"HTTP-1", "HTTP-2", "DP-1"},
      [](Ctx& c) {
        auto r = Dp(c, "RQQW 1 1.0.0 s60 dev-7f3a\r\n");
        Outcome o = ExpectMcp(r, {{"AQQW", 1, 0, 7}}, "HTTP-2");
        if (o.verdict != V::kOk) return o;
        const std::string u = Decode(r->body)[0].params[0];
        if (UpdateLevel(u) < 0) return Failed("none|recommended|required", u, "DP-1 update token");
        return o;
      });
  Add(out, "dp.update.advice", "Older versions never get weaker update advice; required means no servers", "DP",
      {"DP-1", "DP-2"}, [](Ctx& c) {
        auto old_r = Dp(c, "RQQW 2 0.0.0 s60 dev-1\r\n");
        auto new_r = Dp(c, "RQQW 3 65535.65535.65535 s60 dev-1\r\n");
        Outcome a = ExpectMcp(old_r, {{"AQQW", 2, 0, 7}}, "DP-1");
        if (a.verdict != V::kOk) return a;
        Outcome b = ExpectMcp(new_r, {{"AQQW", 3, 0, 7}}, "DP-1");
        if (b.verdict != V::kOk) return b;
        const auto o = Decode(old_r->body)[0].params, n = Decode(new_r->body)[0].params;
        if (n[0] != "none") return Failed("none for 65535.65535.65535", n[0], "DP-1");
        if (UpdateLevel(o[0]) < UpdateLevel(n[0])) return Failed(">= advice for 0.0.0", o[0], "DP-1");
        if (o[0] == "required" && (!o[3].empty() || !o[4].empty() || !o[5].empty())) {
          return Failed("empty sg, rs, cs", a.actual, "DP-2");
        }
        return Ok("monotonic advice", "0.0.0: " + o[0] + ", newest: " + n[0]);
      });
  Add(out, "dp.q.missing", "GET /mcp without q is 400 with an empty body", "DP", {"HTTP-2", "HTTP-1"},
      [](Ctx& c) { return ExpectHttp(Get(c, "/mcp"), 400, true, "HTTP-2"); });
  Add(out, "dp.unknown.word", "DP answers any other word with 100", "DP", {"DP-4", "WIRE-21"},
      [](Ctx& c) { return ExpectMcp(Dp(c, "RXYZ 4 a\r\n"), {{"AXYZ", 4, 100, 0}}, "DP-4"); });
  Add(out, "dp.rqqw.param_count", "RQQW with 2 params is answered 102", "DP", {"CONV-4"},
      [](Ctx& c) { return ExpectMcp(Dp(c, "RQQW 5 1.0.0 s60\r\n"), {{"AQQW", 5, 102, 0}}, "CONV-4"); });
  Add(out, "dp.rqqw.bad_version", "A version with a leading zero is answered 103", "DP", {"LIM-22", "CONV-4"},
      [](Ctx& c) { return ExpectMcp(Dp(c, "RQQW 6 01.0.0 s60 dev-1\r\n"), {{"AQQW", 6, 103, 0}}, "LIM-22"); });
  Add(out, "dp.connection.close", "DP sends Connection: close", "HTTP", {"HTTP-11"}, [](Ctx& c) {
        auto r = Dp(c, "RQQW 7 1.0.0 s60 dev-1\r\n");
        if (!r.ok()) return Failed("Connection: close", r.status().message(), "no response");
        if (Lower(Head(*r, "connection")) != "close") return Failed("Connection: close", Head(*r, "connection"), "HTTP-11");
        return Ok("Connection: close", "Connection: close");
      }, false);
  Add(out, "http.path.unknown", "An unknown path is 404", "HTTP", {"HTTP-6"},
      [](Ctx& c) { return ExpectHttp(Get(c, "/no-such-path"), 404, false, "HTTP-6"); });
  Add(out, "http.method.not_allowed", "PUT /mcp is 405 with Allow", "HTTP", {"HTTP-6"}, [](Ctx& c) {
        HttpRequest req;
        req.method = "PUT";
        req.target = "/mcp";
        req.body = "RAP 1 1.0.0 dev\r\n";
        auto r = c.Http(req);
        Outcome o = ExpectHttp(r, 405, false, "HTTP-6");
        if (o.verdict == V::kOk && Head(*r, "allow").empty()) return Failed("Allow header", "none", "HTTP-6: 405 with Allow");
        return o;
      });
  Add(out, "rs.rap.session", "RAP creates a session: AAP + SessionID header", "RS", {"RS-1", "HTTP-7", "HTTP-4"},
      [](Ctx& c) { return WithCaptcha(c, [](Reg& g) { return Ok("AAP with session", "session " + g.sid); }); });
  Add(out, "rs.rbin.captcha", "RBIN chunks reassemble to a legible captcha image", "RS",
      {"RS-3", "RS-4", "PAY-4", "PAY-5", "PAY-10"}, [](Ctx& c) {
        return WithCaptcha(c, [](Reg& g) {
          return Ok("complete image", std::to_string(g.png.size()) + " bytes, text " + g.text);
        });
      });
  Add(out, "rs.captcha.size", "The captcha image is at most 8192 bytes", "RS", {"RS-14"}, [](Ctx& c) {
        return WithCaptcha(c, [](Reg& g) {
          if (g.png.size() > 8192) return Failed("<= 8192 bytes", std::to_string(g.png.size()), "RS-14");
          return Ok("<= 8192 bytes", std::to_string(g.png.size()));
        });
      }, false);
  Add(out, "rs.reg.ok", "REG with the captcha text (lowercase) creates the account", "RS", {"RS-9", "RS-11", "WIRE-19"},
      [](Ctx& c) {
        return WithCaptcha(c, [&c](Reg& g) {
          const std::string acct = FreshAccount(c, "ok");
          Outcome o = ExpectMcp(c.PostMcp(RegLine(9, g, Lower(g.text), acct), g.sid), {{"AEG", 9, 0, 1}}, "RS-9");
          return o;
        });
      });
  Add(out, "rs.reg.wrong_captcha", "A wrong captcha text is 203; the captcha is then used up (204)", "RS",
      {"RS-7", "RS-8", "RS-9"}, [](Ctx& c) {
        return WithCaptcha(c, [&c](Reg& g) {
          const std::string acct = FreshAccount(c, "wc");
          Outcome o = ExpectMcp(c.PostMcp(RegLine(10, g, "00000", acct), g.sid), {{"AEG", 10, 203, 0}}, "RS-9");
          if (o.verdict != V::kOk) return o;
          return ExpectMcp(c.PostMcp(RegLine(11, g, g.text, acct), g.sid), {{"AEG", 11, 204, 0}}, "RS-7 single use");
        });
      });
  Add(out, "rs.reg.duplicate", "Registering an existing account is 205", "RS", {"RS-11"}, [](Ctx& c) {
        const std::string acct = FreshAccount(c, "dup");
        Outcome first = WithCaptcha(c, [&](Reg& g) {
          return ExpectMcp(c.PostMcp(RegLine(12, g, g.text, acct), g.sid), {{"AEG", 12, 0, 1}}, "RS-11");
        });
        if (first.verdict != V::kOk) return first;
        return WithCaptcha(c, [&](Reg& g) {
          return ExpectMcp(c.PostMcp(RegLine(13, g, g.text, acct), g.sid), {{"AEG", 13, 205, 0}}, "REG 205");
        });
      });
  Add(out, "rs.reg.bad_account", "An account name with uppercase letters is 206", "RS", {"LIM-10", "WIRE-15"},
      [](Ctx& c) {
        return WithCaptcha(c, [&c](Reg& g) {
          return ExpectMcp(c.PostMcp(RegLine(14, g, g.text, "Bad@Example.com"), g.sid), {{"AEG", 14, 206, 0}}, "LIM-10");
        });
      });
  Add(out, "rs.reg.short_password", "A 7-byte password is 207", "RS", {"LIM-11"}, [](Ctx& c) {
        return WithCaptcha(c, [&c](Reg& g) {
          return ExpectMcp(c.PostMcp(RegLine(15, g, g.text, FreshAccount(c, "pw"), "short12"), g.sid),
                           {{"AEG", 15, 207, 0}}, "LIM-11");
        });
      });
  Add(out, "rs.reg.no_session", "REG without a registration session is 202", "RS", {"RS-13", "HTTP-10"},
      [](Ctx& c) {
        return ExpectMcp(c.PostMcp("REG 16 1 ABCDE nosession@example.com correct-horse x\r\n"), {{"AEG", 16, 202, 0}},
                         "RS-13");
      });
  Add(out, "rs.rbin.server_only", "RBIN sent to RS (a server-to-client word) is answered 310", "RS", {"WIRE-21", "TRID-8"},
      [](Ctx& c) { return ExpectMcp(c.PostMcp("RBIN 18 1 0 3 3\r\nabc"), {{"ABIN", 18, 310, 0}}, "WIRE-21"); });
  Add(out, "rs.session.unknown", "A RAP naming an unknown SessionID is 202", "RS", {"HTTP-10"}, [](Ctx& c) {
        return ExpectMcp(c.PostMcp("RAP 17 1.0.0 dev-1\r\n", "0123456789abcdef0123456789abcdef"), {{"AAP", 17, 202, 0}},
                         "HTTP-10");
      });
  Add(out, "ms.get.ok", "GET /media/<id> is 200 with the bytes and headers", "MS", {"MS-1", "MS-2"},
      [](Ctx& c) {
        const auto id = FindMediaId(c);
        if (!id) return NoMediaId();
        auto r = Get(c, "/media/" + *id);
        if (r.ok() && r->status == 404) return Outcome{V::kInformational, "HTTP 200", "404", "target has no " + *id};
        Outcome o = ExpectHttp(r, 200, false, "MS-2");
        if (o.verdict != V::kOk) return o;
        if (r->body.empty() || Head(*r, "content-type").empty()) return Failed("bytes + Content-Type", o.actual, "MS-2");
        return o;
      });
  Add(out, "ms.unknown.id", "An unknown media id is 404 with an empty body", "MS", {"MS-3"},
      [](Ctx& c) { return ExpectHttp(Get(c, "/media/no-such-media-0"), 404, true, "MS-3"); });
  Add(out, "ms.bad.id", "A media id violating LIM-18 is 400", "MS", {"MS-3", "LIM-18"},
      [](Ctx& c) { return ExpectHttp(Get(c, "/media/bad!id"), 400, true, "MS-3"); });
  Add(out, "ms.method", "POST /media/<id> is 405", "MS", {"MS-3"}, [](Ctx& c) {
        HttpRequest req;
        req.method = "POST";
        req.target = "/media/" + FindMediaId(c).value_or("any-id");
        req.body = "x";
        return ExpectHttp(c.Http(req), 405, true, "MS-3");
      });
  Add(out, "ms.no.range", "A range request is never answered 206", "MS", {"MS-4"}, [](Ctx& c) {
        const auto id = FindMediaId(c);
        if (!id) return NoMediaId();
        auto r = Get(c, "/media/" + *id, {{"range", "bytes=0-9"}});
        if (!r.ok()) return Failed("not 206", r.status().message(), "no response");
        if (r->status == 206) return Failed("not 206", "206", "MS-4");
        return Ok("not 206", "HTTP " + std::to_string(r->status));
      });
  // MS and HTTP-binding checks added with the mutants (issue 9 self-test): HEAD without a
  // body, a complete media body, lenient Content-Type.
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
