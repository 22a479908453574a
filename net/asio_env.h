// AsioEnv: core::Env on real sockets (Boost.Asio 1.74), one io_context, one
// thread. Everything a role host needs: a monotonic clock, timers, UDP ports
// with a batched receive path (recvmmsg/sendmmsg on Linux), TCP streams with
// bounded buffers and timeouts, optional TLS listeners presenting the same
// stream interface (so host::RoleHost speaks HTTPS unchanged), and a seeded Rng.
//
// Threading: every method and every callback runs on the thread that runs the
// io_context. Callbacks are only ever invoked from io_context handlers, never
// from inside an AsioEnv call (ENV contract: no re-entrancy). The one
// exception is the `work` of Offload, which runs on a small worker pool and
// must touch only what it owns.
//
// Robustness (nothing a peer sends can crash the process or grow memory
// without bound): datagrams larger than `udp_max_datagram` are dropped;
// an optional per-source-address token bucket drops floods before they reach
// the role; a stream whose unsent bytes exceed `stream_send_buffer` (the peer
// does not read) is reset; a stream with no traffic for `stream_idle_timeout`,
// or whose queued bytes make no progress for `stream_stall_timeout`, is reset;
// accepted streams beyond `max_streams` are closed at once.
//
// Clause ids of errors returned here: NET-1 bad address / bind failure, NET-2
// unknown or closed port/stream, NET-3 stream send buffer overflow (the stream
// is reset), NET-4 timeout (idle or stalled; on_closed), NET-5 peer reset or
// transport error (on_closed), NET-6 reset locally (on_closed), NET-11 evicted
// to make room at a full listener (on_closed, TCP-11).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/env.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace mcpsim::net {

struct AsioEnvOptions {
  std::string bind_address = "127.0.0.1";  // IPv4/IPv6 literal used by Bind/Listen
  std::optional<std::uint64_t> seed;       // Random(): this seed, else one draw from the OS
  // ---- UDP ----
  std::size_t udp_batch = 32;              // datagrams per recvmmsg / sendmmsg call
  std::size_t udp_max_datagram = 65535;    // larger datagrams are dropped on receipt
  std::size_t udp_send_queue = 8192;       // queued datagrams per port before dropping
  double udp_rate_per_s = 0;               // per source address; 0 = unlimited
  double udp_burst = 0;                    // bucket depth (0 = rate_per_s)
  std::size_t udp_rate_keys = 65536;       // source addresses remembered, least recently seen forgotten
  // Stream events (accepted connections, readable sockets) handled between two
  // non-blocking reads of the datagram sockets, one batch (udp_batch) per
  // port each (0 = only when the reactor reports them readable). A storm of
  // connection events must not make the datagrams that arrived meanwhile wait
  // behind all of it, nor a datagram flood take the streams' turns (issue 15).
  std::size_t udp_poll_every = 16;
  // ---- streams ----
  std::size_t stream_send_buffer = 4 << 20;     // unsent bytes per stream before reset
  TimeUs stream_idle_timeout = 120 * kSeconds;  // no bytes either way; kNever = off
  TimeUs stream_stall_timeout = 30 * kSeconds;  // queued bytes not draining; kNever = off
  std::size_t max_streams = 8192;               // open streams (accepted + connected); more are refused
  // ---- slow work (Env::Offload) ----
  // Worker threads, started on the first Offload; 0: no threads, `work` runs
  // on the loop (Env::Offload's default) — for targets under the interposer.
  std::size_t workers = 2;
};

// Caps of one listener (TCP-11): at `max_conns` open connections of the
// listener, a new one evicts the listener's idlest (longest without a byte
// received); at `max_per_address` connections from one source address, the
// new one from that address is closed at once. 0 = no cap.
struct ListenLimits {
  std::size_t max_conns = 0;
  std::size_t max_per_address = 0;
};

