// A simulated network in front of real servers: the fault proxy of `mcpsim
// conform --fault` and of scenario runs against an external target.
//
// WallPacer ties a sim::World's virtual time to the wall clock (virtual 0 =
// when it was made): the World's scheduler waits for real time before each
// event (sim::Pacer) while the io_context runs, and what arrives on real
// sockets meanwhile is posted into the simulation at its arrival time.
//
// Bridge turns one simulated node into a relay to real endpoints: a datagram
// or stream reaching the node's port P is forwarded over real sockets (the
// AsioEnv) to the real endpoint mapped to P, and what comes back is sent
// from P to the simulated sender. So every fault model of the simulator —
// per-packet loss, bursts, duplication, reordering, delay, jitter,
// corruption, MTU, bandwidth; stream segment delay and jitter, random
// splitting and coalescing, injected resets; partitions, clogs and link
// changes over time — applies between simulated parties and real servers,
// decided by the World's seed. Each simulated source endpoint gets its own
// real UDP port (a real server keys its answer caches by endpoint) and each
// simulated connection its own real connection. Real-side order is the
// arrival order at the relay.
//
// Rewriting (optional) changes the bytes coming back from the real side
// before they enter the simulation: datagrams one call per datagram; streams
// through a filter made per connection (it sees the chunks in order and may
// hold bytes back, e.g. to rewrite whole HTTP responses; at the real side's
// EOF it is called once with an empty chunk and returns what it still holds). Threading: everything runs on the thread that runs the World (and
// with it the io_context).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/env.h"
#include "net/asio_env.h"
#include "sim/scheduler.h"
#include "sim/world.h"

namespace mcpsim::net {

class WallPacer final : public sim::Pacer {
 public:
  // `env` is not owned and must outlive the pacer. Virtual time 0 is now.
  explicit WallPacer(AsioEnv& env);
  TimeUs Wait(TimeUs now, TimeUs t) override;
  void Deliver() override;
  TimeUs Clock() const override { return VirtualNow(); }
  // Runs `fn` inside the simulation at the current wall time (call from
  // real-side callbacks only).
  void Post(std::function<void()> fn);
  // The wall clock in virtual time.
  TimeUs VirtualNow() const { return env_.Now() - origin_; }
  // Virtual time 0 in the AsioEnv's clock.
  TimeUs origin() const { return origin_; }

 private:
  AsioEnv& env_;
  TimeUs origin_;
  TimeUs delivering_ = 0;
  std::deque<std::pair<TimeUs, std::function<void()>>> mail_;
};

struct BridgeStats {
  std::uint64_t datagrams_out = 0, datagrams_in = 0;  // to / from the real side
  std::uint64_t streams = 0, stream_bytes_out = 0, stream_bytes_in = 0;
  std::uint64_t connect_failures = 0, resets_from_real = 0, resets_to_real = 0;
  std::uint64_t real_ports = 0;  // real UDP ports opened (one per simulated sender)
};

class Bridge {
 public:
  using Rewrite = std::function<std::string(std::string_view)>;
  // Makes the filter of one relayed connection from `peer` (simulated).
  using FilterFactory = std::function<Rewrite(const Endpoint& peer)>;
  // `world`, `real` and `pacer` are not owned and must outlive the bridge.
  // REQUIRES: pacer is the World scheduler's pacer.
  Bridge(sim::World& world, sim::NodeId node, AsioEnv& real, WallPacer& pacer);
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Datagrams to the node's `sim_port` go to `to`, answers come back.
  Status AddUdp(std::uint16_t sim_port, const Endpoint& to, Rewrite rewrite = {});
  // Connections to the node's `sim_port` are relayed to `to`.
  Status AddTcp(std::uint16_t sim_port, const Endpoint& to, FilterFactory filter = {});

  const BridgeStats& stats() const { return stats_; }

 private:
  struct Udp;
  struct Pipe;
  sim::World& world_;
  sim::NodeId node_;
  AsioEnv& real_;
  WallPacer& pacer_;
  BridgeStats stats_;
  std::map<std::uint16_t, std::unique_ptr<Udp>> udp_;
  std::map<std::uint64_t, std::shared_ptr<Pipe>> pipes_;  // by a bridge-local id
  std::uint64_t next_pipe_ = 1;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mcpsim::net
