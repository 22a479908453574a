// Coverage cases (issue 14, part 3): server-side MUST clauses that no case
// cited, each judged from the wire and each with a mutant that fails it
// (mutants_clauses.cc): payload framing and the decoder's check order
// (PAY-1..3, LIM-4, WIRE-11, WIRE-12), whole-datagram dispatch on a UDP port
// shared by CS and SG (ARCH-6), the SG session's binding to its UDP endpoint
// (UDP-3), the server's resends of its own requests (TIMER-1, TIMER-2,
// TIMER-4, TIMER-8), a new captcha per RAP (RS-2), 431 for a large request
// head (HTTP-15) and chunked objects (PAY-6, PAY-7, PAY-9, LIM-9).
#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>

#include "conformance/catalog_sg.h"

namespace mcpsim::conformance {
namespace {

using sg::Expect;
using sg::ShowOne;

constexpr const char* kMid = "58d05d6affef8ab9dd5a8be7afdf1c83";  // MID-1 test vector

std::string Rup(std::uint32_t trid) {
  return "RUP " + std::to_string(trid) + " " + kMid + " launch 1700000000000 x\r\n";
}
// `bytes` followed by one RPAD line so that the datagram has at least `size`
// bytes: AMP-1 then leaves room for the answers (RPAD is never answered, and
// a datagram that fails to decode is answered only for the failing command,
// WIRE-16).
std::string Pad(std::string bytes, std::size_t size) {
  const std::string head = "RPAD 9 ";
  if (bytes.size() + head.size() + 3 < size) bytes += head + std::string(size - bytes.size() - head.size() - 2, '0') + "\r\n";
  return bytes;
}

struct Step {
  std::string datagram;
  std::vector<Want> want;
  const char* why;
  std::string probe = "";  // a second datagram whose answer ends the wait (after a silent first)
};

// Each step on the case's UDP endpoint: the answers must be exactly `want`.
Outcome Steps(Ctx& c, const std::vector<Step>& steps, const std::string& summary) {
  std::string seen;
  for (const Step& s : steps) {
    if (Status st = c.UdpSend(s.datagram); !st.ok()) c.Note("send failed: " + st.message());
    if (!s.probe.empty()) (void)c.UdpSend(s.probe);
    std::vector<wire::Command> got;
    std::vector<std::string> errors;
    for (const std::string& d : c.UdpRecv(c.io_timeout_ms())) {
      for (wire::Command& k : Decode(d, &errors)) got.push_back(std::move(k));
    }
    std::string expected;
    for (const Want& w : s.want) expected += (expected.empty() ? "" : " | ") + w.Show();
    if (expected.empty()) expected = "(no answer)";
    if (!errors.empty()) return Failed(expected, ShowAll(got), "undecodable answer bytes (" + errors[0] + ")");
    if (auto why = Match(got, s.want)) {
      return Failed(expected, ShowAll(got), *why + " — " + s.why + "; sent " + reports::Printable(s.datagram.substr(0, 120)));
    }
    seen += (seen.empty() ? "" : "; ") + (got.empty() ? std::string("(silence)") : ShowAll(got));
  }
  return Ok(summary, seen);
}

// PAY-1..3, LIM-4 and the decoder's order (WIRE-12, WIRE-11). RBIN is a
// payload word whatever role receives it, so every step is decided by the
// codec (WIRE-22's statuses) except the first, whose statuses are the role's.
Outcome PayloadFraming(Ctx& c) {
  // Step 1 (PAY-1): exactly 3 raw bytes follow the CRLF, then the next command
  // starts at once. Both are answered (any status: the datagram goes to SG by
  // its first word, ARCH-6, where RBIN is a server-only word and RUP unknown).
  const std::string first = "RBIN 5 3\r\nA\rB" + Rup(6);
  if (Status st = c.UdpSend(first); !st.ok()) c.Note("send failed: " + st.message());
  std::vector<wire::Command> got;
  std::vector<std::string> errors;
  for (const std::string& d : c.UdpRecv(c.io_timeout_ms())) {
    for (wire::Command& k : Decode(d, &errors)) got.push_back(std::move(k));
  }
  const bool framed = errors.empty() && got.size() == 2 && got[0].word == "ABIN" && got[0].trid == 5 && got[0].status &&
                      got[1].word == "AUP" && got[1].trid == 6 && got[1].status;
  if (!framed) {
    return Failed("ABIN 5 <status> | AUP 6 <status>", ShowAll(got),
                  "PAY-1: the 3 payload bytes (`A CR B`) are raw and the next command follows them at once; sent " +
                      reports::Printable(first));
  }
  const std::string big(1025, 'x');
  const std::vector<Step> steps = {
      {Pad("RBIN 7 abc\r\n", 64), {{"ABIN", 7, 104, 0}}, "PAY-2: a length that is not a decimal is 104"},
      {Pad("RBIN 8\r\n", 64), {{"ABIN", 8, 104, 0}}, "PAY-2: a payload word without its length param is 104"},
      {"RBIN 9 1025\r\n" + big, {{"ABIN", 9, 104, 0}}, "LIM-4: a payload above 1024 bytes on UDP is 104"},
      {"RBIN 10 10\r\nabc", {{"ABIN", 10, 101, 0}}, "PAY-3: a payload cut by the end of the datagram is WIRE-10, 101"},
      {Pad("RBIN 11 a%zz 1025\r\n", 64), {{"ABIN", 11, 101, 0}},
       "WIRE-12: the malformed escape (WIRE-7, 101) comes before the payload length (LIM-4, 104)"},
      {[] {
         std::string l = "RUP 12";
         for (int i = 0; i < 33; ++i) l += " a%zz";
         return l + "\r\n";
       }(),
       {{"AUP", 12, 105, 0}}, "WIRE-12: the 33rd param (LIM-2, 105) comes before the params' escapes (WIRE-7, 101)"},
      {"RUP\r\n" + Rup(13), {{"AUP", 4242, 0, 0}}, "WIRE-11: a missing trid is WIRE-4 (trid not decoded: no answer, "
       "WIRE-22); only the next datagram's RUP 4242 is answered", Rup(4242)},
  };
  Outcome o = Steps(c, steps, "framing: ABIN 5, AUP 6; 104, 104, 104, 101, 101, 105, silence");
  if (o.verdict == reports::Verdict::kOk) o.actual = ShowAll(got) + "; " + o.actual;
  return o;
}

// ARCH-6: a datagram goes to CS or SG as a whole, by the word of its first
// command; the other role's words in it are unknown there (100, WIRE-21).
Outcome DispatchWhole(Ctx& c) {
  const std::vector<Step> steps = {
      {Rup(41) + "RPOL 42\r\n", {{"AUP", 41, 0, 0}, {"APOL", 42, 100, 0}},
       "ARCH-6: a datagram starting with RUP goes to CS whole; CS answers the SG word RPOL 100"},
      {"RPOL 43\r\n" + Rup(44), {{"APOL", 43, 0, std::nullopt}, {"AUP", 44, 100, 0}},
       "ARCH-6: a datagram starting with RPOL goes to SG whole (RPOL allowed in every state, SG-SESS-2); SG "
       "answers RUP 100"},
  };
  return Steps(c, steps, "AUP 41 0 | APOL 42 100; APOL 43 0 | AUP 44 100");
}

// UDP-3: the session lives at the endpoint of its RAT. A command from another
// endpoint of the same host belongs to a CONNECTED session there (200,
// SG-SESS-2), and the server's requests keep going to the RAT's endpoint.
Outcome BoundEndpoint(Ctx& c) {
  sg::Pair p = sg::MakePair(c);
  if (p.failure) return *p.failure;
  auto e2 = c.Open("udp", "alice#2");
  if (!e2.ok()) return Failed("a second UDP endpoint", e2.status().message(), "harness");
  const std::string rce = "RCE 7 block " + p.b_account + "\r\n";
  (void)c.Send(*e2, rce);
  std::vector<wire::Command> got;
  for (const std::string& d : c.Recv(*e2, c.io_timeout_ms())) {
    for (wire::Command& k : Decode(d)) got.push_back(std::move(k));
  }
  if (auto why = Match(got, {{"ACE", 7, 200, 0}})) {
    return Failed("ACE 7 200", ShowAll(got),
                  *why + " (UDP-3, SG-SESS-2: alice's session is bound to her RAT's endpoint; from another endpoint "
                         "RCE is outside any session)");
  }
  const std::string text = "bound " + std::to_string(c.Fresh() % 100000);
  if (auto bad = Expect(p.b->Await(p.b->Request("RSM", {p.call, text})), "ASM", 0, 0, "SG-CHAT-7")) return *bad;
  auto rrm = [&] {
    for (const wire::Command& m : p.a->Got("RRM")) {
      if (m.params.size() == 3 && m.params[2] == text) return true;
    }
    return false;
  };
  if (!p.a->Pump(c.io_timeout_ms(), rrm)) {
    return Failed("RRM to alice's RAT endpoint", ShowAll(p.a->log), "UDP-3: server requests go to the session's endpoint");
  }
  std::vector<wire::Command> later;
  for (const std::string& d : c.Recv(*e2, c.quiet_ms())) {
    for (wire::Command& k : Decode(d)) later.push_back(std::move(k));
  }
  if (!later.empty()) return Failed("nothing more at the second endpoint", ShowAll(later), "UDP-3");
  return Ok("ACE 7 200 at the second endpoint; RRM at the RAT's endpoint", ShowAll(got) + "; RRM " + p.call);
}

// TIMER-1/2/4/8: SG resends an unanswered server request (an RRM held by
// bob) 1000 ms after the first send and 2000 ms after the second, byte for
// byte. Behind a fault proxy copies are lost and delayed: only the identity of
// the copies and that the request is resent are judged.
Outcome ServerResends(Ctx& c) {
  sg::Pair p = sg::MakePair(c);
  if (p.failure) return *p.failure;
  p.b->hold.insert("RRM");
  const std::string text = "resend " + std::to_string(c.Fresh() % 100000);
  const std::size_t from = c.wire().size();
  if (auto bad = Expect(p.a->Await(p.a->Request("RSM", {p.call, text})), "ASM", 0, 0, "SG-CHAT-7")) return *bad;
  std::optional<wire::Command> rrm;  // a copy: the log grows while the case waits
  auto got = [&] {
    for (const wire::Command& m : p.b->log) {
      if (m.word == "RRM" && m.params.size() == 3 && m.params[2] == text) {
        rrm = m;
        return true;
      }
    }
    return false;
  };
  if (!p.b->Pump(c.io_timeout_ms(), got)) return Failed("RRM to bob", ShowAll(p.b->log), "SG-CHAT-7");
  const std::string line = Encode(*rrm);
  const std::string head = "RRM " + std::to_string(rrm->trid) + " ";
  const bool proxy = c.target().resend_ms > 0;
  // The copies as they arrived (every datagram carrying this RRM's trid).
  std::vector<std::int64_t> at;
  std::string odd;
  auto scan = [&] {
    at.clear();
    for (std::size_t i = from; i < c.wire().size(); ++i) {
      const reports::WireEvent& e = c.wire()[i];
      if (e.dir != "recv") continue;
      for (std::size_t pos = e.bytes.find(head); pos != std::string::npos; pos = e.bytes.find(head, pos + 1)) {
        if (pos != 0 && e.bytes[pos - 1] != '\n') continue;
        if (e.bytes.compare(pos, line.size(), line) != 0 && odd.empty()) {
          odd = reports::Printable(e.bytes.substr(pos, std::min<std::size_t>(line.size() + 20, e.bytes.size() - pos)));
        }
        at.push_back(e.t_us / 1000);
      }
    }
    return at.size() >= 3 || !odd.empty();
  };
  // Three sends take 3000 ms (TIMER-1); behind a proxy Pump adds the slack of
  // five sends (16000 ms), and two copies that arrived suffice.
  p.b->Pump(3000 + c.io_timeout_ms(), scan);
  scan();
  p.b->Answer(*rrm, 0);
  // TRID-2: the next server request to bob's session carries the next trid.
  p.b->hold.erase("RRM");
  const std::string text2 = text + " again";
  std::optional<std::uint32_t> next_trid;
  if (auto bad = Expect(p.a->Await(p.a->Request("RSM", {p.call, text2})), "ASM", 0, 0, "SG-CHAT-7")) return *bad;
  auto got2 = [&] {
    for (const wire::Command& m : p.b->log) {
      if (m.word == "RRM" && m.params.size() == 3 && m.params[2] == text2) {
        next_trid = m.trid;
        return true;
      }
    }
    return false;
  };
  if (!p.b->Pump(c.io_timeout_ms(), got2)) return Failed("RRM to bob", ShowAll(p.b->log), "SG-CHAT-7");
  if (*next_trid != rrm->trid + 1) {
    return Failed("RRM " + std::to_string(rrm->trid + 1) + " (the next trid)", "RRM " + std::to_string(*next_trid),
                  "TRID-2: each new server request to a session takes the next trid");
  }
  if (!odd.empty()) return Failed(reports::Printable(line), odd, "TIMER-4: a resend is byte-identical to the first send");
  std::string times;
  for (std::int64_t t : at) times += (times.empty() ? "" : ", ") + std::to_string(t - at[0]) + " ms";
  if (at.size() < 2) return Failed("the RRM resent while bob does not answer", "one copy", "TIMER-2, TIMER-8");
  if (proxy) return Ok("identical copies of the held RRM", std::to_string(at.size()) + " copies at " + times);
  if (at.size() < 3) return Failed("3 copies within 3000 ms + the answer timeout", times, "TIMER-1, TIMER-2, TIMER-8");
  const std::int64_t g1 = at[1] - at[0], g2 = at[2] - at[1];
  if (g1 < 800 || g1 > 1600 || g2 < 1700 || g2 > 2800) {
    return Failed("copies at 0, 1000, 3000 ms (±300 ms)", times,
                  "TIMER-1: wait 1000 ms after the first send, then double the wait (TIMER-8: server requests too)");
  }
  return Ok("copies at 0, 1000, 3000 ms, byte-identical", times);
}

std::optional<wire::Command> OneAnswer(const Result<reference::HttpResponse>& r) {
  if (!r.ok() || r->status != 200) return std::nullopt;
  for (const wire::Command& k : Decode(r->body)) {
    if (k.status) return k;
  }
  return std::nullopt;
}

// RS-2 (and RS-1): a second RAP in the session creates a new captcha from the
// RS-wide counter and invalidates the first: a REG naming the first is 204
// (unknown), not 203 (wrong text).
Outcome NewCaptcha(Ctx& c) {
  auto rap = [&](std::uint32_t trid, const std::string& sid) {
    auto r = c.PostMcp("RAP " + std::to_string(trid) + " 1.0.0 conf-rap\r\n", sid);
    for (int tries = 0; tries < 10 && OneAnswer(r) && OneAnswer(r)->status == 403u && !c.Expired(); ++tries) {
      c.Sleep(300);  // RATE-6 (every case shares the runner's address)
      r = c.PostMcp("RAP " + std::to_string(trid) + " 1.0.0 conf-rap\r\n", sid);
    }
    return OneAnswer(r);
  };
  const auto a1 = rap(1, "");
  if (!a1 || a1->word != "AAP" || a1->status != 0u || a1->params.size() != 5) return Failed("AAP 1 0 +5", ShowOne(a1 ? &*a1 : nullptr), "RS-1");
  const auto a2 = rap(2, a1->params[0]);
  if (!a2 || a2->word != "AAP" || a2->status != 0u || a2->params.size() != 5) return Failed("AAP 2 0 +5", ShowOne(a2 ? &*a2 : nullptr), "RS-1");
  if (a2->params[0] != a1->params[0]) return Failed("AAP 2 0 " + a1->params[0] + " ...", Show(*a2), "RS-1: a RAP within a session reuses it");
  const auto id1 = std::strtoull(a1->params[1].c_str(), nullptr, 10), id2 = std::strtoull(a2->params[1].c_str(), nullptr, 10);
  if (id1 < 1 || id2 <= id1) {
    return Failed("captchaId " + a1->params[1] + " then a larger one", a1->params[1] + " then " + a2->params[1],
                  "RS-2: captchaIds come from an RS-wide counter starting at 1");
  }
  const std::string account = "rap" + std::to_string(c.Fresh() % 1000000000) + "@example.com";
  auto reg = c.PostMcp("REG 3 " + a1->params[1] + " ABCDE " + account + " " + sg::kPassword + " Conf\r\n", a1->params[0]);
  const auto aeg = OneAnswer(reg);
  if (!aeg || aeg->word != "AEG" || aeg->trid != 3 || aeg->status != 204u) {
    return Failed("AEG 3 204", ShowOne(aeg ? &*aeg : nullptr), "RS-2: the second RAP invalidated the session's first captcha");
  }
  return Ok("captchaId " + a1->params[1] + " < second; REG naming the first: AEG 3 204",
            a1->params[1] + " < " + a2->params[1] + "; " + Show(*aeg));
}

// HTTP-15: a request head over 8192 bytes is answered 431 and the connection
// closes (RFC 6585 §5).
Outcome HeaderTooLarge(Ctx& c) {
  auto h = c.Open("http-tcp");
  if (!h.ok()) return Failed("a TCP connection to the HTTP listener", h.status().message(), "harness");
  const std::string req = "GET /mcp?q=RQQW%201%20conf-dev%201.0.0 HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(9000, 'p') +
                          "\r\n\r\n";
  (void)c.Send(*h, req);
  std::string got;
  c.WaitUntil(c.io_timeout_ms(), [&] {
    for (std::string& d : c.Drain(*h)) got += d;
    return c.PeerClosed(*h);
  });
  for (std::string& d : c.Drain(*h)) got += d;
  const std::string line = got.substr(0, got.find("\r\n"));
  if (line.rfind("HTTP/1.1 431", 0) != 0) {
    return Failed("HTTP/1.1 431 ...", got.empty() ? "(nothing)" : reports::Printable(line.substr(0, 80)),
                  "HTTP-15: a request head over 8192 bytes is answered 431");
  }
  if (!c.PeerClosed(*h)) return Failed("431, then the connection closed", "431; the connection stayed open", "HTTP-15");
  return Ok("431, connection closed", reports::Printable(line) + ", closed");
}

// The server requests `word` at `who` whose param `at` is `id`, in order.
std::vector<wire::Command> Find(const sg::SgClient& who, const std::string& word, const std::string& id, std::size_t at) {
  std::vector<wire::Command> out;
  for (const wire::Command& k : who.Got(word)) {
    if (k.params.size() > at && k.params[at] == id) out.push_back(k);
  }
  return out;
}

// Chunks (§5.6) sent out of order, a duplicate with other bytes, and a total
// that differs: SG accepts any order and answers a duplicate 0 keeping the
// first bytes (PAY-9), rejects a differing total 104 (PAY-6, on RSV where the
// total is not tied to an offer), and relays the file as chunks of 1024 bytes
// but the last, one ROT per chunk (LIM-9, PAY-7).
Outcome Chunks(Ctx& c) {
  sg::Pair p = sg::MakePair(c);
  if (p.failure) return *p.failure;
  const std::string vid = std::to_string(1 + c.Fresh() % 1000000);
  if (auto bad = Expect(p.a->Await(p.a->Request("RSV", {p.call, vid, "0", "2000"}, std::string(1024, '\x55'))), "ASV", 0, 0,
                        "PAY-5: the first chunk of a 2000-byte clip")) {
    return *bad;
  }
  if (auto bad = Expect(p.a->Await(p.a->Request("RSV", {p.call, vid, "1024", "2048"}, std::string(1024, '\x55'))), "ASV",
                        104, 0, "PAY-6: a chunk whose total differs from the first accepted chunk's is 104")) {
    return *bad;
  }
  // CONV-5: an id param that is not a decimal is 103 before the listed
  // statuses (here 302, an unknown callId), and a voiceId must be >= 1.
  if (auto bad = Expect(p.a->Await(p.a->Request("RSV", {"4294967295", "1x", "0", "10"}, std::string(10, '\x55'))), "ASV", 103,
                        0, "CONV-5: a voiceId that is not a decimal is 103, before 302 for the unknown callId")) {
    return *bad;
  }
  if (auto bad = Expect(p.a->Await(p.a->Request("RSV", {p.call, "0", "0", "10"}, std::string(10, '\x55'))), "ASV", 103, 0,
                        "CONV-5: voiceId 0 is 103")) {
    return *bad;
  }
  if (auto bad = Expect(p.a->Await(p.a->Request("ROT", {"x7", "0", "10"}, std::string(10, 'x'))), "AOT", 103, 0,
                        "CONV-5: a transferId that is not a decimal is 103")) {
    return *bad;
  }
  // LIM-17: a file name of 256 bytes is 103; 255 bytes are accepted below.
  if (auto bad = Expect(p.a->Await(p.a->Request("ROI", {p.call, std::string(256, 'n'), "10"})), "AOI", 103, 0,
                        "LIM-17: a file name over 255 bytes is 103")) {
    return *bad;
  }
  const wire::Command* aoi = p.a->Await(p.a->Request("ROI", {p.call, std::string(251, 'n') + ".bin", "2100"}));
  if (auto bad = Expect(aoi, "AOI", 0, 1, "SG-FILE-2")) return *bad;
  const std::string tid = aoi->params[0];
  if (!p.b->Pump(c.io_timeout_ms(), [&] { return !Find(*p.b, "ROA", tid, 1).empty(); })) {
    return Failed("ROA " + tid + " to bob", ShowAll(p.b->log), "SG-FILE-2");
  }
  if (auto bad = Expect(p.b->Await(p.b->Request("ROR", {tid, "accept"})), "AOR", 0, 0, "SG-FILE-5")) return *bad;
  if (!p.a->Pump(c.io_timeout_ms(), [&] { return !Find(*p.a, "ROR", tid, 0).empty(); })) {
    return Failed("ROR " + tid + " accept to alice", ShowAll(p.a->log), "SG-FILE-5");
  }
  const std::string d0(1024, 'a'), d1(1024, 'b'), d2(52, 'c');
  struct Send {
    const char* off;
    std::string data;
    const char* why;
  };
  for (const Send& s : {Send{"1024", d1, "PAY-9: chunks are accepted in any order"},
                        Send{"1024", std::string(1024, 'x'), "PAY-9: a duplicate chunk (new trid) is answered 0"},
                        Send{"0", d0, "PAY-9"}, Send{"2048", d2, "PAY-9: the last chunk completes the file"}}) {
    if (auto bad = Expect(p.a->Await(p.a->Request("ROT", {tid, s.off, "2100"}, s.data)), "AOT", 0, 0, s.why)) return *bad;
  }
  auto relayed = [&] {
    std::set<std::string> offs;
    for (const wire::Command& r : Find(*p.b, "ROT", tid, 0)) offs.insert(r.params.size() > 1 ? r.params[1] : "");
    return offs.count("0") && offs.count("1024") && offs.count("2048");
  };
  if (!p.b->Pump(c.io_timeout_ms(), relayed)) {
    return Failed("ROT " + tid + " at offsets 0, 1024, 2048 to bob", ShowAll(Find(*p.b, "ROT", tid, 0)), "SG-FILE-8, PAY-7");
  }
  for (const wire::Command& r : Find(*p.b, "ROT", tid, 0)) {
    const std::string off = r.params.size() == 3 ? r.params[1] : "";
    const std::string& want = off == "0" ? d0 : off == "1024" ? d1 : d2;
    if (r.params.size() != 3 || r.params[2] != "2100" || !r.payload || *r.payload != want) {
      return Failed("ROT " + tid + " <offset> 2100 <1024, or 52 for the last> with the first copy's bytes", Show(r),
                    "LIM-9 (chunks of exactly 1024 bytes but the last), PAY-7 (one chunk per request), PAY-9 (the "
                    "bytes of the first accepted copy are kept)");
    }
  }
  return Ok("ASV 0, ASV 104; AOT 0 x4; ROTs 0/1024/2048 of 1024/1024/52 bytes, first copy kept",
            "relayed " + std::to_string(Find(*p.b, "ROT", tid, 0).size()) + " ROTs, bytes as first sent");
}

// SG-FILE-4: a receiver answering ROA non-zero rejects the offer (the sender
// gets ROR reject); SG-FILE-10 (+12): a receiver answering a relayed ROT
// non-zero fails the transfer (the sender gets ROR failed, never done).
Outcome FileRefused(Ctx& c) {
  sg::Pair p = sg::MakePair(c);
  if (p.failure) return *p.failure;
  auto ror_to_a = [&](const std::string& tid, const std::string& what) {
    return p.a->Pump(c.io_timeout_ms(), [&] {
      for (const wire::Command& r : Find(*p.a, "ROR", tid, 0)) {
        if (r.params.size() == 2 && r.params[1] == what) return true;
      }
      return false;
    });
  };
  p.b->answer_status["ROA"] = 1;
  const wire::Command* aoi = p.a->Await(p.a->Request("ROI", {p.call, "refused.txt", "10"}));
  if (auto bad = Expect(aoi, "AOI", 0, 1, "SG-FILE-2")) return *bad;
  const std::string t1 = aoi->params[0];
  if (!ror_to_a(t1, "reject")) {
    return Failed("ROR " + t1 + " reject to alice", ShowAll(p.a->Got("ROR")),
                  "SG-FILE-4: bob answered ROA non-zero, which SG treats as ROR reject");
  }
  p.b->answer_status.erase("ROA");
  p.b->answer_status["ROT"] = 104;
  aoi = p.a->Await(p.a->Request("ROI", {p.call, "failed.txt", "10"}));
  if (auto bad = Expect(aoi, "AOI", 0, 1, "SG-FILE-2")) return *bad;
  const std::string t2 = aoi->params[0];
  if (!p.b->Pump(c.io_timeout_ms(), [&] { return !Find(*p.b, "ROA", t2, 1).empty(); })) {
    return Failed("ROA " + t2 + " to bob", ShowAll(p.b->log), "SG-FILE-2");
  }
  if (auto bad = Expect(p.b->Await(p.b->Request("ROR", {t2, "accept"})), "AOR", 0, 0, "SG-FILE-5")) return *bad;
  if (!ror_to_a(t2, "accept")) return Failed("ROR " + t2 + " accept to alice", ShowAll(p.a->Got("ROR")), "SG-FILE-5");
  if (auto bad = Expect(p.a->Await(p.a->Request("ROT", {t2, "0", "10"}, std::string(10, 'f'))), "AOT", 0, 0, "SG-FILE-6")) {
    return *bad;
  }
  if (!ror_to_a(t2, "failed")) {
    return Failed("ROR " + t2 + " failed to alice", ShowAll(p.a->Got("ROR")),
                  "SG-FILE-10, SG-FILE-12: bob answered the relayed ROT 104, so the transfer is FAILED");
  }
  for (const wire::Command& r : Find(*p.a, "ROR", t2, 0)) {
    if (r.params.size() == 2 && r.params[1] == "done") return Failed("no ROR done", Show(r), "SG-FILE-10");
  }
  return Ok("ROR reject after AOA 1; ROR failed after AOT 104", "ROR " + t1 + " reject; ROR " + t2 + " failed");
}

}  // namespace

void AddClauseCases(std::vector<CaseDef>& out) {
  out.push_back({"wire.payload.framing",
                 "Payload commands: raw bytes then the next command; bad or missing length 104, over 1024 bytes 104, "
                 "truncated 101; escapes before the length, the param count before escapes; no trid, no answer",
                 "WIRE", {"PAY-1", "PAY-2", "PAY-3", "LIM-4", "WIRE-12", "WIRE-11", "WIRE-22"}, true, "udp",
                 PayloadFraming});
  out.push_back({"udp.dispatch.whole", "CS+SG on one UDP port: a datagram goes whole to the role of its first word",
                 "UDP", {"ARCH-6", "WIRE-21"}, true, "udp", DispatchWhole});
  sg::Add(out, "sg.udp.bound_endpoint",
          "An SG session is bound to its RAT's endpoint: another endpoint is outside it, server requests go to the RAT's",
          {"UDP-3", "SG-SESS-3"}, BoundEndpoint);
  sg::Add(out, "sg.timer.server_resend", "An unanswered server request is resent after 1000 ms, then 2000 ms, byte-identical; the next request takes the next trid",
          {"TIMER-1", "TIMER-2", "TIMER-4", "TIMER-8", "TRID-2"}, ServerResends);
  out.push_back({"rs.rap.new_captcha",
                 "A second RAP in a session: same session, a larger captchaId, the first captcha invalid (204)", "RS",
                 {"RS-2", "RS-1", "RS-7"}, true, "http", NewCaptcha});
  out.push_back({"http.header.too_large", "A request head over 8192 bytes is answered 431 and the connection closed",
                 "HTTP", {"HTTP-15"}, true, "http", HeaderTooLarge});
  sg::Add(out, "sg.file.chunks",
          "Id params 103 first; file name 1..255 bytes; chunks in any order, a duplicate answered 0 keeping the first "
          "bytes, a differing total 104; relayed as 1024-byte chunks",
          {"PAY-6", "PAY-7", "PAY-9", "LIM-9", "CONV-5", "LIM-17"}, Chunks);
  sg::Add(out, "sg.file.refused", "A non-zero AOA is a reject; a non-zero answer to a relayed ROT fails the transfer",
          {"SG-FILE-4", "SG-FILE-10", "SG-FILE-12"}, FileRefused);
}

}  // namespace mcpsim::conformance
