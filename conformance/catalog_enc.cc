// Encrypted UDP (PROTOCOL.md §6.5, ENC-1..8) against target().udps with the
// key table in target().udps_keys, through EncSession (enc_session.h): the
// harness seals CS RUP requests itself, resends them as fresh envelopes
// behind the fault proxy (ENC-8), opens the answers, matches them by (word,
// trid) and drops network duplicates. Every case also checks the session's
// ENC-3/ENC-5 bookkeeping (EncSession::Violation): no request is answered
// more often than valid distinct envelopes carried it, whatever the network
// duplicated.
//
// Drops are observed as silence followed by an answered probe: on a direct
// path the datagrams of one socket are processed in order. Behind the proxy
// an envelope that must be dropped carries a trid of its own, so a wrong
// answer to it is recognised whenever it comes; an envelope the proxy lost
// judges nothing (the case is not FAILED for it). Requests whose envelopes
// must be accepted exactly once are never resent: a case that needs one
// such envelope accepted sends new requests (new trids) until one is
// answered (FirstAnswered).

#include <iterator>
#include <optional>
#include <string>

#include "conformance/catalog.h"
#include "conformance/enc_session.h"
#include "core/hash.h"
#include "core/rng.h"

namespace mcpsim::conformance {
namespace {

namespace enc = reference::enc;

void Add(std::vector<CaseDef>& out, std::string id, std::string title, std::vector<std::string> clauses,
         std::function<Outcome(Ctx&)> run) {
  out.push_back({std::move(id), std::move(title), "ENC", std::move(clauses), true, "udps", std::move(run)});
}

// A fresh MID per case (MID-3): the RATE-8 per-MID bucket of one case never
// limits another's.
std::string FreshMid(Ctx& c) {
  Rng rng(c.Fresh());
  const std::string hi = Hex64(rng.Next());
  return hi + Hex64(rng.Next());
}

std::string RupFor(std::uint32_t trid, const std::string& mid, const std::string& data = "enc") {
  return "RUP " + std::to_string(trid) + " " + mid + " launch 1700000000000 " + data + "\r\n";
}

std::string Trids(const EncGot& g) {
  std::string s = ShowAll(g.answers);
  if (!g.repeats.empty()) s += " (+" + std::to_string(g.repeats.size()) + " repeated answers)";
  if (g.unopenable) s += " (+" + std::to_string(g.unopenable) + " datagrams that do not open)";
  if (g.damaged) s += " (+" + std::to_string(g.damaged) + " damaged in transit, dropped)";
  return s;
}

std::string NetNote(int resends, std::size_t dups) {
  if (resends == 0 && dups == 0) return "";
  return "; " + std::to_string(resends) + " resends as fresh envelopes, " + std::to_string(dups) +
         " duplicate envelopes dropped";
}

// Expects exactly one AUP 0 per trid in `trids`, in request order, all sealed.
std::optional<Outcome> ExpectAups(const EncGot& g, const std::vector<std::uint32_t>& trids, const std::string& clause) {
  std::vector<Want> want;
  for (std::uint32_t t : trids) want.push_back({"AUP", t, 0, 0});
  std::string exp;
  for (const Want& w : want) exp += (exp.empty() ? "" : ", ") + w.Show();
  if (g.unopenable) return Failed(exp + " (sealed)", Trids(g), clause + ": every answer is a valid envelope (ENC-1)");
  if (!g.decode_errors.empty()) return Failed(exp, Trids(g), "undecodable answer in an envelope (" + g.decode_errors[0] + ")");
  if (auto why = Match(g.answers, want)) return Failed(exp, Trids(g), *why + " (" + clause + ")");
  return std::nullopt;
}

std::optional<Outcome> Judge(const EncSession& s, const std::string& expected, const std::string& actual) {
  if (auto v = s.Violation()) return Failed(expected, actual, *v);
  return std::nullopt;
}

// One sealed RUP per try, each with a new trid (base, base + 1, ...), until
// one is answered: behind the proxy up to kEncMaxSends tries, resend_ms
// apart; on a direct path one try. These requests are never resent, so each
// answered one proves that its single envelope was accepted.
struct Try {
  std::uint32_t trid = 0;
  std::string envelope;
  std::uint64_t counter = 0;
};
struct Tries {
  std::vector<Try> sent;
  std::optional<Try> answered;  // the first answered (highest counter among those answered first)
};
Tries FirstAnswered(Ctx& c, EncSession& s, const std::string& mid, std::uint32_t base) {
  const int rs = c.target().resend_ms;
  const int tries = rs > 0 ? kEncMaxSends : 1;
  Tries t;
  for (int i = 0; i < tries && !t.answered && !c.Expired(); ++i) {
    Try one;
    one.trid = base + static_cast<std::uint32_t>(i);
    one.counter = s.next_counter();
    one.envelope = s.Seal(RupFor(one.trid, mid));
    s.Send(one.envelope);
    t.sent.push_back(one);
    (void)s.Collect(rs > 0 ? rs : c.io_timeout_ms());
    for (const Try& x : t.sent) {
      if (s.AnswerEnvelopes("AUP", x.trid) && (!t.answered || x.counter > t.answered->counter)) t.answered = x;
    }
  }
  return t;
}

Outcome SealedAnswered(Ctx& ctx) {
  EncSession s(ctx);
  if (!s.ok()) return Failed("a UDP socket", "none", "harness");
  const std::string mid = FreshMid(ctx);
  std::uint32_t trid = 1;
  std::optional<enc::Opened> prev;
  int resends = 0;
  std::size_t dups = 0;
  // Each answer comes after the previous one arrived, so its counter is higher
  // whatever the network reordered (ENC-3).
  auto one = [&](std::optional<std::uint8_t> kid) -> std::optional<Outcome> {
    s.Request(RupFor(trid, mid), kid);
    EncGot g = s.Await();
    resends += g.resends;
    dups += g.duplicates;
    if (auto bad = ExpectAups(g, {trid}, "ENC-6")) return bad;
    const enc::Opened& o = *g.EnvelopeOf("AUP", trid);
    const std::uint8_t want = kid.value_or(s.key_id());
    if (o.key_id != want) {
      return Failed("answer under key id " + std::to_string(want), "key id " + std::to_string(o.key_id), "ENC-2");
    }
    if (prev && (o.sender != prev->sender || o.counter <= prev->counter)) {
      return Failed("one server sender id, increasing counter",
                    "counter " + std::to_string(o.counter) + " after " + std::to_string(prev->counter) +
                        (o.sender != prev->sender ? ", new sender id" : ""),
                    "ENC-3");
    }
    prev = o;
    ++trid;
    return std::nullopt;
  };
  for (const auto& [kid, key] : ctx.target().udps_keys) {
    if (trid > 3) break;  // a few keys are enough
    if (auto bad = one(kid)) return *bad;
  }
  // A second answer under the same key: the server's counter must advance (ENC-3).
  if (auto bad = one(std::nullopt)) return *bad;
  const std::string expected = "sealed RUP answered by a sealed AUP 0 under the same key id";
  const std::string actual = "AUP, server counter " + std::to_string(prev->counter) + NetNote(resends, dups);
  if (auto bad = Judge(s, expected, actual)) return *bad;
  return Ok(expected, actual);
}

Outcome InvalidDropped(Ctx& ctx) {
  EncSession s(ctx);
  if (!s.ok()) return Failed("a UDP socket", "none", "harness");
  const std::string mid = FreshMid(ctx);
  std::string tampered = s.Seal(RupFor(1, mid));
  tampered.back() = static_cast<char>(tampered.back() ^ 0x01);  // tag byte
  std::string body = s.Seal(RupFor(2, mid));
  body[30] = static_cast<char>(body[30] ^ 0x80);  // first ciphertext byte
  std::string magic = s.Seal(RupFor(3, mid));
  magic[0] = static_cast<char>(0xA6);
  std::string header = s.Seal(RupFor(4, mid));
  header[1] = static_cast<char>(static_cast<std::uint8_t>(header[1]) ^ 0x01);  // AD: key id differs
  std::uint8_t unknown = 0;
  while (ctx.target().udps_keys.count(unknown) && unknown < 255) ++unknown;
  std::string other = s.Seal(RupFor(5, mid));
  other[1] = static_cast<char>(unknown);
  const std::string shorter = s.Seal("").substr(0, enc::kOverhead - 1);
  const std::string plain = RupFor(7, mid);  // a plain datagram on the encrypted port
  for (const std::string& bad : {tampered, body, magic, header, other, shorter, plain}) s.Send(bad);
  s.Request(RupFor(8, mid));
  const EncGot g = s.Await();
  if (auto bad = ExpectAups(g, {8}, "ENC-4")) return *bad;
  const std::string expected =
      "tampered tag/ciphertext/header, bad magic, unknown key id, short and plain datagrams dropped; probe AUP 8";
  const std::string actual = "only AUP 8" + NetNote(g.resends, g.duplicates);
  if (auto bad = Judge(s, expected, actual)) return *bad;
  return Ok(expected, actual);
}

Outcome ReplayDropped(Ctx& ctx) {
  EncSession s(ctx);
  if (!s.ok()) return Failed("a UDP socket", "none", "harness");
  const std::string mid = FreshMid(ctx);
  const std::string expected =
      "an accepted envelope sent again is dropped; envelopes 64 or more below the highest dropped, one 63 below "
      "accepted once";
  // 1. An envelope the target accepted (its request answered), sent again
  // (three copies: behind the proxy one may be lost), then a probe.
  Tries first = FirstAnswered(ctx, s, mid, 1);
  if (!first.answered) return Failed("AUP to a sealed RUP", "(nothing)", "ENC-6");
  for (int i = 0; i < 3; ++i) s.Send(first.answered->envelope);
  if (!FirstAnswered(ctx, s, mid, 20).answered) return Failed("AUP to the probe after the replay", "(nothing)", "ENC-6");
  const std::uint32_t t1 = first.answered->trid;
  if (s.AnswerEnvelopes("AUP", t1) > s.CopiesSent("RUP", t1)) {
    return Failed(expected, "AUP " + std::to_string(t1) + " again after its envelope was replayed",
                  "ENC-5: a replayed envelope is dropped");
  }
  // 2. The window. 69 envelopes sealed first (counters c0 .. c0+68, trids
  // 1000+j), then the highest (tries from trid 2000). On a direct path:
  // j = 0 (69 below) and 5 (64 below) are dropped, j = 6 (63 below) is
  // accepted once. Behind the proxy the highest accepted counter lies between
  // the answered try's and the last try's: j is taken so that the judgement
  // holds for either.
  const std::uint64_t c0 = s.next_counter();
  std::vector<std::string> pre;
  for (std::uint32_t j = 0; j < 69; ++j) pre.push_back(s.Seal(RupFor(1000 + j, mid)));
  Tries top = FirstAnswered(ctx, s, mid, 2000);
  if (!top.answered) return Failed("AUP to a sealed RUP", "(nothing)", "ENC-6");
  const std::uint64_t low = top.answered->counter, high = top.sent.back().counter;
  const std::size_t j_old = static_cast<std::size_t>(low - c0 - 64);   // >= 64 below any possible highest
  const std::size_t j_new = static_cast<std::size_t>(high - c0 - 63);  // < 64 below any possible highest
  s.Send(pre[0]);
  s.Send(pre[j_old]);
  const int rs = ctx.target().resend_ms;
  std::optional<std::size_t> accepted;
  for (std::size_t j = j_new; j < pre.size() && j < j_new + static_cast<std::size_t>(rs > 0 ? kEncMaxSends : 1) && !accepted; ++j) {
    s.Send(pre[j]);
    (void)s.Collect(rs > 0 ? rs : ctx.io_timeout_ms());
    for (std::size_t k = j_new; k <= j; ++k) {
      if (s.AnswerEnvelopes("AUP", 1000 + static_cast<std::uint32_t>(k))) accepted = k;
    }
  }
  if (!accepted) {
    return Failed(expected, "no answer to the envelope " + std::to_string(high - c0 - j_new) + " below the highest",
                  "ENC-5: an envelope less than 64 below the highest, never seen, is accepted");
  }
  s.Send(pre[*accepted]);  // seen: dropped
  if (!FirstAnswered(ctx, s, mid, 3000).answered) return Failed("AUP to the final probe", "(nothing)", "ENC-6");
  for (std::size_t j : {std::size_t{0}, j_old}) {
    if (s.AnswerEnvelopes("AUP", 1000 + static_cast<std::uint32_t>(j))) {
      return Failed(expected, "AUP " + std::to_string(1000 + j) + " to the envelope " + std::to_string(low - c0 - j) +
                                  " below the highest",
                    "ENC-5: an envelope 64 or more below the highest is dropped");
    }
  }
  const std::string actual = "replay dropped; window: -" + std::to_string(low - c0) + " and -" +
                             std::to_string(low - c0 - j_old) + " dropped, -" +
                             std::to_string(high - c0 - *accepted) + " accepted once" +
                             (rs > 0 ? " (" + std::to_string(top.sent.size()) + " tries for the highest)" : "");
  if (auto bad = Judge(s, expected, actual)) return *bad;
  return Ok(expected, actual);
}

// TIMER-5 and ENC-8 by their effect (as udp.resend.idempotent on plain UDP):
// executing a RUP charges its MID's RATE-8 bucket (default 20/s, depth
// 100), answering it from the cache does not. One sealed RUP, 120 resends of
// it as fresh envelopes (same trid and plain bytes, new counters: each is
// accepted, ENC-5), then 110 new RUPs for the MID in one envelope: executed
// once, the first RUP took 1 token, so about 99 new ones get AUP 0 and the
// rest 403; a target that executed the resends finds the bucket empty.
constexpr std::uint32_t kMidDepth = 100;  // RATE-8 per-MID default depth

Outcome ResendCached(Ctx& ctx) {
  EncSession s(ctx);
  if (!s.ok()) return Failed("a UDP socket", "none", "harness");
  AwaitCsTokens(ctx, 111);  // the first RUP and the 110 new ones (resends take no token)
  const std::string mid = FreshMid(ctx);
  const std::string rup = RupFor(55, mid, "resend");
  const std::int64_t t0 = ctx.NowUs();
  s.Request(rup);
  EncGot a = s.Await();
  if (auto bad = ExpectAups(a, {55}, "ENC-6")) return *bad;
  const std::string first = Show(a.answers[0]);
  const std::size_t kResends = 120, kNew = 110;
  const std::uint32_t kFirstNew = 7100;
  for (std::size_t i = 0; i < kResends; ++i) s.Send(s.Seal(rup));
  std::string batch;
  for (std::uint32_t t = kFirstNew; t < kFirstNew + kNew; ++t) batch += RupFor(t, mid, "n");
  s.Request(batch);
  ChargeCsTokens(ctx, 111);
  EncGot g = s.Await();
  const std::int64_t last = ctx.NowUs();
  std::size_t ok = 0, refused = 0, other = 0, resend_answers = 0;
  std::string odd, differing;
  for (const wire::Command& c : g.answers) {
    if (c.trid >= kFirstNew && c.trid < kFirstNew + kNew && c.word == "AUP" && c.status == 0u && c.params.empty()) {
      ++ok;
    } else if (c.trid >= kFirstNew && c.trid < kFirstNew + kNew && c.word == "AUP" && c.status == 403u) {
      ++refused;
    } else {
      ++other;
      if (odd.empty()) odd = Show(c);
    }
  }
  for (const wire::Command& c : g.repeats) {
    if (c.word != "AUP" || c.trid != 55) continue;
    ++resend_answers;
    if (Show(c) != first && differing.empty()) differing = Show(c);
  }
  const std::string expected = "every resend (a fresh envelope) answered with the first answer (" + first + "); of " +
                               std::to_string(kNew) + " new RUPs for the MID about " + std::to_string(kMidDepth - 1) +
                               " x AUP 0, then 403 (the resends used no token)";
  const std::string actual = std::to_string(resend_answers) + " answers to " + std::to_string(kResends) +
                             " resends; new RUPs: " + std::to_string(ok) + " x AUP 0, " + std::to_string(refused) +
                             " x AUP 403, " + std::to_string(other) + " other" + (odd.empty() ? "" : " (" + odd + ")") +
                             " in " + std::to_string((last - t0) / 1000) + " ms" + NetNote(g.resends, g.duplicates);
  if (g.unopenable) return Failed(expected, actual, "an answer is not a valid envelope (ENC-1)");
  if (!g.decode_errors.empty()) return Failed(expected, actual, "undecodable answer (" + g.decode_errors[0] + ")");
  if (auto bad = Judge(s, expected, actual)) return *bad;
  if (!differing.empty()) {
    return Failed(expected, actual + "; a resend got " + differing, "the resend's answer differs from the first (TIMER-5)");
  }
  if (resend_answers == 0) {
    return Failed(expected, actual, "no resend was answered (ENC-8, TIMER-5: a fresh envelope of a cached request is answered from the cache)");
  }
  if (other) return Failed(expected, actual, "unexpected answer to a new RUP (CS-1, RATE-3)");
  if (ok + 3 < kMidDepth - 1 && ok + refused > 0) {
    return Failed(expected, actual,
                  "the MID's limit was used up before the new RUPs: the resent envelopes were executed again "
                  "(ENC-8, TIMER-5: answered from the cache, never executed again; RATE-8)");
  }
  return JudgeMidLimitReached(expected, actual, ok, refused, last - t0);
}

// TIMER-5, ENC-2 and ENC-8 with G-87: the key id is part of the sender
// endpoint. From one socket: under key A a RUP whose MID is invalid (answered
// 103, MID-3, and cached by the target), then under key B a valid RUP with
// the same trid. B's request is another sender's: it is executed (AUP 0),
// not answered from A's cache entry (AUP 103), and its answer is sealed under
// B. Needs two key ids in the key table; with one the case is not judged.
Outcome CachePerKey(Ctx& ctx) {
  const std::string expected =
      "under key A: AUP 103 (invalid MID); the same trid under key B from the same socket: executed, AUP 0 sealed "
      "under key B";
  const auto& keys = ctx.target().udps_keys;
  if (keys.size() < 2) {
    return Outcome{reports::Verdict::kInformational, expected, "one key id in the key table",
                   "not judged: needs two key ids (a --key-file with two keys the target accepts)"};
  }
  EncSession s(ctx);
  if (!s.ok()) return Failed("a UDP socket", "none", "harness");
  const std::uint8_t ka = keys.begin()->first, kb = std::next(keys.begin())->first;
  const std::string mid = FreshMid(ctx);
  const std::string bad_mid = "X" + mid.substr(1);  // not 32 lowercase hex digits (MID-3)
  constexpr std::uint32_t kTrid = 61;
  const std::string a_name = "key id " + std::to_string(ka), b_name = "key id " + std::to_string(kb);
  AwaitCsTokens(ctx, 1);
  s.Request(RupFor(kTrid, bad_mid, "key-a"), ka);
  const EncGot a = s.Await();
  if (a.unopenable) return Failed(expected, Trids(a), "an answer is not a valid envelope (ENC-1)");
  const enc::Opened* oa = a.EnvelopeOf("AUP", kTrid, ka);
  std::optional<wire::Command> first;
  for (const wire::Command& c : oa ? Decode(oa->plain) : std::vector<wire::Command>{}) {
    if (c.word == "AUP" && c.trid == kTrid && c.status) first = c;
  }
  if (!first) return Failed(expected, Trids(a), "no AUP " + std::to_string(kTrid) + " under " + a_name + " (ENC-2, ENC-6)");
  if (*first->status == 0) {
    return Outcome{reports::Verdict::kInformational, expected, "under " + a_name + ": " + Show(*first),
                   "not judged: the invalid MID was answered 0 (MID-3 is judged by cs.mid.invalid), so the two "
                   "answers cannot be told apart"};
  }
  s.Request(RupFor(kTrid, mid, "key-b"), kb);
  const EncGot b = s.Await();
  ChargeCsTokens(ctx, 1);
  std::string actual = "under " + a_name + ": " + Show(*first) + "; under " + b_name + ": ";
  if (b.unopenable) return Failed(expected, actual + Trids(b), "an answer is not a valid envelope (ENC-1)");
  std::optional<wire::Command> second;
  if (const enc::Opened* ob = b.EnvelopeOf("AUP", kTrid, kb)) {
    for (const wire::Command& c : Decode(ob->plain)) {
      if (c.word == "AUP" && c.trid == kTrid) second = c;
    }
  }
  if (!second) {
    // Late answers to A's resends carry 103; an AUP 0 under A answers B.
    for (const enc::Opened& o : b.opened) {
      for (const wire::Command& c : o.key_id == ka ? Decode(o.plain) : std::vector<wire::Command>{}) {
        if (c.word == "AUP" && c.trid == kTrid && c.status == 0u) {
          return Failed(expected, actual + Show(c) + " sealed under " + a_name,
                        "ENC-2: the answer to a datagram under " + b_name + " is sealed under its key id");
        }
      }
    }
    return Failed(expected, actual + Trids(b), "no AUP " + std::to_string(kTrid) + " under " + b_name + " (ENC-6)");
  }
  actual += Show(*second) + NetNote(a.resends + b.resends, a.duplicates + b.duplicates);
  if (auto bad = Judge(s, expected, actual)) return *bad;
  if (second->status == first->status) {
    return Failed(expected, actual,
                  "the request under " + b_name + " got the answer cached for " + a_name +
                      ": the answer cache ignores the key id (TIMER-5, ENC-8: on encrypted UDP the key id is part of "
                      "the sender endpoint; the request is another sender's and is executed)");
  }
  if (second->status != 0u) return Failed(expected, actual, "a valid RUP is answered AUP 0 (CS-1)");
  return Ok(expected, actual);
}

}  // namespace

void AddEncCases(std::vector<CaseDef>& out) {
  Add(out, "enc.sealed.ok", "A sealed RUP is answered by a sealed AUP under the same key id; server counter advances",
      {"ENC-1", "ENC-2", "ENC-3", "ENC-6"}, SealedAnswered);
  Add(out, "enc.drop.invalid", "Tampered, bad-magic, unknown-key, short and plain datagrams are dropped silently",
      {"ENC-4"}, InvalidDropped);
  Add(out, "enc.drop.replay", "A replayed envelope and counters 64 or more below the highest are dropped",
      {"ENC-5"}, ReplayDropped);
  Add(out, "enc.resend.cached",
      "A request resent in a fresh envelope is answered from the cache, not executed again (its MID's limit shows it)",
      {"ENC-8", "TIMER-5", "RATE-8"}, ResendCached);
  Add(out, "enc.cache.per_key",
      "The same trid under a second key id from the same socket is another sender's request: executed, not "
      "answered from the first key's cache, and sealed under its own key id",
      {"TIMER-5", "ENC-2", "ENC-8"}, CachePerKey);
}

}  // namespace mcpsim::conformance
