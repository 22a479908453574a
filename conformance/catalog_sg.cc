// SG over UDP (§7.3–7.8): login, sync paging, presence, chat, offline
// messages, files, voice, nudges, logout. Accounts are registered by each
// case through RS over HTTP (catalog_sg.h), so the cases need udp+http.
#include <algorithm>
#include <string>

#include "conformance/catalog_sg.h"
#include "reference/wire/text.h"

namespace mcpsim::conformance {
namespace {

using sg::Check;
using sg::Pair;
using sg::SgClient;
using sg::Add;
using sg::Expect;
using sg::ShowOne;
using V = reports::Verdict;



// `line` followed by an RPAD so that the datagram has 64 bytes: answers to
// an unvalidated endpoint must fit the request size (AMP-1, AMP-4).
std::string Padded(const std::string& line) {
  std::string d = line + "RPAD 9 ";
  d += std::string(d.size() < 62 ? 62 - d.size() : 1, '0');
  return d + "\r\n";
}

bool IsHex32(const std::string& s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Outcome LoginOk(Ctx& c) {
  sg::Registered r = sg::Register(c, "li");
  if (r.failure) return *r.failure;
  SgClient a(c, "udp", "alice");
  const std::string rat_line = "RAT 7 " + r.account + " " + sg::kPassword + " conf-dev 1.0.0 1\r\n";
  a.SendRaw(rat_line);
  const wire::Command* aat = a.Await(7);
  if (auto bad = Expect(aat, "AAT", 0, 1, "SG-LOGIN-2")) return *bad;
  if (!IsHex32(aat->params[0])) return Failed("token of 32 lowercase hex digits", aat->params[0], "SG-LOGIN-2");
  if (a.raw().size() > rat_line.size()) {
    return Failed("<= " + std::to_string(rat_line.size()) + " bytes before validation",
                  std::to_string(a.raw().size()) + " bytes", "AMP-1: answer larger than the request");
  }
  const std::uint32_t rsii = a.Request("RSII", {aat->params[0], "online", "7", "0"});
  if (auto bad = Expect(a.Await(rsii), "ASII", 0, 0, "SG-LOGIN-4")) return *bad;
  if (!a.Pump(c.io_timeout_ms(), [&] { return a.sync_done; })) {
    return Failed("RCS 0 full 0", ShowAll(a.log), "new account: empty full sync (SG-SYNC-2, SG-SYNC-7)");
  }
  // The first RPS (base 0) gets the stored profile; a change based on its
  // version with a nickname that needs escaping comes back escaped (WIRE-6).
  const wire::Command* first = a.Await(a.Request("RPS", {"0", "Conf", "", ""}));
  if (auto bad = Expect(first, "APS", 0, 4, "SG-PROF-2")) return *bad;
  const std::string nick = "Conf Bot 100%";
  const std::uint32_t rps = a.Request("RPS", {first->params[0], nick, "", ""});
  const wire::Command* aps = a.Await(rps);
  if (auto bad = Expect(aps, "APS", 0, 4, "SG-PROF-1")) return *bad;
  const std::size_t at = a.raw().rfind("APS " + std::to_string(rps) + " 0 ");
  if (at == std::string::npos || a.raw().find("Conf%20Bot%20100%25", at) == std::string::npos) {
    return Failed("APS with " + wire::Escape(nick), reports::Printable(a.raw().substr(at == std::string::npos ? 0 : at)),
                  "the nickname is not escaped on the wire (WIRE-6)");
  }
  if (aps->params[1] != nick) return Failed(nick, aps->params[1], "SG-PROF-1: a change on the stored version is stored");
  const std::uint32_t rlo = a.Request("RLO", {});
  if (auto bad = Expect(a.Await(rlo), "ALO", 0, 0, "SG-LOGIN-11")) return *bad;
  return Ok("AAT, ASII, RCS, APS, ALO", "logged in and out as " + r.account);
}

// alice lists five accounts; a new login with listVersion 0 gets a full
// sync of 5 records: page 1 (4 records) after ACS, page 2 only after ACR.
Outcome SyncPaging(Ctx& c) {
  sg::Registered a = sg::Register(c, "pa");
  if (a.failure) return *a.failure;
  std::vector<std::string> contacts;
  for (int i = 0; i < 5; ++i) {
    sg::Registered r = sg::Register(c, std::string(1, static_cast<char>('p' + i)));  // pp..pt
    if (r.failure) return *r.failure;
    contacts.push_back(r.account);
  }
  {
    SgClient s(c, "udp", "alice#1");
    if (auto bad = sg::Login(s, a.account)) return *bad;
    for (const std::string& who : contacts) {
      if (auto bad = Expect(s.Await(s.Request("RCE", {"add", who})), "ACE", 0, 1, "SG-CONT-2")) return *bad;
    }
    if (auto bad = Expect(s.Await(s.Request("RLO", {})), "ALO", 0, 0, "SG-LOGIN-11")) return *bad;
  }
  SgClient s(c, "udp", "alice#2");
  s.hold = {"RCR"};
  if (auto bad = sg::Login(s, a.account)) return *bad;
  if (!s.Pump(c.io_timeout_ms(), [&] { return !s.Got("RCR").empty(); })) {
    return Failed("RCS full 5, then RCR page 1", ShowAll(s.log), "SG-SYNC-5: page 1 after ACS 0");
  }
  const auto rcs = s.Got("RCS");
  if (rcs.empty() || rcs[0].params.size() != 3 || rcs[0].params[1] != "full" || rcs[0].params[2] != "5") {
    return Failed("RCS v full 5", ShowAll(s.log), "SG-SYNC-2: listVersion 0 is a full sync of 5 records");
  }
  s.Pump(400);  // page 2 must not come before ACR of page 1
  auto pages = s.Got("RCR");
  const wire::Command p1 = pages[0];
  if (pages.size() != 1) return Failed("only page 1 before ACR", ShowAll(pages), "SG-SYNC-5: stop-and-wait");
  if (p1.params.size() != 3 + 4 * 7 || p1.params[1] != "1" || p1.params[2] != "2") {
    return Failed("RCR v 1 2 + 4 records", Show(p1), "LIM-15: full pages carry exactly 4 records");
  }
  s.Answer(p1, 0);
  if (!s.Pump(c.io_timeout_ms(), [&] { return s.Got("RCR").size() >= 2; })) {
    return Failed("RCR page 2 after ACR 1", ShowAll(s.log), "SG-SYNC-5");
  }
  const wire::Command p2 = s.Got("RCR")[1];
  if (p2.params.size() != 3 + 7 || p2.params[1] != "2") return Failed("RCR v 2 2 + 1 record", Show(p2), "LIM-15");
  std::vector<std::string> order;
  for (const wire::Command* p : {&p1, &p2}) {
    for (std::size_t i = 3; i + 7 <= p->params.size(); i += 7) order.push_back(p->params[i + 1]);
  }
  std::vector<std::string> sorted = contacts;
  std::sort(sorted.begin(), sorted.end());
  if (order != sorted) return Failed("records in ascending account order", ShowAll(s.Got("RCR")), "SG-SYNC-3");
  s.Answer(p2, 0);
  if (auto bad = Expect(s.Await(s.Request("RPS", {"0", "Conf", "", ""})), "APS", 0, 4, "SG-SYNC-7")) return *bad;
  return Ok("RCS full 5; RCR 1/2 (4 records); RCR 2/2 after ACR", "paged as required");
}

Outcome Presence(Ctx& c) {
  sg::Registered a = sg::Register(c, "wa");
  if (a.failure) return *a.failure;
  sg::Registered b = sg::Register(c, "wb");
  if (b.failure) return *b.failure;
  SgClient sa(c, "udp", "alice");
  if (auto bad = sg::Login(sa, a.account)) return *bad;
  if (auto bad = Expect(sa.Await(sa.Request("RCE", {"add", b.account})), "ACE", 0, 1, "SG-CONT-2")) return *bad;
  SgClient sb(c, "udp", "bob");
  if (auto bad = sg::Login(sb, b.account, 3)) return *bad;
  auto seen = [&] {
    for (const wire::Command& n : sa.Got("RNP")) {
      if (n.params.size() == 3 && n.params[0] == b.account && n.params[1] == "online" && n.params[2] == "3") return true;
    }
    return false;
  };
  if (!sa.Pump(c.io_timeout_ms(), seen)) {
    return Failed("RNP " + b.account + " online 3", ShowAll(sa.Got("RNP")), "SG-PRES-3: a watcher learns the new presence");
  }
  return Ok("RNP to the watcher", "RNP " + b.account + " online 3");
}

Outcome Chat(Ctx& c) {
  Pair p = sg::MakePair(c);
  if (p.failure) return *p.failure;
  const std::string text = "hi bob 100% \t ";  // escaping, tab, trailing spaces
  if (auto bad = Expect(p.a->Await(p.a->Request("RSM", {p.call, text})), "ASM", 0, 0, "SG-CHAT-7")) return *bad;
  auto got = [&] {
    for (const wire::Command& m : p.b->Got("RRM")) {
      if (m.params.size() == 3 && m.params[0] == p.call && m.params[1] == p.a_account) return true;
    }
    return false;
  };
  if (!p.b->Pump(c.io_timeout_ms(), got)) return Failed("RRM " + p.call + " " + p.a_account + " <text>", ShowAll(p.b->log), "SG-CHAT-7");
  const std::string relayed = p.b->Got("RRM")[0].params[2];
  if (relayed != text) {
    return Failed(reports::Printable(text), reports::Printable(relayed), "SG-CHAT-10: text relayed byte-exactly");
  }
  if (!p.a->Got("RRM").empty()) return Failed("no RRM to the sender", ShowAll(p.a->Got("RRM")), "SG-CHAT-7");
  return Ok("ASM 0; RRM to bob with the exact text", "RRM " + p.call);
}

Outcome ChatTextLimit(Ctx& c) {
  Pair p = sg::MakePair(c);
  if (p.failure) return *p.failure;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSM", {p.call, std::string(1001, 'x')})), "ASM", 402, 0, "LIM-5")) {
    return *bad;
  }
  if (auto bad = Expect(p.a->Await(p.a->Request("RSM", {p.call, ""})), "ASM", 103, 0, "SG-CHAT-12")) return *bad;
  return Ok("ASM 402 for 1001 bytes, 103 for empty text", "as required");
}

}  // namespace

void AddSgOfflineCases(std::vector<CaseDef>& out);
void AddSgTransferCases(std::vector<CaseDef>& out);

void AddSgCases(std::vector<CaseDef>& out) {
  Add(out, "sg.login.ok", "RAT, RSII, empty sync, RPS (escaped nickname), RLO over UDP",
      {"SG-LOGIN-2", "SG-LOGIN-4", "SG-SYNC-2", "SG-PROF-2", "SG-LOGIN-11", "AMP-1", "WIRE-6"}, LoginOk);
  Add(out, "sg.login.auth_failed", "A wrong password and an unknown account are both 201", {"SG-LOGIN-1"}, [](Ctx& c) {
    sg::Registered r = sg::Register(c, "bp");
    if (r.failure) return *r.failure;
    SgClient a(c, "udp", "alice");
    if (auto bad = Expect(a.Await(a.Request("RAT", {r.account, "wrong-password", "d", "1.0.0", "1"})), "AAT", 201, 0,
                          "SG-LOGIN-1")) {
      return *bad;
    }
    if (auto bad = Expect(a.Await(a.Request("RAT", {"nobody-" + r.account, sg::kPassword, "d", "1.0.0", "1"})), "AAT",
                          201, 0, "SG-LOGIN-1")) {
      return *bad;
    }
    return Ok("AAT 201, AAT 201", "AAT 201, AAT 201");
  });
  Add(out, "sg.login.privacy", "RAT with privacy 0 is 103", {"SG-LOGIN-3", "PRIV-4"}, [](Ctx& c) {
    SgClient a(c, "udp", "alice");
    if (auto bad = Expect(a.Await(a.Request("RAT", {"nobody@example.com", sg::kPassword, "d", "1.0.0", "0"})), "AAT",
                          103, 0, "SG-LOGIN-3")) {
      return *bad;
    }
    return Ok("AAT 103", "AAT 103");
  });
  Add(out, "sg.state.connected", "Commands before login are 200; RPOL is answered in every state",
      {"SG-SESS-2", "SG-LOGIN-10", "SG-SESS-1"}, [](Ctx& c) {
        SgClient a(c, "udp", "alice");
        if (auto bad = Expect(a.Await(a.Request("RSM", {"1", "hi"})), "ASM", 200, 0, "SG-SESS-2")) return *bad;
        a.SendRaw(Padded("RPOL 51\r\n"));
        if (auto bad = Expect(a.Await(51), "APOL", 0, 1, "SG-LOGIN-10")) return *bad;
        return Ok("ASM 200, APOL 0", "ASM 200, APOL 0");
      });
  Add(out, "sg.rsii.bad_token", "RSII with a token other than the AAT's is 202", {"SG-SESS-3", "SG-LOGIN-4"},
      [](Ctx& c) {
        sg::Registered r = sg::Register(c, "tk");
        if (r.failure) return *r.failure;
        SgClient a(c, "udp", "alice");
        if (auto bad = Expect(a.Await(a.Request("RAT", {r.account, sg::kPassword, "d", "1.0.0", "1"})), "AAT", 0, 1,
                              "SG-LOGIN-2")) {
          return *bad;
        }
        if (auto bad = Expect(a.Await(a.Request("RSII", {"0123456789abcdef0123456789abcdef", "online", "7", "0"})),
                              "ASII", 202, 0, "RSII 202")) {
          return *bad;
        }
        return Ok("ASII 202", "ASII 202");
      });
  Add(out, "sg.sync.paging", "RCR pages of 4 records, page k+1 only after ACR k",
      {"SG-SYNC-5", "LIM-15", "SG-SYNC-3", "SG-SYNC-7"}, SyncPaging);
  Add(out, "sg.presence.rnp", "A watcher gets RNP when a listed contact comes online", {"SG-PRES-3", "SG-PRES-2"},
      Presence);
  Add(out, "sg.chat.rsm", "RSI establishes a call; RSM is relayed byte-exactly to the other member",
      {"SG-CHAT-1", "SG-CHAT-7", "SG-CHAT-10", "WIRE-6"}, Chat);
  Add(out, "sg.chat.text_limit", "RSM over 1000 bytes is 402, empty text 103", {"LIM-5", "SG-CHAT-12"}, ChatTextLimit);
  Add(out, "sg.nudge.refused", "RSN and RRN from a client are answered 310", {"SG-NUDGE-4", "WIRE-21"}, [](Ctx& c) {
    SgClient a(c, "udp", "alice");
    a.SendRaw(Padded("RSN 61 1\r\n"));
    if (auto bad = Expect(a.Await(61), "ASN", 310, 0, "SG-NUDGE-4")) return *bad;
    a.SendRaw(Padded("RRN 62 1 x@example.com\r\n"));
    if (auto bad = Expect(a.Await(62), "ARN", 310, 0, "SG-NUDGE-4")) return *bad;
    return Ok("ASN 310, ARN 310", "ASN 310, ARN 310");
  });
  AddSgOfflineCases(out);
  AddSgTransferCases(out);
}

}  // namespace mcpsim::conformance
