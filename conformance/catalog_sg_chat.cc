// SG cases over UDP about conversations and what they carry: multi-party
// calls (§7.5) and their error statuses, rejected invitations, file reject /
// missing capability (§7.7), ROM to an ACTIVE recipient (SG-OFF-2) and the
// voice size limit (§7.8).
#include <string>

#include "conformance/catalog_sg.h"

namespace mcpsim::conformance {
namespace {

using sg::SgClient;
using sg::Add;
using sg::Expect;
using sg::NewUser;
using sg::User;

std::optional<wire::Command> Find(SgClient& who, const std::string& word, const std::string& id, std::size_t at) {
  for (const wire::Command& c : who.Got(word)) {
    if (c.params.size() > at && c.params[at] == id) return c;
  }
  return std::nullopt;
}

// alice+bob in `p.call`, plus carol added by RSR.
Outcome MultiParty(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  User c;
  if (auto bad = NewUser(ctx, "cc", c)) return *bad;
  if (auto added = sg::AddContact(ctx, *p.a, c.account); added.failure) return *added.failure;
  p.b->log.clear();
  if (auto bad = Expect(p.a->Await(p.a->Request("RSR", {p.call, c.account})), "ASR", 0, 0, "SG-CHAT-4")) return *bad;
  if (!c.c->Pump(ctx.io_timeout_ms(), [&] { return !c.c->Got("RRR").empty(); })) return Failed("RRR to carol", ShowAll(c.c->log), "SG-CHAT-4");
  const wire::Command rrr = c.c->Got("RRR")[0];
  if (rrr.params != std::vector<std::string>{p.call, p.a_account}) return Failed("RRR " + p.call + " " + p.a_account, Show(rrr), "SG-CHAT-4");
  if (!p.b->Pump(ctx.io_timeout_ms(), [&] { return !p.b->Got("RAC").empty(); })) return Failed("RAC to bob", ShowAll(p.b->log), "SG-CHAT-4");
  const wire::Command rac = p.b->Got("RAC")[0];
  if (rac.params != std::vector<std::string>{p.call, c.account, p.a_account}) {
    return Failed("RAC " + p.call + " " + c.account + " " + p.a_account, Show(rac), "SG-CHAT-4");
  }
  if (!p.a->Got("RAC").empty()) return Failed("no RAC to the adder", ShowAll(p.a->Got("RAC")), "SG-CHAT-4");
  const wire::Command* acm = c.c->Await(c.c->Request("RCM", {p.call}));
  if (auto bad = Expect(acm, "ACM", 0, 4, "RCM")) return *bad;
  if (acm->params != std::vector<std::string>{"3", p.a_account, p.b_account, c.account}) {
    return Failed("ACM 0 3 alice bob carol", Show(*acm), "RCM: members in join order");
  }
  p.a->log.clear();
  c.c->log.clear();
  if (auto bad = Expect(p.b->Await(p.b->Request("RSB", {p.call})), "ASB", 0, 0, "SG-CHAT-11")) return *bad;
  const std::vector<std::string> left = {p.call, p.b_account, "left", "0"};
  for (SgClient* m : {p.a.get(), c.c.get()}) {
    if (!m->Pump(ctx.io_timeout_ms(), [&] { return !m->Got("RRB").empty(); }) || m->Got("RRB")[0].params != left) {
      return Failed("RRB " + p.call + " <bob> left 0 to " + m->who(), ShowAll(m->log), "SG-CHAT-11");
    }
  }
  if (auto bad = Expect(c.c->Await(c.c->Request("RSB", {p.call})), "ASB", 0, 0, "SG-CHAT-11")) return *bad;
  const std::vector<std::string> ended = {p.call, c.account, "left", "1"};
  if (!p.a->Pump(ctx.io_timeout_ms(), [&] { return p.a->Got("RRB").size() >= 2; }) || p.a->Got("RRB")[1].params != ended) {
    return Failed("RRB " + p.call + " <carol> left 1", ShowAll(p.a->log), "SG-CHAT-14: the last member gets ended = 1");
  }
  if (auto bad = Expect(p.a->Await(p.a->Request("RSM", {p.call, "anyone?"})), "ASM", 302, 0, "SG-CHAT-14: ended call")) return *bad;
  return Ok("RSR → ASR, RRR, RAC; ACM in join order; RSB → RRB left 0, then ended 1", Show(rac));
}

Outcome ChatErrors(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSM", {"4000000000", "hi"})), "ASM", 302, 0, "RSM: unknown callId")) return *bad;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSB", {"4000000000"})), "ASB", 302, 0, "RSB: unknown callId")) return *bad;
  User c;
  if (auto bad = NewUser(ctx, "ce", c)) return *bad;
  if (auto bad = Expect(c.c->Await(c.c->Request("RSM", {p.call, "hi"})), "ASM", 303, 0, "RSM: not a member")) return *bad;
  if (auto bad = Expect(c.c->Await(c.c->Request("RCM", {p.call})), "ACM", 303, 0, "RCM: not a member")) return *bad;
  if (auto bad = Expect(c.c->Await(c.c->Request("RSR", {p.call, p.a_account})), "ASR", 303, 0, "RSR: not a member")) return *bad;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSR", {p.call, p.b_account})), "ASR", 311, 0, "RSR: already a member")) return *bad;
  // An offline contact: registered, listed, never logged in.
  sg::Registered d = sg::Register(ctx, "cd");
  if (d.failure) return *d.failure;
  if (auto bad = Expect(p.a->Await(p.a->Request("RCE", {"add", d.account})), "ACE", 0, 1, "SG-CONT-2")) return *bad;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSI", {d.account})), "ASI", 304, 0, "RSI: invitee not visible")) return *bad;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSI", {c.account})), "ASI", 305, 0, "RSI: not on the list")) return *bad;
  // bob blocks alice: her invitation is 306.
  if (auto bad = Expect(p.b->Await(p.b->Request("RCE", {"add", p.a_account})), "ACE", 0, 1, "SG-CONT-2")) return *bad;
  if (auto bad = Expect(p.b->Await(p.b->Request("RCE", {"block", p.a_account})), "ACE", 0, 1, "SG-CONT-2")) return *bad;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSI", {p.b_account})), "ASI", 306, 0, "RSI: the invitee blocks the inviter")) return *bad;
  return Ok("302 unknown call, 303 not a member, 311, 304 offline, 305, 306 blocked", "as required");
}

