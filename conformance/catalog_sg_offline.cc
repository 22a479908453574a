// SG offline messages (§7.6: ROM/AOM, RPN/APN) and logout, over UDP.
#include <string>

#include "conformance/catalog_sg.h"

namespace mcpsim::conformance {
namespace {

using sg::Check;
using sg::SgClient;
using sg::Add;
using sg::Expect;
using sg::ShowOne;


// alice (ACTIVE, lists bob) and bob's account (offline).
struct Offline {
  std::unique_ptr<SgClient> a;
  std::string bob;
  std::optional<Outcome> failure;
};

Offline Setup(Ctx& c) {
  Offline o;
  auto fail = [&o](std::optional<Outcome> why) {
    o.failure = std::move(why);
    return std::move(o);
  };
  sg::Registered a = sg::Register(c, "oa");
  if (a.failure) return fail(a.failure);
  sg::Registered b = sg::Register(c, "ob");
  if (b.failure) return fail(b.failure);
  o.bob = b.account;
  o.a = std::make_unique<SgClient>(c, "udp", "alice");
  if (auto bad = sg::Login(*o.a, a.account)) return fail(bad);
  const wire::Command* ace = o.a->Await(o.a->Request("RCE", {"add", o.bob}));
  if (auto why = Check(ace, "ACE", 0, 1)) return fail(Failed("ACE 0", ShowOne(ace), *why + " (SG-CONT-2)"));
  return o;
}

// Sends ROM to bob; returns the msgId or a failure.
std::optional<Outcome> Rom(SgClient& a, const std::string& bob, const std::string& text, std::string& id) {
  const wire::Command* aom = a.Await(a.Request("ROM", {bob, text}));
  if (auto why = Check(aom, "AOM", 0, 1)) return Failed("AOM 0 msgId", ShowOne(aom), *why + " (SG-OFF-1)");
  id = aom->params[0];
  return std::nullopt;
}

// bob logs in (answering RPN with `status`) and collects RPNs for a while.
// `settle`: behind a proxy, bob stays until a lost APN would have been
// answered again — SG keeps a message whose APN never reached it (SG-OFF-3)
// and resends the RPN at +1, +3 and +7 s (TIMER-1); logging out at once made
// such a message come again at the next login, which is right (issue 14,
// seed 2: the APN was lost and bob left 0.2 s later).
std::vector<wire::Command> BobSession(Ctx& c, const std::string& bob, std::uint32_t status, const std::string& tag,
                                      std::optional<Outcome>& failure, bool settle = false) {
  SgClient b(c, "udp", "bob" + tag);
  b.answer_status["RPN"] = status;
  if (auto bad = sg::Login(b, bob)) {
    failure = bad;
    return {};
  }
  b.Pump(c.io_timeout_ms(), [&] { return !b.Got("RPN").empty(); });
  b.Pump(200);  // anything more (a duplicate) arrives now
  if (settle && c.target().resend_ms > 0) b.Pump(7500);
  auto rpn = b.Got("RPN");
  (void)b.Await(b.Request("RLO", {}));
  return rpn;
}

Outcome OfflineDelivered(Ctx& c) {
  Offline o = Setup(c);
  if (o.failure) return *o.failure;
  std::string id;
  if (auto bad = Rom(*o.a, o.bob, "see you later", id)) return *bad;
  std::optional<Outcome> failure;
  auto first = BobSession(c, o.bob, 0, "#1", failure, /*settle=*/true);
  if (failure) return *failure;
  if (first.size() != 1 || first[0].params.size() != 4 || first[0].params[0] != id || first[0].params[3] != "see you later") {
    return Failed("one RPN " + id + " <alice> <ts> see%20you%20later", ShowAll(first), "SG-OFF-1, SG-OFF-4");
  }
  auto second = BobSession(c, o.bob, 0, "#2", failure);
  if (failure) return *failure;
  if (!second.empty()) return Failed("no RPN after APN 0", ShowAll(second), "SG-OFF-3: deleted after APN 0");
  return Ok("RPN at the next login, none after APN 0", Show(first[0]));
}

Outcome OfflineRefusedKept(Ctx& c) {
  Offline o = Setup(c);
  if (o.failure) return *o.failure;
  std::string id;
  if (auto bad = Rom(*o.a, o.bob, "keep me", id)) return *bad;
  std::optional<Outcome> failure;
  auto first = BobSession(c, o.bob, 300, "#1", failure);
  if (failure) return *failure;
  if (first.size() != 1) return Failed("one RPN", ShowAll(first), "SG-OFF-4");
  auto second = BobSession(c, o.bob, 0, "#2", failure);
  if (failure) return *failure;
  if (second.size() != 1 || second[0].params.empty() || second[0].params[0] != id) {
    return Failed("RPN " + id + " again", ShowAll(second), "SG-OFF-5: a refused RPN keeps the message");
  }
  return Ok("RPN again after a refused RPN", Show(second[0]));
}

Outcome RomResend(Ctx& c) {
  Offline o = Setup(c);
  if (o.failure) return *o.failure;
  const std::string line = "ROM 77 " + o.bob + " once\r\n";
  o.a->SendRaw(line);
  const wire::Command* first = o.a->Await(77);
  if (auto why = Check(first, "AOM", 0, 1)) return Failed("AOM 77 0 msgId", ShowOne(first), *why);
  const wire::Command one = *first;
  o.a->log.clear();
  o.a->SendRaw(line);  // a resend: same endpoint, trid and word
  const wire::Command* again = o.a->Await(77);
  if (!again || !(*again == one)) {
    return Failed(Show(one), ShowOne(again), "TIMER-5: the resend is answered from the cache, not executed again");
  }
  std::optional<Outcome> failure;
  auto rpn = BobSession(c, o.bob, 0, "", failure);
  if (failure) return *failure;
  if (rpn.size() != 1) return Failed("exactly one RPN", ShowAll(rpn), "TIMER-5: the message was stored twice");
  return Ok("identical AOM, one RPN", Show(one));
}

Outcome Logout(Ctx& c) {
  sg::Registered r = sg::Register(c, "lo");
  if (r.failure) return *r.failure;
  SgClient a(c, "udp", "alice");
  if (auto bad = sg::Login(a, r.account)) return *bad;
  const wire::Command* alo = a.Await(a.Request("RLO", {}));
  if (auto why = Check(alo, "ALO", 0, 0)) return Failed("ALO 0", ShowOne(alo), *why + " (SG-LOGIN-11)");
  const wire::Command* asm_ = a.Await(a.Request("RSM", {"1", "after logout"}));
  if (auto why = Check(asm_, "ASM", 200, 0)) return Failed("ASM 200", ShowOne(asm_), *why + " (session closed: SG-SESS-2)");
  return Ok("ALO 0, then ASM 200", "ALO 0, then ASM 200");
}

}  // namespace

void AddSgOfflineCases(std::vector<CaseDef>& out) {
  Add(out, "sg.offline.delivered", "ROM to an offline contact is delivered by RPN at its next login, once",
      {"SG-OFF-1", "SG-OFF-3", "SG-OFF-4"}, OfflineDelivered);
  Add(out, "sg.offline.refused_kept", "An RPN answered non-zero keeps the message for the next login", {"SG-OFF-5"},
      OfflineRefusedKept);
  Add(out, "sg.rom.resend", "A resent ROM is answered from the cache; the message is stored once",
      {"TIMER-5", "SG-OFF-1"}, RomResend);
  Add(out, "sg.logout", "RLO is answered ALO 0 and closes the session", {"SG-LOGIN-11", "SG-SESS-6"}, Logout);
}

}  // namespace mcpsim::conformance
