#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "reference/transport/answer_cache.h"
#include "reference/transport/dedup.h"

namespace mcpsim::reference {
namespace {

TEST(AnswerCache, ReplaysUntilTtlThenReleasesMemory) {
  AnswerCache c;
  EXPECT_EQ(c.capacity(), 0u);
  c.Insert(0, 5, "RRM", "ARM 5 0\r\n");
  ASSERT_TRUE(c.Find(1 * kSeconds, 5, "RRM").has_value());
  EXPECT_EQ(*c.Find(1 * kSeconds, 5, "RRM"), "ARM 5 0\r\n");
  EXPECT_FALSE(c.Find(1 * kSeconds, 5, "RNP").has_value());  // other word
  EXPECT_FALSE(c.Find(1 * kSeconds, 6, "RRM").has_value());  // other trid
  EXPECT_EQ(c.NextDeadline(), 60 * kSeconds);
  EXPECT_FALSE(c.Find(60 * kSeconds, 5, "RRM").has_value());  // expired
  c.Expire(60 * kSeconds);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.capacity(), 0u);  // an idle phone holds no heap here
  EXPECT_EQ(c.NextDeadline(), kNever);
}

TEST(AnswerCache, EvictsTheOldestWhenFullAndTrimsAsItShrinks) {
  AnswerCache c(AnswerCache::Limits{10 * kSeconds, 3});
  for (std::uint32_t t = 1; t <= 5; ++t) c.Insert(t, t, "RX", "a");
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.evictions(), 2u);
  EXPECT_FALSE(c.Find(5, 2, "RX").has_value());
  EXPECT_TRUE(c.Find(5, 3, "RX").has_value());
  AnswerCache big;
  for (std::uint32_t t = 0; t < 100; ++t) big.Insert(0, t, "RX", "a");
  big.Insert(60 * kSeconds, 1000, "RX", "b");  // the 100 expire at once
  EXPECT_EQ(big.size(), 1u);
  EXPECT_LE(big.capacity(), 4u);
}

// Differential: an AnswerCache behaves as a DedupCache fed a single peer (its
// bound being the smaller of DedupCache's per-peer and global bounds), on
// random Insert / Expire / Find sequences with a non-decreasing clock.
RC_GTEST_PROP(AnswerCache, MatchesDedupCacheOfOnePeer, ()) {
  const TimeUs ttl = *rc::gen::inRange<TimeUs>(1, 40) * kSeconds;
  const std::size_t bound = *rc::gen::inRange<std::size_t>(1, 12);
  DedupCache d(DedupCache::Limits{ttl, bound, 65536});
  AnswerCache a(AnswerCache::Limits{ttl, bound});
  const PeerKey peer{Endpoint::V4(0x0A000001u, 1863), 0};
  const auto steps = *rc::gen::container<std::vector<std::tuple<int, int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 3), rc::gen::inRange(0, 16), rc::gen::inRange(0, 2),
                     rc::gen::inRange(0, 4000)));
  TimeUs now = 0;
  int n = 0;
  for (auto [op, trid_i, word_i, dt_ms] : steps) {
    now += dt_ms * kMillis;
    const auto trid = static_cast<std::uint32_t>(trid_i);
    const std::string word = word_i ? "RRM" : "RNP";
    if (op == 0) {
      ++n;
      const std::string ans = "A" + word.substr(1) + " " + std::to_string(trid) + " 0\r\n" +
                              std::string(static_cast<std::size_t>(n % 30), 'x');
      d.Insert(now, peer, trid, word, ans);
      a.Insert(now, trid, word, ans);
    } else if (op == 1) {
      d.Expire(now);
      a.Expire(now);
    }
    const auto want = d.Find(now, peer, trid, word);
    const auto got = a.Find(now, trid, word);
    RC_ASSERT(got.has_value() == want.has_value());
    if (got) RC_ASSERT(*got == *want);
    RC_ASSERT(a.size() == d.size());
    RC_ASSERT(a.evictions() == d.evictions());
    RC_ASSERT(a.NextDeadline() == d.NextDeadline());
    RC_ASSERT(a.capacity() <= 4 * a.size() + 8);
  }
}

}  // namespace
}  // namespace mcpsim::reference
