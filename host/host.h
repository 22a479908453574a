// Hosting glue: runs one sans-I/O Role (reference/roles/role.h) on one Env
// (core/env.h). The same code hosts a role on a simulated node (sim/) and on
// real sockets (net/), so both run identical protocol paths.
//
// The host binds the role's ports, turns Env callbacks into Role inputs
// (stamped with env.Now()), drains the role's outputs into Env sends after
// every input, and keeps exactly one Env timer armed at role.NextDeadline().
// HTTP is spoken here (reference/http/http1.h) on top of Env streams: the
// role only sees whole requests and answers each with an Output::kHttpResponse
// (now or later); slow work the role asks for (Output::kWork) runs through
// Env::Offload and comes back as Role::OnWorkDone.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/env.h"
#include "reference/http/http1.h"
#include "reference/roles/role.h"
#include "reference/store/store.h"

namespace mcpsim::host {

struct HostPorts {
  std::optional<std::uint16_t> udp;   // bind a datagram port (0 = any)
  std::optional<std::uint16_t> tcp;   // listen for MCP-over-TCP streams
  std::optional<std::uint16_t> http;  // listen for HTTP
};

// Defences of the stream listeners a host runs (PROTOCOL.md HTTP-13..17,
// TCP-10); kNever turns a deadline off.
struct HostLimits {
  TimeUs http_header_timeout = 10 * kSeconds;  // accept -> complete head, else 408 (HTTP-16)
  TimeUs http_body_timeout = 30 * kSeconds;    // head -> complete body, else 408 (HTTP-16)
  TimeUs http_linger = 5 * kSeconds;           // answer sent -> peer closed, else reset (HTTP-17)
  std::size_t http_max_body = 131072;          // LIM-21: larger Content-Length -> 413 (HTTP-13)
  TimeUs tcp_first_answer_timeout = 10 * kSeconds;  // accept -> first answer, else reset (TCP-10)
  // TEST-ONLY defect switches (mcpsim serve --mutant; conformance self-test).
  // A conforming host keeps the defaults.
  bool http_reclaim_on_peer_close = true;     // HTTP-17: close at once when the peer closes early
  bool http_reject_conflicting_length = true;  // HTTP-14: differing Content-Length fields are 400
  bool http_head_too_large_431 = true;         // HTTP-15: a head over 8192 bytes is 431 (false: 400)
};

struct HostStats {
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;
  std::uint64_t http_requests = 0;
  std::uint64_t http_failures = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t batches_committed = 0;  // group commits (SetBatchStore)
  std::uint64_t batches_failed = 0;     // their outputs were discarded
  std::uint64_t http_answers_dropped = 0;  // the exchange was closed before its answer
  std::uint64_t work_started = 0, work_done = 0;  // Output::kWork jobs (Env::Offload)
  std::uint64_t http_rejected = 0;    // 400/413/431 from the HTTP parser
  std::uint64_t http_abandoned = 0;   // peer closed before a complete request
  std::uint64_t deadline_closes = 0;  // HTTP-16/17, TCP-10 deadlines that fired
};

class RoleHost {
 public:
  // Neither `env` nor `role` is owned; both must outlive the host.
  RoleHost(Env& env, reference::Role& role);
  ~RoleHost();
  RoleHost(const RoleHost&) = delete;
  RoleHost& operator=(const RoleHost&) = delete;

  // Binds/listens on the requested ports. Returns the first failure.
  Status Start(const HostPorts& ports);
  // Listener defences; set before Start (the defaults are the spec's).
  void SetLimits(const HostLimits& limits) { limits_ = limits; }

  // The bound endpoints (valid after Start).
  const Endpoint& udp_endpoint() const { return udp_ep_; }
  const Endpoint& tcp_endpoint() const { return tcp_ep_; }
  const Endpoint& http_endpoint() const { return http_ep_; }

  // Drains outputs and re-arms the timer; call after feeding the role from
  // outside the host (e.g. a scenario step that makes a client act). Closes
  // an open group-commit batch first.
  void Pump();

  // Group commit (Role::BeginBatch/EndBatch, Store::BeginBatch/EndBatch).
  // With a store set, the datagrams of one receive burst — those the Env
  // delivers before its event loop turns to anything else (timers, streams,
  // the end-of-burst timer this host starts at Now()) — run inside one store
  // batch. Outputs are drained only after EndBatch committed it; if the
  // commit fails they are discarded (the role forgets their cached answers),
  // as if the datagrams had been lost. Any other input closes the batch
  // first, so nothing that reports a write leaves before its commit. Without
  // a store (the default, e.g. in simulation) every datagram is pumped at
  // once. A batch also closes after kMaxBatch datagrams. `store` is not
  // owned and must outlive the host; nullptr turns batching off.
  void SetBatchStore(reference::Store* store) { batch_store_ = store; }
  static constexpr std::size_t kMaxBatch = 512;

  const HostStats& stats() const { return stats_; }

 private:
  struct HttpServerConn;
  struct HttpClientConn;
  void ArmTimer();
  void StartHttpClient(const reference::Output& o);
  void Respond(StreamId id, const reference::HttpResponse& resp);  // kHttpResponse
  void RunWork(const reference::Output& o);                        // kWork
  void ArmHttpTimer(HttpServerConn& c, StreamId id, TimeUs after, bool linger);
  void StartStreamClient(const reference::Output& o);  // Output::kConnect
  StreamId StreamOf(std::uint64_t conn) const;          // role conn id -> Env stream
  void Flush();        // the drain loop behind Pump
  void OpenBatch();    // store + role batch, and the end-of-burst timer
  void CloseBatch();   // commit, tell the role, drain (or discard)

  Env& env_;
  reference::Role& role_;
  Endpoint udp_ep_, tcp_ep_, http_ep_;
  std::uint16_t udp_port_ = 0;
  std::optional<TimerId> timer_;
  TimeUs timer_at_ = kNever;
  // Stream state (HTTP server and client exchanges, TCP deadlines, streams
  // the role opened): allocated on first use, so a host that only speaks UDP
  // (a simulated phone) carries none of it (memory per phone at scale).
  struct Streams;
  Streams& streams();
  std::unique_ptr<Streams> streams_;
  HostLimits limits_;
  HostStats stats_;
  bool pumping_ = false;
  reference::Store* batch_store_ = nullptr;
  bool batch_open_ = false;
  std::size_t batch_inputs_ = 0;
  std::optional<TimerId> batch_timer_;
  std::shared_ptr<bool> alive_;
};

}  // namespace mcpsim::host
