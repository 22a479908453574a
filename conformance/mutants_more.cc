// Mutants added with issue 14: one per detection gap the independent server
// exposed (each proven killed by the case named in its comment), and more
// defects in clauses that had cases but no mutant. See mutants.h.
#include <algorithm>

#include "conformance/harness.h"
#include "conformance/mutants.h"
#include "reference/http/http1.h"
#include "reference/roles/cs.h"
#include "reference/roles/dp.h"
#include "reference/roles/rs.h"
#include "reference/roles/sg/sg.h"

namespace mcpsim::conformance {
namespace {

using wire::Command;

std::function<bool(Command&)> Drop(std::string word) {
  return [word](const Command& c) { return c.word != word; };
}

bool IsMcpPost(const reference::HttpRequest& q) {
  return q.method == "POST" && reference::http::TargetPath(q.target) == "/mcp";
}

}  // namespace

void AddMoreMutants(std::vector<Mutant>& v) {
  auto add = [&v](Mutant m) { v.push_back(std::move(m)); };
  Mutant m;

  // --- the detection gaps of issue 14
  m = M("cache-without-word", "TIMER-5", "the answer cache is keyed by (endpoint, trid) without the command word");
  m.cs = [](reference::CsConfig& c) { c.server.dedup_key_word = false; };  // udp.cache.word
  m.sg = [](reference::SgConfig& c) { c.server.dedup_key_word = false; };
  m.rs = [](reference::RsConfig& c) { c.server.dedup_key_word = false; };
  add(m);
  m = M("cache-without-endpoint", "TIMER-5", "the answer cache is keyed by (trid, word) without the sender endpoint");
  m.cs = [](reference::CsConfig& c) { c.test_cache_without_endpoint = true; };  // udp.cache.per_endpoint
  add(m);
  m = M("rsm-resend-executed", "TIMER-5", "a resent RSM is executed again (RRM delivered twice)");
  m.sg = [](reference::SgConfig& c) { c.server.dedup_skip_word = "RSM"; };  // sg.rsm.resend
  add(m);
  m = M("dp-version-as-string", "DP-1", "client versions are compared as strings (1.9.0 > 1.10.0)");
  m.dp = [](reference::DpConfig& c) { c.compare_versions_as_strings = true; };  // dp.version.numeric
  add(m);
  m = M("rsi-not-visible-accepted", "SG-PRES-2", "RSI to a hidden or not-yet-ACTIVE contact is accepted instead of 304");
  m.on_command = [](Command& c) {  // sg.rsi.not_visible
    if (c.word == "ASI" && c.status == 304u) {
      c.status = 0;
      c.params = {"999999"};
    }
    return true;
  };
  add(m);
  m = M("http-undecodable-200", "HTTP-5", "an undecodable POST body is answered HTTP 200 instead of 400");
  m.on_http = [](const reference::HttpRequest& q, reference::HttpResponse& r) {  // http.post.undecodable
    if (IsMcpPost(q) && r.status == 400) {
      r.status = 200;
      r.content_type = "application/x-mcp";
    }
  };
  add(m);
  m = M("rps-in-flight-300", "SG-SYNC-12", "an RPS with the initial sync's final request in flight is answered 300");
  m.sg = [](reference::SgConfig& c) { c.rps_completes_sync = false; };  // sg.sync.rps_in_flight
  add(m);
  m = M("sg-trids-from-1", "TRID-4", "every SG session starts its server trids at 1");
  m.sg = [](reference::SgConfig& c) { c.random_push_trids = false; };  // sg.trid.random_start
  add(m);
  m = M("http-push-missing", "HTTP-8", "server-initiated requests are never included in HTTP response bodies");
  m.on_http = [](const reference::HttpRequest& q, reference::HttpResponse& r) {  // sg.http.*, rs.*
    if (!IsMcpPost(q) || r.status != 200) return;
    std::string kept;
    for (const Command& c : Decode(r.body)) {
      if (c.status) kept += Encode(c);
    }
    r.body = kept;
  };
  add(m);
  m = M("rs-tcp-refused", "ARCH-1", "RS does not serve TCP (RAP on a TCP connection is ignored)");
  m.on_stream_in = [](std::string_view b) {  // rs.tcp.register
    std::string out;
    std::size_t pos = 0;
    while (pos < b.size()) {
      const auto lf = b.find('\n', pos);
      const std::size_t end = lf == std::string_view::npos ? b.size() : lf + 1;
      const std::string_view line = b.substr(pos, end - pos);
      if (line.substr(0, 4) != "RAP ") out += line;
      pos = end;
    }
    return out;
  };
  add(m);
  m = M("ms-head-length-zero", "MS-6", "HEAD /media/<id> announces Content-Length 0 instead of the GET body's length");
  m.on_http = [](const reference::HttpRequest& q, reference::HttpResponse& r) {  // ms.head.no_body
    if (q.method == "HEAD" && r.status == 200) r.head_length = 0;
  };
  add(m);

  // --- clauses with cases but no mutant until now
  m = M("error-answer-params", "WIRE-20", "answers with a non-zero status (other than 405) carry an extra param");
  m.on_command = [](Command& c) {
    if (c.status && *c.status != 0 && *c.status != 405) c.params.push_back("x");
    return true;
  };
  add(m);
  m = M("dp-lists-when-required", "DP-2", "AQQW with update `required` still lists SG, RS and CS");
  m.on_command = [](Command& c) {
    if (c.word == "AQQW" && c.status == 0u && c.params.size() == 7 && c.params[0] == "required") {
      c.params[3].assign("udp://127.0.0.1:9");
      c.params[4].assign("tcp://127.0.0.1:9");
      c.params[5].assign("udp://127.0.0.1:9");
    }
    return true;
  };
  add(m);
  m = M("ms-range-206", "MS-4", "a range request is honoured with 206 Partial Content");
  m.on_http = [](const reference::HttpRequest& q, reference::HttpResponse& r) {
    if (q.headers.count("range") && r.status == 200) r.status = 206;
  };
  add(m);
  m = M("alo-missing", "SG-LOGIN-11", "RLO closes the session without sending ALO");
  m.on_command = Drop("ALO");
  add(m);
  m = M("rout-missing", "SG-LOGIN-8", "a replaced session is closed without ROUT 208");
  m.on_command = Drop("ROUT");
  add(m);
  m = M("rrb-never-ended", "SG-CHAT-14", "RRB always says ended = 0, even to the last member");
  m.on_command = [](Command& c) {
    if (c.word == "RRB" && !c.status && c.params.size() == 4) c.params[3].assign(1, '0');  // assign(): GCC 12 -Wrestrict false positive
    return true;
  };
  add(m);
  m = M("rrr-missing", "SG-CHAT-4", "a member added by RSR is never told (no RRR)");
  m.on_command = Drop("RRR");
  add(m);
  m = M("roa-missing", "SG-FILE-2", "a file offer is never relayed to the receiver (no ROA)");
  m.on_command = Drop("ROA");
  add(m);
  m = M("rrv-missing", "SG-VOICE-3", "a valid voice clip is never relayed (no RRV)");
  m.on_command = Drop("RRV");
  add(m);
  m = M("rnp-offline-missing", "SG-PRES-5", "watchers are not told when a user logs out (no RNP offline)");
  m.on_command = [](Command& c) { return !(c.word == "RNP" && !c.status && c.params.size() == 3 && c.params[1] == "offline"); };
  add(m);
  m = M("acm-reversed", "SG-CHAT-4", "ACM lists the members in reverse join order");
  m.on_command = [](Command& c) {
    if (c.word == "ACM" && c.status == 0u && c.params.size() > 2) std::reverse(c.params.begin() + 1, c.params.end());
    return true;
  };
  add(m);
  // Coverage cases (catalog_cover.cc).
  // rs.reg.check_order
  m = M("reg-text-length-103", "RS-9", "a captchaText outside 1..16 bytes is 103 before the captcha checks (G-54 order)");
  m.rs = [](reference::RsConfig& c) { c.reg_text_length_first = true; };
  add(m);
  // sg.prof.limits
  m = M("profile-limits-unchecked", "LIM-12", "RPS stores any nickname and psm (no LIM-12/LIM-13 check)");
  m.sg = [](reference::SgConfig& c) { c.profile_limits = false; };
  add(m);
  // sg.chat.order: the RRMs of one batch carry their texts in reverse trid
  // order (as a server that assigns trids out of creation order would).
  m = M("rrm-out-of-order", "SG-CHAT-8", "RRMs sent together are numbered against the order of their RSMs");
  m.on_batch = [](std::vector<Command>& batch) {
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].word == "RRM" && !batch[i].status) at.push_back(i);
    }
    for (std::size_t i = 0, j = at.size(); i + 1 < j; ++i, --j) std::swap(batch[at[i]].params, batch[at[j - 1]].params);
  };
  add(m);
  // sg.offline.limit
  m = M("offline-queue-200", "LIM-16", "a recipient's offline queue holds 200 messages");
  m.sg = [](reference::SgConfig& c) { c.max_offline = 200; };
  add(m);
  // sg.chat.rrr_rejected: a member that refused RRR leaves silently.
  m = M("rrr-reject-silent", "SG-CHAT-6", "a member answering RRR non-zero is removed without RRB rejected");
  m.on_command = [](Command& c) {
    return !(c.word == "RRB" && !c.status && c.params.size() == 4 && c.params[2] == "rejected" && c.params[3] == "0");
  };
  add(m);
}

}  // namespace mcpsim::conformance
