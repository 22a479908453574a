// SG over the TCP binding (§6.6): login on one connection, several commands
// per segment, lines split across segments, decode errors close the
// connection, and chat between a TCP and a UDP session.

#include <string>

#include "conformance/catalog_sg.h"

namespace mcpsim::conformance {
namespace {

using sg::Check;
using sg::SgClient;
using sg::ShowOne;

void Add(std::vector<CaseDef>& out, std::string id, std::string title, std::vector<std::string> clauses,
         std::string transport, std::function<Outcome(Ctx&)> run) {
  out.push_back({std::move(id), std::move(title), "TCP", std::move(clauses), true, std::move(transport), std::move(run)});
}

// The answers (A-words with a status) in `c.log`, in order.
std::vector<Want> WantApol(std::initializer_list<std::uint32_t> trids) {
  std::vector<Want> w;
  for (std::uint32_t t : trids) w.push_back({"APOL", t, 0, 1});
  return w;
}

Outcome ExpectLog(SgClient& s, Ctx& c, const std::vector<Want>& want, const std::string& clause) {
  s.Pump(c.io_timeout_ms(), [&] { return s.log.size() >= want.size(); });
  s.Pump(50);
  std::string expected;
  for (const Want& w : want) expected += (expected.empty() ? "" : " | ") + w.Show();
  if (!s.decode_errors.empty()) return Failed(expected, ShowAll(s.log), "undecodable bytes (" + s.decode_errors[0] + ")");
  if (auto why = Match(s.log, want)) return Failed(expected, ShowAll(s.log), *why + " (" + clause + ")");
  return Ok(expected, ShowAll(s.log));
}

Outcome TcpLogin(Ctx& c) {
  sg::Registered r = sg::Register(c, "tl");
  if (r.failure) return *r.failure;
  SgClient a(c, "tcp", "alice");
  if (auto bad = sg::Login(a, r.account)) return *bad;
  const wire::Command* alo = a.Await(a.Request("RLO", {}));
  if (auto why = Check(alo, "ALO", 0, 0)) return Failed("ALO 0", ShowOne(alo), *why + " (SG-LOGIN-11)");
  if (!a.Pump(c.io_timeout_ms(), [&] { return a.closed(); })) {
    return Failed("connection closed after ALO", "still open", "TCP-6: SG closes the connection of a closed session");
  }
  return Ok("login, ALO, close", "login, ALO, close");
}

Outcome TcpMulti(Ctx& c) {
  SgClient s(c, "tcp", "tcp");
  if (!s.ok()) return Failed("a TCP connection", s.error(), "harness");
  s.SendRaw("RPOL 11\r\nRPOL 12\r\nRPOL 13\r\n");
  return ExpectLog(s, c, WantApol({11, 12, 13}), "TCP-1: every command of a segment, in order");
}

Outcome TcpSplit(Ctx& c) {
  SgClient s(c, "tcp", "tcp");
  if (!s.ok()) return Failed("a TCP connection", s.error(), "harness");
  for (const char* part : {"RPO", "L 21\r", "\nRPOL 2", "2\r\n"}) {
    s.SendRaw(part);
    c.Sleep(30);  // separate segments
  }
  return ExpectLog(s, c, WantApol({21, 22}), "TCP-1: lines split across segments");
}

Outcome TcpDecodeError(Ctx& c) {
  SgClient s(c, "tcp", "tcp");
  if (!s.ok()) return Failed("a TCP connection", s.error(), "harness");
  s.SendRaw("RSM 31 1 50%zz\r\n");
  Outcome o = ExpectLog(s, c, {{"ASM", 31, 101, 0}}, "WIRE-22");
  if (o.verdict != reports::Verdict::kOk) return o;
  if (!s.Pump(c.io_timeout_ms(), [&] { return s.closed(); })) {
    return Failed("connection closed after the 101 answer", "still open", "TCP-3");
  }
  return Ok("ASM 31 101, then close", "ASM 31 101, then close");
}

Outcome TcpChat(Ctx& c) {
  sg::Pair p = sg::MakePair(c, "tcp", "udp");
  if (p.failure) return *p.failure;
  const wire::Command* asm_ = p.a->Await(p.a->Request("RSM", {p.call, "over tcp"}));
  if (auto why = Check(asm_, "ASM", 0, 0)) return Failed("ASM 0", ShowOne(asm_), *why + " (SG-CHAT-7)");
  auto got = [&] {
    for (const wire::Command& m : p.b->Got("RRM")) {
      if (m.params.size() == 3 && m.params[2] == "over tcp") return true;
    }
    return false;
  };
  if (!p.b->Pump(c.io_timeout_ms(), got)) return Failed("RRM over udp", ShowAll(p.b->log), "SG-CHAT-7 across bindings");
  return Ok("RRM delivered from a TCP to a UDP session", "RRM " + p.call);
}

}  // namespace

void AddSgTcpCases(std::vector<CaseDef>& out) {
  Add(out, "tcp.sg.login", "Login, sync, profile and logout on one TCP connection; closed after ALO",
      {"TCP-1", "TCP-2", "TCP-6", "SG-LOGIN-5"}, "tcp+http", TcpLogin);
  Add(out, "tcp.multi.segment", "Three commands in one TCP segment are answered in order", {"TCP-1", "WIRE-17"},
      "tcp", TcpMulti);
  Add(out, "tcp.split.lines", "Lines split across TCP segments are reassembled", {"TCP-1"}, "tcp", TcpSplit);
  Add(out, "tcp.decode.close", "A decode error is answered 101 and the connection is closed", {"TCP-3", "WIRE-22"},
      "tcp", TcpDecodeError);
  Add(out, "tcp.sg.chat", "Chat from a TCP session to a UDP session", {"TCP-2", "SG-CHAT-7", "ARCH-3"}, "tcp+udp+http",
      TcpChat);
}

}  // namespace mcpsim::conformance