Outcome InviteRejected(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  p.b->answer_status["RRI"] = 300;
  const wire::Command* asi = p.a->Await(p.a->Request("RSI", {p.b_account}));
  if (auto bad = Expect(asi, "ASI", 0, 1, "SG-CHAT-3")) return *bad;
  const std::string call = asi->params[0];
  if (call == p.call) return Failed("a new callId", Show(*asi), "SG-CHAT-3: each RSI creates a new conversation");
  auto rri = [&] {
    for (const wire::Command& r : p.b->Got("RRI")) {
      if (!r.params.empty() && r.params[0] == call) return true;
    }
    return false;
  };
  if (!p.b->Pump(ctx.io_timeout_ms(), rri)) return Failed("RRI " + call + " to bob", ShowAll(p.b->log), "SG-CHAT-1");
  auto rrb = [&]() -> std::optional<wire::Command> {
    for (const wire::Command& r : p.a->Got("RRB")) {
      if (!r.params.empty() && r.params[0] == call) return r;
    }
    return std::nullopt;
  };
  if (!p.a->Pump(ctx.io_timeout_ms(), [&] { return rrb().has_value(); })) return Failed("RRB " + call + " <bob> rejected 1", ShowAll(p.a->log), "SG-CHAT-2");
  if (rrb()->params != std::vector<std::string>{call, p.b_account, "rejected", "1"}) {
    return Failed("RRB " + call + " " + p.b_account + " rejected 1", Show(*rrb()), "SG-CHAT-2, SG-CHAT-13, SG-CHAT-14");
  }
  return Ok("a non-zero ARI removes the invitee with reason rejected", Show(*rrb()));
}

