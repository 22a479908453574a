#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

#include "sim/link_model.h"

namespace mcpsim::sim {
namespace {

struct Tally {
  int sent = 0, delivered = 0, dups = 0, corrupted = 0;
  int drops[9] = {};
};

Tally Offer(const LinkConfig& cfg, int n, std::size_t size = 100, TimeUs gap = 1000,
            std::uint64_t seed = 1) {
  LinkState st;
  LinkRngs rngs(seed, "link:test");
  Tally t;
  for (int i = 0; i < n; ++i) {
    const LinkDecision d = DecideLink(cfg, st, rngs, i * gap, size);
    ++t.sent;
    if (d.drop != DropReason::kNone) {
      ++t.drops[static_cast<int>(d.drop)];
      continue;
    }
    t.delivered += d.copies;
    t.dups += d.copies - 1;
    for (int c = 0; c < d.copies; ++c) t.corrupted += d.copy[c].flips != 0;
  }
  return t;
}

TEST(SimLinkModel, PerfectLinkDeliversEverythingAtBaseDelay) {
  LinkConfig cfg;
  cfg.base_delay = 2500;
  LinkState st;
  LinkRngs rngs(1, "x");
  const LinkDecision d = DecideLink(cfg, st, rngs, 1000, 10);
  ASSERT_EQ(d.drop, DropReason::kNone);
  ASSERT_EQ(d.copies, 1);
  EXPECT_EQ(d.copy[0].arrival, 3500);
  EXPECT_EQ(d.copy[0].flips, 0);
}

TEST(SimLinkModel, FixedLossMatchesRate) {
  LinkConfig cfg;
  cfg.loss = 0.10;
  const Tally t = Offer(cfg, 50000);
  const double rate = t.drops[static_cast<int>(DropReason::kLoss)] / double(t.sent);
  EXPECT_NEAR(rate, 0.10, 0.01);
  EXPECT_EQ(t.delivered + t.drops[static_cast<int>(DropReason::kLoss)], t.sent);
}

TEST(SimLinkModel, GilbertElliottBurstsHaveConfiguredMeanLength) {
  LinkConfig cfg;
  cfg.burst.enabled = true;
  cfg.burst.p_good_bad = 0.02;
  cfg.burst.p_bad_good = 0.25;  // mean burst 4 packets
  cfg.burst.loss_good = 0.0;
  cfg.burst.loss_bad = 1.0;
  LinkState st;
  LinkRngs rngs(7, "link:ge");
  int bursts = 0, lost = 0, run = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const bool drop = DecideLink(cfg, st, rngs, i, 100).drop == DropReason::kBurstLoss;
    if (drop) {
      ++lost;
      ++run;
    } else if (run > 0) {
      ++bursts;
      run = 0;
    }
  }
  ASSERT_GT(bursts, 500);
  EXPECT_NEAR(lost / double(bursts), 4.0, 0.3);
  EXPECT_NEAR(lost / double(n), 0.02 / (0.02 + 0.25), 0.01);
}

TEST(SimLinkModel, DuplicationMatchesRateAndCopyIsNotEarlier) {
  LinkConfig cfg;
  cfg.duplicate = 0.05;
  cfg.duplicate_spread = 300;
  LinkState st;
  LinkRngs rngs(3, "link:dup");
  int dups = 0;
  const int n = 40000;
  for (int i = 0; i < n; ++i) {
    const LinkDecision d = DecideLink(cfg, st, rngs, i * 10, 50);
    if (d.copies == 2) {
      ++dups;
      EXPECT_GE(d.copy[1].arrival, d.copy[0].arrival);
      EXPECT_LE(d.copy[1].arrival, d.copy[0].arrival + 300);
    }
  }
  EXPECT_NEAR(dups / double(n), 0.05, 0.006);
}

TEST(SimLinkModel, MtuDropsExactlyOversize) {
  LinkConfig cfg;
  cfg.mtu = 1200;
  LinkState st;
  LinkRngs rngs(1, "m");
  for (std::size_t size : {0u, 1u, 1199u, 1200u}) {
    EXPECT_EQ(DecideLink(cfg, st, rngs, 0, size).drop, DropReason::kNone) << size;
  }
  for (std::size_t size : {1201u, 1500u, 65000u}) {
    EXPECT_EQ(DecideLink(cfg, st, rngs, 0, size).drop, DropReason::kMtu) << size;
  }
}

TEST(SimLinkModel, CorruptionFlipsDistinctBitsWithConfiguredRate) {
  LinkConfig cfg;
  cfg.corrupt = 0.2;
  cfg.corrupt_max_bits = 3;
  LinkState st;
  LinkRngs rngs(9, "c");
  int corrupted = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const LinkDecision d = DecideLink(cfg, st, rngs, i, 16);
    const PacketCopy& c = d.copy[0];
    if (c.flips == 0) continue;
    ++corrupted;
    ASSERT_LE(c.flips, 3);
    std::vector<std::uint8_t> buf(16, 0);
    ApplyFlips(c, buf);
    int ones = 0;
    for (auto b : buf) ones += __builtin_popcount(b);
    EXPECT_EQ(ones, c.flips);  // distinct positions, all inside the payload
  }
  EXPECT_NEAR(corrupted / double(n), 0.2, 0.015);
}

