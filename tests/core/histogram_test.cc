#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <vector>

#include "core/histogram.h"

namespace mcpsim {
namespace {

TEST(LogHistogram, BucketGeometry) {
  for (int i = 0; i + 1 < LogHistogram::kBuckets; ++i) {
    ASSERT_EQ(LogHistogram::Index(LogHistogram::UpperBound(i)), i) << i;
    ASSERT_EQ(LogHistogram::Index(LogHistogram::UpperBound(i) + 1), i + 1) << i;
  }
  EXPECT_EQ(LogHistogram::Index(0), 0);
  EXPECT_EQ(LogHistogram::Index(~std::uint64_t{0}), LogHistogram::kBuckets - 1);
}

// Every percentile is within 1/16 of the exact nearest-rank sample and never
// above the maximum; merging two histograms equals recording both streams.
RC_GTEST_PROP(LogHistogram, PercentilesWithinOneSixteenth, ()) {
  const auto a = *rc::gen::nonEmpty(rc::gen::container<std::vector<std::uint32_t>>(rc::gen::inRange<std::uint32_t>(0, 5000000)));
  const auto b = *rc::gen::container<std::vector<std::uint32_t>>(rc::gen::inRange<std::uint32_t>(0, 5000000));
  LogHistogram ha, hb, all;
  for (auto v : a) ha.Record(v), all.Record(v);
  for (auto v : b) hb.Record(v), all.Record(v);
  ha.Merge(hb);
  std::vector<std::uint32_t> s(a);
  s.insert(s.end(), b.begin(), b.end());
  std::sort(s.begin(), s.end());
  RC_ASSERT(ha.count() == s.size());
  RC_ASSERT(ha.max() == s.back());
  RC_ASSERT(ha.min() == s.front());
  for (double p : {0.5, 0.9, 0.99, 0.999, 1.0}) {
    auto rank = static_cast<std::size_t>(p * static_cast<double>(s.size()) + 0.999999);
    rank = std::clamp<std::size_t>(rank, 1, s.size());
    const double exact = s[rank - 1];
    const double got = static_cast<double>(ha.Percentile(p));
    RC_ASSERT(got >= exact);
    RC_ASSERT(got <= exact + exact / 16.0 + 1.0);
    RC_ASSERT(ha.Percentile(p) == all.Percentile(p));
  }
}

}  // namespace
}  // namespace mcpsim
