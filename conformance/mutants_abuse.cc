// Mutants added with issue 15: one per abuse clause, each killed by the case
// named in its comment (catalog_abuse.cc). See mutants.h.
#include "conformance/mutants.h"
#include "net/server.h"
#include "reference/roles/cs.h"
#include "reference/roles/rs.h"
#include "reference/roles/sg/sg.h"

namespace mcpsim::conformance {

void AddAbuseMutants(std::vector<Mutant>& v) {
  Mutant m;
  // rate.rat.address
  m = M("no-rat-address-limit", "RATE-4", "RAT is not limited per source address");
  m.sg = [](reference::SgConfig& c) { c.rat_per_address = reference::RateSpec{}; };
  v.push_back(std::move(m));
  // rate.rat.backoff
  m = M("no-login-backoff", "RATE-5", "failed logins never start a back-off");
  m.sg = [](reference::SgConfig& c) { c.login_backoff.base = 0; };
  v.push_back(std::move(m));
  // rate.rat.address, rate.rup.mid, rate.rap.address: a refused request is dropped
  m = M("rate-limit-silent", "RATE-3", "a request refused by a rate limit gets no answer instead of 403");
  m.on_command = [](const wire::Command& c) { return !(c.status && *c.status == 403); };
  v.push_back(std::move(m));
  // rate.rup.mid
  m = M("no-rup-mid-limit", "RATE-8", "RUP and RAD are not limited per MID");
  m.cs = [](reference::CsConfig& c) { c.per_mid = reference::RateSpec{}; };
  v.push_back(std::move(m));
  // rate.rap.address
  m = M("no-rap-limit", "RATE-6", "RAP is not limited per source address");
  m.rs = [](reference::RsConfig& c) { c.rap_per_address = reference::RateSpec{}; };
  v.push_back(std::move(m));
  // http.content_length.too_large: the body limit is not enforced up front
  m = M("no-413", "HTTP-13", "a Content-Length over LIM-21 is accepted (the server waits for the body)");
  m.server = [](net::ServerOptions& o) { o.test_http_max_body = std::size_t{1} << 30; };
  v.push_back(std::move(m));
  // http.content_length.conflict
  m = M("conflicting-length-accepted", "HTTP-14", "of two differing Content-Length fields the last wins");
  m.server = [](net::ServerOptions& o) { o.test_http_reject_conflicting_length = false; };
  v.push_back(std::move(m));
  // http.conn.reclaimed
  m = M("http-ignore-peer-close", "HTTP-17", "a peer's close before a complete request waits for the header deadline");
  m.server = [](net::ServerOptions& o) { o.test_http_reclaim_on_peer_close = false; };
  v.push_back(std::move(m));
}

}  // namespace mcpsim::conformance
