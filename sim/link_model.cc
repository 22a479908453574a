#include "sim/link_model.h"

#include <string>

namespace mcpsim::sim {
namespace {

Rng Sub(std::uint64_t seed, std::string_view name, std::string_view part) {
  std::string full(name);
  full += '/';
  full += part;
  return Rng::Stream(seed, full);
}

// Converts a non-negative double sample to whole us, capped at `cap` (also
// catching inf/NaN, which compare false).
TimeUs CapToUs(double v, TimeUs cap) {
  if (!(v < static_cast<double>(cap))) return cap;
  if (!(v > 0.0)) return 0;
  return static_cast<TimeUs>(v);
}

TimeUs Jitter(const LinkConfig& cfg, Rng& rng) {
  if (cfg.jitter <= 0) return 0;
  switch (cfg.jitter_dist) {
    case JitterDist::kNone:
      return 0;
    case JitterDist::kUniform:
      return rng.Range(0, cfg.jitter < cfg.jitter_cap ? cfg.jitter : cfg.jitter_cap);
    case JitterDist::kExponential:
      return CapToUs(rng.Exponential(static_cast<double>(cfg.jitter)), cfg.jitter_cap);
    case JitterDist::kPareto: {
      const double xm = static_cast<double>(cfg.jitter);
      const double alpha = cfg.pareto_alpha > 0.0 ? cfg.pareto_alpha : 1.5;
      return CapToUs(rng.Pareto(xm, alpha) - xm, cfg.jitter_cap);
    }
  }
  return 0;
}

void DrawFlips(const LinkConfig& cfg, Rng& rng, std::size_t size, PacketCopy& c) {
  const std::uint64_t nbits = std::uint64_t{size} * 8;
  std::uint32_t want = cfg.corrupt_max_bits < 1 ? 1 : (cfg.corrupt_max_bits > 4 ? 4 : cfg.corrupt_max_bits);
  if (want > 1) want = static_cast<std::uint32_t>(rng.Range(1, want));
  if (want > nbits) want = static_cast<std::uint32_t>(nbits);
  c.flips = 0;
  while (c.flips < want) {
    const auto bit = static_cast<std::uint32_t>(rng.Below(nbits));
    bool dup = false;
    for (std::uint8_t k = 0; k < c.flips; ++k) dup |= c.flip_bits[k] == bit;
    if (!dup) c.flip_bits[c.flips++] = bit;
  }
}

}  // namespace

LinkRngs::LinkRngs(std::uint64_t seed, std::string_view name)
    : loss(Sub(seed, name, "loss")),
      burst(Sub(seed, name, "burst")),
      delay(Sub(seed, name, "delay")),
      reorder(Sub(seed, name, "reorder")),
      duplicate(Sub(seed, name, "dup")),
      corrupt(Sub(seed, name, "corrupt")) {}

std::string_view DropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kNone: return "none";
    case DropReason::kMtu: return "mtu";
    case DropReason::kQueueFull: return "queue_full";
    case DropReason::kLoss: return "loss";
    case DropReason::kBurstLoss: return "burst_loss";
    case DropReason::kLinkDown: return "link_down";
    case DropReason::kPartition: return "partition";
    case DropReason::kNoRoute: return "no_route";
    case DropReason::kPortUnreachable: return "port_unreachable";
    case DropReason::kNodeDown: return "node_down";
  }
  return "unknown";
}

TimeUs SerializationUs(std::size_t bytes, std::uint64_t bps) {
  const unsigned __int128 bits_us = static_cast<unsigned __int128>(bytes) * 8 * 1000000;
  return static_cast<TimeUs>((bits_us + bps - 1) / bps);
}

TimeUs SampleDelay(const LinkConfig& cfg, Rng& rng) { return cfg.base_delay + Jitter(cfg, rng); }

void ApplyFlips(const PacketCopy& c, std::span<std::uint8_t> payload) {
  for (std::uint8_t k = 0; k < c.flips; ++k) {
    const std::uint32_t bit = c.flip_bits[k];
    payload[bit >> 3] ^= static_cast<std::uint8_t>(1u << (bit & 7));
  }
}

LinkDecision DecideLink(const LinkConfig& cfg, LinkState& st, LinkRngs& rng, TimeUs now,
                        std::size_t size) {
  LinkDecision d;
  if (cfg.mtu != 0 && size > cfg.mtu) {
    d.drop = DropReason::kMtu;
    return d;
  }
  TimeUs depart = now;
  if (cfg.bandwidth_bps != 0) {
    const TimeUs busy = st.tx_busy_until > now ? st.tx_busy_until - now : 0;
    if (cfg.queue_limit_bytes != 0) {
      const unsigned __int128 num = static_cast<unsigned __int128>(busy) * cfg.bandwidth_bps;
      const auto backlog = static_cast<std::uint64_t>((num + 8000000 - 1) / 8000000);
      if (backlog + size > cfg.queue_limit_bytes) {
        d.drop = DropReason::kQueueFull;
        return d;
      }
    }
    st.tx_busy_until = now + busy + SerializationUs(size, cfg.bandwidth_bps);
    depart = st.tx_busy_until;
  }
  // The wire consumed the packet's transmission time even if it is lost.
  if (cfg.loss > 0.0 && rng.loss.Chance(cfg.loss)) {
    d.drop = DropReason::kLoss;
    return d;
  }
  if (cfg.burst.enabled) {
    st.burst_bad = st.burst_bad ? !rng.burst.Chance(cfg.burst.p_bad_good)
                                : rng.burst.Chance(cfg.burst.p_good_bad);
    if (rng.burst.Chance(st.burst_bad ? cfg.burst.loss_bad : cfg.burst.loss_good)) {
      d.drop = DropReason::kBurstLoss;
      return d;
    }
  }
  TimeUs arrival = depart + cfg.base_delay + Jitter(cfg, rng.delay);
  if (cfg.reorder > 0.0 && rng.reorder.Chance(cfg.reorder)) {
    d.reordered = true;
    arrival += rng.reorder.Range(1, cfg.reorder_delay > 1 ? cfg.reorder_delay : 1);
  } else {
    if (arrival < st.fifo_horizon) arrival = st.fifo_horizon;
    st.fifo_horizon = arrival;
  }
  d.copies = 1;
  d.copy[0].arrival = arrival;
  if (cfg.duplicate > 0.0 && rng.duplicate.Chance(cfg.duplicate)) {
    d.copies = 2;
    d.copy[1].arrival =
        arrival + (cfg.duplicate_spread > 0 ? rng.duplicate.Range(0, cfg.duplicate_spread) : 0);
  }
  if (cfg.corrupt > 0.0 && size > 0) {
    for (std::uint8_t i = 0; i < d.copies; ++i) {
      if (rng.corrupt.Chance(cfg.corrupt)) DrawFlips(cfg, rng.corrupt, size, d.copy[i]);
    }
  }
  return d;
}

}  // namespace mcpsim::sim
