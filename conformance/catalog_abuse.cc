// Cases for the abuse clauses of issue 15 (PROTOCOL.md §6.8 RATE-*, the
// HTTP listener defences HTTP-13/14/17, SG-LOGIN-16), each proven by a
// mutant in mutants_abuse.cc.
//
// They run last in the catalog: a case that empties a source address's
// bucket (all cases share the runner's address, RATE-2) would otherwise turn
// the next cases' logins and registrations into 403. Among themselves, the
// cases that need a working login or registration come first and the ones
// that drain the RAP and RAT buckets last. Limits are the spec's defaults
// (CONV-2); each case sends comfortably more than the default depth.
#include <algorithm>
#include <string>
#include <vector>

#include "conformance/catalog.h"
#include "conformance/catalog_sg.h"
#include "core/hash.h"
#include "core/rng.h"

namespace mcpsim::conformance {
namespace {

using V = reports::Verdict;
using sg::Expect;
using sg::SgClient;

constexpr const char* kMid = "58d05d6affef8ab9dd5a8be7afdf1c83";

std::string Ms(std::int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(us) / 1000.0);
  return buf;
}

// An account name that no server has (fresh per run and case).
std::string Unknown(Ctx& c, const std::string& tag) {
  Rng rng(c.Fresh());
  return "nx" + Hex64(rng.Next()).substr(0, 12) + tag + "@example.com";
}

// True when `n` requests answered over `elapsed_us` provably exceed a token
// bucket of `rate`/s and depth `depth` (RATE-1): n > depth + rate * elapsed.
// A server slower than its own limit never has to refuse anything.
bool Exceeds(std::size_t n, double rate, double depth, std::int64_t elapsed_us) {
  return static_cast<double>(n) > depth + rate * static_cast<double>(elapsed_us) / 1e6 + 1;
}

struct Tally {
  std::map<std::uint32_t, wire::Command> got;  // first answer per trid
  std::vector<std::string> errors;
  std::size_t ok = 0, refused = 0, other = 0;
  std::string odd;
  void Add(wire::Command k, std::uint32_t first, std::size_t n, const std::string& word, std::uint32_t ok_status) {
    if (k.trid < first || k.trid >= first + n || got.count(k.trid)) return;
    const std::uint32_t s = k.status.value_or(9999);
    if (k.word == word && s == ok_status) {
      ++ok;
    } else if (k.word == word && s == 403) {
      ++refused;
    } else {
      ++other;
      if (odd.empty()) odd = Show(k);
    }
    got.emplace(k.trid, std::move(k));
  }
  void Take(const std::vector<std::string>& datagrams, std::uint32_t first, std::size_t n, const std::string& word,
            std::uint32_t ok_status) {
    for (const std::string& d : datagrams) {
      for (wire::Command& k : Decode(d, &errors)) Add(std::move(k), first, n, word, ok_status);
    }
  }
};

// The verdict of a flood of `sent` requests (`word`'s answer: ok_status or
// 403) against a limit of `rate`/s, depth `depth`, over `elapsed_us`.
Outcome Judge(const Tally& t, std::size_t sent, const std::string& word, std::uint32_t ok_status, double rate,
              double depth, std::int64_t elapsed_us, const std::string& clause) {
  const std::string expected = "every request answered " + word + " " + std::to_string(ok_status) +
                               " or 403, a 403 once more than " + std::to_string(static_cast<int>(depth)) + " + " +
                               std::to_string(static_cast<int>(rate)) + "/s arrived";
  const std::string actual = std::to_string(sent) + " sent, " + std::to_string(t.got.size()) + " answered in " +
                             Ms(elapsed_us) + ": " + std::to_string(t.ok) + " x " + std::to_string(ok_status) + ", " +
                             std::to_string(t.refused) + " x 403, " + std::to_string(t.other) + " other" +
                             (t.odd.empty() ? "" : " (" + t.odd + ")");
  if (!t.errors.empty()) return Failed(expected, actual, "undecodable answer (" + t.errors[0] + ")");
  if (t.got.size() < sent) {
    return Failed(expected, actual,
                  std::to_string(sent - t.got.size()) +
                      " requests never answered: a refused request is answered 403, never dropped (RATE-3)");
  }
  if (t.other) return Failed(expected, actual, "unexpected answer (" + clause + ", RATE-3)");
  if (t.refused) return Ok(expected, actual);
  if (!Exceeds(t.ok, rate, depth, elapsed_us)) {
    return Outcome{V::kInformational, expected, actual,
                   "not judged: the target answered more slowly than the limit (" + clause + ")"};
  }
  return Failed(expected, actual, "more requests than the default limit allows and no 403 (" + clause + ")");
}

// One datagram of `n` requests built by `line(trid)`.
Outcome FloodOneDatagram(Ctx& c, std::size_t n, const std::string& word, std::uint32_t ok_status, double rate,
                         double depth, const std::string& clause,
                         const std::function<std::string(std::uint32_t)>& line) {
  const std::uint32_t first = 7000;
  std::string d;
  for (std::uint32_t t = first; t < first + n; ++t) d += line(t);
  Tally t;
  const std::int64_t t0 = c.NowUs();
  if (!c.UdpSend(d).ok()) return Failed("answers", "send failed", "harness");
  std::int64_t last = t0;
  while (t.got.size() < n && !c.Expired()) {
    const std::vector<std::string> ds = c.UdpRecv(c.io_timeout_ms(), -1, 256);
    if (ds.empty()) break;
    last = c.NowUs();
    t.Take(ds, first, n, word, ok_status);
  }
  return Judge(t, n, word, ok_status, rate, depth, last - t0, clause);
}

// RATs for distinct unknown names, each in its own datagram, 3 in flight
// (under RATE-10's 4 waiting per address), until a 403 or `max` sent.
Outcome RatFlood(Ctx& c) {
  const std::uint32_t first = 7000;
  const std::size_t max = 300;
  Tally t;
  std::size_t sent = 0;
  const std::int64_t t0 = c.NowUs();
  std::int64_t last = t0;
  Rng rng(c.Fresh());
  while (!c.Expired()) {
    // Stop sending at half the case budget (10 x io timeout), so that the
    // outstanding answers still fit in it on a slow target.
    const bool time_left = c.NowUs() - t0 < static_cast<std::int64_t>(c.io_timeout_ms()) * 5000;
    while (!t.refused && time_left && sent < max && sent - t.got.size() < 3) {
      const std::string name = "nx" + Hex64(rng.Next()).substr(0, 10) + "@example.com";
      (void)c.UdpSend("RAT " + std::to_string(first + sent) + " " + name + " wrong-password d 1.0.0 1\r\n");
      ++sent;
    }
    if (t.got.size() == sent) break;
    const std::vector<std::string> ds = c.UdpRecv(c.io_timeout_ms(), 0, 256);
    if (ds.empty()) break;
    last = c.NowUs();
    t.Take(ds, first, max, "AAT", 201);
  }
  return Judge(t, sent, "AAT", 201, 10, 40, last - t0, "RATE-4");
}

// SG-LOGIN-16 (timing, INFORMATIONAL): a wrong password for an existing
// account and an unknown account should take the same time to answer.
Outcome EqualCost(Ctx& c) {
  sg::Registered r = sg::Register(c, "ec");
  if (r.failure) return *r.failure;
  SgClient a(c, "udp", "alice");
  std::vector<std::int64_t> known, unknown;
  for (int i = 0; i < 3; ++i) {  // 3 failures: still free of back-off (RATE-5)
    for (const bool exists : {true, false}) {
      const std::string name = exists ? r.account : Unknown(c, "ec" + std::to_string(i));
      const std::int64_t t0 = c.NowUs();
      const wire::Command* got = a.Await(a.Request("RAT", {name, "wrong-password", "d", "1.0.0", "1"}));
      const std::int64_t dt = c.NowUs() - t0;
      if (auto bad = Expect(got, "AAT", 201, 0, "SG-LOGIN-16")) return *bad;
      (exists ? known : unknown).push_back(dt);
    }
  }
  std::sort(known.begin(), known.end());
  std::sort(unknown.begin(), unknown.end());
  const std::string actual = "median wrong password " + Ms(known[1]) + ", median unknown account " + Ms(unknown[1]) +
                             " (3 each, interleaved)";
  return Outcome{V::kInformational, "AAT 201 for both, in about the same time", actual,
                 "timing is shown, not judged (SG-LOGIN-16): both answered 201"};
}

// RATE-5: after 3 free failures the 4th 201 starts a 1 s back-off in which
// even the right password is 403; after it the right password logs in.
Outcome Backoff(Ctx& c) {
  sg::Registered r = sg::Register(c, "bo");
  if (r.failure) return *r.failure;
  SgClient a(c, "udp", "alice");
  for (int i = 1; i <= 4; ++i) {
    if (auto bad = Expect(a.Await(a.Request("RAT", {r.account, "wrong-password", "d", "1.0.0", "1"})), "AAT", 201, 0,
                          "SG-LOGIN-1 (failure " + std::to_string(i) + ")")) {
      return *bad;
    }
  }
  const wire::Command* locked = a.Await(a.Request("RAT", {r.account, sg::kPassword, "d", "1.0.0", "1"}));
  if (auto why = sg::Check(locked, "AAT", 403, 0)) {
    return Failed("AAT 403 (the right password during the back-off)", sg::ShowOne(locked),
                  *why + ": 4 consecutive 201s start a 1 s back-off for the name (RATE-5)");
  }
  c.Sleep(1300);
  const wire::Command* ok = a.Await(a.Request("RAT", {r.account, sg::kPassword, "d", "1.0.0", "1"}));
  if (auto why = sg::Check(ok, "AAT", 0)) {
    return Failed("AAT 0 after the back-off", sg::ShowOne(ok), *why + " (RATE-5: the first back-off is 1 s)");
  }
  return Ok("4 x AAT 201, AAT 403, after 1.3 s AAT 0", "4 x AAT 201, " + sg::ShowOne(locked) + ", " + sg::ShowOne(ok));
}

// HTTP-13: a Content-Length over LIM-21 is 413 before any body arrives.
Outcome TooLarge(Ctx& c) {
  for (const char* len : {"131073", "999999999"}) {
    const std::string req = std::string("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-mcp\r\n") +
                            "Content-Length: " + len + "\r\n\r\n";
    auto r = c.HttpRaw(req);
    const std::string expected = std::string("HTTP 413 for Content-Length ") + len;
    if (!r.ok()) return Failed(expected, r.status().message(), "no HTTP response (HTTP-13)");
    if (r->status != 413) {
      return Failed(expected, "HTTP " + std::to_string(r->status), "a body over LIM-21 (131072 bytes) is 413 (HTTP-13)");
    }
  }
  return Ok("HTTP 413, HTTP 413", "HTTP 413, HTTP 413");
}

// HTTP-14: two differing Content-Length fields are 400 (RFC 9112 §6.3).
Outcome ConflictingLength(Ctx& c) {
  const std::string body = "RAP 1 1.0.0 conf-cl\r\n";
  const std::string req = "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-mcp\r\nContent-Length: 5\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  auto r = c.HttpRaw(req);
  if (!r.ok()) return Failed("HTTP 400", r.status().message(), "no HTTP response (HTTP-14)");
  if (r->status != 400) {
    return Failed("HTTP 400", "HTTP " + std::to_string(r->status),
                  "differing Content-Length fields must be rejected with 400 (HTTP-14, RFC 9112 §6.3)");
  }
  return Ok("HTTP 400", "HTTP 400");
}

// HTTP-17 + TCP-11: a connection the peer half-closes before a complete
// request is closed by the server at once. 100 such connections one after
// another (over the default per-address cap of 64: a server that does not
// reclaim them refuses the 65th) leave the listener serving.
Outcome Reclaimed(Ctx& c) {
  const std::string why = "HTTP-17: a peer's close before a complete request is reclaimed at once, not at a deadline";
  for (int i = 0; i < 100; ++i) {
    auto h = c.Open("http-tcp");
    const std::string nth = "connection " + std::to_string(i + 1);
    if (!h.ok()) {
      return Failed("100 connections, each half-closed and closed by the server", nth + ": " + h.status().message(),
                    "the earlier connections were not reclaimed (HTTP-17), or the listener stopped accepting (TCP-11)");
    }
    if (i == 0) {
      (void)c.Send(*h, "GET /mcp?q=RQQW");  // an incomplete request head
      c.Sleep(50);
    }
    (void)c.Close(*h);
    for (int k = 0; k < 20 && !c.PeerClosed(*h) && !c.Expired(); ++k) (void)c.Recv(*h, 100, 20);
    if (!c.PeerClosed(*h)) return Failed("the server closes the half-closed connection within 2 s", nth + " still open", why);
  }
  auto r = c.HttpRaw("GET /mcp?q=RQQW%209100%201.0.0%20s60%20conf-dev%0D%0A HTTP/1.1\r\nHost: x\r\n\r\n");
  if (!r.ok() || r->status != 200) {
    return Failed("HTTP 200 after 100 closed connections", r.ok() ? "HTTP " + std::to_string(r->status) : r.status().message(),
                  "closed connections must be reclaimed (HTTP-17) and the listener keep accepting (TCP-11)");
  }
  return Ok("100 half-closed connections closed at once; then HTTP 200", "all closed at once; HTTP 200");
}

// TIMER-5 with an observable effect (issue 15: a stateless echo passed the
// cache cases): a RAT with the right password creates a session and a token.
// Its resend from the same endpoint must bring the byte-identical answer
// (executed again it would be 301, SG-SESS-2, or a new token); the same
// bytes from a new endpoint must be executed: a new token (SG-LOGIN-8).
Outcome LoginOnce(Ctx& c) {
  sg::Registered r = sg::Register(c, "io");
  if (r.failure) return *r.failure;
  const std::string rat = "RAT 4242 " + r.account + " " + sg::kPassword + " d 1.0.0 1\r\n";
  auto exchange = [&c, &rat](std::string& datagram, std::vector<wire::Command>& cmds) {
    datagram.clear();
    cmds.clear();
    if (!c.UdpSend(rat).ok()) return;
    for (const std::string& d : c.UdpRecv(c.io_timeout_ms())) {
      for (wire::Command& k : Decode(d)) {
        if (k.word == "AAT" && k.trid == 4242 && datagram.empty()) datagram = d;
        cmds.push_back(std::move(k));
      }
    }
  };
  std::string d1, d2, d3;
  std::vector<wire::Command> a1, a2, a3;
  exchange(d1, a1);
  if (auto why = Match(a1, {{"AAT", 4242, 0, 1}})) return Failed("AAT 4242 0 <token>", ShowAll(a1), *why + " (SG-LOGIN-2)");
  exchange(d2, a2);
  if (d2 != d1) {
    return Failed("the first answer again, byte-identical", ShowAll(a2),
                  "the resend was executed again instead of answered from the cache (TIMER-5)");
  }
  if (Status s = c.UdpNewEndpoint(); !s.ok()) return Failed("a second socket", s.message(), "harness");
  exchange(d3, a3);
  if (auto why = Match(a3, {{"AAT", 4242, 0, 1}})) {
    return Failed("AAT 4242 0 <new token>", ShowAll(a3), *why + " (TIMER-5: a new endpoint's request is executed)");
  }
  if (a3[0].params[0] == a1[0].params[0]) {
    return Failed("AAT 4242 0 <new token>", ShowAll(a3),
                  "the same token: answered from another endpoint's cache, not executed (TIMER-5, UDP-2, SG-LOGIN-8)");
  }
  return Ok("AAT 0 <t1>, the same bytes again, then AAT 0 <t2 != t1> from a new endpoint",
            ShowAll(a1) + " ; identical ; " + ShowAll(a3));
}

// RATE-6: RAP per source address (default 5/s, depth 40): RAPs one after
// another until a 403 (at most 100).
Outcome RapLimit(Ctx& c) {
  std::size_t ok = 0, refused = 0;
  const std::int64_t t0 = c.NowUs();
  for (int i = 0; i < 100 && !refused && !c.Expired(); ++i) {
    auto r = c.PostMcp("RAP " + std::to_string(i + 1) + " 1.0.0 conf-rl\r\n");
    if (!r.ok()) return Failed("AAP 0 or AAP 403", r.status().message(), "no HTTP response");
    const std::vector<wire::Command> cmds = Decode(r->body);
    if (r->status != 200 || cmds.empty() || cmds[0].word != "AAP") {
      return Failed("HTTP 200 AAP", "HTTP " + std::to_string(r->status) + " " + ShowAll(cmds), "HTTP-4, RATE-3");
    }
    const std::uint32_t s = cmds[0].status.value_or(9999);
    if (s == 403 && cmds[0].params.empty()) {
      ++refused;
    } else if (s == 403) {
      return Failed("AAP 403 without params", Show(cmds[0]), "RATE-3: a refused RAP creates nothing");
    } else if (s != 0) {
      return Failed("AAP 0 or AAP 403", Show(cmds[0]), "RATE-6");
    } else {
      ++ok;
    }
  }
  const std::int64_t elapsed = c.NowUs() - t0;
  const std::string actual = std::to_string(ok) + " x AAP 0" + (refused ? ", then AAP 403" : "") + " in " + Ms(elapsed);
  if (refused) return Ok("AAP 403 once more than 40 + 5/s RAPs arrived", actual);
  if (!Exceeds(ok, 5, 40, elapsed)) {
    return Outcome{V::kInformational, "AAP 403 once more than 40 + 5/s RAPs arrived", actual,
                   "not judged: the target answered more slowly than the limit (RATE-6)"};
  }
  return Failed("AAP 403 once more than 40 + 5/s RAPs arrived", actual,
                "no rate limit on RAP (RATE-6) for one address whose connections come from distinct ports (RATE-2)");
}

}  // namespace

