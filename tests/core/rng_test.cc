#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <set>

#include "core/hash.h"
#include "core/rng.h"

namespace mcpsim {
namespace {

// Golden values pin the generator: they must not change across compilers,
// build types or standard libraries, or every recorded seed stops replaying.
TEST(Rng, GoldenSequenceIsPinned) {
  Rng a(0);
  EXPECT_EQ(Hex64(a.Next()), "99ec5f36cb75f2b4");
  EXPECT_EQ(Hex64(a.Next()), "bf6e1f784956452a");
  Rng s = Rng::Stream(42, "net");
  EXPECT_EQ(Hex64(s.Next()), "0ec1a3a2faebbcc2");
  EXPECT_EQ(Rng(7).Below(1000), 700u);
}

TEST(Hash, Fnv1aKnownVectors) {
  EXPECT_EQ(Fnv1a(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a("foobar"), 0x85944171f73967e8ULL);
}

TEST(Rng, StreamsAreIndependentOfEachOther) {
  Rng a1 = Rng::Stream(7, "link:a-b");
  Rng b = Rng::Stream(7, "link:b-c");
  Rng a2 = Rng::Stream(7, "link:a-b");
  for (int i = 0; i < 100; ++i) b.Next();  // drawing from b does not move a
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a1.Next(), a2.Next());
  EXPECT_NE(Rng::Stream(7, "x").Next(), Rng::Stream(8, "x").Next());
  EXPECT_NE(Rng::Stream(7, "x").Next(), Rng::Stream(7, "y").Next());
}

TEST(Rng, ChanceMatchesRateOverManyDraws) {
  Rng r(1234);
  int hits = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) hits += r.Chance(0.1);
  EXPECT_NEAR(hits / double(n), 0.1, 0.005);
}

TEST(Rng, ExponentialHasConfiguredMean) {
  Rng r(99);
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += r.Exponential(5.0);
  EXPECT_NEAR(sum / n, 5.0, 0.1);
}

RC_GTEST_PROP(Rng, BelowStaysInRange, (std::uint64_t seed, std::uint64_t n)) {
  RC_PRE(n > 0u);
  Rng r(seed);
  for (int i = 0; i < 20; ++i) RC_ASSERT(r.Below(n) < n);
}

RC_GTEST_PROP(Rng, RangeIsInclusive, (std::uint64_t seed, std::int32_t lo, std::uint16_t width)) {
  Rng r(seed);
  const std::int64_t hi = std::int64_t{lo} + width;
  for (int i = 0; i < 20; ++i) {
    const auto v = r.Range(lo, hi);
    RC_ASSERT(v >= lo);
    RC_ASSERT(v <= hi);
  }
}

RC_GTEST_PROP(Rng, SameSeedSameSequence, (std::uint64_t seed)) {
  Rng a(seed), b(seed);
  for (int i = 0; i < 50; ++i) RC_ASSERT(a.Next() == b.Next());
}

RC_GTEST_PROP(Rng, UnitIsInHalfOpenInterval, (std::uint64_t seed)) {
  Rng r(seed);
  for (int i = 0; i < 50; ++i) {
    const double u = r.Unit();
    RC_ASSERT(u >= 0.0);
    RC_ASSERT(u < 1.0);
  }
}

TEST(Rng, BelowIsUniformAcrossBuckets) {
  Rng r(5);
  int counts[6] = {};
  const int n = 600000;
  for (int i = 0; i < n; ++i) counts[r.Below(6)]++;
  for (int c : counts) EXPECT_NEAR(c / double(n), 1.0 / 6, 0.005);
}

}  // namespace
}  // namespace mcpsim
