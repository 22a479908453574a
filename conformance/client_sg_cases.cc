// Client-conformance cases against the fake SG (client_fake_sg.h): the login
// sequence, answers to server-initiated requests, duplicate suppression of
// resent ones, chat-text escaping and logout. Every check reads only the
// client's datagrams as recorded by ClientServers.
#include <map>

#include "conformance/client_cases.h"

namespace mcpsim::conformance {
namespace {

// One SG command of the client, in order of arrival.
struct SgCmd {
  std::int64_t t_us;
  std::size_t datagram;  // index in obs.udp
  wire::Command cmd;
  std::string line;      // its wire form
};

std::vector<SgCmd> SgCommands(const ClientRun& r) {
  std::vector<SgCmd> out;
  for (std::size_t i = 0; i < r.obs.udp.size(); ++i) {
    for (wire::Command& c : Decode(r.obs.udp[i].bytes)) {
      if (IsCsWord(c.word)) continue;
      std::string line = Encode(c);
      out.push_back({r.obs.udp[i].t_us, i, std::move(c), std::move(line)});
    }
  }
  return out;
}

std::string Words(const std::vector<SgCmd>& cmds) {
  std::string s;
  for (const SgCmd& c : cmds) {
    if (!s.empty()) s += ' ';
    s += c.cmd.word;
  }
  return s.size() > 400 ? s.substr(0, 400) + " ..." : s;
}

// The client's answers (status present) to SG request `req`, by trid and A-word.
std::vector<const SgCmd*> AnswersTo(const std::vector<SgCmd>& cmds, const wire::Command& req) {
  std::vector<const SgCmd*> out;
  for (const SgCmd& c : cmds) {
    if (c.cmd.status && c.cmd.trid == req.trid && c.cmd.word == AWord(req.word)) out.push_back(&c);
  }
  return out;
}

Outcome NoLogin() { return Failed("RAT to the SG named in AQQW", "(no RAT)", "the client never logged in (did it run `login`?)"); }

Outcome LoginOrder(const ClientRun& r, const ClientTimers&) {
  const std::string want = "GET /mcp (DP), then RAT; RSII <token> after AAT; ACS 0; ACR 0 per page; RPS after the "
                           "last ACR; ... RLO";
  const auto cmds = SgCommands(r);
  const std::string got = Words(cmds);
  if (cmds.empty()) return NoLogin();
  if (cmds[0].cmd.word != "RAT") return Failed(want, got, "the first command to SG is not RAT (SG-LOGIN-5)");
  if (cmds[0].cmd.params.size() != 5 || cmds[0].cmd.params[0] != "alice@example.com" ||
      cmds[0].cmd.params[1] != "s3cret-pass" || cmds[0].cmd.params[4] != "1") {
    return Failed(want, Show(cmds[0].cmd), "RAT must carry account, password, deviceId, clientVersion, privacy 1 (§7.3)");
  }
  bool dp_first = false;
  for (const auto& x : r.obs.http) dp_first |= x.request.method == "GET" && x.t_us <= cmds[0].t_us;
  if (!dp_first) return Failed(want, got, "RAT sent before any DP query: the SG address comes from AQQW (ARCH-2)");
  // Index of the first command of each kind of interest.
  std::size_t rsii = cmds.size(), rps = cmds.size(), rlo = cmds.size();
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    const std::string& w = cmds[i].cmd.word;
    if (w == "RSII" && rsii == cmds.size()) rsii = i;
    if (w == "RPS" && rps == cmds.size()) rps = i;
    if (w == "RLO" && rlo == cmds.size()) rlo = i;
  }
  if (rsii == cmds.size()) return Failed(want, got, "no RSII after AAT 0 (SG-LOGIN-5)");
  const auto& p = cmds[rsii].cmd.params;
  if (p.size() != 4 || p[0] != r.obs.sg_token) {
    return Failed(want, Show(cmds[rsii].cmd), "RSII must carry the AAT token " + r.obs.sg_token + " (§7.3)");
  }
  if (p[1] == "offline") return Failed(want, Show(cmds[rsii].cmd), "RSII with presence offline (SG-PRES-1)");
  // The sync: RCS, then one RCR per page, each answered 0 before RPS.
  std::size_t last_sync_answer = 0;
  int pages = 0;
  for (const std::string& line : r.obs.sg_requests) {
    const auto req = Decode(line);
    if (req.empty() || (req[0].word != "RCS" && req[0].word != "RCR")) continue;
    pages += req[0].word == "RCR";
    const auto a = AnswersTo(cmds, req[0]);
    if (a.empty()) return Failed(want, got, req[0].word + " " + std::to_string(req[0].trid) + " unanswered (SG-LOGIN-5, TRID-8)");
    if (*a[0]->cmd.status != 0) return Failed(want, a[0]->line, "a valid sync page answered non-zero (SG-SYNC-6)");
    last_sync_answer = static_cast<std::size_t>(a[0] - cmds.data());
  }
  if (pages < (kSgContacts + 3) / 4) return Failed(want, got, "the sync did not reach its last page (SG-SYNC-5)");
  if (rps == cmds.size()) return Failed(want, got, "no RPS after the initial sync completed (SG-LOGIN-5)");
  if (rps < last_sync_answer) return Failed(want, got, "RPS before the sync completed (SG-LOGIN-6, SG-LOGIN-12)");
  if (rlo == cmds.size()) return Failed(want, got, "the session did not end with RLO (SG-LOGIN-5)");
  return Ok(want, got);
}

// Every SG-initiated request answered exactly once per send, A-word, same trid, status 0.
Outcome AnswersServer(const ClientRun& r, const ClientTimers&) {
  const std::string want = "each RCS, RCR, RNP, RRI, RRM, RPN, RRN answered once: A-word, same trid, status 0";
  const auto cmds = SgCommands(r);
  if (cmds.empty()) return NoLogin();
  std::string got;
  int pushes = 0;
  for (const std::string& line : r.obs.sg_requests) {
    const auto req = Decode(line);
    if (req.empty()) continue;
    const auto a = AnswersTo(cmds, req[0]);
    const std::string what = req[0].word + " " + std::to_string(req[0].trid);
    if (a.empty()) return Failed(want, Words(cmds), what + " got no " + AWord(req[0].word) + " (TRID-8)");
    if (a.size() > 1) return Failed(want, Words(cmds), what + " answered " + std::to_string(a.size()) + " times, sent once");
    if (*a[0]->cmd.status != 0) return Failed(want, a[0]->line, what + " answered non-zero (§7.4-7.8: the MC answers 0)");
    if (!a[0]->cmd.params.empty()) return Failed(want, a[0]->line, "answers to SG requests carry no params");
    if (!got.empty()) got += ' ';
    got += Show(a[0]->cmd);
    pushes += req[0].word != "RCS" && req[0].word != "RCR";
  }
  if (pushes < 4) return Failed(want, got, "the session never reached the pushes after APS (no RPS?)");
  // An answer the client sent for a (trid, word) SG never requested.
  for (const SgCmd& c : cmds) {
    if (!c.cmd.status) continue;
    bool known = false;
    for (const std::string& line : r.obs.sg_requests) {
      const auto req = Decode(line);
      known |= !req.empty() && req[0].trid == c.cmd.trid && c.cmd.word == AWord(req[0].word);
    }
    if (!known) return Failed(want, c.line, "an answer with a trid or word SG never used (TRID-1, WIRE-19)");
  }
  return Ok(want, got);
}

Outcome DedupResent(const ClientRun& r, const ClientTimers&) {
  const std::string want = "each resent SG request answered again, byte-identical to its first answer";
  const auto cmds = SgCommands(r);
  if (cmds.empty()) return NoLogin();
  if (r.obs.sg_resent.size() < 4) {
    return Failed(want, std::to_string(r.obs.sg_resent.size()) + " resent", "the client answered too few SG requests to resend");
  }
  std::string got;
  for (const std::string& line : r.obs.sg_resent) {
    const auto req = Decode(line);
    if (req.empty()) continue;
    const auto a = AnswersTo(cmds, req[0]);
    const std::string what = req[0].word + " " + std::to_string(req[0].trid);
    if (a.size() < 2) return Failed(want, got, what + " resent, not answered again (TIMER-8: answer from the cache)");
    if (a.size() > 2) return Failed(want, got, what + " answered " + std::to_string(a.size()) + " times, sent twice");
    if (a[0]->line != a[1]->line) {
      return Failed(want, reports::Printable(a[0]->line + a[1]->line), what + ": the second answer differs (TIMER-5)");
    }
    if (!got.empty()) got += ", ";
    got += what;
  }
  return Ok(want, got + ": answered twice, identically");
}

constexpr const char* kChatText = "hi  there 50% %41 \xE4\xBD\xA0\xE5\xA5\xBD~+";

Outcome ChatEscape(const ClientRun& r, const ClientTimers&) {
  const std::string text = kChatText, want_raw = WireEscape(text);
  const std::string want = "RSM callId " + reports::Printable(want_raw);
  const auto cmds = SgCommands(r);
  if (cmds.empty()) return NoLogin();
  for (std::size_t i = 0; i < r.obs.udp.size(); ++i) {
    const std::string& d = r.obs.udp[i].bytes;
    for (std::size_t pos = 0; pos < d.size();) {
      const auto eol = d.find("\r\n", pos);
      const std::string line = d.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
      pos = eol == std::string::npos ? d.size() : eol + 2;
      if (line.rfind("RSM ", 0) != 0) continue;
      // RSM trid callId text: the text is everything after the third SP.
      std::size_t sp = 0;
      for (int k = 0; k < 3 && sp != std::string::npos; ++k) sp = line.find(' ', sp + (k ? 1 : 0));
      const std::string raw = sp == std::string::npos ? "" : line.substr(sp + 1);
      const auto c = Decode(line + "\r\n");
      if (c.empty() || c[0].params.size() != 2) return Failed(want, reports::Printable(line), "RSM does not have 2 params: a raw SP split the text (WIRE-6)");
      if (c[0].params[1] != text) return Failed(want, reports::Printable(raw), "the text decodes to " + reports::Printable(c[0].params[1]) + " (SG-CHAT-10)");
      if (raw != want_raw) return Failed(want, reports::Printable(raw), "encoders escape exactly % SP CR LF, uppercase hex (WIRE-6)");
      return Ok(want, reports::Printable(line));
    }
  }
  return Failed(want, Words(cmds), "no RSM sent (did the client run `send`?)");
}

Outcome Logout(const ClientRun& r, const ClientTimers&) {
  const std::string want = "RLO with no params; after it no new request to SG";
  const auto cmds = SgCommands(r);
  if (cmds.empty()) return NoLogin();
  std::size_t rlo = cmds.size();
  for (std::size_t i = 0; i < cmds.size() && rlo == cmds.size(); ++i) {
    if (cmds[i].cmd.word == "RLO" && !cmds[i].cmd.status) rlo = i;
  }
  const std::string got = Words(cmds);
  if (rlo == cmds.size()) return Failed(want, got, "`logout` sent no RLO (SG-LOGIN-5)");
  if (!cmds[rlo].cmd.params.empty()) return Failed(want, cmds[rlo].line, "RLO has no params (§7.3)");
  for (std::size_t i = rlo + 1; i < cmds.size(); ++i) {
    if (!cmds[i].cmd.status && cmds[i].line != cmds[rlo].line) {
      return Failed(want, got, cmds[i].cmd.word + " after RLO: the MC is logged out once it sent RLO (SG-LOGIN-11)");
    }
  }
  return Ok(want, got);
}

}  // namespace