Outcome FileReject(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  const wire::Command* aoi = p.a->Await(p.a->Request("ROI", {p.call, "r.txt", "10"}));
  if (auto bad = Expect(aoi, "AOI", 0, 1, "SG-FILE-2")) return *bad;
  const std::string tid = aoi->params[0];
  if (!p.b->Pump(ctx.io_timeout_ms(), [&] { return Find(*p.b, "ROA", tid, 1).has_value(); })) return Failed("ROA to bob", ShowAll(p.b->log), "SG-FILE-2");
  if (auto bad = Expect(p.b->Await(p.b->Request("ROR", {tid, "reject"})), "AOR", 0, 0, "SG-FILE-5")) return *bad;
  auto rej = [&] {
    auto r = Find(*p.a, "ROR", tid, 0);
    return r && r->params.size() == 2 && r->params[1] == "reject";
  };
  if (!p.a->Pump(ctx.io_timeout_ms(), rej)) return Failed("ROR " + tid + " reject to alice", ShowAll(p.a->log), "SG-FILE-5");
  if (auto bad = Expect(p.a->Await(p.a->Request("ROT", {tid, "0", "10"}, std::string(10, 'x'))), "AOT", 309, 0, "SG-FILE-5: reject ends the transfer")) {
    return *bad;
  }
  if (auto bad = Expect(p.b->Await(p.b->Request("ROR", {tid, "accept"})), "AOR", 309, 0, "SG-FILE-5: reject ends the transfer")) return *bad;
  // SG-FILE-12 / SG-CHAT-15: ending the conversation fails an open offer.
  const wire::Command* aoi2 = p.a->Await(p.a->Request("ROI", {p.call, "s.txt", "10"}));
  if (auto bad = Expect(aoi2, "AOI", 0, 1, "SG-FILE-2")) return *bad;
  const std::string t2 = aoi2->params[0];
  if (!p.b->Pump(ctx.io_timeout_ms(), [&] { return Find(*p.b, "ROA", t2, 1).has_value(); })) return Failed("ROA to bob", ShowAll(p.b->log), "SG-FILE-2");
  if (auto bad = Expect(p.b->Await(p.b->Request("RSB", {p.call})), "ASB", 0, 0, "SG-CHAT-11")) return *bad;
  auto failed = [&] {
    for (const wire::Command& r : p.a->Got("ROR")) {
      if (r.params.size() == 2 && r.params[0] == t2 && r.params[1] == "failed") return true;
    }
    return false;
  };
  if (!p.a->Pump(ctx.io_timeout_ms(), failed)) return Failed("ROR " + t2 + " failed to alice", ShowAll(p.a->log), "SG-CHAT-15, SG-FILE-12");
  return Ok("ROR reject relayed, later ROT/accept 309; call end fails an open offer", "transfers " + tid + ", " + t2);
}

// bob logs in with caps `caps`; alice (caps 7) invites him.
Outcome CapabilityMissing(Ctx& ctx) {
  User a, b;
  if (auto bad = NewUser(ctx, "fa", a)) return *bad;
  if (auto bad = NewUser(ctx, "fb", b, 4)) return *bad;  // nudges only: no file, no voice
  if (auto added = sg::AddContact(ctx, *a.c, b.account); added.failure) return *added.failure;
  const wire::Command* asi = a.c->Await(a.c->Request("RSI", {b.account}));
  if (auto bad = Expect(asi, "ASI", 0, 1, "SG-CHAT-1")) return *bad;
  const std::string call = asi->params[0];
  if (auto bad = Expect(a.c->Await(a.c->Request("ROI", {call, "f.txt", "10"})), "AOI", 307, 0, "SG-FILE-1")) return *bad;
  std::string gsm(33, '\x55');
  gsm[0] = '\xD1';
  if (auto bad = Expect(a.c->Await(a.c->Request("RSV", {call, "1", "0", "33"}, gsm)), "ASV", 307, 0, "SG-VOICE-1: no other member has voice")) {
    return *bad;
  }
  b.c->Pump(100);
  if (!b.c->Got("ROA").empty() || !b.c->Got("RRV").empty()) return Failed("nothing relayed to bob", ShowAll(b.c->log), "SG-FILE-1, SG-VOICE-1");
  return Ok("AOI 307 and ASV 307 when the receiver lacks file/voice caps", "as required");
}

