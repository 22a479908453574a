// Mutants for the last uncovered server clauses (issue 14, catalog_windows.cc
// and catalog_order.cc, then the key id in encrypted UDP's sender endpoint,
// G-87): each named after its clause and killed by the case in its comment.
// See mutants.h.
#include <algorithm>

#include "conformance/mutants.h"
#include "net/server.h"
#include "reference/roles/cs.h"
#include "reference/roles/rs.h"
#include "reference/roles/sg/sg.h"

namespace mcpsim::conformance {

using wire::Command;

void AddWindowMutants(std::vector<Mutant>& v) {
  Mutant m;
  // sg.push.window: 64 server requests in flight per session.
  m = M("push-window-64", "LIM-20", "SG has up to 64 of its requests to one session outstanding (not 32)");
  m.sg = [](reference::SgConfig& c) { c.push.window = 64; };
  v.push_back(std::move(m));
  // sg.voice.refused: 16 chunks of one clip in flight.
  m = M("chunk-window-16", "PAY-8", "SG has up to 16 chunks of one object outstanding (not 8)");
  m.sg = [](reference::SgConfig& c) { c.push.group_window = 16; };
  v.push_back(std::move(m));
  // sg.voice.refused: the refusing member keeps getting the clip.
  m = M("voice-refusal-ignored", "SG-VOICE-4", "a member answering RRV non-zero keeps receiving the clip");
  m.sg = [](reference::SgConfig& c) { c.voice_refusal_stops = false; };
  v.push_back(std::move(m));
  // rs.rbin.refused
  m = M("rbin-refusal-ignored", "RS-6", "RS keeps sending a captcha whose RBIN the client answered non-zero");
  m.rs = [](reference::RsConfig& c) { c.rbin_refusal_stops = false; };
  v.push_back(std::move(m));
  // amp.validated.at_arrival
  m = M("amp-judged-at-send", "AMP-6",
        "validation is judged when the answers leave: a datagram ending its session gets restricted answers");
  m.sg = [](reference::SgConfig& c) { c.server.amp_judged_on_arrival = false; };
  v.push_back(std::move(m));
  // rate.rap.address: each HTTP exchange comes from a new port.
  m = M("rate-key-with-port", "RATE-2", "per-address limits are keyed by address and port");
  m.rs = [](reference::RsConfig& c) { c.server.test_rate_key_port = true; };
  m.sg = [](reference::SgConfig& c) { c.server.test_rate_key_port = true; };
  m.cs = [](reference::CsConfig& c) { c.server.test_rate_key_port = true; };
  v.push_back(std::move(m));
  // sg.chat.refused_answer
  m = M("arm-refused-removes", "SG-CHAT-9", "a member answering RRM non-zero is removed from the conversation");
  m.sg = [](reference::SgConfig& c) { c.ignore_refused_answers = false; };
  v.push_back(std::move(m));
  // sg.sync.snapshot
  m = M("sync-records-at-page", "SG-SYNC-4", "each RCR page carries the entries as they are when it is sent");
  m.sg = [](reference::SgConfig& c) { c.sync_records_at_rcs = false; };
  v.push_back(std::move(m));
  // sg.prof.effect_order: the presence exchange of a first RPS that changes
  // the profile runs before its commit, so the watcher's RNP precedes the RCS.
  m = M("rps-presence-first", "SG-PROF-6", "a first RPS changing the profile announces the presence before the RCS");
  m.sg = [](reference::SgConfig& c) { c.rps_effects_in_order = false; };
  v.push_back(std::move(m));
  // sg.sess.fanout_order: the RNPs created together for one session are
  // numbered in descending account order (their params swapped in the batch).
  m = M("fanout-descending", "SG-SESS-5", "requests one event creates for one session go in descending account order");
  m.on_batch = [](std::vector<Command>& batch) {
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].word == "RNP" && !batch[i].status) at.push_back(i);
    }
    for (std::size_t i = 0, j = at.size(); i + 1 < j; ++i, --j) std::swap(batch[at[i]].params, batch[at[j - 1]].params);
  };
  v.push_back(std::move(m));
  // enc.cache.per_key: the behaviour before G-87 (net::UdpsEnv).
  m = M("udps-key-blind", "TIMER-5",
        "encrypted UDP: the answer cache ignores the key id (a request under key B gets key A's cached answer)");
  m.server = [](net::ServerOptions& o) { o.test_udps_key_blind = true; };
  v.push_back(std::move(m));
}

}  // namespace mcpsim::conformance
