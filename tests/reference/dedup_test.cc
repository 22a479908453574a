#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/transport/dedup.h"

namespace mcpsim::reference {
namespace {

PeerKey Peer(int n) { return PeerKey{Endpoint::V4(0x0A000000u + static_cast<std::uint32_t>(n), 5000), 0}; }

TEST(Dedup, ReplaysCachedAnswerUntilTtl) {
  DedupCache c;
  c.Insert(0, Peer(1), 5, "RSM", "ASM 5 0\r\n");
  ASSERT_NE(c.Find(1 * kSeconds, Peer(1), 5, "RSM"), nullptr);
  EXPECT_EQ(*c.Find(1 * kSeconds, Peer(1), 5, "RSM"), "ASM 5 0\r\n");
  EXPECT_EQ(c.Find(1 * kSeconds, Peer(2), 5, "RSM"), nullptr);  // other sender
  EXPECT_EQ(c.Find(1 * kSeconds, Peer(1), 5, "RSI"), nullptr);  // other word
  EXPECT_EQ(c.Find(60 * kSeconds, Peer(1), 5, "RSM"), nullptr);  // expired
  c.Expire(60 * kSeconds);
  EXPECT_EQ(c.size(), 0u);
}

TEST(Dedup, BoundedPerPeerAndGlobally) {
  DedupCache c(DedupCache::Limits{60 * kSeconds, 4, 10});
  for (std::uint32_t t = 0; t < 6; ++t) c.Insert(0, Peer(1), t, "RX", "a");
  EXPECT_EQ(c.size(), 4u);
  EXPECT_EQ(c.Find(0, Peer(1), 0, "RX"), nullptr);  // oldest of the peer evicted
  EXPECT_NE(c.Find(0, Peer(1), 5, "RX"), nullptr);
  for (int p = 2; p < 8; ++p) c.Insert(0, Peer(p), 1, "RX", "b");
  EXPECT_EQ(c.size(), 10u);
}

RC_GTEST_PROP(Dedup, NeverExceedsBounds, ()) {
  const auto ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 6), rc::gen::inRange(0, 50)));
  DedupCache c(DedupCache::Limits{10 * kSeconds, 5, 17});
  TimeUs now = 0;
  for (auto [peer, trid] : ops) {
    now += 100 * kMillis;
    c.Insert(now, Peer(peer), static_cast<std::uint32_t>(trid), "RX", "ans");
    RC_ASSERT(c.size() <= 17u);
    RC_ASSERT(c.Find(now, Peer(peer), static_cast<std::uint32_t>(trid), "RX") != nullptr);
  }
}

}  // namespace
}  // namespace mcpsim::reference
