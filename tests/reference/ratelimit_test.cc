// Token buckets and login back-off (PROTOCOL.md RATE-1, RATE-5).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/transport/ratelimit.h"

namespace mcpsim::reference {
namespace {

TEST(RateLimiter, BurstThenRate) {
  RateLimiter r({2, 5});
  int ok = 0;
  for (int i = 0; i < 10; ++i) ok += r.Take(0, "a");
  EXPECT_EQ(ok, 5);  // a new key starts full (RATE-1)
  EXPECT_FALSE(r.Take(499'999, "a"));  // 2/s: the next token after 0.5 s
  EXPECT_TRUE(r.Take(500'000, "a"));
  EXPECT_FALSE(r.Take(500'000, "a"));
  EXPECT_TRUE(r.Take(0 + 500'000, "b"));  // keys are independent
  // Long idle: refills to the depth, not beyond.
  ok = 0;
  for (int i = 0; i < 10; ++i) ok += r.Take(100 * kSeconds, "a");
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(r.refused(), 5u + 1 + 1 + 5);
}

TEST(RateLimiter, OffAdmitsEverything) {
  RateLimiter r;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(r.Take(0, "a"));
  EXPECT_EQ(r.size(), 0u);
}

TEST(RateLimiter, KeysAreBoundedLeastRecentlyUsedFirst) {
  RateLimiter r({1, 1}, 3);
  EXPECT_TRUE(r.Take(0, "a"));
  EXPECT_TRUE(r.Take(0, "b"));
  EXPECT_TRUE(r.Take(0, "c"));
  EXPECT_FALSE(r.Take(0, "a"));  // a is now the most recent
  EXPECT_TRUE(r.Take(0, "d"));   // evicts b
  EXPECT_EQ(r.size(), 3u);
  EXPECT_TRUE(r.Take(0, "b"));   // b starts full again (evicts c)
  EXPECT_FALSE(r.Take(0, "a"));  // a was kept
}

TEST(RateLimiter, ParsesAndFormatsSpecs) {
  RateSpec s;
  EXPECT_TRUE(ParseRateSpec("5/20", s));
  EXPECT_EQ(s.per_s, 5u);
  EXPECT_EQ(s.burst, 20u);
  EXPECT_EQ(FormatRateSpec(s), "5/20");
  EXPECT_TRUE(ParseRateSpec("off", s));
  EXPECT_FALSE(s.on());
  EXPECT_EQ(FormatRateSpec(s), "off");
  for (const char* bad : {"", "5", "5/", "/5", "a/b", "0/5", "5/0", "5/20x", "-1/2", "5//2"}) {
    EXPECT_FALSE(ParseRateSpec(bad, s)) << bad;
  }
}

TEST(RateLimiter, AddressKeyIgnoresThePort) {
  EXPECT_EQ(AddressKey(Endpoint::V4(0x7f000001, 1)), AddressKey(Endpoint::V4(0x7f000001, 2)));
  EXPECT_NE(AddressKey(Endpoint::V4(0x7f000001, 1)), AddressKey(Endpoint::V4(0x7f000002, 1)));
}

// Over any schedule, a key never gets more than depth + rate x elapsed tokens.
RC_GTEST_PROP(RateLimiter, NeverExceedsDepthPlusRate, ()) {
  const auto rate = *rc::gen::inRange<std::uint32_t>(1, 50);
  const auto depth = *rc::gen::inRange<std::uint32_t>(1, 50);
  RateLimiter r({rate, depth});
  TimeUs now = 0;
  std::uint64_t granted = 0;
  const int n = *rc::gen::inRange(1, 400);
  for (int i = 0; i < n; ++i) {
    now += *rc::gen::inRange<TimeUs>(0, 200'000);
    granted += r.Take(now, "k");
    RC_ASSERT(granted <= depth + static_cast<std::uint64_t>(rate) * static_cast<std::uint64_t>(now) / 1'000'000 + 1);
  }
}

TEST(FailureBackoff, DoublesAfterTheFreeFailuresAndResetsOnSuccess) {
  FailureBackoff b({3, 1 * kSeconds, 8 * kSeconds});
  TimeUs t = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(b.Allowed(t, "u"));
    b.Failure(t, "u");
  }
  EXPECT_TRUE(b.Allowed(t, "u"));  // three failures are free
  b.Failure(t, "u");               // 4th: 1 s
  EXPECT_FALSE(b.Allowed(t + 999'999, "u"));
  EXPECT_TRUE(b.Allowed(t + 1 * kSeconds, "u"));
  t += 1 * kSeconds;
  b.Failure(t, "u");  // 5th: 2 s
  EXPECT_FALSE(b.Allowed(t + 1'999'999, "u"));
  EXPECT_TRUE(b.Allowed(t + 2 * kSeconds, "u"));
  for (int i = 0; i < 10; ++i) b.Failure(t, "u");  // capped at 8 s
  EXPECT_FALSE(b.Allowed(t + 8 * kSeconds - 1, "u"));
  EXPECT_TRUE(b.Allowed(t + 8 * kSeconds, "u"));
  EXPECT_TRUE(b.Allowed(t, "other"));
  b.Success("u");
  EXPECT_TRUE(b.Allowed(t, "u"));
  b.Failure(t, "u");  // counting starts over
  EXPECT_TRUE(b.Allowed(t, "u"));
}

TEST(FailureBackoff, BoundedAndOff) {
  FailureBackoff b({0, 1 * kSeconds, 1 * kSeconds}, 2);
  b.Failure(0, "a");
  b.Failure(0, "b");
  b.Failure(0, "c");  // evicts a
  EXPECT_EQ(b.size(), 2u);
  EXPECT_TRUE(b.Allowed(0, "a"));
  EXPECT_FALSE(b.Allowed(0, "c"));
  FailureBackoff off({3, 0, 0});
  for (int i = 0; i < 10; ++i) off.Failure(0, "a");
  EXPECT_TRUE(off.Allowed(0, "a"));
}

}  // namespace
}  // namespace mcpsim::reference
