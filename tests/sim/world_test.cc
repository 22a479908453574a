#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "sim/selfcheck.h"
#include "sim/world.h"

namespace mcpsim::sim {
namespace {

std::vector<std::uint8_t> Payload(int i, std::size_t n = 8) {
  std::vector<std::uint8_t> p(n);
  for (std::size_t k = 0; k < n; ++k) p[k] = static_cast<std::uint8_t>(i + k);
  return p;
}

// Two nodes; `a` sends `n` numbered datagrams to `b` every `gap` us starting
// at t=0; returns what b received (first payload byte = index).
struct Pair {
  World w;
  NodeId a, b;
  std::vector<int> got;
  std::vector<TimeUs> at;
  explicit Pair(std::uint64_t seed, WorldOptions o = {}) : w(seed, o) {
    a = w.AddNode("a");
    b = w.AddNode("b");
    EXPECT_TRUE(w.env(a).BindDatagram(1000, [](const Endpoint&, Bytes) {}).ok());
    EXPECT_TRUE(w.env(b).BindDatagram(2000, [this](const Endpoint&, Bytes p) {
      got.push_back(p.empty() ? -1 : p[0]);
      at.push_back(w.Now());
    }).ok());
  }
  void SendMany(int n, TimeUs gap, std::size_t size = 8) {
    for (int i = 0; i < n; ++i) {
      w.scheduler().At(i * gap, [this, i, size] {
        const auto p = Payload(i, size);
        EXPECT_TRUE(w.env(a).SendDatagram(1000, Endpoint::V4(w.node_ip(b), 2000), p).ok());
      });
    }
  }
};

Status LossyWorkload(World& w) {
  LinkConfig cfg;
  cfg.base_delay = 1000;
  cfg.jitter_dist = JitterDist::kExponential;
  cfg.jitter = 500;
  cfg.loss = 0.2;
  cfg.duplicate = 0.05;
  cfg.reorder = 0.1;
  w.SetDefaultLink(cfg);
  const NodeId a = w.AddNode("a"), b = w.AddNode("b");
  auto bound = w.env(b).BindDatagram(7, [&w, b](const Endpoint& from, Bytes p) {
    // Echo back, and use the node's random stream.
    std::vector<std::uint8_t> r(p.begin(), p.end());
    r.push_back(static_cast<std::uint8_t>(w.env(b).Random().Below(256)));
    (void)w.env(b).SendDatagram(7, from, r);
  });
  if (!bound.ok()) return bound.status();
  auto ab = w.env(a).BindDatagram(0, [](const Endpoint&, Bytes) {});
  if (!ab.ok()) return ab.status();
  const std::uint16_t port = ab->port;
  for (int i = 0; i < 40; ++i) {
    w.env(a).StartTimer(i * 300, [&w, a, b, port, i] {
      (void)w.env(a).SendDatagram(port, Endpoint::V4(w.node_ip(b), 7), Payload(i));
    });
  }
  return w.RunUntilQuiet();
}

TEST(SimWorld, AddressesAreSynthetic) {
  World w(1);
  const NodeId a = w.AddNode("a"), b = w.AddNode("b"), dup = w.AddNode("a");
  EXPECT_EQ(w.env(a).LocalAddress().ToString(), "10.0.0.1:0");
  EXPECT_EQ(w.env(b).LocalAddress().ToString(), "10.0.0.2:0");
  EXPECT_EQ(w.node_name(dup), "a#2");
  EXPECT_EQ(*w.NodeByIp(0x0A000002u), b);
}

TEST(SimWorld, SameSeedSameTraceAndHash) {
  World w1(77), w2(77);
  ASSERT_TRUE(LossyWorkload(w1).ok());
  ASSERT_TRUE(LossyWorkload(w2).ok());
  EXPECT_EQ(w1.trace().HashHex(), w2.trace().HashHex());
  EXPECT_EQ(w1.trace().count(), w2.trace().count());
  EXPECT_EQ(w1.trace().HashHex().size(), 16u);
  EXPECT_GT(w1.stats().dropped, 0u);
}

TEST(SimWorld, HundredSeedsGiveHundredHashes) {
  std::set<std::uint64_t> hashes;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    World w(seed);
    ASSERT_TRUE(LossyWorkload(w).ok());
    hashes.insert(w.trace().hash());
  }
  EXPECT_EQ(hashes.size(), 100u);
}

TEST(SimWorld, SelfCheckPassesForDeterministicRunAndFindsDivergence) {
  const DeterminismReport ok = CheckDeterminism(5, {}, LossyWorkload);
  EXPECT_TRUE(ok.identical) << ok.ToString();
  EXPECT_EQ(ok.hash_a, ok.hash_b);
  EXPECT_GT(ok.lines_a, 50u);

  int calls = 0;  // state outside the World: the second run differs
  const DeterminismReport bad = CheckDeterminism(5, {}, [&calls](World& w) {
    const NodeId a = w.AddNode("a");
    w.TraceEvent(a, "proto", TraceFields().Int("n", 1).str());
    w.TraceEvent(a, "proto", TraceFields().Int("call", ++calls).str());
    return w.RunUntilQuiet();
  });
  ASSERT_FALSE(bad.identical);
  EXPECT_EQ(bad.first_diff, 2u);  // line 0 is the node line
  EXPECT_NE(bad.line_a, bad.line_b);
  EXPECT_NE(bad.ToString().find("first difference"), std::string::npos);
}

TEST(SimWorld, AddingANodeDoesNotChangeOtherLinksChoices) {
  auto run = [](bool extra) {
    Pair p(9);
    LinkConfig cfg;
    cfg.loss = 0.3;
    cfg.jitter_dist = JitterDist::kUniform;
    cfg.jitter = 2000;
    p.w.SetDefaultLink(cfg);
    if (extra) {
      const NodeId c = p.w.AddNode("c");
      EXPECT_TRUE(p.w.env(c).BindDatagram(5, [](const Endpoint&, Bytes) {}).ok());
      for (int i = 0; i < 50; ++i) {
        p.w.scheduler().At(i * 7, [&p, c] {
          (void)p.w.env(c).SendDatagram(5, Endpoint::V4(p.w.node_ip(p.b), 2000), Payload(200));
        });
      }
    }
    p.SendMany(200, 100);
    EXPECT_TRUE(p.w.RunUntilQuiet().ok());
    std::vector<std::pair<int, TimeUs>> mine;
    for (std::size_t i = 0; i < p.got.size(); ++i) {
      if (p.got[i] != 200) mine.emplace_back(p.got[i], p.at[i]);
    }
    return mine;
  };
  EXPECT_EQ(run(false), run(true));
}

TEST(SimWorld, DefaultLinkDeliversAllInOrder) {
  Pair p(1);
  LinkConfig cfg;
  cfg.base_delay = 500;
  p.w.SetDefaultLink(cfg);
  p.SendMany(100, 10);
  ASSERT_TRUE(p.w.RunUntilQuiet().ok());
  ASSERT_EQ(p.got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(p.got[i], i);
  EXPECT_EQ(p.at[0], 500);
  EXPECT_EQ(p.w.stats().delivered, 100u);
}

TEST(SimWorld, WorldLossMatchesConfiguredRateAndEveryDropHasReason) {
  Pair p(3);
  LinkConfig cfg;
  cfg.loss = 0.1;
  ASSERT_TRUE(p.w.SetLink(p.a, p.b, cfg).ok());
  p.SendMany(10000, 10);
  ASSERT_TRUE(p.w.RunUntilQuiet().ok());
  const auto& s = p.w.stats();
  EXPECT_NEAR(s.drops[static_cast<int>(DropReason::kLoss)] / 10000.0, 0.1, 0.01);
  EXPECT_EQ(s.delivered + s.dropped, s.sent);
}

TEST(SimWorld, AsymmetricLinks) {
  World w(1);
  const NodeId a = w.AddNode("a"), b = w.AddNode("b");
  LinkConfig fast, slow;
  fast.base_delay = 100;
  slow.base_delay = 9000;
  ASSERT_TRUE(w.SetLink(a, b, fast).ok());
  ASSERT_TRUE(w.SetLink(b, a, slow).ok());
  TimeUs at_b = -1, at_a = -1;
  ASSERT_TRUE(w.env(a).BindDatagram(1, [&](const Endpoint&, Bytes) { at_a = w.Now(); }).ok());
  ASSERT_TRUE(w.env(b).BindDatagram(2, [&](const Endpoint&, Bytes) { at_b = w.Now(); }).ok());
  const std::uint8_t x = 1;
  ASSERT_TRUE(w.env(a).SendDatagram(1, Endpoint::V4(w.node_ip(b), 2), Bytes(&x, 1)).ok());
  ASSERT_TRUE(w.env(b).SendDatagram(2, Endpoint::V4(w.node_ip(a), 1), Bytes(&x, 1)).ok());
  ASSERT_TRUE(w.RunUntilQuiet().ok());
  EXPECT_EQ(at_b, 100);
  EXPECT_EQ(at_a, 9000);
}

TEST(SimWorld, PartitionBlocksExactlyItsWindow) {
  Pair p(1);
  ASSERT_TRUE(p.w.Partition({p.a}, {p.b}, 1000, 2000).ok());
  p.SendMany(30, 100);  // sent at 0, 100, ..., 2900
  ASSERT_TRUE(p.w.RunUntilQuiet().ok());
  std::vector<int> expect;
  for (int i = 0; i < 30; ++i) {
    if (i * 100 < 1000 || i * 100 >= 2000) expect.push_back(i);
  }
  EXPECT_EQ(p.got, expect);
  EXPECT_EQ(p.w.stats().drops[static_cast<int>(DropReason::kPartition)], 10u);
}

TEST(SimWorld, OneWayPartitionAndLinkDownAreDirectional) {
  World w(1);
  const NodeId a = w.AddNode("a"), b = w.AddNode("b");
  int at_a = 0, at_b = 0;
  ASSERT_TRUE(w.env(a).BindDatagram(1, [&](const Endpoint&, Bytes) { ++at_a; }).ok());
  ASSERT_TRUE(w.env(b).BindDatagram(2, [&](const Endpoint&, Bytes) { ++at_b; }).ok());
  ASSERT_TRUE(w.Partition({a}, {b}, 0, 100, /*two_way=*/false).ok());
  ASSERT_TRUE(w.LinkDown(b, a, 200, 300).ok());
  const std::uint8_t x = 0;
  for (TimeUs t : {50, 250}) {
    w.scheduler().At(t, [&] {
      (void)w.env(a).SendDatagram(1, Endpoint::V4(w.node_ip(b), 2), Bytes(&x, 1));
      (void)w.env(b).SendDatagram(2, Endpoint::V4(w.node_ip(a), 1), Bytes(&x, 1));
    });
  }
  ASSERT_TRUE(w.RunUntilQuiet().ok());
  EXPECT_EQ(at_b, 1);  // the t=50 one was cut, t=250 arrived
  EXPECT_EQ(at_a, 1);  // t=50 arrived, t=250 hit the link-down
  EXPECT_EQ(w.stats().drops[static_cast<int>(DropReason::kLinkDown)], 1u);
}

TEST(SimWorld, ClogHoldsThenReleasesInOrder) {
  Pair p(1);
  LinkConfig cfg;
  cfg.base_delay = 50;
  p.w.SetDefaultLink(cfg);
  ASSERT_TRUE(p.w.Clog(p.a, p.b, 1000, 5000).ok());
  p.SendMany(20, 300);  // 0..5700
  ASSERT_TRUE(p.w.RunUntilQuiet().ok());
  ASSERT_EQ(p.got.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(p.got[i], i);
    const TimeUs sent = i * 300;
    const TimeUs want = sent >= 1000 && sent < 5000 ? 5000 : sent + 50;
    EXPECT_EQ(p.at[i], want) << i;
  }
}

TEST(SimWorld, ClogNodeHoldsTrafficFromAndToIt) {
  Pair p(1);
  ASSERT_TRUE(p.w.ClogNode(p.b, 0, 700).ok());
  p.SendMany(3, 100);
  ASSERT_TRUE(p.w.RunUntilQuiet().ok());
  EXPECT_EQ(p.got, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(p.at, (std::vector<TimeUs>{700, 700, 700}));
}

TEST(SimWorld, PortErrorsAndUnreachable) {
  World w(1);
  const NodeId a = w.AddNode("a"), b = w.AddNode("b");
  ASSERT_TRUE(w.env(a).BindDatagram(5, [](const Endpoint&, Bytes) {}).ok());
  EXPECT_EQ(w.env(a).BindDatagram(5, [](const Endpoint&, Bytes) {}).status().clause(), "SIM-4");
  const auto eph = w.env(a).BindDatagram(0, [](const Endpoint&, Bytes) {});
  ASSERT_TRUE(eph.ok());
  EXPECT_GE(eph->port, 49152);
  const std::uint8_t x = 0;
  EXPECT_EQ(w.env(a).SendDatagram(6, Endpoint::V4(w.node_ip(b), 1), Bytes(&x, 1)).clause(), "SIM-5");
  ASSERT_TRUE(w.env(a).SendDatagram(5, Endpoint::V4(w.node_ip(b), 1), Bytes(&x, 1)).ok());
  ASSERT_TRUE(w.env(a).SendDatagram(5, Endpoint::V4(0x01020304, 1), Bytes(&x, 1)).ok());
  ASSERT_TRUE(w.RunUntilQuiet().ok());
  EXPECT_EQ(w.stats().drops[static_cast<int>(DropReason::kPortUnreachable)], 1u);
  EXPECT_EQ(w.stats().drops[static_cast<int>(DropReason::kNoRoute)], 1u);
  EXPECT_EQ(w.SetLink(a, 99, LinkConfig{}).clause(), "SIM-3");
}

TEST(SimWorld, CorruptionReachesTheReceiver) {
  Pair p(4);
  LinkConfig cfg;
  cfg.corrupt = 1.0;
  p.w.SetDefaultLink(cfg);
  std::vector<std::vector<std::uint8_t>> raw;
  ASSERT_TRUE(p.w.env(p.b).BindDatagram(3000, [&](const Endpoint&, Bytes b) {
    raw.emplace_back(b.begin(), b.end());
  }).ok());
  const auto orig = Payload(10, 32);
  ASSERT_TRUE(p.w.env(p.a).SendDatagram(1000, Endpoint::V4(p.w.node_ip(p.b), 3000), orig).ok());
  ASSERT_TRUE(p.w.RunUntilQuiet().ok());
  ASSERT_EQ(raw.size(), 1u);
  int diff = 0;
  for (std::size_t i = 0; i < orig.size(); ++i) diff += __builtin_popcount(orig[i] ^ raw[0][i]);
  EXPECT_EQ(diff, 1);
  EXPECT_EQ(p.w.stats().corrupted, 1u);
}

TEST(SimWorld, TimersFireInOrderAndCancel) {
  World w(1);
  Env& e = w.env(w.AddNode("n"));
  std::vector<int> order;
  e.StartTimer(50, [&] { order.push_back(1); });
  const TimerId t2 = e.StartTimer(50, [&] { order.push_back(2); });
  e.StartTimer(50, [&] { order.push_back(3); });
  e.StartTimer(10, [&] { order.push_back(0); });
  e.CancelTimer(t2);
  e.CancelTimer(t2);
  e.CancelTimer(12345);
  ASSERT_TRUE(w.RunUntil(1000).ok());
  EXPECT_EQ(order, (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(e.Now(), 1000);
}

}  // namespace
}  // namespace mcpsim::sim

namespace mcpsim::sim {
namespace {

// Pins the trace of a lossy, jittery workload (exponential jitter uses libm
// log). The same value must come out of every build: -O0/-O2, ASan/UBSan,
// gcc and clang. If the trace format changes on purpose, update the pin.
TEST(SimWorld, GoldenHashIsStableAcrossBuilds) {
  World w(2024);
  ASSERT_TRUE(LossyWorkload(w).ok());
  EXPECT_EQ(w.trace().HashHex(), "6e205b592a3ee938");
}

}  // namespace
}  // namespace mcpsim::sim