void AddAbuseCases(std::vector<CaseDef>& out) {
  sg::Add(out, "udp.cache.login_once", "A resent RAT is answered from the cache, a new endpoint's is executed",
          {"TIMER-5", "UDP-2", "SG-LOGIN-8"}, LoginOnce);
  out.back().group = "UDP";
  sg::Add(out, "rate.rat.equal_cost", "A wrong password and an unknown account: same answer, timing shown",
          {"SG-LOGIN-16"}, EqualCost);
  out.back().group = "RATE";
  sg::Add(out, "rate.rat.backoff", "4 failed logins: the name is refused 403 for 1 s, then logs in",
          {"RATE-5", "RATE-3"}, Backoff);
  out.back().group = "RATE";
  out.push_back({"http.content_length.too_large", "Content-Length over LIM-21 is 413 before the body", "HTTP",
                 {"HTTP-13", "LIM-21"}, true, "http", TooLarge});
  out.push_back({"http.content_length.conflict", "Two differing Content-Length fields are 400", "HTTP",
                 {"HTTP-14"}, true, "http", ConflictingLength});
  out.push_back({"http.conn.reclaimed", "A peer's early close is reclaimed at once; 100 closed connections leave service",
                 "HTTP", {"HTTP-17", "TCP-11"}, true, "http", Reclaimed});
  out.push_back({"rate.rup.mid", "120 RUPs for one MID in one datagram: some answered 403, all answered", "RATE",
                 {"RATE-8", "RATE-3"}, true, "udp", [](Ctx& c) {
                   AwaitCsTokens(c, 120);  // the 403s must be the MID's, not the address's
                   Outcome o = FloodOneDatagram(c, 120, "AUP", 0, 20, 100, "RATE-8", [](std::uint32_t t) {
                     return "RUP " + std::to_string(t) + " " + kMid + " launch 1700000000000 r\r\n";
                   });
                   ChargeCsTokens(c, 120);
                   return o;
                 }});
  // Each RAP is one HTTP exchange on a new connection, so from a new source
  // port: the limit holds only if it is keyed by the address alone (RATE-2).
  out.push_back({"rate.rap.address", "RAPs from one address (a new port each): AAP 403 once over 40 + 5/s", "RATE",
                 {"RATE-6", "RATE-3", "RATE-2"}, true, "http", RapLimit});
  // Last: it empties the runner address's RAT bucket (refilled after 4 s).
  out.push_back({"rate.rat.address", "RATs for distinct unknown names, 3 in flight: 403 once over 40 + 10/s, all answered",
                 "RATE", {"RATE-4", "RATE-3"}, true, "udp", RatFlood});
}

}  // namespace mcpsim::conformance
