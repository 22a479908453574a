// CS over UDP, and the wire/transport rules observable through it (WIRE-*,
// UDP-*, TIMER-5, AMP-*, MID-3, CONV-4).
#include <set>
#include <string>

#include "conformance/catalog.h"
#include "core/hash.h"
#include "core/rng.h"
#include "reference/http/http1.h"

namespace mcpsim::conformance {
namespace {

using V = reports::Verdict;
constexpr const char* kMid = "58d05d6affef8ab9dd5a8be7afdf1c83";  // MID-1 test vector

std::string Rup(std::uint32_t trid, const std::string& data = "x", const std::string& kind = "launch") {
  return "RUP " + std::to_string(trid) + " " + kMid + " " + kind + " 1700000000000 " + data + "\r\n";
}
std::string Rad(std::uint32_t trid, const std::string& slot = "top") {
  return "RAD " + std::to_string(trid) + " " + kMid + " " + slot + "\r\n";
}
// `bytes` followed by RPAD lines so that the datagram has at least `size` bytes.
std::string Padded(std::string bytes, std::size_t size, std::uint32_t pad_trid) {
  while (bytes.size() < size) {
    const std::string head = "RPAD " + std::to_string(pad_trid++) + " ";
    std::size_t fill = size > bytes.size() + head.size() + 3 ? size - bytes.size() - head.size() - 2 : 1;
    fill = std::min<std::size_t>(fill, 4000);
    bytes += head + std::string(fill, '0') + "\r\n";
  }
  return bytes;
}

struct Got {
  std::vector<std::string> datagrams;
  std::vector<wire::Command> answers;
  std::vector<std::string> errors;
  std::size_t bytes = 0;
};

// Sends each datagram in order, then collects what comes back.
Got Exchange(Ctx& ctx, const std::vector<std::string>& datagrams) {
  Got g;
  for (const std::string& d : datagrams) {
    if (Status s = ctx.UdpSend(d); !s.ok()) ctx.Note("send failed: " + s.message());
  }
  g.datagrams = ctx.UdpRecv(ctx.io_timeout_ms());
  for (const std::string& d : g.datagrams) {
    g.bytes += d.size();
    for (wire::Command& c : Decode(d, &g.errors)) g.answers.push_back(std::move(c));
  }
  return g;
}

Outcome ExpectAnswers(Ctx& ctx, const std::vector<std::string>& datagrams, const std::vector<Want>& want,
                      const std::string& clause) {
  Got g = Exchange(ctx, datagrams);
  std::string expected;
  for (const Want& w : want) expected += (expected.empty() ? "" : " | ") + w.Show();
  if (!g.errors.empty()) return Failed(expected, ShowAll(g.answers), "undecodable answer bytes (" + g.errors[0] + ")");
  if (auto why = Match(g.answers, want)) return Failed(expected, ShowAll(g.answers), *why + " (" + clause + ")");
  return Ok(expected, ShowAll(g.answers));
}

// Sends `bad` (which must get no answer), then a probe RUP in its own
// datagram: only the probe's answer may come back.
Outcome ExpectSilence(Ctx& ctx, const std::string& bad, const std::string& clause) {
  return ExpectAnswers(ctx, {bad, Rup(4242)}, {{"AUP", 4242, 0, 0}}, clause + ": no answer to the first datagram");
}

void Add(std::vector<CaseDef>& out, std::string id, std::string title, std::string group,
         std::vector<std::string> clauses, std::function<Outcome(Ctx&)> run, bool required = true) {
  out.push_back({std::move(id), std::move(title), std::move(group), std::move(clauses), required, "udp", std::move(run)});
}

// One slot: an unpadded RAD must get one AAD within the AMP-1 budget — the
// full answer if it fits (e.g. five empty params: no ad), else 405 <needed>,
// after which the RAD padded to `needed` gets the full AAD. `padded` tells
// whether the 405 flow was exercised.
Outcome AdFlowSlot(Ctx& ctx, const std::string& slot, std::uint32_t t, wire::Command* aad_out, bool* padded) {
  const std::string ts = std::to_string(t);
  *padded = false;
  Got g = Exchange(ctx, {Rad(t, slot)});
  const std::size_t sent = Rad(t, slot).size();
  if (g.bytes > sent) {
    return Failed("<= " + std::to_string(sent) + " bytes", std::to_string(g.bytes) + " bytes",
                  "more bytes sent than received from an unvalidated endpoint (AMP-1)");
  }
  if (g.answers.size() != 1 || g.answers[0].word != "AAD" || g.answers[0].trid != t || !g.answers[0].status) {
    return Failed("AAD " + ts + " 0 +5 params, or AAD " + ts + " 405 <needed>", ShowAll(g.answers),
                  "RAD unpadded: expected one AAD answer (AMP-2)");
  }
  const wire::Command& a = g.answers[0];
  if (*a.status == 0 && a.params.size() == 5) {  // the full answer fits the budget: valid as is
    if (aad_out) *aad_out = a;
    return Ok("AAD " + ts + " 0 +5 params within " + std::to_string(sent) + " bytes", ShowAll(g.answers));
  }
  if (*a.status != 405 || a.params.size() != 1) {
    return Failed("AAD " + ts + " 0 +5 params, or AAD " + ts + " 405 <needed>", ShowAll(g.answers),
                  "an answer that does not fit must become 405 <needed> (AMP-2)");
  }
  std::size_t needed = 0;
  for (char c : a.params[0]) {
    if (c < '0' || c > '9' || needed > 100000) return Failed("decimal needed", a.params[0], "bad needed param (AMP-2)");
    needed = needed * 10 + static_cast<std::size_t>(c - '0');
  }
  if (needed <= sent || needed > 8192) {
    return Failed("needed in (" + std::to_string(sent) + ", 8192]", a.params[0], "implausible needed (AMP-2)");
  }
  const std::string padded_d = Padded(Rad(t, slot), needed, t + 1);
  Got h = Exchange(ctx, {padded_d});
  if (auto why = Match(h.answers, {{"AAD", t, 0, 5}})) {
    return Failed("AAD " + ts + " 0 +5 params", ShowAll(h.answers), *why + " after padding to needed (AMP-3)");
  }
  if (h.bytes > padded_d.size()) {
    return Failed("<= " + std::to_string(padded_d.size()) + " bytes", std::to_string(h.bytes), "AMP-1 budget exceeded");
  }
  *padded = true;
  if (aad_out) *aad_out = h.answers[0];
  return Ok("405 " + std::to_string(needed) + ", then AAD 0 within budget", ShowAll(h.answers));
}

// Every known ad slot (AdSlots) until one exercises the 405/RPAD flow. Any
// valid answer passes; the report says when no slot needed padding.
Outcome AdFlow(Ctx& ctx, wire::Command* aad_out) {
  Outcome fit;
  std::string slots;
  std::uint32_t trid = 77;
  for (const std::string& slot : AdSlots(ctx)) {
    bool padded = false;
    wire::Command aad;
    Outcome o = AdFlowSlot(ctx, slot, trid, &aad, &padded);
    trid += 2;
    if (o.verdict != reports::Verdict::kOk) {
      o.reason += " [slot " + slot + "]";
      return o;
    }
    slots += (slots.empty() ? "" : ",") + slot;
    if (aad_out && (aad_out->word.empty() || (aad_out->params.size() == 5 && aad_out->params[1].empty()))) *aad_out = aad;
    if (padded) return o;
    fit = o;
  }
  fit.actual += " (slot " + slots + ": the full AAD fit the budget, so the 405/RPAD flow was not exercised; "
                "give --ad-slot naming a slot with an ad)";
  return fit;
}

// TIMER-5 by its effect (issue 15: a stateless echo answering `AUP <trid> 0`
// to everything passed the shape-only checks). Executing a RUP charges its
// MID's token bucket (RATE-8, default 20/s depth 100); answering it from the
// cache does not. A fresh MID per case keeps other cases' buckets apart.
constexpr std::uint32_t kMidRate = 20, kMidDepth = 100;

std::string FreshMid(Ctx& c) {
  Rng rng(c.Fresh());
  const std::string hi = Hex64(rng.Next());
  return hi + Hex64(rng.Next());  // 32 lowercase hex digits (MID-3)
}
std::string RupFor(std::uint32_t trid, const std::string& mid, const std::string& data) {
  return "RUP " + std::to_string(trid) + " " + mid + " launch 1700000000000 " + data + "\r\n";
}

// Answers to RUP trids [first, first + n): 0, 403 or other (first per trid).
struct RupTally {
  std::set<std::uint32_t> seen;
  std::size_t ok = 0, refused = 0, other = 0;
  std::string odd;
  std::vector<std::string> errors;
  void Take(const std::string& d, std::uint32_t first, std::size_t n) {
    for (const wire::Command& k : Decode(d, &errors)) {
      if (k.trid < first || k.trid >= first + n || !seen.insert(k.trid).second) continue;
      if (k.word == "AUP" && k.status == 0u && k.params.empty()) {
        ++ok;
      } else if (k.word == "AUP" && k.status == 403u) {
        ++refused;
      } else {
        ++other;
        if (odd.empty()) odd = Show(k);
      }
    }
  }
  std::string Show3() const {
    return std::to_string(ok) + " x AUP 0, " + std::to_string(refused) + " x AUP 403, " + std::to_string(other) +
           " other" + (odd.empty() ? "" : " (" + odd + ")");
  }
};

// The line of `d` that starts with `prefix` (with its CRLF), "" if none.
std::string LineStarting(const std::string& d, const std::string& prefix) {
  for (std::size_t pos = 0; pos < d.size();) {
    std::size_t end = d.find("\r\n", pos);
    end = end == std::string::npos ? d.size() : end + 2;
    if (d.compare(pos, prefix.size(), prefix) == 0) return d.substr(pos, end - pos);
    pos = end;
  }
  return "";
}

// One RUP for a fresh MID; 120 resends of it (same endpoint, trid, bytes)
// sent at once, then 110 new RUPs for the MID in one datagram. Executed once,
// the first RUP took 1 of the MID's 100 tokens, so the new ones get about 99
// x AUP 0 and then 403; a server that executed the resends finds the bucket
// empty (about 0 x AUP 0); an echo never answers 403.
Outcome ResendNotExecuted(Ctx& c) {
  AwaitCsTokens(c, 111);  // the first RUP and the 110 new ones (resends take no token)
  const std::string mid = FreshMid(c);
  const std::string rup = RupFor(55, mid, "resend");
  const std::int64_t t0 = c.NowUs();
  Got a = Exchange(c, {rup});
  if (auto why = Match(a.answers, {{"AUP", 55, 0, 0}})) return Failed("AUP 55 0", ShowAll(a.answers), *why + " (CS-1)");
  std::string first;  // the answer line (TIMER-5: resent byte-for-byte; UDP-7 may pack it with others)
  for (const std::string& d : a.datagrams) {
    if (first.empty()) first = LineStarting(d, "AUP 55 ");
  }
  const std::size_t kResends = 120, kNew = 110;
  const std::uint32_t kFirstNew = 7100;
  for (std::size_t i = 0; i < kResends; ++i) (void)c.UdpSend(rup);
  std::string batch;
  for (std::uint32_t t = kFirstNew; t < kFirstNew + kNew; ++t) batch += RupFor(t, mid, "n");
  (void)c.UdpSend(batch);
  ChargeCsTokens(c, 111);
  RupTally fresh;
  std::size_t resend_answers = 0;
  std::string differing;
  std::int64_t last = c.NowUs();
  while (fresh.seen.size() < kNew && !c.Expired()) {
    const std::vector<std::string> ds = c.UdpRecv(c.io_timeout_ms(), -1, 256);
    if (ds.empty()) break;
    last = c.NowUs();
    for (const std::string& d : ds) {
      if (const std::string line = LineStarting(d, "AUP 55 "); !line.empty()) {
        ++resend_answers;
        if (line != first && differing.empty()) differing = line;
      }
      fresh.Take(d, kFirstNew, kNew);
    }
  }
  const std::string expected = "every resend answered with the first answer's bytes (" + reports::Printable(first) +
                               "); of " + std::to_string(kNew) + " new RUPs for the MID about " +
                               std::to_string(kMidDepth - 1) + " x AUP 0, then 403 (the resends used no token)";
  const std::string actual = std::to_string(resend_answers) + " answers to " + std::to_string(kResends) +
                             " resends; new RUPs: " + fresh.Show3() + " in " +
                             std::to_string((last - t0) / 1000) + " ms";
  if (!fresh.errors.empty()) return Failed(expected, actual, "undecodable answer (" + fresh.errors[0] + ")");
  if (!differing.empty()) {
    return Failed(expected, actual + "; a resend got " + reports::Printable(differing),
                  "the resend's answer differs from the first answer (TIMER-5)");
  }
  if (resend_answers == 0) return Failed(expected, actual, "no resend was answered (TIMER-5: resend the cached answer)");
  if (fresh.other) return Failed(expected, actual, "unexpected answer to a new RUP (CS-1, RATE-3)");
  if (fresh.ok + 3 < kMidDepth - 1 && fresh.ok + fresh.refused > 0) {
    return Failed(expected, actual,
                  "the MID's limit was used up before the new RUPs: the resends were executed again "
                  "(TIMER-5: answered from the cache, never executed again; RATE-8)");
  }
  return JudgeMidLimitReached(expected, actual, fresh.ok, fresh.refused, last - t0);
}

// The same RUP bytes (trid 56, one fresh MID) from the default endpoint and
// then from 130 new endpoints at once: TIMER-5 keys the cache by sender
// endpoint, so each is executed and charges the MID's bucket; past its depth
// (100) they are answered 403. A cache keyed without the endpoint answers all
// of them AUP 0 from the first endpoint's entry; so does an echo.
Outcome NewEndpointsExecuted(Ctx& c) {
  AwaitCsTokens(c, 131);  // 403s must come from the MID's bucket, not the address's
  const std::string mid = FreshMid(c);
  const std::string rup = RupFor(56, mid, "ep");
  const std::int64_t t0 = c.NowUs();
  Got a = Exchange(c, {rup});
  if (auto why = Match(a.answers, {{"AUP", 56, 0, 0}})) return Failed("AUP 56 0", ShowAll(a.answers), *why + " (CS-1)");
  const std::size_t kEndpoints = 130;
  std::vector<int> hs;
  for (std::size_t i = 0; i < kEndpoints; ++i) {
    auto h = c.Open("udp");
    if (!h.ok()) return Failed("a new UDP endpoint", h.status().message(), "harness");
    hs.push_back(*h);
  }
  // One wait for all of them (Drain reads without waiting), so `last` is
  // when the last answer arrived: the bucket refills over that time only.
  // Behind a lossy proxy (target().resend_ms > 0) the unanswered ones are
  // resent byte-identically (a resend is answered from that endpoint's cache).
  std::vector<RupTally> per(hs.size());
  std::size_t answered = 0;
  std::int64_t last = c.NowUs();
  const int resend_ms = c.target().resend_ms;
  for (int send = 0; send < (resend_ms > 0 ? 6 : 1) && answered < hs.size() && !c.Expired(); ++send) {
    for (std::size_t i = 0; i < hs.size(); ++i) {
      if (per[i].seen.empty()) (void)c.Send(hs[i], rup);
    }
    (void)c.WaitUntil(resend_ms > 0 ? resend_ms : c.io_timeout_ms() * 2, [&] {
      for (std::size_t i = 0; i < hs.size(); ++i) {
        const bool had = !per[i].seen.empty();
        for (const std::string& d : c.Drain(hs[i])) per[i].Take(d, 56, 1);
        if (!had && !per[i].seen.empty()) {
          ++answered;
          last = c.NowUs();
        }
      }
      return answered == hs.size();
    });
  }
  RupTally t;
  for (const RupTally& one : per) {
    t.ok += one.ok, t.refused += one.refused, t.other += one.other;
    if (t.odd.empty()) t.odd = one.odd;
    if (t.errors.empty() && !one.errors.empty()) t.errors = one.errors;
  }
  ChargeCsTokens(c, 131);
  const std::string expected = "AUP 56 0 from each new endpoint until the MID's limit (" + std::to_string(kMidDepth) +
                               " + " + std::to_string(kMidRate) + "/s) is used up, then AUP 56 403";
  const std::string actual = std::to_string(answered) + " of " + std::to_string(kEndpoints) +
                             " endpoints answered: " + t.Show3() + " in " + std::to_string((last - t0) / 1000) + " ms";
  if (!t.errors.empty()) return Failed(expected, actual, "undecodable answer (" + t.errors[0] + ")");
  if (t.other) return Failed(expected, actual, "unexpected answer (TIMER-5, UDP-2, RATE-3)");
  if (t.refused) return Ok(expected, actual);
  if (static_cast<double>(t.ok + 1) > kMidDepth + kMidRate * static_cast<double>(last - t0) / 1e6 + 1) {
    return Failed(expected, actual,
                  "never 403: the requests from new endpoints were answered from the first endpoint's cache entry, "
                  "not executed (TIMER-5 keys by sender endpoint, UDP-2), or RUP has no per-MID limit (RATE-8)");
  }
  return Outcome{reports::Verdict::kInformational, expected, actual,
                 "not judged: fewer answers than the MID's limit (lost datagrams or a slow target, RATE-8)"};
}

}  // namespace

Outcome JudgeMidLimitReached(const std::string& expected, const std::string& actual, std::size_t ok,
                             std::size_t refused, std::int64_t elapsed_us) {
  if (refused > 0) return Ok(expected, actual);
  if (static_cast<double>(ok + 1) > kMidDepth + kMidRate * static_cast<double>(elapsed_us) / 1e6 + 1) {
    return Failed(expected, actual,
                  "no AUP 403 although more RUPs for one MID arrived than its default limit allows (RATE-8): "
                  "nothing shows that the first RUP was executed and its resends were not (TIMER-5)");
  }
  return Outcome{reports::Verdict::kInformational, expected, actual,
                 "not judged: the target answered more slowly than the MID's limit (RATE-8)"};
}

void AddCsCases(std::vector<CaseDef>& out) {
  Add(out, "cs.rup.ok", "RUP is answered AUP 0 with no params", "CS", {"CS-1", "WIRE-19", "MID-1", "WIRE-1", "WIRE-5"},
      [](Ctx& c) { return ExpectAnswers(c, {Rup(41)}, {{"AUP", 41, 0, 0}}, "CS-1"); });
  Add(out, "wire.trid.echo", "Trids 0 and 4294967295 are echoed unchanged", "WIRE", {"TRID-1", "WIRE-4"},
      [](Ctx& c) {
        return ExpectAnswers(c, {Rup(0) + Rup(4294967295u)}, {{"AUP", 0, 0, 0}, {"AUP", 4294967295u, 0, 0}}, "TRID-1");
      });
  Add(out, "wire.multi.in_order", "Several commands in one datagram are answered in order", "WIRE",
      {"WIRE-17", "WIRE-18", "UDP-7", "CS-7"}, [](Ctx& c) {
        return ExpectAnswers(c, {Rup(41) + Rup(42, "slot=top", "impression") + Rup(43)},
                             {{"AUP", 41, 0, 0}, {"AUP", 42, 0, 0}, {"AUP", 43, 0, 0}}, "WIRE-17");
      });
  Add(out, "udp.independent.trids", "Requests in separate datagrams are answered independently", "UDP",
      {"UDP-5", "TRID-9", "UDP-2"}, [](Ctx& c) {
        return ExpectAnswers(c, {Rup(30), Rup(10), Rup(20)}, {{"AUP", 30, 0, 0}, {"AUP", 10, 0, 0}, {"AUP", 20, 0, 0}},
                             "UDP-2");
      });
  Add(out, "udp.resend.idempotent",
      "A resent request is answered from the cache byte-identically and not executed again (its MID's limit shows it)",
      "UDP", {"TIMER-5", "CS-1", "RATE-8"}, ResendNotExecuted);
  Add(out, "udp.cache.per_endpoint",
      "The answer cache is keyed by endpoint: the same RUP from 130 new endpoints is executed each time", "UDP",
      {"TIMER-5", "UDP-2", "RATE-8"}, NewEndpointsExecuted);
  Add(out, "cs.rad.bad_slot", "A slot outside [a-z0-9_-] is answered 103", "CS", {"CONV-4", "WIRE-15"},
      [](Ctx& c) {
        return ExpectAnswers(c, {std::string("RAD 57 ") + kMid + " Top\r\n"}, {{"AAD", 57, 103, 0}}, "CONV-4");
      });
  Add(out, "wire.unknown.word", "An undefined request word is answered 100", "WIRE", {"WIRE-21", "WIRE-19"},
      [](Ctx& c) { return ExpectAnswers(c, {"RXYZ 5 a b\r\n"}, {{"AXYZ", 5, 100, 0}}, "WIRE-21"); });
  Add(out, "cs.rup.param_count", "RUP with 3 params is answered 102", "CS", {"CONV-4", "WIRE-20"},
      [](Ctx& c) {
        return ExpectAnswers(c, {std::string("RUP 6 ") + kMid + " launch 1\r\n"}, {{"AUP", 6, 102, 0}}, "CONV-4");
      });
  Add(out, "cs.mid.invalid", "A MID that is not 32 lowercase hex digits is answered 103", "CS", {"MID-3"},
      [](Ctx& c) {
        return ExpectAnswers(c, {"RUP 7 58D05D6AFFEF8AB9DD5A8BE7AFDF1C83 launch 1 x\r\n"}, {{"AUP", 7, 103, 0}}, "MID-3");
      });
  Add(out, "cs.rup.timestamp_bad", "A non-decimal timestamp is answered 103", "CS", {"CONV-4"},
      [](Ctx& c) {
        return ExpectAnswers(c, {std::string("RUP 8 ") + kMid + " launch 17x0 x\r\n"}, {{"AUP", 8, 103, 0}}, "CONV-4");
      });
  Add(out, "cs.rup.data_too_long", "Event data over 1000 decoded bytes is answered 402", "CS", {"LIM-19"},
      [](Ctx& c) { return ExpectAnswers(c, {Rup(9, std::string(1001, 'x'))}, {{"AUP", 9, 402, 0}}, "LIM-19"); });
  Add(out, "wire.escape.decode", "Escapes are decoded before limits (334 x %41 = 334 bytes)", "WIRE",
      {"WIRE-6", "LIM-19"}, [](Ctx& c) {
        std::string data;
        for (int i = 0; i < 334; ++i) data += i % 2 ? "%41" : "%2f";
        return ExpectAnswers(c, {Rup(10, data)}, {{"AUP", 10, 0, 0}}, "WIRE-6");
      });
  Add(out, "wire.param.empty", "An empty final param is a param; an empty kind is 103", "WIRE",
      {"WIRE-2", "LIM-19"}, [](Ctx& c) {
        return ExpectAnswers(c, {Rup(11, ""), Rup(12, "x", "")}, {{"AUP", 11, 0, 0}, {"AUP", 12, 103, 0}}, "WIRE-2");
      });
  Add(out, "wire.escape.malformed", "A malformed escape is answered 101", "WIRE", {"WIRE-7", "WIRE-22"},
      [](Ctx& c) { return ExpectAnswers(c, {Rup(13, "50%")}, {{"AUP", 13, 101, 0}}, "WIRE-22"); });
  Add(out, "wire.utf8.invalid", "An overlong UTF-8 escape sequence is answered 101", "WIRE", {"WIRE-8", "WIRE-22"},
      [](Ctx& c) { return ExpectAnswers(c, {Rup(14, "%C0%AF")}, {{"AUP", 14, 101, 0}}, "WIRE-22"); });
  Add(out, "wire.cr.lone", "A lone CR inside a line is answered 101", "WIRE", {"WIRE-9", "WIRE-22"},
      [](Ctx& c) { return ExpectAnswers(c, {Rup(15, "a\rb")}, {{"AUP", 15, 101, 0}}, "WIRE-22"); });
  Add(out, "wire.lim2.params", "33 params are answered 105", "WIRE", {"LIM-2", "WIRE-13", "WIRE-22"},
      [](Ctx& c) {
        std::string line = "RUP 16";
        for (int i = 0; i < 33; ++i) line += " p";
        return ExpectAnswers(c, {line + "\r\n"}, {{"AUP", 16, 105, 0}}, "WIRE-22");
      });
  Add(out, "wire.lim1.line", "A 5000-byte line is answered 105", "WIRE", {"LIM-1", "WIRE-13", "WIRE-22"},
      [](Ctx& c) { return ExpectAnswers(c, {Rup(17, std::string(5000, 'y'))}, {{"AUP", 17, 105, 0}}, "WIRE-22"); });
  Add(out, "wire.decode.all_or_nothing", "A datagram that fails to decode executes none of its commands", "WIRE",
      {"WIRE-16", "WIRE-22"}, [](Ctx& c) {
        return ExpectAnswers(c, {Rup(18) + Rup(19, "bad%zz")}, {{"AUP", 19, 101, 0}}, "WIRE-16");
      });
  Add(out, "wire.word.lowercase", "A lowercase word gets no answer", "WIRE", {"WIRE-3", "WIRE-15", "WIRE-22"},
      [](Ctx& c) { return ExpectSilence(c, std::string("rup 20 ") + kMid + " launch 1 x\r\n", "WIRE-22"); });
  Add(out, "wire.trid.leading_zero", "A trid with a leading zero gets no answer", "WIRE", {"WIRE-4", "WIRE-22"},
      [](Ctx& c) { return ExpectSilence(c, std::string("RUP 021 ") + kMid + " launch 1 x\r\n", "WIRE-22"); });
  Add(out, "wire.answer.ignored", "An unsolicited answer is ignored", "WIRE", {"WIRE-22", "WIRE-23", "TRID-6"},
      [](Ctx& c) { return ExpectSilence(c, "AUP 22 0\r\n", "WIRE-23"); });
  Add(out, "wire.truncated", "Truncated commands: answered 101 when word and trid are complete, else silence",
      "WIRE", {"WIRE-10", "WIRE-22"}, [](Ctx& c) {
        // Padded first (RPAD) so that AMP-1 leaves room for an answer: the
        // verdict must not depend on the budget (G-49).
        const std::string pad = "RPAD 22 " + std::string(60, '0') + "\r\n";
        return ExpectAnswers(c, {"", pad + "RUP 23", pad + "RUP 24 " + kMid + " laun", Rup(4242)},
                             {{"AUP", 24, 101, 0}, {"AUP", 4242, 0, 0}},
                             "WIRE-10/WIRE-22: a cut trid gets nothing, a complete one 101");
      });
  Add(out, "udp.oversize.dropped", "A datagram over 8192 bytes is dropped silently", "UDP", {"UDP-1", "LIM-3"},
      [](Ctx& c) { return ExpectSilence(c, Padded(Rup(24), 8300, 25), "UDP-1"); });
  Add(out, "udp.rpad.silent", "RPAD is never answered", "UDP", {"UDP-6", "WIRE-19"},
      [](Ctx& c) { return ExpectSilence(c, "RPAD 26 0000000000\r\n", "UDP-6"); });
  Add(out, "amp.rad.pad_flow", "RAD unpadded gets 405 needed within budget; padded resend gets AAD", "AMP",
      {"AMP-1", "AMP-2", "AMP-3", "UDP-6"}, [](Ctx& c) { return AdFlow(c, nullptr); });
  Add(out, "amp.budget.order", "Answers are emitted in order while they fit; the rest becomes 405", "AMP",
      {"AMP-1", "AMP-2", "AMP-5"}, [](Ctx& c) {
        // Learn the full AAD size (pre-padded), then predict the budgeted reply.
        const std::string slot = AdSlots(c).front();
        Got full = Exchange(c, {Padded(Rad(40, slot), 600, 90)});
        if (auto why = Match(full.answers, {{"AAD", 40, 0, 5}})) return Failed("AAD 40 0 +5", ShowAll(full.answers), *why);
        const std::size_t aad = Encode(full.answers[0]).size();
        // Predicts the budgeted answers to `d` (optional leading RUP, then RADs).
        auto predict = [aad](const std::string& d, bool rup, const std::vector<std::uint32_t>& trids) {
          std::size_t budget = d.size(), need = (rup ? 10 : 0) + trids.size() * aad;
          std::vector<Want> want;
          if (rup) {
            want.push_back({"AUP", 31, 0, 0});
            budget -= 10;  // "AUP 31 0\r\n"
          }
          for (std::uint32_t t : trids) {
            const std::size_t l405 = 13 + std::to_string(need).size();  // "AAD tt 405 <needed>\r\n"
            if (aad <= budget) {
              want.push_back({"AAD", t, 0, 5});
              budget -= aad;
            } else if (budget >= l405) {
              want.push_back({"AAD", t, 405, 1});
              budget -= l405;
            }
          }
          return want;
        };
        Outcome last;
        for (bool rup : {true, false}) {
          const std::vector<std::uint32_t> trids = rup ? std::vector<std::uint32_t>{32, 33, 34} : std::vector<std::uint32_t>{35, 36};
          std::string d = rup ? Rup(31) : "";
          for (std::uint32_t t : trids) d += Rad(t, slot);
          const std::vector<Want> want = predict(d, rup, trids);
          Got g = Exchange(c, {d});
          std::string expected;
          for (const Want& w : want) expected += w.Show() + " ";
          if (g.bytes > d.size()) return Failed("<= " + std::to_string(d.size()) + " bytes", std::to_string(g.bytes), "AMP-1");
          if (auto why = Match(g.answers, want)) return Failed(expected, ShowAll(g.answers), *why + " (AMP-2)");
          last = Ok(last.expected + expected, last.actual + ShowAll(g.answers) + " ; ");
        }
        return last;
      });
  Add(out, "amp.prepad", "A pre-padded RAD is answered in full at once", "AMP", {"AMP-4", "AMP-1", "CS-5"},
      [](Ctx& c) {
        const std::string d = Padded(Rad(33, AdSlots(c).front()), 600, 34);
        Got g = Exchange(c, {d});
        if (auto why = Match(g.answers, {{"AAD", 33, 0, 5}})) return Failed("AAD 33 0 +5 params", ShowAll(g.answers), *why);
        if (g.bytes > d.size()) return Failed("<= 600 bytes", std::to_string(g.bytes), "AMP-1 budget exceeded");
        return Ok("AAD 33 0 +5 params", ShowAll(g.answers));
      });
  Add(out, "cs.ad.media", "The AAD imageUrl is served by MS", "CS", {"CS-6", "MS-1", "MS-2"}, [](Ctx& c) {
    wire::Command aad;
    Outcome o = AdFlow(c, &aad);
    if (o.verdict != V::kOk) return o;
    const std::string url = aad.params[1];
    if (url.empty()) {
      return Outcome{V::kInformational, "an ad", "no ad in the known slots",
                     "not judged: give --ad-slot naming a slot with an ad"};
    }
    if (!c.target().http) return Outcome{V::kInformational, "GET " + url, "not fetched", "no --http target given"};
    const auto path = url.find("/media/");
    if (path == std::string::npos) return Failed("<base>/media/<id>", url, "imageUrl is not an MS media URL (MS-1)");
    reference::HttpRequest req;
    req.method = "GET";
    req.target = url.substr(path);
    auto resp = c.Http(req);
    if (!resp.ok()) return Failed("HTTP 200", resp.status().message(), "MS fetch failed");
    if (resp->status != 200 || resp->body.empty()) {
      return Failed("HTTP 200 with bytes", "HTTP " + std::to_string(resp->status), "MS-2");
    }
    return Ok("HTTP 200 with bytes", "HTTP 200, " + std::to_string(resp->body.size()) + " bytes");
  });
}

}  // namespace mcpsim::conformance
