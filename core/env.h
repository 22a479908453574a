// mcpsim core: the one boundary between protocol hosting code and the world.
//
// An Env gives one node (a simulated host, or a real process) its clock, its
// timers, datagram and stream I/O, and seeded randomness. Protocol state
// machines in reference/ never see an Env: they are fed (now, input) and emit
// outputs; the glue that hosts a role on a node (scenarios/, net/) translates
// between the two. Two implementations exist: sim/ (virtual time, simulated
// network, faults as decorators) and net/ (Boost.Asio/Beast, real sockets).
//
// Threading: an Env and every callback it invokes run on one thread; callbacks
// are never invoked re-entrantly from inside an Env call (delivery is always
// scheduled, never immediate), so handlers may call back into the Env freely.
//
// Modelled on LevelDB's include/leveldb/env.h and FoundationDB's INetwork.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "core/rng.h"
#include "core/status.h"

namespace mcpsim {

// Time in microseconds. In simulation: virtual time since the start of the
// run (starts at 0). In the real driver: a monotonic clock since process start.
using TimeUs = std::int64_t;
inline constexpr TimeUs kMillis = 1000;
inline constexpr TimeUs kSeconds = 1000 * 1000;
inline constexpr TimeUs kNever = INT64_MAX;  // "no deadline"

// A transport address, plus the logical channel a decorating Env may add.
// IPv4 addresses are stored in the first 4 bytes.
//
// `channel` tells apart logical senders that share one transport address
// (PROTOCOL.md §6.2 "sender endpoint"). 0 = the address as the transport
// gave it: every Env sets 0, and only an Env decorator that multiplexes
// logical senders sets anything else — net::UdpsEnv sets KeyChannel(k) on a
// datagram that came in an encrypted-UDP envelope under key id k, and seals
// what the role sends to such an endpoint under key id k (ENC-2). An Env
// that puts bytes on a wire ignores the channel; a decorator strips its own
// before passing a send on. The channel is part of equality, order and
// EndpointHash (tables keyed by sender endpoint keep such senders apart);
// whatever is limited per IP address (RATE-2) uses addr/v6 only.
struct Endpoint {
  std::array<std::uint8_t, 16> addr{};
  bool v6 = false;
  std::uint16_t port = 0;
  // 16 bits: plain (0) and all 256 key ids (1..256) of ENC-2 must fit.
  std::uint16_t channel = 0;

  static constexpr std::uint16_t KeyChannel(std::uint8_t key_id) { return static_cast<std::uint16_t>(1 + key_id); }
  // The key id of a KeyChannel, or -1 for channel 0 (and for values above 256).
  int channel_key_id() const { return channel >= 1 && channel <= 256 ? channel - 1 : -1; }
  // The same endpoint on channel 0 (what a decorator hands to the Env it wraps).
  Endpoint Transport() const {
    Endpoint e = *this;
    e.channel = 0;
    return e;
  }

  static Endpoint V4(std::uint32_t host_order_ip, std::uint16_t port) {
    Endpoint e;
    e.addr[0] = static_cast<std::uint8_t>(host_order_ip >> 24);
    e.addr[1] = static_cast<std::uint8_t>(host_order_ip >> 16);
    e.addr[2] = static_cast<std::uint8_t>(host_order_ip >> 8);
    e.addr[3] = static_cast<std::uint8_t>(host_order_ip);
    e.port = port;
    return e;
  }
  std::uint32_t v4() const {
    return (std::uint32_t{addr[0]} << 24) | (std::uint32_t{addr[1]} << 16) |
           (std::uint32_t{addr[2]} << 8) | addr[3];
  }
  // "10.0.0.1:7000" or "[::1]:7000"; a KeyChannel adds "~k<key id>"
  // ("10.0.0.1:7000~k3"), another non-zero channel "~c<channel>".
  std::string ToString() const;
  auto operator<=>(const Endpoint&) const = default;
};

using Bytes = std::span<const std::uint8_t>;
using TimerId = std::uint64_t;
using StreamId = std::uint64_t;

// Callbacks of one stream (TCP connection, or the TCP under an HTTP exchange).
struct StreamHandlers {
  std::function<void()> on_connected;              // connect() completed
  std::function<void(Bytes)> on_data;              // in-order bytes arrived
  std::function<void()> on_eof;                    // peer half-closed (FIN)
  std::function<void(const Status&)> on_closed;    // reset, refused, or fully closed
};

class Env {
 public:
  virtual ~Env() = default;

