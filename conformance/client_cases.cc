// Client-conformance cases (see client_cases.h). Every check reads only what
// the client put on the wire, as recorded by ClientServers.
#include "conformance/client_cases.h"

#include <algorithm>
#include <map>
#include <set>

#include "reference/http/http1.h"

namespace mcpsim::conformance {
namespace {

using V = reports::Verdict;

// out += sep (unless out is empty) + item.
void Join(std::string& out, const char* sep, const std::string& item) {
  if (!out.empty()) out += sep;
  out += item;
}

std::string Ms(TimeUs us) { return std::to_string(us / 1000) + " ms"; }

// One request command the client sent to CS.
struct CsSend {
  std::int64_t t_us;
  std::string datagram;
  wire::Command cmd;
};

std::vector<CsSend> CsSends(const ClientRun& r, const std::string& word) {
  std::vector<CsSend> out;
  for (const auto& d : r.obs.udp) {
    for (wire::Command& c : Decode(d.bytes)) {
      if (c.word == word) out.push_back({d.t_us, d.bytes, std::move(c)});
    }
  }
  return out;
}

// Sends of the first request of `word` (same trid), in order.
std::vector<CsSend> FirstRequestSends(const ClientRun& r, const std::string& word) {
  std::vector<CsSend> all = CsSends(r, word), out;
  for (CsSend& s : all) {
    if (s.cmd.trid == all[0].cmd.trid) out.push_back(std::move(s));
  }
  return out;
}

// Checks the gaps between `sends` against the timers, starting at wait 0.
std::optional<std::string> CheckGaps(const std::vector<CsSend>& sends, const ClientTimers& tm) {
  for (std::size_t k = 1; k < sends.size(); ++k) {
    const TimeUs want = tm.Wait(static_cast<int>(k) - 1);
    const TimeUs got = sends[k].t_us - sends[k - 1].t_us;
    if (std::llabs(got - want) > tm.Tolerance(want)) {
      return "send " + std::to_string(k + 1) + " came " + Ms(got) + " after the previous one, expected " + Ms(want) +
             " +- " + Ms(tm.Tolerance(want)) + " (TIMER-1)";
    }
  }
  return std::nullopt;
}

std::string Times(const std::vector<CsSend>& sends) {
  std::string s;
  for (const CsSend& x : sends) Join(s, ", ", std::to_string((x.t_us - sends[0].t_us) / 1000));
  return "sends at t = " + s + " ms";
}

std::string Expected(const ClientTimers& tm, int sends) {
  std::string s;
  for (int k = 0; k < sends; ++k) Join(s, ", ", std::to_string(tm.SendAt(k) / 1000));
  return "sends at t = " + s + " ms";
}

Outcome NoRequest(const std::string& what) {
  return Failed(what, "(nothing)", "the client sent no " + what + " (did it run the operation?)");
}

Outcome ResendTiming(const ClientRun& r, const ClientTimers& tm) {
  const auto sends = FirstRequestSends(r, "RUP");
  const std::string want = Expected(tm, tm.resends + 1) + ", give-up at " + Ms(tm.GiveUp());
  if (sends.empty()) return NoRequest("RUP");
  const std::string got = Times(sends);
  for (const CsSend& s : sends) {
    if (s.datagram != sends[0].datagram) return Failed(want, got, "a resend differs from the original datagram (TIMER-4)");
  }
  if (auto why = CheckGaps(sends, tm)) return Failed(want, got, *why);
  if (static_cast<int>(sends.size()) < tm.resends + 1) {
    return Failed(want, got, "only " + std::to_string(sends.size() - 1) + " resends; the limit is " +
                                 std::to_string(tm.resends) + " (TIMER-2)");
  }
  if (static_cast<int>(sends.size()) > tm.resends + 1) {
    return Failed(want, got, "more than " + std::to_string(tm.resends) + " resends (TIMER-2/TIMER-3)");
  }
  // The silence after the last send must have been watched until the give-up.
  const TimeUs quiet_until = sends.back().t_us + tm.Wait(tm.resends) + tm.Tolerance(tm.Wait(tm.resends));
  if (r.observed_us < quiet_until && !r.exited) {
    return Failed(want, got, "the case budget ended before the give-up time (harness)");
  }
  return Ok(want, got + "; no send after the last resend");
}

Outcome ResendStops(const ClientRun& r, const ClientTimers& tm) {
  const auto sends = FirstRequestSends(r, "RUP");
  const std::string want = Expected(tm, 3) + ", answered on the 3rd send, then no more sends";
  if (sends.empty()) return NoRequest("RUP");
  const std::string got = Times(sends);
  if (auto why = CheckGaps(sends, tm)) return Failed(want, got, *why);
  if (sends.size() < 3) return Failed(want, got, "stopped resending an unanswered request (TIMER-2)");
  if (sends.size() > 3) return Failed(want, got, "resent a request after its answer arrived (TIMER-2, TRID-5)");
  return Ok(want, got);
}

Outcome MatchWord(const ClientRun& r, const ClientTimers& tm) {
  const auto sends = FirstRequestSends(r, "RUP");
  const std::string want = "the answers AAD t / AUP t+1 do not complete RUP t: one resend after " + Ms(tm.Wait(0)) +
                           ", answered, then no more sends";
  if (sends.empty()) return NoRequest("RUP");
  const std::string got = Times(sends);
  if (sends.size() < 2) return Failed(want, got, "an answer with the wrong word or trid completed the request (TRID-5)");
  if (auto why = CheckGaps(sends, tm)) return Failed(want, got, *why);
  if (sends.size() > 2) return Failed(want, got, "kept resending after the matching answer (TRID-5)");
  return Ok(want, got);
}

Outcome TridIncrement(const ClientRun& r, const ClientTimers&) {
  std::vector<std::uint32_t> trids;
  for (const CsSend& s : CsSends(r, "RUP")) {
    if (std::find(trids.begin(), trids.end(), s.cmd.trid) == trids.end()) trids.push_back(s.cmd.trid);
  }
  std::string got;
  for (std::uint32_t t : trids) Join(got, ", ", std::to_string(t));
  const std::string want = "3 RUP with trids t, t+1, t+2 (mod 2^32), t in 1..2147483647";
  if (trids.size() < 3) return Failed(want, got, "expected 3 distinct requests, saw " + std::to_string(trids.size()));
  for (std::size_t i = 1; i < trids.size(); ++i) {
    if (trids[i] != static_cast<std::uint32_t>(trids[i - 1] + 1)) {
      return Failed(want, got, "trid " + std::to_string(trids[i]) + " does not follow " + std::to_string(trids[i - 1]) +
                                   " (TRID-2)");
    }
  }
  if (trids[0] == 0 || trids[0] > 2147483647u) return Failed(want, got, "first trid outside 1..2147483647 (TRID-4)");
  return Ok(want, got);
}

constexpr const char* kEscapeData = "a b%20 50% \xC3\xA9~+";

Outcome Escaping(const ClientRun& r, const ClientTimers&) {
  const std::string data = kEscapeData;
  const std::string want_raw = WireEscape(data);
  const auto sends = CsSends(r, "RUP");
  if (sends.empty()) return NoRequest("RUP");
  const CsSend& s = sends[0];
  // Raw fields of the RUP line: RUP trid mid kind timestamp data.
  const std::string line = s.datagram.substr(0, s.datagram.find("\r\n"));
  std::vector<std::string> f;
  std::size_t pos = 0;
  for (int i = 0; i < 5 && pos != std::string::npos; ++i) {
    const auto sp = line.find(' ', pos);
    f.push_back(line.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos));
    pos = sp == std::string::npos ? sp : sp + 1;
  }
  const std::string raw = pos == std::string::npos ? "" : line.substr(pos);
  const std::string want = "data param on the wire: " + reports::Printable(want_raw);
  const std::string got = reports::Printable(raw);
  if (s.cmd.params.size() != 4) return Failed(want, Show(s.cmd), "RUP has 4 params; a raw SP split the data (WIRE-6)");
  if (s.cmd.params[3] != data) {
    return Failed(want, got, "the data decodes to " + reports::Printable(s.cmd.params[3]) + " (WIRE-6)");
  }
  if (raw != want_raw) return Failed(want, got, "encoders escape exactly % SP CR LF, with uppercase hex (WIRE-6)");
  return Ok(want, got);
}

Outcome Padding(const ClientRun& r, const ClientTimers&, std::size_t needed) {
  const auto sends = CsSends(r, "RAD");
  const std::string want = "RAD resent unchanged in a datagram of >= " + std::to_string(needed) + " bytes, padded with RPAD";
  if (sends.empty()) return NoRequest("RAD");
  if (sends[0].datagram.size() >= needed) {
    return Outcome{V::kInformational, want, std::to_string(sends[0].datagram.size()) + " bytes",
                   "the client pre-padded RAD beyond " + std::to_string(needed) + " bytes (AMP-4); no 405 was needed"};
  }
  std::string got = std::to_string(sends[0].datagram.size()) + " bytes -> 405";
  const CsSend* padded = nullptr;
  for (const CsSend& s : sends) {
    if (s.cmd.trid == sends[0].cmd.trid && s.datagram.size() >= needed) {
      padded = &s;
      break;
    }
  }
  if (!padded) return Failed(want, got, "no resend of RAD " + std::to_string(sends[0].cmd.trid) + " padded to needed (AMP-3)");
  got += "; resent in " + std::to_string(padded->datagram.size()) + " bytes";
  if (Encode(padded->cmd) != Encode(sends[0].cmd)) return Failed(want, got, "the resent RAD differs (AMP-3, TIMER-4)");
  if (padded->datagram.size() > 8192) return Failed(want, got, "padded datagram over 8192 bytes (LIM-3)");
  std::vector<std::string> errors;
  for (const wire::Command& c : Decode(padded->datagram, &errors)) {
    if (c.word != "RAD" && c.word != "RPAD") return Failed(want, got, "padding with " + c.word + ", not RPAD (AMP-3)");
  }
  if (!errors.empty()) return Failed(want, got, "undecodable padding (" + errors[0] + ")");
  std::size_t start = 0;
  while (start < padded->datagram.size()) {
    const auto eol = padded->datagram.find("\r\n", start);
    const std::size_t len = (eol == std::string::npos ? padded->datagram.size() : eol + 2) - start;
    if (len > 4096) return Failed(want, got, "a padding line of " + std::to_string(len) + " bytes (LIM-1)");
    start += len;
  }
  return Ok(want, got);
}

// (trid -> ABIN lines) from every POST body, in order; checks HTTP-3/HTTP-7 on the way.
std::optional<std::string> AbinAnswers(const ClientRun& r, std::map<std::uint32_t, std::vector<std::string>>& out) {
  bool first = true;
  for (const auto& x : r.obs.http) {
    if (x.request.method != "POST") continue;
    auto ct = x.request.headers.find("content-type");
    if (ct == x.request.headers.end() || ct->second.rfind("application/x-mcp", 0) != 0) {
      return "a POST without Content-Type: application/x-mcp (HTTP-3)";
    }
    if (!first) {
      auto sid = x.request.headers.find("sessionid");
      if (sid == x.request.headers.end() || sid->second != r.obs.rs_session) {
        return "a POST after AAP without SessionID: " + r.obs.rs_session + " (HTTP-7)";
      }
    }
    first = false;
    for (const wire::Command& c : Decode(x.request.body)) {
      if (c.word == "ABIN") out[c.trid].push_back(Encode(c));
    }
  }
  return std::nullopt;
}

Outcome AnswersRbin(const ClientRun& r, const ClientTimers&) {
  const std::string want = "every RBIN answered ABIN <same trid> 0 in a later POST carrying the SessionID";
  if (r.obs.rbin_sent.empty()) return Failed(want, "(no RBIN sent)", "the client sent no RAP (did it run `captcha`?)");
  std::map<std::uint32_t, std::vector<std::string>> abins;
  if (auto why = AbinAnswers(r, abins)) return Failed(want, "", *why);
  std::string got;
  for (const std::string& rbin : r.obs.rbin_sent) {
    const auto c = Decode(rbin);
    if (c.empty()) continue;
    auto it = abins.find(c[0].trid);
    if (it == abins.end()) {
      return Failed(want, std::to_string(abins.size()) + " ABIN", "RBIN " + std::to_string(c[0].trid) + " unanswered (RS-5, TRID-8)");
    }
    const auto a = Decode(it->second[0]);
    if (a.empty() || !a[0].status || *a[0].status != 0) {
      return Failed(want, it->second[0], "RBIN " + std::to_string(c[0].trid) + " answered with a non-zero status");
    }
    Join(got, " ", reports::Printable(it->second[0]));
  }
  return Ok(want, got);
}

Outcome DedupRbin(const ClientRun& r, const ClientTimers&) {
  const std::string want = "the resent RBIN answered again, byte-identical to the first ABIN (TIMER-8, TIMER-5)";
  if (r.obs.rbin_resent.empty()) return Failed(want, "(no resend)", "the client never answered the first RBIN (RS-5)");
  std::map<std::uint32_t, std::vector<std::string>> abins;
  if (auto why = AbinAnswers(r, abins)) return Failed(want, "", *why);
  const auto c = Decode(r.obs.rbin_resent);
  const auto& answers = abins[c.empty() ? 0 : c[0].trid];
  std::string got;
  for (const std::string& a : answers) Join(got, " | ", reports::Printable(a));
  if (answers.size() < 2) return Failed(want, got, "the resent RBIN got no answer (TIMER-8: answer it from the cache)");
  if (answers.size() > 2) return Failed(want, got, "answered more often than sent");
  if (answers[0] != answers[1]) return Failed(want, got, "the second answer differs from the first (TIMER-5)");
  return Ok(want, got);
}

bool Unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool Matches(const std::string& s, std::size_t lo, std::size_t hi, bool (*ok)(char)) {
  if (s.size() < lo || s.size() > hi) return false;
  return std::all_of(s.begin(), s.end(), ok);
}

bool VersionOk(const std::string& v) {
  std::size_t pos = 0;
  for (int part = 0; part < 3; ++part) {
    const std::size_t end = part < 2 ? v.find('.', pos) : v.size();
    if (end == std::string::npos) return false;
    const std::string n = v.substr(pos, end - pos);
    if (n.empty() || n.size() > 5 || (n.size() > 1 && n[0] == '0')) return false;
    if (!std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }) || std::stoul(n) > 65535) return false;
    pos = end + 1;
  }
  return true;
}