TEST(SimLinkModel, BandwidthSerializesAndQueueDropsWhenFull) {
  LinkConfig cfg;
  cfg.bandwidth_bps = 8'000'000;   // 1 byte per us
  cfg.queue_limit_bytes = 10'000;  // 10 packets of 1000 bytes
  LinkState st;
  LinkRngs rngs(1, "bw");
  int ok = 0, full = 0;
  TimeUs last = 0;
  for (int i = 0; i < 20; ++i) {  // burst of 20 at t=0
    const LinkDecision d = DecideLink(cfg, st, rngs, 0, 1000);
    if (d.drop == DropReason::kQueueFull) {
      ++full;
    } else {
      ++ok;
      EXPECT_EQ(d.copy[0].arrival, last + 1000);  // one serialization time apart
      last = d.copy[0].arrival;
    }
  }
  EXPECT_EQ(ok, 10);
  EXPECT_EQ(full, 10);
  // Once the backlog drains, packets are accepted again.
  EXPECT_EQ(DecideLink(cfg, st, rngs, 10'000, 1000).drop, DropReason::kNone);
  EXPECT_EQ(SerializationUs(1500, 1'000'000), 12000);
}

TEST(SimLinkModel, ReorderingDelaysAFractionOutOfOrder) {
  LinkConfig cfg;
  cfg.base_delay = 1000;
  cfg.reorder = 0.1;
  cfg.reorder_delay = 5000;
  LinkState st;
  LinkRngs rngs(5, "r");
  int reordered = 0, inversions = 0;
  TimeUs max_in_order = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const LinkDecision d = DecideLink(cfg, st, rngs, i * 100, 10);
    if (d.reordered) {
      ++reordered;
      EXPECT_GT(d.copy[0].arrival, i * 100 + 1000);
    } else {
      if (d.copy[0].arrival < max_in_order) ++inversions;
      max_in_order = std::max(max_in_order, d.copy[0].arrival);
    }
  }
  EXPECT_EQ(inversions, 0);  // non-reordered packets stay FIFO
  EXPECT_NEAR(reordered / double(n), 0.1, 0.01);
}

TEST(SimLinkModel, JitterDistributionsHaveExpectedMeans) {
  for (JitterDist dist : {JitterDist::kUniform, JitterDist::kExponential, JitterDist::kPareto}) {
    LinkConfig cfg;
    cfg.jitter_dist = dist;
    cfg.jitter = 1000;
    cfg.pareto_alpha = 3.0;  // mean of Pareto - xm = xm/(alpha-1) = 500
    Rng rng(11);
    double sum = 0;
    const int n = 50000;
    for (int i = 0; i < n; ++i) {
      const TimeUs d = SampleDelay(cfg, rng);
      ASSERT_GE(d, 0);
      sum += static_cast<double>(d);
    }
    const double expect = dist == JitterDist::kUniform ? 500 : dist == JitterDist::kExponential ? 999.5 : 499.5;
    EXPECT_NEAR(sum / n, expect, expect * 0.05) << static_cast<int>(dist);
  }
}

TEST(SimLinkModel, EnablingOneFaultDoesNotChangeAnothersChoices) {
  LinkConfig a;
  a.loss = 0.3;
  LinkConfig b = a;
  b.duplicate = 0.5;
  b.corrupt = 0.5;
  LinkState sa, sb;
  LinkRngs ra(42, "l"), rb(42, "l");
  for (int i = 0; i < 2000; ++i) {
    const bool da = DecideLink(a, sa, ra, i, 20).drop == DropReason::kLoss;
    const bool db = DecideLink(b, sb, rb, i, 20).drop == DropReason::kLoss;
    ASSERT_EQ(da, db) << i;
  }
}

RC_GTEST_PROP(SimLinkModel, ArrivalNeverBeforeSend, (std::uint64_t seed, std::uint16_t size)) {
  LinkConfig cfg;
  cfg.base_delay = *rc::gen::inRange<TimeUs>(0, 10000);
  cfg.jitter_dist = static_cast<JitterDist>(*rc::gen::inRange(0, 4));
  cfg.jitter = *rc::gen::inRange<TimeUs>(0, 10000);
  cfg.reorder = 0.2;
  cfg.duplicate = 0.2;
  cfg.bandwidth_bps = *rc::gen::element<std::uint64_t>(0, 1'000'000, 100'000'000);
  LinkState st;
  LinkRngs rngs(seed, "p");
  for (int i = 0; i < 50; ++i) {
    const LinkDecision d = DecideLink(cfg, st, rngs, i * 50, size);
    for (int c = 0; c < d.copies; ++c) RC_ASSERT(d.copy[c].arrival >= i * 50 + cfg.base_delay);
  }
}

}  // namespace
}  // namespace mcpsim::sim