Outcome OfflineToActive(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  const wire::Command* aom = p.a->Await(p.a->Request("ROM", {p.b_account, "you are online"}));
  if (auto bad = Expect(aom, "AOM", 0, 1, "SG-OFF-1")) return *bad;
  const std::string id = aom->params[0];
  if (!p.b->Pump(ctx.io_timeout_ms(), [&] { return !p.b->Got("RPN").empty(); })) return Failed("RPN " + id + " to bob at once", ShowAll(p.b->log), "SG-OFF-2");
  const wire::Command rpn = p.b->Got("RPN")[0];
  if (rpn.params.size() != 4 || rpn.params[0] != id || rpn.params[1] != p.a_account || rpn.params[3] != "you are online") {
    return Failed("RPN " + id + " " + p.a_account + " <ts> you%20are%20online", Show(rpn), "SG-OFF-2");
  }
  return Ok("ROM to an ACTIVE recipient is delivered at once by RPN", Show(rpn));
}

Outcome VoiceLimit(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  std::string gsm(33, '\x55');
  gsm[0] = '\xD1';
  if (auto bad = Expect(p.a->Await(p.a->Request("RSV", {p.call, "5", "0", "2097153"}, gsm)), "ASV", 400, 0, "LIM-8")) return *bad;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSV", {"4000000000", "6", "0", "33"}, gsm)), "ASV", 302, 0, "RSV: unknown callId")) {
    return *bad;
  }
  p.b->Pump(100);
  if (!p.b->Got("RRV").empty()) return Failed("no RRV", ShowAll(p.b->Got("RRV")), "LIM-8");
  return Ok("ASV 400 over 2097152 bytes, 302 for an unknown call", "as required");
}

}  // namespace

void AddSgChatCases(std::vector<CaseDef>& out) {
  Add(out, "sg.chat.multi", "RSR → ASR, RRR, RAC; RCM in join order; RSB → RRB left, then ended = 1",
      {"SG-CHAT-4", "SG-CHAT-11", "SG-CHAT-14"}, MultiParty);
  Add(out, "sg.chat.errors", "Unknown callId 302, not a member 303, already a member 311, offline 304, not listed 305, blocked 306",
      {"SG-CHAT-1"}, ChatErrors);
  Add(out, "sg.chat.rejected", "Each RSI is a new call; a non-zero ARI removes the invitee with reason rejected",
      {"SG-CHAT-2", "SG-CHAT-3", "SG-CHAT-13", "SG-CHAT-14"}, InviteRejected);
  Add(out, "sg.file.reject", "ROR reject is relayed and ends the transfer; ending the call fails an open offer",
      {"SG-FILE-5", "SG-FILE-12", "SG-CHAT-15"}, FileReject);
  Add(out, "sg.file.nocap", "ROI/RSV to a member without file/voice capability are 307 and nothing is relayed",
      {"SG-FILE-1", "SG-VOICE-1"}, CapabilityMissing);
  Add(out, "sg.offline.active", "ROM to an ACTIVE recipient is delivered at once by RPN", {"SG-OFF-2"}, OfflineToActive);
  Add(out, "sg.voice.limit", "A voice clip over 2097152 bytes is 400; an unknown call 302", {"LIM-8"}, VoiceLimit);
}

}  // namespace mcpsim::conformance
