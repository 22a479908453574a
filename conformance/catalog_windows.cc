// Coverage cases (issue 14, the last uncovered server clauses), each with a
// mutant in mutants_windows.cc: the push windows of a server as a sender
// (LIM-20 per session, PAY-8 per object), a receiver's refusal stopping an
// object (SG-VOICE-4, RS-6), refused answers that SG ignores (SG-CHAT-9)
// and validation judged on arrival (AMP-6).
//
// A window is judged by holding the answers: the receiving party answers
// nothing, so every server request it has seen is outstanding; the count of
// distinct ones (trids, or offsets of one object) bounds what the target had
// in flight. A target with a smaller window passes; so does one whose
// requests were lost behind a proxy (fewer seen).
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "conformance/catalog_sg.h"

namespace mcpsim::conformance {
namespace {

using sg::Expect;
using sg::SgClient;
using sg::ShowOne;

std::string Join(const std::set<std::size_t>& s) {
  std::string out;
  for (std::size_t x : s) {
    if (!out.empty()) out.push_back(',');
    out.append(std::to_string(x));
  }
  return out;
}

// LIM-20: with bob answering no RRM, 40 messages give him at most 32
// distinct RRMs; once he answers, the other 8 follow (SG-SESS-4).
Outcome PushWindow(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  p.b->hold.insert("RRM");
  constexpr int kMessages = 40;
  for (int batch = 0; batch < kMessages / 8; ++batch) {  // alice keeps within her own LIM-20
    std::vector<std::string> texts;
    for (int i = 0; i < 8; ++i) texts.push_back(std::string("w").append(std::to_string(batch * 8 + i)));
    if (auto bad = sg::SendRsmsInOneDatagram(*p.a, p.call, texts)) return *bad;
  }
  auto rrms = [&] {
    std::map<std::uint32_t, wire::Command> by_trid;
    for (const wire::Command& k : p.b->Got("RRM")) {
      if (k.params.size() == 3 && k.params[0] == p.call) by_trid.emplace(k.trid, k);
    }
    return by_trid;
  };
  // Until 32 arrived (a target with a smaller window waits the timeout out),
  // then a quiet period: more than 32 would come in the same burst.
  p.b->Pump(ctx.io_timeout_ms(), [&] { return rrms().size() >= 32; });
  p.b->Pump(2 * ctx.quiet_ms());
  const std::size_t held = rrms().size();
  if (held > 32) {
    return Failed("at most 32 unanswered RRMs to bob", std::to_string(held) + " distinct RRMs while bob answered none",
                  "LIM-20: a sender has at most 32 requests outstanding per peer session");
  }
  if (held == 0) return Failed("RRMs to bob", ShowAll(p.b->log), "SG-CHAT-7");
  p.b->hold.erase("RRM");
  for (const auto& [trid, k] : rrms()) p.b->Answer(k, 0);
  auto texts = [&] {
    std::set<std::string> t;
    for (const auto& [trid, k] : rrms()) t.insert(k.params[2]);
    return t;
  };
  if (!p.b->Pump(ctx.io_timeout_ms(), [&] { return texts().size() >= static_cast<std::size_t>(kMessages); })) {
    return Failed(std::to_string(kMessages) + " RRMs once bob answers", std::to_string(texts().size()) + " distinct",
                  "SG-SESS-4: queued requests are sent as the window frees");
  }
  return Ok("at most 32 RRMs outstanding, all 40 after the answers",
            std::to_string(held) + " outstanding while held, then all 40");
}

// Raw GSM 6.10 (SG-VOICE-6): `frames` frames of 33 bytes, each starting
// with the 0xD signature nibble.
std::string GsmClip(std::size_t frames) {
  std::string clip(frames * 33, '\x55');
  for (std::size_t f = 0; f < frames; ++f) clip[f * 33] = static_cast<char>(0xD0 | (f % 16));
  return clip;
}

// PAY-8 and SG-VOICE-4: a 12-chunk clip to bob (answering nothing) and
// carol. Bob sees at most 8 chunks; he refuses one (ARV 104) and then no
// further chunk of that clip reaches him, while carol gets the whole clip.
Outcome VoiceRefused(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  sg::Registered rc = sg::Register(ctx, "vc");
  if (rc.failure) return *rc.failure;
  SgClient carol(ctx, "udp", "carol");
  if (auto bad = sg::Login(carol, rc.account)) return *bad;
  if (auto added = sg::AddContact(ctx, *p.a, rc.account); added.failure) return *added.failure;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSR", {p.call, rc.account})), "ASR", 0, 0, "SG-CHAT-4")) return *bad;
  if (!carol.Pump(ctx.io_timeout_ms(), [&] { return !carol.Got("RRR").empty(); })) {
    return Failed("RRR to carol", ShowAll(carol.log), "SG-CHAT-4");
  }
  p.b->hold.insert("RRV");
  const std::string clip = GsmClip(372);  // 12276 bytes: 12 chunks
  const std::string total = std::to_string(clip.size());
  for (std::size_t off = 0; off < clip.size(); off += 1024) {
    const wire::Command* asv =
        p.a->Await(p.a->Request("RSV", {p.call, "7", std::to_string(off), total}, clip.substr(off, 1024)));
    if (auto bad = Expect(asv, "ASV", 0, 0, "SG-VOICE-2 (chunk at " + std::to_string(off) + ")")) return *bad;
  }
  // Chunks of one relayed clip at `who`: voiceId -> offset -> chunk.
  auto chunks = [&](SgClient& who) {
    std::map<std::string, std::map<std::size_t, wire::Command>> by_id;
    for (const wire::Command& k : who.Got("RRV")) {
      if (k.params.size() == 5 && k.params[0] == p.call && k.params[4] == total) {
        by_id[k.params[1]].emplace(std::stoul(k.params[3]), k);
      }
    }
    return by_id;
  };
  auto distinct = [&] {
    std::size_t n = 0;
    for (const auto& [vid, offs] : chunks(*p.b)) n = std::max(n, offs.size());
    return n;
  };
  p.b->Pump(ctx.io_timeout_ms(), [&] { return distinct() >= 8; });  // bob answers nothing
  p.b->Pump(2 * ctx.quiet_ms());  // more than 8 would come in the same burst
  auto at_bob = chunks(*p.b);
  if (at_bob.empty()) return Failed("RRV chunks to bob", ShowAll(p.b->log), "SG-VOICE-3");
  const std::string id = at_bob.begin()->first;
  std::set<std::size_t> seen;
  for (const auto& [off, k] : at_bob[id]) seen.insert(off);
  if (seen.size() > 8) {
    return Failed("at most 8 RRV chunks outstanding", std::to_string(seen.size()) + " chunks (offsets " + Join(seen) + ")",
                  "PAY-8: at most 8 chunk requests of one object outstanding");
  }
  p.b->Answer(at_bob[id].begin()->second, 104);  // bob refuses the clip
  p.b->Pump(2 * ctx.quiet_ms());  // a freed window slot would bring the next chunk at once
  // Chunks first seen after the refusal. Behind a proxy a chunk that was in
  // flight (one of the first 8) may arrive late as a resend, so only a chunk
  // beyond any permitted window (offset >= 8 x 1024, SG-VOICE-3 sends in
  // ascending order) proves the clip went on.
  const bool proxy = ctx.target().resend_ms > 0;
  std::set<std::size_t> later;
  const auto after = chunks(*p.b);  // (a named map: iterating a temporary's member would dangle)
  if (auto it = after.find(id); it != after.end()) {
    for (const auto& [off, k] : it->second) {
      if (!seen.count(off) && (!proxy || off >= 8 * 1024)) later.insert(off);
    }
  }
  if (!later.empty()) {
    return Failed("no RRV chunk of voiceId " + id + " after bob's ARV 104",
                  "new chunks at offsets " + Join(later) + " (before it: " + Join(seen) + ")",
                  "SG-VOICE-4: a member answering RRV non-zero stops receiving that clip");
  }
  auto whole = [&] {
    for (const auto& [vid, offs] : chunks(carol)) {
      if (offs.size() < 12) continue;
      std::string got;
      for (const auto& [off, k] : offs) got += k.payload.value_or("");
      if (got == clip) return true;
    }
    return false;
  };
  if (!carol.Pump(ctx.io_timeout_ms(), whole)) {
    return Failed("the 12 chunks of the clip to carol", std::to_string(carol.Got("RRV").size()) + " RRV",
                  "SG-VOICE-4: other members are unaffected");
  }
  return Ok("<= 8 chunks outstanding at bob; none after his ARV 104; carol gets the clip",
            std::to_string(seen.size()) + " chunks at bob, none after the refusal; carol complete");
}

// RS-6 over HTTP: the AAP response carries the first RBIN chunks (RS-4,
// HTTP-8); the client refuses one (ABIN 104) and answers no other, so the
// unanswered chunks would be included again in later responses — unless RS
// stopped sending the captcha, as it must.
Outcome RbinRefused(Ctx& c) {
  std::vector<wire::Command> cmds;
  Result<reference::HttpResponse> r = c.PostMcp("RAP 1 1.0.0 conf-r6\r\n");
  for (int tries = 0; tries < 10 && !c.Expired(); ++tries) {
    cmds = r.ok() && r->status == 200 ? Decode(r->body) : std::vector<wire::Command>{};
    if (cmds.empty() || cmds[0].word != "AAP" || cmds[0].status != 403u) break;
    c.Sleep(300);  // RATE-6 (every case shares the runner's address)
    r = c.PostMcp("RAP 1 1.0.0 conf-r6\r\n");
  }
  if (!r.ok()) return Failed("HTTP 200 AAP", r.status().message(), "no HTTP response");
  if (cmds.empty() || cmds[0].word != "AAP" || cmds[0].status != 0u || cmds[0].params.size() != 5) {
    return Failed("AAP 1 0 +5", ShowAll(cmds), "RS-1");
  }
  const std::string sid = cmds[0].params[0];
  if (cmds[0].params[3] == "1") {
    return Outcome{reports::Verdict::kInformational, "a captcha of 2 chunks or more", "1 chunk",
                   "not judged: with one chunk nothing is left to stop (RS-6)"};
  }
  std::vector<wire::Command> rbins;
  for (const wire::Command& k : cmds) {
    if (k.word == "RBIN" && !k.status) rbins.push_back(k);
  }
  if (rbins.size() < 2) {
    return Outcome{reports::Verdict::kInformational, "2 RBIN chunks or more with AAP", std::to_string(rbins.size()),
                   "not judged: the target sends one chunk at a time, so a refused one leaves none outstanding"};
  }
  std::string body = "ABIN " + std::to_string(rbins[0].trid) + " 104\r\n";
  for (int round = 1; round <= 2; ++round) {
    auto next = c.PostMcp(body, sid);
    if (!next.ok() || next->status != 200) {
      return Failed("HTTP 200", next.ok() ? "HTTP " + std::to_string(next->status) : next.status().message(), "HTTP-4");
    }
    for (const wire::Command& k : Decode(next->body)) {
      if (k.word == "RBIN" && !k.status) {
        return Failed("no RBIN after ABIN " + std::to_string(rbins[0].trid) + " 104",
                      "response " + std::to_string(round) + ": " + Show(k),
                      "RS-6: a client's non-zero ABIN stops that captcha (its unanswered chunks too)");
      }
    }
    body = "RPOL 2\r\n";  // a second look: nothing of the captcha may come back
  }
  return Ok("no RBIN after the refusal", std::to_string(rbins.size()) + " chunks with AAP, none after ABIN 104");
}

// SG-CHAT-9: bob answers every RRM 300. SG ignores that: bob stays a member
// (ACM lists both, alice gets no RRB) and receives the next message.
Outcome RefusedAnswer(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  p.b->answer_status["RRM"] = 300;
  auto got = [&](const std::string& text) {
    for (const wire::Command& k : p.b->Got("RRM")) {
      if (k.params.size() == 3 && k.params[0] == p.call && k.params[2] == text) return true;
    }
    return false;
  };
  if (auto bad = Expect(p.a->Await(p.a->Request("RSM", {p.call, "one"})), "ASM", 0, 0, "SG-CHAT-7")) return *bad;
  if (!p.b->Pump(ctx.io_timeout_ms(), [&] { return got("one"); })) {
    return Failed("RRM one to bob", ShowAll(p.b->log), "SG-CHAT-7");
  }
  p.b->Pump(2 * ctx.quiet_ms());  // bob's ARM 300 reaches SG
  const wire::Command* acm = p.a->Await(p.a->Request("RCM", {p.call}));
  if (auto bad = Expect(acm, "ACM", 0, 3, "SG-CHAT-9: bob answered ARM 300 and is still a member")) return *bad;
  for (const wire::Command& k : p.a->Got("RRB")) {
    if (k.params.size() == 4 && k.params[0] == p.call) {
      return Failed("no RRB", Show(k), "SG-CHAT-9: a non-zero ARM is ignored apart from ending resends");
    }
  }
  if (auto bad = Expect(p.a->Await(p.a->Request("RSM", {p.call, "two"})), "ASM", 0, 0, "SG-CHAT-7")) return *bad;
  if (!p.b->Pump(ctx.io_timeout_ms(), [&] { return got("two"); })) {
    return Failed("RRM two to bob", ShowAll(p.b->Got("RRM")), "SG-CHAT-9: bob still receives the conversation");
  }
  return Ok("ACM 0 2 members, no RRB, RRM two to bob", "bob answered ARM 300 and stayed a member");
}

// AMP-6: a datagram from a validated endpoint carrying RPS and RLO gets its
// full answers although the RLO ends the session: validation is judged when
// the datagram arrives. The stale RPS (baseVersion 0) returns the stored
// 128-byte nickname and personal message, far more than the datagram.
Outcome ValidatedAtArrival(Ctx& ctx) {
  sg::Registered r = sg::Register(ctx, "av");
  if (r.failure) return *r.failure;
  const std::string nick(128, 'n'), psm(128, 'p');
  const bool proxy = ctx.target().resend_ms > 0;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    SgClient a(ctx, "udp", "alice" + std::to_string(attempt));
    if (auto bad = sg::Login(a, r.account)) return *bad;
    const wire::Command* aps = a.Await(a.Request("RPS", {"0", "Conf", "", ""}));
    if (auto bad = Expect(aps, "APS", 0, 4, "SG-PROF-1")) return *bad;
    if (aps->params[1] != nick) {
      aps = a.Await(a.Request("RPS", {aps->params[0], nick, psm, ""}));
      if (auto bad = Expect(aps, "APS", 0, 4, "SG-PROF-1 (128-byte fields, LIM-12/13)")) return *bad;
    }
    wire::Command rps, rlo;
    rps.word = "RPS";
    rps.trid = a.Reserve("RPS");
    rps.params = {"0", "x", "", ""};
    rlo.word = "RLO";
    rlo.trid = a.Reserve("RLO");
    const std::string d = Encode(rps) + Encode(rlo);
    a.SendRaw(d);
    const wire::Command* got = a.Await(rps.trid);
    const wire::Command* alo = a.Await(rlo.trid);
    if (proxy && got && got->word == "APS" && got->status == 405u && attempt < 4) {
      // A lost answer: the resend came from the endpoint RLO had already
      // unbound, whose cached replay AMP-1 restricts again (AMP-5).
      ctx.Note("APS 405 behind the proxy (answer lost, replay restricted): another session");
      continue;
    }
    if (auto bad = Expect(got, "APS", 0, 4, "AMP-6: the datagram came from a validated endpoint (" +
                                                std::to_string(d.size()) + " bytes)")) {
      return *bad;
    }
    if (got->params[1] != nick || got->params[2] != psm) {
      return Failed("APS with the stored 128-byte fields", Show(*got), "SG-PROF-1: a stale RPS returns the stored profile");
    }
    if (auto bad = Expect(alo, "ALO", 0, 0, "SG-LOGIN-11")) return *bad;
    return Ok("APS 0 with the stored profile and ALO 0 to a " + std::to_string(d.size()) + "-byte datagram",
              ShowOne(got).substr(0, 40) + "... and " + ShowOne(alo));
  }
  return Failed("APS 0", "APS 405 in 4 sessions", "AMP-6");
}

}  // namespace

void AddWindowCases(std::vector<CaseDef>& out) {
  sg::Add(out, "sg.push.window", "Bob answers no RRM: at most 32 of 40 reach him until he answers (LIM-20)",
          {"LIM-20", "SG-SESS-4"}, PushWindow);
  sg::Add(out, "sg.voice.refused", "A 12-chunk clip: at most 8 chunks outstanding; a refused clip stops for that member only",
          {"PAY-8", "SG-VOICE-4", "SG-VOICE-3"}, VoiceRefused);
  out.push_back({"rs.rbin.refused", "A captcha chunk answered ABIN 104: RS sends none of that captcha again", "RS",
                 {"RS-6", "RS-4"}, true, "http", RbinRefused});
  sg::Add(out, "sg.chat.refused_answer", "A member answering RRM 300 stays a member and gets the next message",
          {"SG-CHAT-9"}, RefusedAnswer);
  sg::Add(out, "amp.validated.at_arrival", "RPS + RLO in one datagram from a validated endpoint: full answers",
          {"AMP-6", "AMP-1"}, ValidatedAtArrival);
  out.back().group = "AMP";
}

}  // namespace mcpsim::conformance
