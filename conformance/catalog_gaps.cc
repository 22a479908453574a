// Cases for the deviations an independent server showed the suite missed
// (issue 14), each proven by a mutant in mutants_more.cc: the answer cache
// keyed without the word, a resent RSM executed again, versions compared as
// strings, RSI to an invisible contact, an undecodable POST body, RPS with
// the final sync request in flight; and the transports never exercised
// before: SG over HTTP (RAT POSTed) and RS over TCP.
#include <string>

#include "conformance/catalog.h"
#include "conformance/catalog_sg.h"
#include "reference/http/http1.h"

namespace mcpsim::conformance {
namespace {

using V = reports::Verdict;
using sg::Expect;
using sg::SgClient;

constexpr const char* kMid = "58d05d6affef8ab9dd5a8be7afdf1c83";

Outcome CacheKeyedByWord(Ctx& c) {
  // Same endpoint, same trid, two words: the second is a new request (TIMER-5
  // keys by (endpoint, trid, word); TRID-5).
  const std::string rup = "RUP 6100 " + std::string(kMid) + " launch 1700000000000 x\r\n";
  std::string rad = "RAD 6100 " + std::string(kMid) + " " + AdSlots(c).front() + "\r\n";
  rad += "RPAD 6101 " + std::string(1200, '0') + "\r\n";  // AMP-4: room for the full AAD
  if (!c.UdpSend(rup).ok()) return Failed("AUP 6100 0", "send failed", "harness");
  std::vector<wire::Command> first;
  for (const std::string& d : c.UdpRecv(c.io_timeout_ms())) {
    for (wire::Command& k : Decode(d)) first.push_back(std::move(k));
  }
  if (auto why = Match(first, {{"AUP", 6100, 0, 0}})) return Failed("AUP 6100 0", ShowAll(first), *why + " (CS-1)");
  if (!c.UdpSend(rad).ok()) return Failed("AAD 6100", "send failed", "harness");
  std::vector<wire::Command> second;
  for (const std::string& d : c.UdpRecv(c.io_timeout_ms())) {
    for (wire::Command& k : Decode(d)) second.push_back(std::move(k));
  }
  if (second.size() != 1 || second[0].word != "AAD" || second[0].trid != 6100 || !second[0].status) {
    return Failed("AAD 6100 (a new request: the cache key includes the word)", ShowAll(second),
                  "TIMER-5: RAD with the trid of an earlier RUP must be executed, not answered from the cache");
  }
  // Executed means a real AAD (issue 15: an echo's bare `AAD 6100 0` is no
  // ad answer): 0 with the five ad params (§7.9.3), or 405 <needed> (AMP-2).
  const std::size_t np = second[0].params.size();
  if (!((*second[0].status == 0 && np == 5) || (*second[0].status == 405 && np == 1))) {
    return Failed("AAD 6100 0 +5 params (or 405 <needed>)", ShowAll(second),
                  "TIMER-5: the RAD was not executed as a RAD (§7.9.3: AAD 0 has five params; AMP-2: 405 has one)");
  }
  return Ok("AUP 6100 0, then AAD 6100", ShowAll(first) + " ; " + ShowAll(second));
}

Outcome RsmResend(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  const std::string text = "once only 7";
  const std::uint32_t t = p.a->Request("RSM", {p.call, text});
  if (auto bad = Expect(p.a->Await(t), "ASM", 0, 0, "SG-CHAT-7")) return *bad;
  auto rrms = [&] {
    std::size_t n = 0;
    for (const wire::Command& k : p.b->Got("RRM")) n += k.params.size() == 3 && k.params[2] == text;
    return n;
  };
  if (!p.b->Pump(ctx.io_timeout_ms(), [&] { return rrms() >= 1; })) {
    return Failed("RRM to bob", ShowAll(p.b->log), "SG-CHAT-7");
  }
  // The same bytes again (TIMER-4: a resend reuses the trid).
  wire::Command again;
  again.word = "RSM";
  again.trid = t;
  again.params = {p.call, text};
  const std::size_t answers_before = p.a->log.size();
  p.a->SendRaw(Encode(again));
  p.a->Pump(ctx.io_timeout_ms(), [&] {
    for (std::size_t i = answers_before; i < p.a->log.size(); ++i) {
      if (p.a->log[i].word == "ASM" && p.a->log[i].trid == t) return true;
    }
    return false;
  });
  p.b->Pump(400);
  const wire::Command* second = nullptr;
  for (std::size_t i = answers_before; i < p.a->log.size(); ++i) {
    if (p.a->log[i].word == "ASM" && p.a->log[i].trid == t) second = &p.a->log[i];
  }
  if (rrms() != 1) {
    return Failed("one RRM for one RSM resent once", std::to_string(rrms()) + " RRMs",
                  "TIMER-5: the resent RSM was executed again");
  }
  if (!second) return Failed("ASM " + std::to_string(t) + " 0 again (from the cache)", "no answer", "TIMER-5");
  return Ok("ASM twice, one RRM", Show(*second));
}

// A version whose numeric and byte-string order against `v` differ, with
// the advice a numeric comparison gives; nullopt when `v` allows none.
struct Probe {
  std::string version;
  bool numerically_below;
};
std::optional<Probe> StringTrap(const std::string& v) {
  unsigned long c[3];
  if (std::sscanf(v.c_str(), "%lu.%lu.%lu", &c[0], &c[1], &c[2]) != 3) return std::nullopt;
  for (int i = 0; i < 3; ++i) {
    for (unsigned long cand : {c[i] >= 10 ? 9ul : 0ul, c[i] >= 2 && c[i] <= 9 ? 10ul : 0ul}) {
      if (cand == 0) continue;
      unsigned long d[3] = {c[0], c[1], c[2]};
      d[i] = cand;
      for (int k = i + 1; k < 3; ++k) d[k] = 0;
      const std::string s = std::to_string(d[0]) + "." + std::to_string(d[1]) + "." + std::to_string(d[2]);
      const bool num_below = d[i] < c[i];
      const bool str_below = s < v;
      if (num_below != str_below) return Probe{s, num_below};
    }
  }
  return std::nullopt;
}

Result<reference::HttpResponse> DpGet(Ctx& c, const std::string& line) {
  reference::HttpRequest req;
  req.method = "GET";
  req.target = "/mcp?q=" + reference::http::UrlEncode(line);
  return c.Http(req);
}

Outcome VersionsNumeric(Ctx& c) {
  auto r = DpGet(c, "RQQW 11 0.0.0 s60 dev-v\r\n");
  if (!r.ok()) return Failed("AQQW 11 0", r.status().message(), "no HTTP response");
  auto a = Decode(r->body);
  if (auto why = Match(a, {{"AQQW", 11, 0, 7}})) return Failed("AQQW 11 0 +7", ShowAll(a), *why);
  const std::string latest = a[0].params[1];
  auto probe = StringTrap(latest);
  if (!probe) {
    return Outcome{V::kInformational, "a latestVersion with a component >= 2", latest,
                   "not judged: no version orders differently as a string than as numbers against " + latest};
  }
  auto q = DpGet(c, "RQQW 12 " + probe->version + " s60 dev-v\r\n");
  if (!q.ok()) return Failed("AQQW 12 0", q.status().message(), "no HTTP response");
  auto b = Decode(q->body);
  if (auto why = Match(b, {{"AQQW", 12, 0, 7}})) return Failed("AQQW 12 0 +7", ShowAll(b), *why);
  const std::string advice = b[0].params[0];
  const std::string expected = probe->numerically_below ? "recommended or required" : "none";
  const bool ok = probe->numerically_below ? advice != "none" : advice == "none";
  const std::string actual = probe->version + " vs latest " + latest + ": " + advice;
  if (!ok) return Failed(expected, actual, "DP-1: versions are compared numerically (major, minor, patch)");
  return Ok(expected, actual);
}

Outcome RsiNotVisible(Ctx& ctx) {
  sg::Registered ra = sg::Register(ctx, "a"), rb = sg::Register(ctx, "h"), rc = sg::Register(ctx, "n");
  for (const auto* r : {&ra, &rb, &rc}) {
    if (r->failure) return *r->failure;
  }
  SgClient a(ctx, "udp", "alice"), hidden(ctx, "udp", "hidden-bob"), online(ctx, "udp", "online-carol");
  if (auto bad = sg::Login(hidden, rb.account, 7, 0, "hidden")) return *bad;
  if (auto bad = sg::Login(a, ra.account)) return *bad;
  // carol: AUTHED and ONLINE but never ACTIVE (no RPS: her sync is held).
  online.hold = {"RCS", "RCR"};
  if (auto bad = sg::Login(online, rc.account)) return *bad;
  for (const std::string* who : {&rb.account, &rc.account}) {
    if (auto added = sg::AddContact(ctx, a, *who); added.failure) return *added.failure;
  }
  if (auto bad = Expect(a.Await(a.Request("RSI", {rb.account})), "ASI", 304, 0,
                        "RSI: a hidden invitee is not visible (SG-PRES-2)")) {
    return *bad;
  }
  if (auto bad = Expect(a.Await(a.Request("RSI", {rc.account})), "ASI", 304, 0,
                        "RSI: an invitee without an ACTIVE session is not visible (SG-PRES-2)")) {
    return *bad;
  }
  if (!hidden.Got("RRI").empty() || !online.Got("RRI").empty()) {
    return Failed("no RRI to either", ShowAll(hidden.Got("RRI")) + ShowAll(online.Got("RRI")), "SG-CHAT-1");
  }
  return Ok("ASI 304 (hidden), ASI 304 (ONLINE, not ACTIVE)", "as required");
}

Outcome PostUndecodable(Ctx& c) {
  // No word or trid can be decoded: HTTP 400, empty body (HTTP-5, WIRE-22).
  for (const std::string& body : {std::string("garbage here\r\n"), std::string("RAP\r\n"), std::string("\r\n")}) {
    auto r = c.PostMcp(body);
    if (!r.ok()) return Failed("HTTP 400", r.status().message(), "no HTTP response");
    if (r->status != 400 || !r->body.empty()) {
      return Failed("HTTP 400, empty body", "HTTP " + std::to_string(r->status) + ", " + std::to_string(r->body.size()) +
                    " body bytes for " + reports::Printable(body), "HTTP-5: an undecodable body without a WIRE-22 answer");
    }
  }
  // Word and trid decoded, a malformed escape after them: HTTP 200 + AAP 101.
  auto r = c.PostMcp("RAP 21 1.0.0 dev%zz\r\n");
  if (!r.ok()) return Failed("HTTP 200 AAP 21 101", r.status().message(), "no HTTP response");
  auto a = Decode(r->body);
  if (r->status != 200 || Match(a, {{"AAP", 21, 101, 0}})) {
    return Failed("HTTP 200, AAP 21 101", "HTTP " + std::to_string(r->status) + " " + ShowAll(a),
                  "HTTP-5: the WIRE-22 answer travels with HTTP 200");
  }
  return Ok("HTTP 400 (no answer possible), HTTP 200 AAP 21 101", "as required");
}

Outcome RpsInFlight(Ctx& ctx) {
  sg::Registered r = sg::Register(ctx, "f");
  if (r.failure) return *r.failure;
  SgClient s(ctx, "udp", "alice");
  s.hold = {"RCS", "RCR"};  // the case answers (or not) the sync requests itself
  if (auto bad = sg::Login(s, r.account)) return *bad;
  // A new account's list is empty: the RCS (count 0) is the initial sync's
  // final request.
  if (!s.Pump(ctx.io_timeout_ms(), [&] { return !s.Got("RCS").empty(); })) {
    return Failed("RCS after ASII", ShowAll(s.log), "SG-LOGIN-4");
  }
  const wire::Command rcs = s.Got("RCS")[0];
  if (rcs.params.size() != 3 || rcs.params[2] != "0") {
    return Outcome{V::kInformational, "RCS with count 0", Show(rcs), "not judged: a new account's list is not empty"};
  }
  // RPS while the RCS is unanswered (its ACS lost): SG-SYNC-12 takes it as
  // ACS 0 and executes the RPS.
  if (auto bad = Expect(s.Await(s.Request("RPS", {"0", "Conf", "", ""})), "APS", 0, 4,
                        "SG-SYNC-12: an RPS with the final sync request in flight completes the sync")) {
    return *bad;
  }
  s.Answer(rcs, 0);  // the late ACS matches nothing (TRID-6); nothing to see
  if (auto bad = Expect(s.Await(s.Request("RLO", {})), "ALO", 0, 0, "SG-LOGIN-11")) return *bad;
  return Ok("APS 0 with the RCS unanswered", "as required");
}

Outcome SgHttpLogin(Ctx& ctx) {
  sg::Registered r = sg::Register(ctx, "w");
  if (r.failure) return *r.failure;
  SgClient s(ctx, "http", "alice");
  if (auto bad = sg::Login(s, r.account)) return *bad;
  if (!s.decode_errors.empty()) return Failed("decodable bodies", s.decode_errors[0], "HTTP-4");
  const std::uint32_t pol = s.Request("RPOL", {});
  const wire::Command* apol = s.Await(pol);
  if (auto bad = Expect(apol, "APOL", 0, 1, "SG-LOGIN-10")) return *bad;
  if (apol->params[0] != "5") return Failed("APOL interval 5 over HTTP", Show(*apol), "HTTP-9 (default 5 s)");
  if (auto bad = Expect(s.Await(s.Request("RLO", {})), "ALO", 0, 0, "SG-LOGIN-11")) return *bad;
  return Ok("RAT → AAT + SessionID, RSII, sync by polling, RPS, APOL 5, RLO over POST /mcp", "as required");
}

Outcome SgHttpChat(Ctx& ctx) {
  // bob is SG over HTTP: his RRI and RRM arrive only in response bodies (HTTP-8).
  sg::Pair p = sg::MakePair(ctx, "udp", "http");
  if (p.failure) return *p.failure;
  const std::string text = "over http, 100% 你好";
  if (auto bad = Expect(p.a->Await(p.a->Request("RSM", {p.call, text})), "ASM", 0, 0, "SG-CHAT-7")) return *bad;
  const bool got = p.b->Pump(ctx.io_timeout_ms(), [&] {
    for (const wire::Command& k : p.b->Got("RRM")) {
      if (k.params.size() == 3 && k.params[2] == text) return true;
    }
    return false;
  });
  if (!got) return Failed("RRM " + p.call + " <alice> <text> in a poll response", ShowAll(p.b->log), "HTTP-8, SG-CHAT-7");
  // bob's answer ARM traveled in a later POST; bob replies over HTTP.
  if (auto bad = Expect(p.b->Await(p.b->Request("RSM", {p.call, "back"})), "ASM", 0, 0, "SG-CHAT-7")) return *bad;
  if (!p.a->Pump(ctx.io_timeout_ms(), [&] { return !p.a->Got("RRM").empty(); })) {
    return Failed("RRM to alice (UDP)", ShowAll(p.a->log), "SG-CHAT-7");
  }
  return Ok("RRI and RRM delivered in POST responses; reply relayed to UDP", "as required");
}

Outcome SgHttpUnknownSession(Ctx& c) {
  const std::string sid = "0123456789abcdef0123456789abcdef";
  auto r = c.PostMcp("RSM 31 1 hi\r\nRPOL 32\r\n", sid);
  if (!r.ok()) return Failed("HTTP 200", r.status().message(), "no HTTP response");
  auto a = Decode(r->body);
  // HTTP-10: RSM needs a session → 202; RPOL is answered in every state
  // (SG-LOGIN-10) and needs none → APOL 0.
  if (auto why = Match(a, {{"ASM", 31, 202, 0}, {"APOL", 32, 0, 1}})) {
    return Failed("ASM 31 202 | APOL 32 0 +1", ShowAll(a), *why + " (HTTP-10, SG-LOGIN-10)");
  }
  return Ok("ASM 31 202 | APOL 32 0", ShowAll(a));
}

Outcome RsOverTcp(Ctx& ctx) {
  sg::Registered r = sg::Register(ctx, "t", "tcp");
  if (r.failure) return *r.failure;
  // The account works: log in over UDP.
  SgClient s(ctx, "udp", "alice");
  if (auto bad = sg::Login(s, r.account)) return *bad;
  return Ok("RAP → AAP, RBIN/ABIN, REG → AEG 0 on one TCP connection", r.account);
}

// TRID-4 / G-80: two sessions of one account start their server trids at
// different random values (a server restarting at 1, or at any fixed value,
// makes a delayed push of the first session look like a request of the
// second to the MC's answer cache).
Outcome PushTridsRandom(Ctx& ctx) {
  sg::Registered r = sg::Register(ctx, "t");
  if (r.failure) return *r.failure;
  std::vector<std::uint32_t> firsts;
  for (int round = 0; round < 2; ++round) {
    SgClient s(ctx, "udp", round == 0 ? "alice" : "alice-again");
    s.hold = {"RCS", "RCR"};  // the case reads the sync's first request itself
    if (auto bad = sg::Login(s, r.account)) return *bad;
    if (!s.Pump(ctx.io_timeout_ms(), [&] { return !s.Got("RCS").empty(); })) {
      return Failed("RCS after ASII", ShowAll(s.log), "SG-LOGIN-4");
    }
    const wire::Command rcs = s.Got("RCS")[0];
    if (rcs.trid == 0 || rcs.trid > 2147483647u) {
      return Failed("a first server trid in 1..2147483647", Show(rcs), "TRID-4");
    }
    firsts.push_back(rcs.trid);
    s.Answer(rcs, 0);
    if (auto bad = Expect(s.Await(s.Request("RLO", {})), "ALO", 0, 0, "SG-LOGIN-11")) return *bad;
  }
  const std::string got = "first RCS trids " + std::to_string(firsts[0]) + ", " + std::to_string(firsts[1]);
  if (firsts[0] == firsts[1]) {
    return Failed("two sessions' first server trids drawn at random (different)", got,
                  "TRID-4: an SG starts each session's server trids at a random value (G-80)");
  }
  return Ok("different first server trids per session", got);
}

}  // namespace

void AddGapCases(std::vector<CaseDef>& out) {
  out.push_back({"udp.cache.word", "A request with the trid of an earlier one but another word is executed", "UDP",
                 {"TIMER-5", "TRID-5"}, true, "udp", CacheKeyedByWord});
  out.push_back({"dp.version.numeric", "DP compares client versions numerically, not as strings", "DP", {"DP-1"}, true,
                 "http", VersionsNumeric});
  out.push_back({"http.post.undecodable", "An undecodable POST body is HTTP 400; a WIRE-22 answer is HTTP 200", "HTTP",
                 {"HTTP-5", "WIRE-22"}, true, "http", PostUndecodable});
  out.push_back({"sg.http.unknown_session", "Over HTTP an unknown SessionID gets 202 for RSM, APOL for RPOL", "HTTP",
                 {"HTTP-10", "SG-LOGIN-10"}, true, "http", SgHttpUnknownSession});
  sg::Add(out, "sg.rsm.resend", "A resent RSM is answered from the cache and relayed once", {"TIMER-5", "SG-CHAT-7"},
          RsmResend);
  sg::Add(out, "sg.rsi.not_visible", "RSI to a hidden or not-yet-ACTIVE contact is 304", {"SG-PRES-2", "SG-CHAT-1"},
          RsiNotVisible);
  sg::Add(out, "sg.sync.rps_in_flight", "RPS with the initial sync's final request unanswered is executed",
          {"SG-SYNC-12", "SG-SESS-2"}, RpsInFlight);
  sg::Add(out, "sg.trid.random_start", "Each SG session starts its server trids at a random value",
          {"TRID-4", "TRID-8"}, PushTridsRandom);
  sg::Add(out, "sg.http.login", "Login, sync by polling and logout over POST /mcp",
          {"HTTP-3", "HTTP-4", "HTTP-7", "HTTP-8", "HTTP-9", "SG-LOGIN-5", "SG-SESS-3", "ARCH-5"}, SgHttpLogin, true,
          "http");
  sg::Add(out, "sg.http.chat", "Chat between a UDP and an HTTP session (pushes in POST responses)",
          {"HTTP-8", "SG-CHAT-7", "SG-CHAT-10"}, SgHttpChat);
  sg::Add(out, "rs.tcp.register", "Registration over TCP: RAP, RBIN/ABIN, REG on one connection",
          {"TCP-4", "RS-4", "RS-1", "ARCH-1"}, RsOverTcp, true, "tcp+udp+http");
}

}  // namespace mcpsim::conformance
