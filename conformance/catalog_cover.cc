// Coverage cases (issue 14, part 2): server-side MUST clauses no earlier case
// cited, each judged from the wire and each with a mutant that fails it
// (mutants_more.cc): the REG check order (G-54), RPS nickname/psm limits
// (LIM-12, LIM-13), RRM order and trid assignment (SG-CHAT-8, SG-SESS-4,
// SG-SESS-7), a rejected RRR (SG-CHAT-6) and the offline queue bound (LIM-16).
#include <algorithm>
#include <string>

#include "conformance/catalog_sg.h"

namespace mcpsim::conformance {
namespace {

using sg::Check;
using sg::Expect;
using sg::SgClient;
using sg::ShowOne;

std::optional<wire::Command> OneAnswer(const Result<reference::HttpResponse>& r) {
  if (!r.ok() || r->status != 200) return std::nullopt;
  auto cmds = Decode(r->body);
  for (const wire::Command& c : cmds) {
    if (c.status) return c;
  }
  return std::nullopt;
}

// G-54: 103 (captchaId not a decimal) before 204 (unknown captcha) before
// 203 (a text outside 1..16 bytes cannot match: wrong, and the captcha is
// consumed, RS-7). The captcha image is not needed: no REG here can match.
Outcome RegCheckOrder(Ctx& c) {
  auto r = c.PostMcp("RAP 1 1.0.0 conf-order\r\n");
  for (int tries = 0; tries < 10 && OneAnswer(r) && OneAnswer(r)->status == 403u && !c.Expired(); ++tries) {
    c.Sleep(300);  // RATE-6 (every case shares the runner's address)
    r = c.PostMcp("RAP 1 1.0.0 conf-order\r\n");
  }
  const auto aap = OneAnswer(r);
  if (!aap || aap->word != "AAP" || aap->status != 0u || aap->params.size() != 5) {
    return Failed("AAP 1 0 +5", aap ? Show(*aap) : (r.ok() ? reports::Printable(r->body) : r.status().message()), "RS-1");
  }
  const std::string sid = aap->params[0], id = aap->params[1];
  const std::string account = "order" + std::to_string(c.Fresh() % 1000000000) + "@example.com";
  struct Step {
    std::string id, text;
    std::uint32_t want;
    const char* why;
  };
  const std::uint64_t other = std::strtoull(id.c_str(), nullptr, 10) + 100000;
  const std::vector<Step> steps = {
      {"1a", "ABCDE", 103, "a captchaId that is not a decimal is 103, before the captcha checks (G-54)"},
      {std::to_string(other), "ABCDE", 204, "an unknown captchaId is 204 (RS-7)"},
      {id, "ABCDEFGHJKLMNPQRS", 203, "a 17-byte captchaText cannot match: 203, not 103 (G-54, RS-9)"},
      {id, "ABCDE", 204, "the 203 consumed the captcha (RS-7)"},
  };
  std::string seen;
  std::uint32_t trid = 11;
  for (const Step& s : steps) {
    auto reg = c.PostMcp("REG " + std::to_string(trid) + " " + s.id + " " + s.text + " " + account + " " + sg::kPassword +
                             " Conf\r\n",
                         sid);
    const auto aeg = OneAnswer(reg);
    if (!aeg || aeg->word != "AEG" || aeg->trid != trid || aeg->status != s.want) {
      return Failed("AEG " + std::to_string(trid) + " " + std::to_string(s.want), aeg ? Show(*aeg) : "(no answer)", s.why);
    }
    seen += (seen.empty() ? "" : ", ") + std::to_string(s.want);
    ++trid;
  }
  return Ok("AEG 103, 204, 203, 204", "AEG " + seen);
}

// LIM-12 / LIM-13 on RPS: out-of-range or control-character fields are 103;
// 128 bytes of each are accepted.
Outcome ProfileLimits(Ctx& ctx) {
  sg::Registered r = sg::Register(ctx, "pl");
  if (r.failure) return *r.failure;
  SgClient a(ctx, "udp", "alice");
  if (auto bad = sg::Login(a, r.account)) return *bad;
  const wire::Command* first = a.Await(a.Request("RPS", {"0", "Conf", "", ""}));
  if (auto bad = Expect(first, "APS", 0, 4, "SG-PROF-1")) return *bad;
  const std::string v = first->params[0];
  struct Bad {
    std::string nick, psm;
    const char* why;
  };
  const std::vector<Bad> bads = {
      {std::string(129, 'n'), "", "a 129-byte nickname is 103 (LIM-12)"},
      {"", "", "an empty nickname is 103 (LIM-12)"},
      {"bad\x01nick", "", "a nickname with a control character is 103 (LIM-12)"},
      {"Conf", std::string(129, 'p'), "a 129-byte personal message is 103 (LIM-13)"},
      {"Conf", "line\nbreak", "a personal message with a control character is 103 (LIM-13)"},
  };
  for (const Bad& b : bads) {
    const wire::Command* aps = a.Await(a.Request("RPS", {v, b.nick, b.psm, ""}));
    if (auto bad = Expect(aps, "APS", 103, 0, b.why)) return *bad;
  }
  const std::string nick(128, 'n'), psm(128, 'p');
  const wire::Command* ok = a.Await(a.Request("RPS", {v, nick, psm, ""}));
  if (auto bad = Expect(ok, "APS", 0, 4, "128-byte nickname and psm are within LIM-12/LIM-13")) return *bad;
  if (ok->params[1] != nick || ok->params[2] != psm) {
    return Failed("APS with the 128-byte fields", Show(*ok), "SG-PROF-1: the change is stored");
  }
  return Ok("APS 103 x5, then APS 0 at 128 bytes", "as required");
}

// SG-CHAT-8 / SG-SESS-7: three RSMs in one datagram reach the other member
// as RRMs whose trids increase in the order SG accepted the RSMs.
Outcome ChatOrder(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  const std::vector<std::string> texts = {"first", "second", "third"};
  if (auto bad = sg::SendRsmsInOneDatagram(*p.a, p.call, texts)) return *bad;
  auto rrms = [&] {
    std::vector<wire::Command> out;
    for (const wire::Command& k : p.b->Got("RRM")) {
      if (k.params.size() == 3 && k.params[0] == p.call) out.push_back(k);
    }
    return out;
  };
  if (!p.b->Pump(ctx.io_timeout_ms(), [&] { return rrms().size() >= 3; })) {
    return Failed("3 RRMs to bob", ShowAll(p.b->log), "SG-CHAT-7");
  }
  auto got = rrms();
  std::sort(got.begin(), got.end(), [](const wire::Command& x, const wire::Command& y) { return x.trid < y.trid; });
  std::vector<std::string> order;
  for (const wire::Command& k : got) order.push_back(k.params[2]);
  if (order != texts) {
    return Failed("RRM trids increasing as first, second, third", ShowAll(got),
                  "SG-CHAT-8, SG-SESS-7: RRMs are created (trids assigned) in the order the RSMs were accepted");
  }
  return Ok("RRM trids in RSM order", ShowAll(got));
}

// SG-CHAT-6: an added member answering RRR non-zero is removed with reason
// `rejected`; the other members get RRB (ended 0: two remain).
Outcome RrrRejected(Ctx& ctx) {
  sg::Pair p = sg::MakePair(ctx);
  if (p.failure) return *p.failure;
  sg::Registered rc = sg::Register(ctx, "rj");
  if (rc.failure) return *rc.failure;
  SgClient carol(ctx, "udp", "carol");
  if (auto bad = sg::Login(carol, rc.account)) return *bad;
  carol.answer_status["RRR"] = 300;
  if (auto added = sg::AddContact(ctx, *p.a, rc.account); added.failure) return *added.failure;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSR", {p.call, rc.account})), "ASR", 0, 0, "SG-CHAT-4")) return *bad;
  if (!carol.Pump(ctx.io_timeout_ms(), [&] { return !carol.Got("RRR").empty(); })) {
    return Failed("RRR to carol", ShowAll(carol.log), "SG-CHAT-4");
  }
  const std::vector<std::string> want = {p.call, rc.account, "rejected", "0"};
  for (SgClient* m : {p.a.get(), p.b.get()}) {
    auto rrb = [&]() -> const wire::Command* {
      for (const wire::Command& k : m->log) {
        if (k.word == "RRB" && !k.status && !k.params.empty() && k.params[0] == p.call) return &k;
      }
      return nullptr;
    };
    if (!m->Pump(ctx.io_timeout_ms(), [&] { return rrb() != nullptr; }) || rrb()->params != want) {
      return Failed("RRB " + p.call + " <carol> rejected 0 to " + m->who(), ShowAll(m->Got("RRB")), "SG-CHAT-6");
    }
  }
  return Ok("RRB <carol> rejected 0 to alice and bob", "as required");
}

// LIM-16: a recipient's queue holds 100 undelivered messages; the 101st ROM
// is 401 (the last check of ROM's order).
Outcome OfflineLimit(Ctx& ctx) {
  sg::Registered ra = sg::Register(ctx, "qa"), rb = sg::Register(ctx, "qb");
  for (const auto* r : {&ra, &rb}) {
    if (r->failure) return *r->failure;
  }
  SgClient a(ctx, "udp", "alice");
  if (auto bad = sg::Login(a, ra.account)) return *bad;
  if (auto bad = Expect(a.Await(a.Request("RCE", {"add", rb.account})), "ACE", 0, 1, "SG-CONT-2")) return *bad;
  // 100 ROMs, 10 per datagram (bob never logs in: all stay queued).
  for (int batch = 0; batch < 10; ++batch) {
    std::string d;
    std::vector<std::uint32_t> trids;
    for (int i = 0; i < 10; ++i) {
      wire::Command c;
      c.word = "ROM";
      c.trid = a.Reserve("ROM");
      c.params = {rb.account, "m" + std::to_string(batch * 10 + i)};
      trids.push_back(c.trid);
      d += Encode(c);
    }
    a.SendRaw(d);
    for (std::uint32_t t : trids) {
      const std::string n = std::to_string(batch * 10 + (t - trids[0]) + 1);
      if (auto bad = Expect(a.Await(t), "AOM", 0, 1, "SG-OFF-1: message " + n)) return *bad;
    }
  }
  const wire::Command* full = a.Await(a.Request("ROM", {rb.account, "one too many"}));
  if (auto bad = Expect(full, "AOM", 401, 0, "LIM-16: the 101st undelivered message is 401")) return *bad;
  return Ok("AOM 0 x100, then AOM 401", "AOM 0 x100, " + ShowOne(full));
}

// SG-CONT-4: every changing contact edit re-evaluates presence both ways. An
// add shows the (online) contact to the user; a block sends the blocked
// watcher RNP offline, an unblock RNP online again; a del forgets the last
// RNP sent, so a re-add sends the contact's presence again.
Outcome ContactPresence(Ctx& ctx) {
  sg::User a, b;
  if (auto bad = sg::NewUser(ctx, "pa", a)) return *bad;
  if (auto bad = sg::NewUser(ctx, "pb", b)) return *bad;
  auto count = [](const SgClient& who, const std::string& account, const std::string& presence) {
    std::size_t n = 0;
    for (const wire::Command& r : who.Got("RNP")) n += r.params.size() >= 2 && r.params[0] == account && r.params[1] == presence;
    return n;
  };
  auto await = [&](SgClient& who, const std::string& account, const std::string& presence, std::size_t n) {
    return who.Pump(ctx.io_timeout_ms(), [&] { return count(who, account, presence) >= n; });
  };
  auto fail = [&](SgClient& who, const std::string& want, const std::string& why) {
    return Failed(want, ShowAll(who.Got("RNP")), "SG-CONT-4: " + why);
  };
  if (auto added = sg::AddContact(ctx, *a.c, b.account); added.failure) return *added.failure;
  if (!await(*a.c, b.account, "online", 1)) return fail(*a.c, "RNP " + b.account + " online to alice", "an add shows the contact");
  if (auto added = sg::AddContact(ctx, *b.c, a.account); added.failure) return *added.failure;
  if (!await(*b.c, a.account, "online", 1)) return fail(*b.c, "RNP " + a.account + " online to bob", "an add shows the contact");
  if (auto bad = Expect(a.c->Await(a.c->Request("RCE", {"block", b.account})), "ACE", 0, 1, "SG-CONT-2")) return *bad;
  if (!await(*b.c, a.account, "offline", 1)) {
    return fail(*b.c, "RNP " + a.account + " offline to bob", "the blocked watcher no longer sees the user");
  }
  if (auto bad = Expect(a.c->Await(a.c->Request("RCE", {"unblock", b.account})), "ACE", 0, 1, "SG-CONT-2")) return *bad;
  if (!await(*b.c, a.account, "online", 2)) return fail(*b.c, "a second RNP " + a.account + " online to bob", "an unblock shows the user again");
  const std::size_t before = count(*a.c, b.account, "online");
  if (auto bad = Expect(a.c->Await(a.c->Request("RCE", {"del", b.account})), "ACE", 0, 1, "SG-CONT-2")) return *bad;
  if (auto added = sg::AddContact(ctx, *a.c, b.account); added.failure) return *added.failure;
  if (!await(*a.c, b.account, "online", before + 1)) {
    return fail(*a.c, "RNP " + b.account + " online to alice again", "a del forgets the last RNP sent, so a re-add sends it");
  }
  return Ok("RNP online after add; offline to the blocked watcher; online after unblock; again after del + add",
            "as required");
}

}  // namespace

void AddCoverCases(std::vector<CaseDef>& out) {
  out.push_back({"rs.reg.check_order", "REG check order: 103 (captchaId not decimal), 204, 203 (17-byte text), 204",
                 "RS", {"RS-7", "RS-9", "WIRE-4"}, true, "http",
                 RegCheckOrder});
  sg::Add(out, "sg.prof.limits", "RPS: nickname 1..128 bytes and psm 0..128 bytes without control characters, else 103",
          {"LIM-12", "LIM-13", "SG-PROF-1"}, ProfileLimits);
  sg::Add(out, "sg.chat.order", "Three RSMs in one datagram: the RRMs' trids increase in RSM order",
          {"SG-CHAT-8", "SG-SESS-7", "SG-SESS-4", "SG-CHAT-7"}, ChatOrder);
  sg::Add(out, "sg.offline.limit", "100 undelivered messages per recipient; the 101st ROM is 401", {"LIM-16", "SG-OFF-1"},
          OfflineLimit);
  sg::Add(out, "sg.chat.rrr_rejected", "A non-zero ARR removes the added member with reason rejected",
          {"SG-CHAT-6", "SG-CHAT-13"}, RrrRejected);
  sg::Add(out, "sg.cont.presence", "Contact edits re-evaluate presence: add, block, unblock, del + re-add send RNPs",
          {"SG-CONT-4", "SG-PRES-4"}, ContactPresence);
}

}  // namespace mcpsim::conformance
