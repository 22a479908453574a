// The catalog of mutants (see mutants.h). One entry per defect: name, what
// it breaks, the clause it violates, and the switch or decorator piece that
// implements it.
#include <algorithm>

#include "conformance/mutants.h"
#include "reference/http/http1.h"
#include "reference/roles/cs.h"
#include "reference/roles/dp.h"
#include "reference/roles/rs.h"
#include "reference/roles/sg/sg.h"

namespace mcpsim::conformance {
namespace {

using wire::Command;

// Answers of `word` (any word if empty) with status `from` get status `to`.
std::function<bool(Command&)> Restatus(std::string word, std::uint32_t from, std::uint32_t to) {
  return [word, from, to](Command& c) {
    if (c.status && *c.status == from && (word.empty() || c.word == word)) {
      c.status = to;
      if (to != 0) c.params.clear();  // WIRE-20: error answers carry no params
    }
    return true;
  };
}

std::function<bool(Command&)> Drop(std::string word) {
  return [word](const Command& c) { return c.word != word; };
}

std::vector<Mutant> Build() {
  std::vector<Mutant> v;
  auto add = [&v](Mutant m) { v.push_back(std::move(m)); };
  Mutant m;

  // --- wire format and transaction ids
  m = M("trid-plus-one", "TRID-1", "answers carry the request's trid + 1");
  m.on_command = [](Command& c) {
    if (c.status) ++c.trid;
    return true;
  };
  add(m);
  m = M("no-escape", "WIRE-6", "params are written unescaped (SP, %, CR, LF raw)");
  m.style.escape = false;
  add(m);
  m = M("lf-only", "WIRE-1", "lines end with LF instead of CRLF");
  m.style.eol.assign(1, '\n');  // assign(): GCC 12 -Wrestrict false positive on = "\n"
  add(m);
  m = M("non-canonical-escape", "WIRE-14", "'.' in params is escaped as %2e (decodable, not canonical)");
  m.style.over_escape = true;
  add(m);
  m = M("status-unlisted", "STATUS-1", "an undefined request word is answered 199 (not a §8 code) instead of 100");
  m.on_command = Restatus("", 100, 199);
  add(m);
  m = M("aqqw-bare-address", "ARCH-4", "AQQW's cs list holds host:port without the udp:// scheme");
  m.on_command = [](Command& c) {
    if (c.word == "AQQW" && c.status && *c.status == 0 && c.params.size() == 7) {
      std::string& cs = c.params[5];
      for (std::size_t at; (at = cs.find("udp://")) != std::string::npos;) cs.erase(at, 6);
    }
    return true;
  };
  add(m);
  m = M("trailing-space", "WIRE-2", "an extra SP before every line end");
  m.style.trailing_space = true;
  add(m);
  m = M("ok-status-00", "WIRE-5", "success is written as status 00");
  m.style.ok_status_00 = true;
  add(m);
  m = M("answers-reversed", "WIRE-17", "the commands of one datagram/body/write are sent in reverse order");
  m.on_batch = [](std::vector<Command>& b) { std::reverse(b.begin(), b.end()); };
  add(m);
  m = M("answer-merged-away", "WIRE-19", "when several answers share a datagram/body, the last one is lost");
  m.on_batch = [](std::vector<Command>& b) {
    if (std::count_if(b.begin(), b.end(), [](const Command& c) { return c.status.has_value(); }) >= 2) {
      for (auto it = b.end(); it != b.begin();) {
        if ((--it)->status) {
          b.erase(it);
          break;
        }
      }
    }
  };
  add(m);

  // --- status codes
  m = M("unknown-word-101", "WIRE-21", "an undefined request word is answered 101 instead of 100");
  m.on_command = Restatus("", 100, 101);
  add(m);
  m = M("server-only-word-100", "WIRE-21", "a server-only word sent by a client is answered 100 instead of 310");
  m.on_command = Restatus("", 310, 100);
  add(m);
  m = M("param-count-103", "CONV-4", "a wrong param count is answered 103 instead of 102");
  m.on_command = Restatus("", 102, 103);
  add(m);
  m = M("auth-failed-202", "SG-LOGIN-1", "a wrong password is answered AAT 202 instead of 201");
  m.on_command = Restatus("AAT", 201, 202);
  add(m);
  m = M("unknown-session-300", "RS-13", "an unknown session/token is answered 300 instead of 202");
  m.on_command = Restatus("", 202, 300);
  add(m);
  m = M("captcha-wrong-204", "RS-9", "a wrong captcha text is answered 204 instead of 203");
  m.on_command = Restatus("AEG", 203, 204);
  add(m);
  m = M("wrong-state-300", "SG-SESS-2", "a command before login is answered 300 instead of 200");
  m.on_command = Restatus("", 200, 300);
  add(m);

  // --- transport: anti-amplification, resends, TCP
  m = M("amp-off", "AMP-1", "answers to unvalidated UDP endpoints are not limited to the request size");
  m.cs = [](reference::CsConfig& c) { c.server.anti_amplification = false; };
  m.sg = [](reference::SgConfig& c) { c.server.anti_amplification = false; };
  add(m);
  m = M("amp-needed-low", "AMP-2", "the 405 answer's needed size is 16 bytes too small");
  m.on_command = [](Command& c) {
    if (c.status && *c.status == 405 && c.params.size() == 1) {
      const unsigned long n = std::strtoul(c.params[0].c_str(), nullptr, 10);
      c.params[0] = std::to_string(n > 16 ? n - 16 : 0);
    }
    return true;
  };
  add(m);
  m = M("dedup-off", "TIMER-5", "a resent request is executed again instead of answered from the cache");
  m.cs = [](reference::CsConfig& c) { c.server.dedup_enabled = false; };
  m.sg = [](reference::SgConfig& c) { c.server.dedup_enabled = false; };
  m.rs = [](reference::RsConfig& c) { c.server.dedup_enabled = false; };
  add(m);
  m = M("tcp-first-command-only", "TCP-1", "only the first command line of each TCP segment is processed");
  m.on_stream_in = [](std::string_view b) {
    const auto lf = b.find('\n');
    return std::string(lf == std::string_view::npos ? b : b.substr(0, lf + 1));
  };
  add(m);
  m = M("tcp-split-line-lost", "TCP-1", "a TCP segment's trailing partial line is discarded");
  m.on_stream_in = [](std::string_view b) {
    const auto lf = b.rfind('\n');
    return std::string(lf == std::string_view::npos ? std::string_view() : b.substr(0, lf + 1));
  };
  add(m);
  m = M("tcp-no-close-on-error", "TCP-3", "the connection stays open after a decode error (and after ALO)");
  m.keep_streams_open = true;
  add(m);

  // --- HTTP binding, DP, MS
  m = M("http-404-as-400", "HTTP-6", "unknown paths and media ids are answered 400 instead of 404");
  m.on_http = [](const reference::HttpRequest&, reference::HttpResponse& r) {
    if (r.status == 404) r.status = 400;
  };
  add(m);
  m = M("http-no-sessionid", "HTTP-7", "the response carrying AAP/AAT lacks the SessionID header");
  m.on_http = [](const reference::HttpRequest&, reference::HttpResponse& r) { r.headers.erase("sessionid"); };
  add(m);
  m = M("http-wrong-content-type", "HTTP-4", "MCP responses to POST /mcp are labelled text/plain");
  m.on_http = [](const reference::HttpRequest& q, reference::HttpResponse& r) {
    if (q.method == "POST" && r.status == 200) r.content_type = "text/plain; charset=utf-8";
  };
  add(m);
  m = M("http-strict-content-type", "HTTP-3", "POST /mcp with another Content-Type is rejected 400");
  m.should = true;
  m.before_http = [](const reference::HttpRequest& q) -> std::optional<reference::HttpResponse> {
    auto it = q.headers.find("content-type");
    if (q.method != "POST" || reference::http::TargetPath(q.target) != "/mcp" ||
        (it != q.headers.end() && it->second.rfind("application/x-mcp", 0) == 0)) {
      return std::nullopt;
    }
    reference::HttpResponse r;
    r.status = 400;
    return r;
  };
  add(m);
  m = M("dp-always-required", "DP-1", "DP tells every version that an update is required");
  m.on_command = [](Command& c) {
    if (c.word == "AQQW" && c.status == 0u && !c.params.empty()) c.params[0] = "required";
    return true;
  };
  add(m);
  m = M("ms-head-body", "MS-6", "HEAD /media/<id> is answered with the body");
  m.on_http = [](const reference::HttpRequest& q, reference::HttpResponse& r) {
    if (q.method == "HEAD" && r.status == 200) r.body = std::string(1000, 'x');
  };
  add(m);
  m = M("ms-truncated", "MS-2", "media are served one byte short (Content-Length matches the short body)");
  m.on_http = [](const reference::HttpRequest& q, reference::HttpResponse& r) {
    if (q.target.rfind("/media/", 0) == 0 && r.status == 200 && !r.body.empty()) r.body.pop_back();
  };
  add(m);

  // --- RS
  m = M("captcha-reusable", "RS-7", "a captcha can be used again after a REG");
  m.rs = [](reference::RsConfig& c) { c.captcha_single_use = false; };
  add(m);
  m = M("duplicate-account", "RS-11", "REG for an existing account is answered 0 (accepted)");
  m.on_command = Restatus("AEG", 205, 0);
  add(m);

  // --- SG
  m = M("aat-token-short", "SG-LOGIN-2", "the AAT token has 64 bits (16 hex digits) instead of 128");
  m.on_command = [](Command& c) {
    if (c.word == "AAT" && c.status == 0u && !c.params.empty()) c.params[0].resize(16);
    return true;
  };
  add(m);
  m = M("rcr-all-at-once", "LIM-15", "the whole contact list is sent in one RCR page");
  m.sg = [](reference::SgConfig& c) { c.rcr_page_records = 1000; };
  add(m);
  m = M("rcr-no-wait", "SG-SYNC-5", "every RCR page is sent right after ACS, without waiting for ACR");
  m.sg = [](reference::SgConfig& c) { c.rcr_stop_and_wait = false; };
  add(m);
  m = M("presence-missing", "SG-PRES-3", "no RNP presence notification is ever sent");
  m.on_command = Drop("RNP");
  add(m);
  m = M("rrm-dropped", "SG-CHAT-7", "chat messages (RRM) are never delivered to the other members");
  m.on_command = Drop("RRM");
  add(m);
  m = M("chat-text-trimmed", "SG-CHAT-10", "relayed chat text loses its trailing spaces");
  m.on_command = [](Command& c) {
    if (c.word == "RRM" && c.params.size() == 3) {
      while (!c.params[2].empty() && c.params[2].back() == ' ') c.params[2].pop_back();
    }
    return true;
  };
  add(m);
  m = M("text-limit-off", "LIM-5", "chat/offline texts over 1000 bytes are accepted");
  m.sg = [](reference::SgConfig& c) { c.max_text = 1 << 20; };
  add(m);
  m = M("rpn-lost", "SG-OFF-4", "stored offline messages are never delivered (RPN lost)");
  m.on_command = Drop("RPN");
  add(m);
  m = M("offline-refused-dropped", "SG-OFF-5", "an offline message whose RPN was refused is deleted");
  m.sg = [](reference::SgConfig& c) { c.offline_keep_refused = false; };
  add(m);
  m = M("file-limit-off", "LIM-7", "files and voice clips over 2 MB (2097152 bytes) are accepted");
  m.sg = [](reference::SgConfig& c) { c.max_object = 64u << 20; };
  add(m);
  m = M("file-cancel-ignored", "SG-FILE-7", "a cancelled offer is not cancelled at the receiver (no ROC)");
  m.on_command = Drop("ROC");
  add(m);
  m = M("voice-any-format", "SG-VOICE-6", "a voice clip that is not GSM 6.10 is answered ASV 0");
  m.on_command = Restatus("ASV", 404, 0);
  add(m);
  m = M("nudge-accepted", "SG-NUDGE-4", "a nudge sent by a client (RSN/RRN) is answered 0 instead of 310");
  m.on_command = [](Command& c) {
    if ((c.word == "ASN" || c.word == "ARN") && c.status == 310u) c.status = 0;
    return true;
  };
  add(m);
  AddMoreMutants(v);
  AddAbuseMutants(v);
  AddClauseMutants(v);
  AddWindowMutants(v);
  return v;
}

}  // namespace

const std::vector<Mutant>& Mutants() {
  static const std::vector<Mutant> all = Build();
  return all;
}

}  // namespace mcpsim::conformance