struct AsioEnvStats {
  std::uint64_t datagrams_received = 0, datagrams_sent = 0;
  std::uint64_t datagrams_rate_limited = 0, datagrams_oversize = 0, datagrams_send_dropped = 0;
  std::uint64_t receive_batches = 0;  // recvmmsg calls that returned data
  std::uint64_t datagram_polls = 0;   // reads of the datagram sockets between stream events
  std::uint64_t streams_accepted = 0, streams_refused = 0, streams_timed_out = 0;
  std::uint64_t streams_overflowed = 0, tls_handshake_failures = 0;
  std::uint64_t streams_evicted = 0, streams_address_capped = 0;  // TCP-11
  std::uint64_t work_offloaded = 0, work_completed = 0;  // Env::Offload jobs
};

class AsioEnv final : public Env {
 public:
  // `io` is not owned and must outlive this object; run it on one thread.
  explicit AsioEnv(boost::asio::io_context& io, AsioEnvOptions options = {});
  ~AsioEnv() override;  // closes every socket; pending callbacks are dropped
  AsioEnv(const AsioEnv&) = delete;
  AsioEnv& operator=(const AsioEnv&) = delete;

  // ---- Env ----
  TimeUs Now() const override;  // microseconds of steady_clock since construction
  TimerId StartTimer(TimeUs at, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override;
  Endpoint LocalAddress() const override;
  Result<Endpoint> BindDatagram(std::uint16_t port,
                                std::function<void(const Endpoint&, Bytes)> on_datagram) override;
  Status SendDatagram(std::uint16_t from_port, const Endpoint& to, Bytes payload) override;
  // Closes the socket at once; queued datagrams of that port are discarded.
  void CloseDatagram(std::uint16_t port) override;
  Result<Endpoint> Listen(std::uint16_t port,
                          std::function<StreamHandlers(StreamId, const Endpoint&)> on_accept) override;
  Result<StreamId> Connect(const Endpoint& to, StreamHandlers handlers) override;
  Status StreamSend(StreamId id, Bytes data) override;
  Status StreamShutdownWrite(StreamId id) override;
  void StreamReset(StreamId id) override;
  Rng& Random() override;
  // Runs `work` on one of options.workers threads (the only threads in the
  // process besides the io_context's), then posts `done` to the io_context.
  // Jobs queue FIFO; Close() abandons jobs not yet started and waits for the
  // running ones; no `done` runs after Close().
  void Offload(TimeUs cost, std::function<void()> work, std::function<void()> done) override;

  // ---- beyond Env ----
  // The address later Bind/Listen calls use (an IP literal; "localhost" means
  // 127.0.0.1). NET-1 if unparsable.
  Status SetBindAddress(std::string_view ip);
  // Like Listen, but every accepted stream is a TLS server session over
  // `tls` (not owned; must outlive this object). on_accept runs after the
  // handshake; stream data is plaintext. Over TLS, StreamShutdownWrite sends
  // close_notify after the queued bytes and then closes the stream (TLS has
  // no dependable half-close).
  Result<Endpoint> ListenTls(std::uint16_t port, boost::asio::ssl::context& tls,
                             std::function<StreamHandlers(StreamId, const Endpoint&)> on_accept);
  // Makes later Listen calls behave as ListenTls(…, *tls, …) (nullptr: plain
  // again), so code that only knows Env::Listen (RoleHost) can serve HTTPS.
  void SetListenTls(boost::asio::ssl::context* tls);
  // The caps later Listen/ListenTls calls get (default: none).
  void SetListenLimits(const ListenLimits& limits);
  // Graceful stop, step 1: closes listeners and stops receiving datagrams;
  // queued output keeps flowing.
  void StopReceiving();
  // True while datagrams or stream bytes are queued but not yet sent.
  bool HasPendingOutput() const;
  // Closes every socket and cancels every timer; no callback runs afterwards.
  void Close();

  const AsioEnvStats& stats() const;
  std::size_t open_streams() const;
  boost::asio::io_context& io();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "127.0.0.1:7000", "[::1]:0", "localhost:8080" -> (ip literal, port).
// Clause NET-1 on anything else (no name resolution).
Result<std::pair<std::string, std::uint16_t>> ParseHostPort(std::string_view text);

}  // namespace mcpsim::net
