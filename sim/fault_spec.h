// sim: the fault-spec text form, e.g.
//   loss=0.1,dup=0.05,reorder=0.1,delay=5ms,jitter=2ms,split=1,reset=0.01,partition=2s-4s
// one line that configures a network path between two parties: the per-packet
// link model (applied to both directions), the stream faults and scheduled
// windows. Used by `mcpsim conform --fault SPEC` (the fault proxy between the
// runner and a real target) and anywhere a command line takes a link.
//
// Grammar: comma-separated KEY=VALUE items (spaces around items ignored).
// Probabilities are in [0,1] or "N%"; durations "300us", "5ms", "1.5s", "2m"
// (a plain number is ms), as in scenario files.
//   link (sim::LinkConfig): loss, dup|duplicate, dup_spread|duplicate_spread,
//     reorder, reorder_delay, delay|base_delay, jitter (uniform unless
//     jitter_dist), jitter_dist (none|uniform|exponential|pareto), jitter_cap,
//     pareto_alpha, burst=P_GOOD_BAD/P_BAD_GOOD (every packet of the bad state
//     is lost), corrupt, corrupt_max_bits (1..4), mtu, bandwidth_bps,
//     queue_limit_bytes
//   streams (sim::StreamOptions): split (0|1: segments of random size in
//     [1, segment]), segment (max segment bytes, 1..65535), coalesce
//     (probability that a send is held and merged with the next one),
//     coalesce_hold (how long at most), reset (probability per data segment
//     that the connection is reset instead), stall_reset (a segment blocked
//     longer resets the stream), connect_timeout
//   windows (repeatable): partition=START-END (datagrams dropped, stream
//     segments held; a long one resets streams), clog=START-END (everything
//     held and released at END), times from the start of the run
// Errors name the item: clause SIM-30.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sim/link_model.h"
#include "sim/world.h"

namespace mcpsim::sim {

struct FaultWindow {
  enum class Kind : std::uint8_t { kPartition, kClog };
  Kind kind = Kind::kPartition;
  TimeUs start = 0, end = 0;  // [start, end)
};

struct FaultSpec {
  LinkConfig link;
  StreamOptions streams;
  std::vector<FaultWindow> windows;
  bool empty = true;  // no item given
};

Result<FaultSpec> ParseFaultSpec(std::string_view text);

// "120s", "250ms", "500us", "2m", "1.5s"; a plain integer means ms.
std::optional<TimeUs> ParseDurationText(std::string_view s);

// The longest extra delay the link can add to one packet (base + the jitter
// in use, capped + reorder + duplicate spread), in us: what a resending
// runner adds to its resend interval.
TimeUs WorstDelay(const LinkConfig& cfg);

// Applies `spec` to the directed links a->b and b->a and its windows to the
// pair (two-way); stream options are World-wide and set at construction
// (WorldOptions::streams = spec.streams).
Status ApplyFaultSpec(World& w, NodeId a, NodeId b, const FaultSpec& spec);

}  // namespace mcpsim::sim
