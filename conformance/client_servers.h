// The servers of client conformance (`mcpsim conform --client`): one HTTP
// listener serving DP (GET /mcp), RS (POST /mcp) and MS (GET /media/<id>),
// and one UDP socket serving CS and a fake SG (client_fake_sg.h), both on the --listen address (the same port
// number for TCP and UDP). Every byte the client sends and every byte sent
// back is recorded, with timestamps, for the case checks (client_cases.h).
//
// How the servers answer is set per case by a ClientPolicy: a case can keep
// CS silent to watch the client's resends, answer with the wrong word, ask
// for AMP padding, or resend an RBIN the client already answered.
//
// The servers run on a core::Env (the real one of net/ in `conform --client`,
// a simulated node in tests), on the thread that runs its loop; their clock
// is the Env's. Randomness (session ids, the captcha) comes from the seeded
// Rng.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conformance/client_fake_sg.h"
#include "conformance/harness.h"
#include "reference/roles/role.h"
#include "reports/report.h"

namespace mcpsim::conformance {

struct ClientPolicy {
  // CS: the first `cs_silent_sends` sends of every request (same trid and
  // word) get no answer; -1: never answer.
  int cs_silent_sends = 0;
  // CS: the first send of every RUP is answered with the wrong word
  // (`AAD trid 0`) and the wrong trid (`AUP trid+1 0`); the request stays
  // unanswered (TRID-5).
  bool cs_wrong_answers_first = false;
  // CS: a RAD in a datagram smaller than this is answered `AAD trid 405
  // needed` (AMP-2); 0: never.
  std::size_t rad_needed = 0;
  // RS: after the client answered the first RBIN, include that RBIN again
  // (byte-identical) in the next response (a server resend, HTTP-8).
  bool rs_resend_rbin = false;
  // SG (client_fake_sg.h): how the fake SG plays the session.
  SgPolicy sg;
};

struct ClientObserved {
  struct Datagram {
    std::int64_t t_us = 0;  // since BeginCase
    std::string bytes;
  };
  struct Exchange {
    std::int64_t t_us = 0;
    reference::HttpRequest request;
    std::string response_body;
  };
  std::vector<Datagram> udp;         // datagrams from the client
  std::vector<Exchange> http;        // HTTP requests from the client, with our answers
  std::vector<reports::WireEvent> wire;  // everything, both directions
  std::vector<std::string> rbin_sent;    // each RBIN command (with payload) the first time it was sent
  std::string rbin_resent;               // the RBIN sent a second time (rs_resend_rbin)
  std::string rs_session;                // the session id given in AAP
  std::vector<std::string> sg_requests;  // each SG-initiated request line, when first sent
  std::vector<std::string> sg_resent;    // SG-initiated requests sent a second time (SgPolicy)
  std::string sg_token;                  // the token given in the last AAT
};

class ClientServers {
 public:
  // Listens (TCP) and binds (UDP) on `env` at `listen`'s port (port 0: one
  // free port for both; the host is what the client is told to use and
  // must be the Env's bind address). `env` is not owned and must outlive
  // the servers; `labels` (optional) names their ports in the capture.
  static Result<std::unique_ptr<ClientServers>> Start(Env& env, const HostPort& listen, std::uint64_t seed,
                                                      PartyLabels* labels = nullptr);
  ~ClientServers();
  ClientServers(const ClientServers&) = delete;
  ClientServers& operator=(const ClientServers&) = delete;

  const HostPort& address() const { return address_; }
  // Clears the observations and server state, applies `p`; t = 0 now.
  void BeginCase(const ClientPolicy& p);
  ClientObserved Snapshot() const;

 private:
  struct Impl;
  ClientServers() = default;
  std::unique_ptr<Impl> impl_;
  HostPort address_;
};

}  // namespace mcpsim::conformance
