// The seeded fault proxy of `mcpsim conform --fault SPEC`: a UDP relay on
// loopback between the runner and a real server that applies the simulator's
// per-packet link model (sim::DecideLink: loss, Gilbert-Elliott bursts,
// duplication, reordering, delay + jitter, corruption, MTU, bandwidth) to
// every datagram, in both directions.
//
// Real time drives the proxy (it is the real-network side: `now` is a
// monotonic clock in us since the proxy started), but every decision is drawn
// from mcpsim::Rng streams of --seed ("fault/up/<fault>", "fault/down/<fault>"
// via sim::LinkRngs), so the sequence of decisions of a run is a function of
// the seed and the sequence of datagrams.
//
// Each distinct client source endpoint gets its own upstream socket, so the
// server still sees one sender endpoint per runner socket (TIMER-5 caches are
// keyed by endpoint). Only UDP is proxied; HTTP/TCP cases go direct.
//
// Threading: the relay runs on one internal thread; counters() may be called
// from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "conformance/harness.h"
#include "core/status.h"
#include "sim/link_model.h"

namespace mcpsim::conformance {

// SPEC: comma-separated KEY=VALUE, applied to both directions, e.g.
//   loss=0.1,dup=0.05,reorder=0.1,delay=5ms,jitter=2ms
// Keys: the scenario link-model keys (base_delay, jitter, jitter_dist,
// pareto_alpha, jitter_cap, loss, duplicate, duplicate_spread, reorder,
// reorder_delay, bandwidth_bps, queue_limit_bytes, mtu, corrupt,
// corrupt_max_bits) with the aliases delay=base_delay, dup=duplicate,
// dup_spread=duplicate_spread, and burst=P_GOOD_BAD/P_BAD_GOOD (a
// Gilbert-Elliott chain losing every packet in the bad state). Probabilities
// are in [0,1] or "N%"; durations as "5ms", "2s", "300us" (a plain number is
// ms). Parsed by the scenario parser (scenarios/yaml_util.h), so values and
// errors match the scenario files. Error clause "CONF-5".
Result<sim::LinkConfig> ParseFaultSpec(std::string_view spec);

// The longest extra delay the link can add to one packet (base + jitter cap
// in use + reorder + duplicate spread), in us: what a resending runner should
// add to its resend interval.
TimeUs WorstDelay(const sim::LinkConfig& cfg);

class FaultProxy {
 public:
  // Binds 127.0.0.1:0 (or [::1]:0 for an IPv6 upstream) and starts relaying
  // to `upstream`. REQUIRES: cfg came from ParseFaultSpec or is valid.
  static Result<std::unique_ptr<FaultProxy>> Start(const HostPort& upstream, const sim::LinkConfig& cfg,
                                                   std::uint64_t seed);
  ~FaultProxy();  // Stop()
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Where the runner sends instead of the server.
  const HostPort& address() const { return address_; }
  // Stops the thread; datagrams still scheduled are discarded (counted as
  // "discarded_at_stop").
  void Stop();

  // Snapshot: received_up/received_down (datagrams offered to the link),
  // forwarded, dropped, duplicated, reordered, corrupted, delayed (copies sent
  // later than offered), dropped_<reason> per sim::DropReasonName, and
  // upstream_endpoints.
  std::map<std::string, std::int64_t> counters() const;

 private:
  struct Impl;
  FaultProxy() = default;
  std::unique_ptr<Impl> impl_;
  HostPort address_;
};

}  // namespace mcpsim::conformance
