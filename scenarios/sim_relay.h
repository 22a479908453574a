// A relay between two nodes of one sim::World, in virtual time: what reaches
// port P of the relay node is forwarded to an endpoint on another node (a
// target inside the simulation, sim_stage.h), and what comes back is sent to
// the original sender from P. So a target that serves every role on one
// node is reached at each role's own node, and the scenario's faults on the
// links and nodes of those roles apply to its traffic exactly as to the
// in-process reference's. The relay -> target link is the hosting glue's
// (sim_stage.cc makes it perfect: no delay, no loss).
//
// Each simulated sender gets its own relay UDP port (a server keys sessions
// and answer caches by endpoint), each connection its own connection. The
// target therefore sees the relay node's address as every client's: per
// address limits see one address per role node.
//
// Rewriting (optional) changes bytes coming back from the target: datagrams
// one call per datagram; streams through a filter made per connection (at
// the target's EOF it is called once with an empty chunk).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/env.h"
#include "core/status.h"
#include "sim/world.h"

namespace mcpsim::scenarios {

struct RelayStats {
  std::uint64_t datagrams_out = 0, datagrams_in = 0;  // to / from the target
  std::uint64_t streams = 0, stream_bytes_out = 0, stream_bytes_in = 0;
  std::uint64_t connect_failures = 0, resets_from_target = 0, resets_to_target = 0;
};

class SimRelay {
 public:
  using Rewrite = std::function<std::string(std::string_view)>;
  using FilterFactory = std::function<Rewrite(const Endpoint& peer)>;
  // Sees every datagram relayed on a UDP port, in order: `to_target` for a
  // sender's datagram on its way to the target, else the target's (before
  // any rewrite) on its way back to `sender`; `now` is the relay's time.
  using Observe = std::function<void(TimeUs now, bool to_target, const Endpoint& sender, std::string_view bytes)>;
  // `world` is not owned and must outlive the relay (or Abandon is called).
  SimRelay(sim::World& world, sim::NodeId node);
  ~SimRelay();
  SimRelay(const SimRelay&) = delete;
  SimRelay& operator=(const SimRelay&) = delete;

  // Datagrams to the node's `port` go to `to`, answers come back.
  Status AddUdp(std::uint16_t port, const Endpoint& to, Rewrite rewrite = {}, Observe observe = {});
  // Connections to the node's `port` are relayed to `to`.
  Status AddTcp(std::uint16_t port, const Endpoint& to, FilterFactory filter = {});
  const RelayStats& stats() const { return stats_; }

 private:
  struct Udp;
  struct Pipe;
  Env& env();
  sim::World& world_;
  sim::NodeId node_;
  RelayStats stats_;
  std::map<std::uint16_t, std::unique_ptr<Udp>> udp_;
  std::map<std::uint64_t, std::shared_ptr<Pipe>> pipes_;
  std::uint64_t next_pipe_ = 1;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mcpsim::scenarios
