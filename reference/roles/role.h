// The sans-I/O interface every MCP role implements (MC client engine; DP, RS,
// SG, CS, MS servers). Like ngtcp2's read_pkt/get_expiry/handle_expiry:
//
//   role.OnDatagram(now, from, bytes);       // a UDP datagram arrived
//   role.OnStreamData(now, conn, bytes);     // TCP bytes arrived (any split)
//   role.OnHttp(now, exchange, request);     // one HTTP exchange (answered by
//                                            //   an Output::kHttpResponse)
//   role.OnWorkDone(now, id, result);        // slow work it asked for is done
//   role.OnTimer(now);                       // now >= role.NextDeadline()
//   role.Drain(outputs);                     // take what to send
//
// A role never reads a clock, touches a socket, spawns a thread or draws
// unseeded randomness; `now` is the only time it knows and every random bit
// comes from the Rng it was constructed with. Inputs are processed to
// completion before the call returns; outputs accumulate until Drain().
//
// Slow work (Argon2id hashing and verification) never runs inside an input:
// the role emits Output::kWork (a pure job, reference/crypto/work.h) and
// carries on; the host runs it off the event loop (net/: a worker thread;
// sim/: Env::Offload after a modelled virtual cost, FIFO) and feeds the result
// back through OnWorkDone. Whatever depends on the result — an MCP answer, the
// rest of the datagram it came in (WIRE-17), an HTTP response — waits; every
// other input keeps being served meanwhile.
//
// HTTP answers are outputs too (Output::kHttpResponse keyed by the exchange
// id the host passed to OnHttp), so an answer can wait for work. Contract for
// hosts and roles:
//   - a role answers every exchange exactly once, now or later;
//   - a host ignores an answer to an exchange it has already closed (the peer
//     went away), and a role need not be told;
//   - a host runs every kWork it drains exactly once and calls OnWorkDone
//     with the job's id, on the role's thread, never from inside Drain.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "reference/io/output.h"

namespace mcpsim::reference {

class Role {
 public:
  virtual ~Role() = default;

  // A datagram from `from` reached the role's UDP port.
  virtual void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) {
    (void)now, (void)from, (void)bytes;
  }
  // A stream `conn` from `peer` was accepted (server) or connected (client).
  virtual void OnStreamOpen(TimeUs now, std::uint64_t conn, const Endpoint& peer) {
    (void)now, (void)conn, (void)peer;
  }
  // In-order bytes of stream `conn`; split at arbitrary positions.
  virtual void OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) {
    (void)now, (void)conn, (void)bytes;
  }
  virtual void OnStreamClosed(TimeUs now, std::uint64_t conn) { (void)now, (void)conn; }
  // Client side: the answer to an Output::kHttp with id `id`; `ok` is false if
  // the exchange failed at the transport (connect refused, reset, timeout) and
  // then `resp` is empty.
  virtual void OnHttpResponse(TimeUs now, std::uint64_t id, bool ok, const HttpResponse& resp) {
    (void)now, (void)id, (void)ok, (void)resp;
  }
  // One HTTP exchange, `exchange` being an id the host chose (unique among
  // its open exchanges). The role MUST answer it with exactly one
  // Output::kHttpResponse whose conn is `exchange`, now or after work it
  // waits for; roles without an HTTP binding answer 404 at once
  // (NoHttpBinding).
  virtual void OnHttp(TimeUs now, std::uint64_t exchange, const HttpRequest& req) = 0;
  // The job of an Output::kWork with id `id` finished with `result`.
  virtual void OnWorkDone(TimeUs now, std::uint64_t id, const WorkResult& result) {
    (void)now, (void)id, (void)result;
  }
  // Called when now >= NextDeadline().
  virtual void OnTimer(TimeUs now) { (void)now; }
  // The earliest time OnTimer must be called, or kNever.
  virtual TimeUs NextDeadline() const { return kNever; }
  // Moves every pending output to the end of `out`, in the order produced.
  virtual void Drain(std::vector<Output>& out) = 0;

  // ---- group commit (optional; see host::RoleHost::SetBatchStore) ----
  // A host may bracket the datagrams of one receive burst with BeginBatch …
  // EndBatch around one store batch (Store::BeginBatch/EndBatch). In between
  // it delivers only OnDatagram, never calls Drain or OnTimer, and it closes
  // the batch before any other input; so every answer of the burst leaves
  // after the commit that makes its writes durable. `committed` false: the
  // commit failed and the batch's writes were rolled back; the host discards
  // every output produced since BeginBatch, and the role MUST forget every
  // answer it cached since then for a request that wrote (duplicate
  // suppression), so that resends execute again instead of replaying an
  // answer whose write was lost; it MUST keep the cached answers of requests
  // that wrote nothing, whose effects stand, so that resends replay them
  // instead of repeating those effects (G-79); it MUST NOT have let any
  // effect of a rolled-back write out (a push announcing it waits for the
  // commit and is dropped with the batch); and it MUST forget every request
  // it parked waiting for work asked for since then (those kWork outputs are
  // discarded too, so they never complete).
  virtual void BeginBatch(TimeUs now) { (void)now; }
  virtual void EndBatch(TimeUs now, bool committed) { (void)now, (void)committed; }

  // A short name for logs and traces ("dp", "sg-1", "mc-17").
  virtual std::string_view name() const = 0;
};

// The answer of a role without an HTTP binding: 404.
inline Output NoHttpBinding(std::uint64_t exchange) {
  HttpResponse r;
  r.status = 404;
  r.body = "no HTTP binding on this role\n";
  return HttpAnswer(exchange, std::move(r));
}

}  // namespace mcpsim::reference
