// sim: the per-packet fault model of one directed link, as a pure component.
//
//   LinkConfig (what the link does) + LinkState (its memory: burst state,
//   transmitter backlog, FIFO horizon) + LinkRngs (its random streams) +
//   (now, size)  ->  LinkDecision {drop(reason) | up to 2 copies, each with an
//   arrival time and bit flips}
//
// Nothing here knows about nodes, ports or the scheduler, so the conformance
// fault proxy can apply the very same models to real UDP traffic (feeding a
// monotonic clock as `now`). Every part is switchable; a default LinkConfig is
// a perfect link with 0 delay.
//
// Order of the decision for one packet:
//   1. MTU: size > mtu -> drop kMtu (oversize datagrams never enter the link).
//   2. Queue: with bandwidth_bps > 0 the packet is serialized FIFO behind the
//      backlog; if backlog_bytes + size > queue_limit_bytes -> drop kQueueFull.
//      Departure = when its last bit leaves. (backlog is computed from the
//      transmitter's busy-until time: ceil((busy_until - now) * bps / 8e6).)
//   3. Loss: fixed `loss` rate -> kLoss; then, if enabled, Gilbert-Elliott:
//      the two-state chain first steps (good->bad with p_good_bad, bad->good
//      with p_bad_good), then the packet is lost with loss_good / loss_bad of
//      the new state -> kBurstLoss. The bad state lasts a geometric number of
//      packets with mean 1/p_bad_good; with loss_bad = 1 and loss_good = 0 the
//      mean loss-burst length is therefore 1/p_bad_good packets and the
//      long-run loss rate p_good_bad / (p_good_bad + p_bad_good).
//   4. Delay: arrival = departure + base_delay + jitter (distribution below,
//      capped at jitter_cap). Packets keep FIFO order (arrival is clamped to
//      the previous in-order arrival) unless step 5 picks them.
//   5. Reorder: with probability `reorder`, extra delay uniform in
//      [1, reorder_delay] and exempt from the FIFO clamp, so later packets
//      overtake it.
//   6. Duplicate: with probability `duplicate`, a second copy arriving
//      uniform [0, duplicate_spread] after the first.
//   7. Corrupt: each copy independently, with probability `corrupt`, gets
//      1..corrupt_max_bits (<= 4) distinct random bit positions flipped.
// Each step draws only from its own stream (LinkRngs), and only when enabled,
// so switching one fault on never changes another fault's choices.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/env.h"
#include "core/rng.h"

namespace mcpsim::sim {

enum class JitterDist : std::uint8_t {
  kNone,         // no jitter
  kUniform,      // uniform integer in [0, jitter]
  kExponential,  // exponential with mean `jitter`
  kPareto,       // Pareto(xm = jitter, alpha = pareto_alpha) - jitter (>= 0; long tail)
};

struct GilbertElliott {
  bool enabled = false;
  double p_good_bad = 0.0;  // per packet, good -> bad
  double p_bad_good = 1.0;  // per packet, bad -> good (mean bad run = 1/p_bad_good)
  double loss_good = 0.0;   // loss probability in the good state
  double loss_bad = 1.0;    // loss probability in the bad state
};

struct LinkConfig {
  TimeUs base_delay = 0;  // us
  JitterDist jitter_dist = JitterDist::kNone;
  TimeUs jitter = 0;                 // us; meaning depends on jitter_dist
  double pareto_alpha = 1.5;         // shape for kPareto (> 0)
  TimeUs jitter_cap = 10 * kSeconds;  // upper bound on any jitter sample
  double loss = 0.0;                 // fixed loss rate in [0, 1]
  GilbertElliott burst;              // bursty loss (off by default)
  double duplicate = 0.0;            // probability of one extra copy
  TimeUs duplicate_spread = 1000;    // us, max extra delay of the copy
  double reorder = 0.0;              // fraction of packets delayed out of order
  TimeUs reorder_delay = 5000;       // us, max extra delay of such a packet (>= 1)
  std::uint64_t bandwidth_bps = 0;   // bits per second; 0 = infinite
  std::uint64_t queue_limit_bytes = 0;  // transmit queue; 0 = unlimited
  std::uint32_t mtu = 0;             // max datagram payload bytes; 0 = unlimited
  double corrupt = 0.0;              // probability a copy gets bit flips
  std::uint32_t corrupt_max_bits = 1;  // 1..4 bits flipped per corrupted copy
};

// The link's memory between packets. Starts as a fresh link.
struct LinkState {
  bool burst_bad = false;
  TimeUs tx_busy_until = 0;  // when the transmitter finishes its backlog
  TimeUs fifo_horizon = 0;   // latest in-order arrival so far
};

// The link's independent random streams, one per fault kind.
struct LinkRngs {
  Rng loss, burst, delay, reorder, duplicate, corrupt;
  // Streams "<name>/loss", "<name>/burst", ... of `seed`.
  LinkRngs(std::uint64_t seed, std::string_view name);
};

enum class DropReason : std::uint8_t {
  kNone,
  kMtu,           // larger than the link MTU
  kQueueFull,     // transmit queue full
  kLoss,          // fixed-rate loss
  kBurstLoss,     // Gilbert-Elliott loss
  kLinkDown,      // link scheduled down (World)
  kPartition,     // partition window (World)
  kNoRoute,       // no node has the destination address (World)
  kPortUnreachable,  // nothing bound at the destination port (World)
  kNodeDown,      // sender or receiver crashed while the packet was in flight, or is down (World)
};
// Stable snake_case name used in traces ("queue_full", ...).
std::string_view DropReasonName(DropReason r);

struct PacketCopy {
  TimeUs arrival = 0;
  std::uint8_t flips = 0;                     // number of bit flips (0 = intact)
  std::array<std::uint32_t, 4> flip_bits{};   // bit positions (byte*8 + bit), distinct
};

struct LinkDecision {
  DropReason drop = DropReason::kNone;
  std::uint8_t copies = 0;  // 0 if dropped, else 1 or 2 (the 2nd is the duplicate)
  bool reordered = false;
  std::array<PacketCopy, 2> copy{};
};

// Decides the fate of one packet of `size` bytes offered at `now`.
// Mutates `state` and draws from `rngs`. Deterministic given its inputs.
LinkDecision DecideLink(const LinkConfig& cfg, LinkState& state, LinkRngs& rngs, TimeUs now,
                        std::size_t size);

// base_delay + one jitter sample (used by simulated streams: no loss).
TimeUs SampleDelay(const LinkConfig& cfg, Rng& rng);

// Flips the bits listed in `c` in `payload` (REQUIRES: positions < 8*size).
void ApplyFlips(const PacketCopy& c, std::span<std::uint8_t> payload);

// Serialization time of `bytes` at `bps` (> 0), rounded up to whole us.
TimeUs SerializationUs(std::size_t bytes, std::uint64_t bps);

}  // namespace mcpsim::sim