  // ---- time ----
  virtual TimeUs Now() const = 0;
  // Calls `fn` once at time `at` (or at Now() if `at` is in the past). Timers
  // due at the same time fire in the order they were started.
  virtual TimerId StartTimer(TimeUs at, std::function<void()> fn) = 0;
  // Cancels a pending timer; a no-op for fired or unknown ids.
  virtual void CancelTimer(TimerId id) = 0;

  // ---- datagrams ----
  // The address of this node (its port is 0; ports come from Bind).
  virtual Endpoint LocalAddress() const = 0;
  // Receives datagrams sent to `port` on this node. Port 0 picks a free port.
  // Returns the bound endpoint, or an error if the port is taken.
  virtual Result<Endpoint> BindDatagram(
      std::uint16_t port,
      std::function<void(const Endpoint& from, Bytes payload)> on_datagram) = 0;
  // Sends one datagram from the bound local port `from_port`. Delivery is not
  // guaranteed (the network may drop, duplicate, reorder, delay or corrupt).
  // The bytes are copied before return.
  virtual Status SendDatagram(std::uint16_t from_port, const Endpoint& to, Bytes payload) = 0;
  // Unbinds `port` (bound by BindDatagram): its callback is dropped at once
  // and never runs again; datagrams still queued for sending may leave. A
  // no-op for a port that is not bound. (Default: a no-op, for decorators
  // and Envs that never free ports.)
  virtual void CloseDatagram(std::uint16_t port) { (void)port; }

  // ---- streams (TCP; HTTP runs over these) ----
  // Accepts connections on `port`; `on_accept` returns the handlers for the new
  // stream (called before any data of that stream is delivered).
  virtual Result<Endpoint> Listen(
      std::uint16_t port,
      std::function<StreamHandlers(StreamId id, const Endpoint& peer)> on_accept) = 0;
  virtual Result<StreamId> Connect(const Endpoint& to, StreamHandlers handlers) = 0;
  // Queues bytes for in-order delivery (copied before return).
  virtual Status StreamSend(StreamId id, Bytes data) = 0;
  // Half-close: no more sends from this side; the peer sees on_eof.
  virtual Status StreamShutdownWrite(StreamId id) = 0;
  // Abortive close: both sides see on_closed with an error.
  virtual void StreamReset(StreamId id) = 0;

  // ---- randomness ----
  // This node's seeded generator (in simulation a named stream of the run's
  // seed; in the real driver seeded from the command line or the OS once).
  virtual Rng& Random() = 0;

  // ---- slow work (password hashing; reference/roles/role.h, Output::kWork) ----
  // Runs `work` off this node's event loop, then calls `done` on it — never
  // from inside this call. `cost` is the work's modelled duration: a
  // simulated node runs jobs FIFO in submission order on a fixed number of
  // virtual workers, each job occupying one for `cost` of virtual time; the
  // real driver runs `work` on a worker thread and ignores `cost`. `work`
  // MUST touch only what it owns (its captured inputs and its own result
  // slot: it may run on another thread); `done` runs on the loop. The default
  // runs both from a timer at Now() on the loop itself (correct, not off the
  // loop); decorators forward to the Env they wrap.
  virtual void Offload(TimeUs cost, std::function<void()> work, std::function<void()> done);
};

}  // namespace mcpsim
