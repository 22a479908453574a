// The seeded fault proxy of `mcpsim conform --fault SPEC`: a simulated
// network segment between the runner and a real target, on every transport.
//
// The runner's cases run on node "runner" of a sim::World paced by the wall
// clock (net::WallPacer); node "target" is a net::Bridge that relays each of
// the target's listeners (UDP, encrypted UDP, TCP, HTTP) to the real server
// at the same port number. The links runner<->target carry the SPEC
// (sim/fault_spec.h): datagrams meet the per-packet link model (loss, bursts,
// duplication, reordering, delay + jitter, corruption, MTU, bandwidth),
// stream segments meet delay + jitter per segment, random splitting and
// coalescing, injected resets, and partition or clog windows stall or reset
// them — every decision drawn from named streams of --seed, the same models
// the scenario simulator uses. The runner's I/O goes through the returned
// Target's Env and loop (the runner node), exactly as without a proxy.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "conformance/harness.h"
#include "net/asio_env.h"
#include "net/bridge.h"
#include "sim/fault_spec.h"
#include "sim/world.h"
#include "sim/world_loop.h"

namespace mcpsim::conformance {

class FaultProxy {
 public:
  // `real` runs the relay's sockets (not owned; outlives the proxy).
  // `upstream` holds the real addresses (literals). Error CONF-3 when an
  // address cannot be bridged.
  static Result<std::unique_ptr<FaultProxy>> Start(net::AsioEnv& real, const Target& upstream,
                                                   const sim::FaultSpec& spec, std::uint64_t seed);
  ~FaultProxy();

  // The addresses to test (on the simulated target node), with env = the
  // runner node and loop = the paced World. Keys and nonce are copied.
  const Target& target() const { return target_; }
  Env& runner_env();
  sim::World& world() { return *world_; }
  // Virtual time 0 in the AsioEnv's clock (for real timestamps).
  TimeUs origin() const { return pacer_->origin(); }

  // sent (datagrams offered to the links, both directions), forwarded,
  // dropped, dropped_<reason>, duplicated, reordered, corrupted;
  // stream_segments, stream_resets_injected, stream_coalesced; bridge_*
  // (real side: datagrams, streams, bytes, resets, ports).
  std::map<std::string, std::int64_t> counters() const;

 private:
  FaultProxy() = default;
  std::unique_ptr<net::WallPacer> pacer_;
  std::unique_ptr<sim::World> world_;
  std::unique_ptr<sim::WorldLoop> loop_;
  std::unique_ptr<net::Bridge> bridge_;
  sim::NodeId runner_ = 0, target_node_ = 0;
  Target target_;
};

}  // namespace mcpsim::conformance