Outcome DpQuery(const ClientRun& r, const ClientTimers&) {
  const std::string want = "GET /mcp?q=<RQQW line, every byte outside A-Za-z0-9-._~ as %XX>, params valid per LIM-22";
  const ClientObserved::Exchange* dp = nullptr;
  for (const auto& x : r.obs.http) {
    if (x.request.method == "GET" && reference::http::TargetPath(x.request.target) == "/mcp") dp = dp ? dp : &x;
  }
  if (!dp) return NoRequest("DP query");
  const std::string target = dp->request.target;
  const std::string query = target.substr(target.find('?') == std::string::npos ? target.size() : target.find('?') + 1);
  const std::string got = reports::Printable(target);
  if (query.rfind("q=", 0) != 0 || query.find('&') != std::string::npos) {
    return Failed(want, got, "the query must be exactly one q parameter (HTTP-1)");
  }
  std::string line;
  const std::string enc = query.substr(2);
  for (std::size_t i = 0; i < enc.size(); ++i) {
    const char c = enc[i];
    if (c == '%' && i + 2 < enc.size() + 0 && std::isxdigit(static_cast<unsigned char>(enc[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(enc[i + 2]))) {
      line.push_back(static_cast<char>(std::stoi(enc.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (Unreserved(c)) {
      line.push_back(c);
    } else {
      return Failed(want, got, std::string("byte '") + c + "' not percent-encoded (HTTP-1; '+' is not a space)");
    }
  }
  const auto cmds = Decode(line);
  if (cmds.size() != 1 || cmds[0].word != "RQQW" || cmds[0].params.size() != 3) {
    return Failed(want, reports::Printable(line), "q must hold one RQQW line with 3 params (HTTP-1, §7.1)");
  }
  const auto& p = cmds[0].params;
  if (!VersionOk(p[0])) return Failed(want, Show(cmds[0]), "clientVersion is not MAJOR.MINOR.PATCH (LIM-22)");
  if (!Matches(p[1], 1, 32, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; })) {
    return Failed(want, Show(cmds[0]), "platform is not a [a-z0-9_-]{1,32} token (LIM-22)");
  }
  if (!Matches(p[2], 1, 64, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; })) {
    return Failed(want, Show(cmds[0]), "deviceId is not 1..64 bytes of [A-Za-z0-9_-] (LIM-22)");
  }
  return Ok(want, Show(cmds[0]));
}

// First CS trid of every launch that sent one.
std::vector<std::uint32_t> FirstTrids(const std::vector<const ClientRun*>& runs) {
  std::vector<std::uint32_t> out;
  for (const ClientRun* r : runs) {
    for (const auto& d : r->obs.udp) {
      const auto c = Decode(d.bytes);
      if (!c.empty() && c[0].word != "RPAD") {
        out.push_back(c[0].trid);
        break;
      }
    }
  }
  return out;
}

Outcome RandomStart(const std::vector<const ClientRun*>& runs) {
  const auto firsts = FirstTrids(runs);
  std::string got;
  for (std::uint32_t t : firsts) Join(got, ", ", std::to_string(t));
  const std::string want = "first trid of each client process in 1..2147483647, not the same every time";
  if (firsts.size() < 3) return Outcome{V::kInformational, want, got, "fewer than 3 client processes sent to CS"};
  for (std::uint32_t t : firsts) {
    if (t == 0 || t > 2147483647u) return Failed(want, got, "first trid " + std::to_string(t) + " out of range (TRID-4)");
  }
  if (std::set<std::uint32_t>(firsts.begin(), firsts.end()).size() == 1) {
    return Failed(want, got, "every process started with the same trid: not drawn at random (TRID-4)");
  }
  return Ok(want, got);
}

Outcome Wrap(const std::vector<const ClientRun*>& runs) {
  const std::string want = "4294967295 followed by 0";
  for (const ClientRun* r : runs) {
    std::vector<std::uint32_t> trids;
    for (const CsSend& s : CsSends(*r, "RUP")) {
      if (trids.empty() || trids.back() != s.cmd.trid) trids.push_back(s.cmd.trid);
    }
    for (std::size_t i = 1; i < trids.size(); ++i) {
      if (trids[i - 1] == 4294967295u) {
        if (trids[i] == 0) return Ok(want, "4294967295, 0");
        return Failed(want, "4294967295, " + std::to_string(trids[i]), "the counter did not wrap to 0 (TRID-3)");
      }
    }
  }
  return Outcome{V::kInformational, want, "no wrap observed",
                 "a client starts at a random trid <= 2147483647 (TRID-4), so a wrap needs > 2^31 requests and "
                 "cannot be forced from the wire; checked only when seen"};
}

Outcome WordsDefined(const std::vector<const ClientRun*>& runs) {
  static const std::set<std::string> cs{"RUP", "RAD", "RPAD"}, rs{"RAP", "REG", "ABIN"},
      sg{"RAT", "RSII", "RPS", "RPOL", "RLO", "RLI", "RCE", "RSI", "RSR", "RCM", "RSM", "RSB", "ROM", "ROI", "ROR", "ROC", "ROT", "RSV"};
  const std::string want = "only RUP/RAD/RPAD to CS, MC requests of §7.3-7.8 or answers to SG, RQQW to DP, "
                           "RAP/REG/ABIN to RS; never RSN or RRN";
  std::size_t n = 0;
  for (const ClientRun* r : runs) {
    for (const auto& d : r->obs.udp) {
      for (const wire::Command& c : Decode(d.bytes)) {
        ++n;
        if (c.word == "RSN" || c.word == "RRN") return Failed(want, Show(c), "the client sent a nudge (SG-NUDGE-3)");
        if (!cs.count(c.word) && !sg.count(c.word) && !c.status) return Failed(want, Show(c), c.word + " sent over UDP");
      }
    }
    for (const auto& x : r->obs.http) {
      const auto q = reference::http::QueryParam(x.request.target, "q");
      for (const wire::Command& c : Decode(x.request.method == "GET" ? q.value_or("") : x.request.body)) {
        ++n;
        if (c.word == "RSN" || c.word == "RRN") return Failed(want, Show(c), "the client sent a nudge (SG-NUDGE-3)");
        if (x.request.method == "GET" ? c.word != "RQQW" : !rs.count(c.word)) return Failed(want, Show(c), c.word + " sent over HTTP");
      }
    }
  }
  return Ok(want, std::to_string(n) + " commands, none a nudge");
}

TimeUs Short(const ClientTimers& tm) { return ShortBudget(tm); }
TimeUs Resending(const ClientTimers& tm) { return 4 * kSeconds + tm.GiveUp() + std::max<TimeUs>(kSeconds, tm.Wait(0)); }

}  // namespace

TimeUs ShortBudget(const ClientTimers& tm) { return 4 * kSeconds + 2 * tm.Wait(0); }

std::string WireEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%') out += "%25";
    else if (c == ' ') out += "%20";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else out.push_back(c);
  }
  return out;
}

const std::vector<ClientCaseDef>& ClientCatalog() {
  static const std::vector<ClientCaseDef> cases = [] {
    std::vector<ClientCaseDef> v;
    auto add = [&](std::string id, std::string title, std::string group, std::vector<std::string> clauses,
                   std::vector<std::string> ops, ClientPolicy p, std::function<TimeUs(const ClientTimers&)> budget,
                   std::function<Outcome(const ClientRun&, const ClientTimers&)> check) {
      v.push_back({std::move(id), std::move(title), std::move(group), std::move(clauses), true, std::move(ops), p,
                   std::move(budget), std::move(check), nullptr});
    };
    ClientPolicy plain;
    add("client.dp.query", "The DP query is one strictly percent-encoded RQQW with valid params", "CLIENT-DP",
        {"HTTP-1", "LIM-22"}, {"dispatch"}, plain, Short, DpQuery);
    add("client.trid.increment", "Each new request takes the next trid", "CLIENT-TRID", {"TRID-2", "TRID-4"},
        {"upload trid a", "upload trid b", "upload trid c"}, plain, Short, TridIncrement);
    ClientPolicy silent;
    silent.cs_silent_sends = -1;
    add("client.udp.resend_timing", "An unanswered request is resent on the TIMER-1 schedule, 5 times, then given up",
        "CLIENT-TIMER", {"TIMER-1", "TIMER-2", "TIMER-3", "TIMER-4"}, {"upload resend never-answered"}, silent, Resending,
        ResendTiming);
    ClientPolicy late;
    late.cs_silent_sends = 2;
    add("client.udp.resend_stops", "Resending stops when the answer arrives", "CLIENT-TIMER", {"TIMER-2", "TRID-6"},
        {"upload resend answered-late"}, late, Resending, ResendStops);
    ClientPolicy wrong;
    wrong.cs_wrong_answers_first = true;
    add("client.trid.match_word", "An answer with the wrong word or trid does not complete a request", "CLIENT-TRID",
        {"TRID-5", "TRID-6"}, {"upload match wrong-answers"}, wrong, Resending, MatchWord);
    add("client.escape.params", "Params are escaped exactly per WIRE-6", "CLIENT-WIRE", {"WIRE-6", "WIRE-2"},
        {std::string("upload escape ") + kEscapeData}, plain, Short, Escaping);
    ClientPolicy amp;
    amp.rad_needed = 1500;
    add("client.amp.pad_on_405", "After 405 needed the request is resent unchanged, padded with RPAD", "CLIENT-AMP",
        {"AMP-3", "UDP-6", "LIM-1", "LIM-3"}, {"ad top"}, amp, Resending,
        [](const ClientRun& r, const ClientTimers& tm) { return Padding(r, tm, 1500); });
    add("client.rs.answers_rbin", "Every server-initiated RBIN is answered ABIN with its trid, in the session",
        "CLIENT-RS", {"RS-5", "TRID-8", "HTTP-7", "HTTP-3", "HTTP-8"}, {"captcha"}, plain, Short, AnswersRbin);
    ClientPolicy dup;
    dup.rs_resend_rbin = true;
    add("client.rs.dedup_rbin", "A resent server request is answered again with the cached answer", "CLIENT-RS",
        {"TIMER-8", "TIMER-5"}, {"captcha"}, dup, Short, DedupRbin);
    auto summary = [&](std::string id, std::string title, std::string group, std::vector<std::string> clauses,
                       std::function<Outcome(const std::vector<const ClientRun*>&)> f) {
      ClientCaseDef d;
      d.id = std::move(id);
      d.title = std::move(title);
      d.group = std::move(group);
      d.clauses = std::move(clauses);
      d.summary = std::move(f);
      v.push_back(std::move(d));
    };
    AddSgClientCases(v);
    summary("client.trid.random_start", "Each client process starts its trids at a random value", "CLIENT-TRID",
            {"TRID-4"}, RandomStart);
    summary("client.trid.wrap", "After 4294967295 the trid counter wraps to 0 (when observed)", "CLIENT-TRID",
            {"TRID-3"}, Wrap);
    summary("client.words.no_nudge", "The client sends only its defined requests, never a nudge", "CLIENT-WIRE",
            {"SG-NUDGE-3"}, WordsDefined);
    return v;
  }();
  return cases;
}

}  // namespace mcpsim::conformance