void AddSgClientCases(std::vector<ClientCaseDef>& v) {
  auto add = [&](std::string id, std::string title, std::vector<std::string> clauses, std::vector<std::string> ops,
                 ClientPolicy p, std::function<Outcome(const ClientRun&, const ClientTimers&)> check) {
    v.push_back({std::move(id), std::move(title), "CLIENT-SG", std::move(clauses), true, std::move(ops), p, ShortBudget,
                 std::move(check), nullptr});
  };
  const std::string login = "login alice@example.com s3cret-pass";
  const std::vector<std::string> session{login, "sleep 200", "logout"};
  ClientPolicy plain;
  add("client.sg.login_order", "Login follows RAT, RSII, ACS, ACR per page, RPS after the sync, and ends with RLO",
      {"SG-LOGIN-5", "SG-LOGIN-6", "SG-LOGIN-12", "SG-SYNC-7", "ARCH-2"}, session, plain, LoginOrder);
  add("client.sg.answers_server", "Every SG-initiated request is answered once with its A-word and trid, status 0",
      {"TRID-8", "TRID-1", "WIRE-19", "SG-PRES-8"}, session, plain, AnswersServer);
  ClientPolicy resend;
  resend.sg.resend_answered = true;
  add("client.sg.dedup_resent", "A resent SG request is answered again from the answer cache, byte-identical",
      {"TIMER-8", "TIMER-5", "SG-OFF-6"}, session, resend, DedupResent);
  add("client.sg.escape_chat", "Chat text with spaces, % and UTF-8 is escaped exactly per WIRE-6",
      {"WIRE-6", "SG-CHAT-10"}, {login, std::string("send bob@example.com ") + kChatText, "logout"}, plain, ChatEscape);
  add("client.sg.logout", "logout sends RLO and nothing new after it", {"SG-LOGIN-11", "SG-LOGIN-5"}, session, plain,
      Logout);
}

}  // namespace mcpsim::conformance
