// mcpsim core: LogHistogram, a fixed-size log-bucketed histogram of
// non-negative integer samples (latencies in microseconds) — constant memory
// and O(1) per sample, however many samples (no per-sample vector).
//
// Buckets: values 0..15 exactly; above, 16 linear sub-buckets per power of
// two, so a reported percentile is within 1/16 (6.25%) of the true sample
// value. Values up to 2^40 - 1 (12.7 days in µs) are resolved; larger ones go
// to the last bucket. Percentile(p) returns the upper bound of the bucket
// holding the p-quantile sample (nearest-rank), clamped to the largest sample
// seen, so percentiles never exceed max().
//
// Plain data: copyable and mergeable (per-second histograms add up into a
// run total); not thread-safe — one writer, or merge copies.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace mcpsim {

class LogHistogram {
 public:
  static constexpr int kSubBits = 4;
  static constexpr int kSub = 1 << kSubBits;  // 16 sub-buckets per octave
  static constexpr int kMaxBits = 40;
  static constexpr int kBuckets = kSub + (kMaxBits - kSubBits) * kSub;

  void Record(std::uint64_t v) {
    ++counts_[static_cast<std::size_t>(Index(v))];
    ++count_;
    sum_ += v;
    max_ = std::max(max_, v);
    min_ = count_ == 1 ? v : std::min(min_, v);
  }
  void Merge(const LogHistogram& o) {
    if (o.count_ == 0) return;
    for (int i = 0; i < kBuckets; ++i) counts_[static_cast<std::size_t>(i)] += o.counts_[static_cast<std::size_t>(i)];
    min_ = count_ == 0 ? o.min_ : std::min(min_, o.min_);
    count_ += o.count_;
    sum_ += o.sum_;
    max_ = std::max(max_, o.max_);
  }
  void Reset() { *this = LogHistogram(); }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  std::uint64_t min() const { return min_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

  // The p-quantile (0 < p <= 1), e.g. 0.99; 0 when empty.
  std::uint64_t Percentile(double p) const {
    if (count_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(p * static_cast<double>(count_) + 0.999999);
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[static_cast<std::size_t>(i)];
      if (seen >= rank) return std::min(UpperBound(i), max_);
    }
    return max_;
  }

  // Bucket geometry (tests).
  static int Index(std::uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    const int msb = 63 - std::countl_zero(v);  // >= kSubBits
    if (msb >= kMaxBits) return kBuckets - 1;
    const int sub = static_cast<int>((v >> (msb - kSubBits)) & (kSub - 1));
    return kSub + (msb - kSubBits) * kSub + sub;
  }
  static std::uint64_t UpperBound(int i) {
    if (i < kSub) return static_cast<std::uint64_t>(i);
    const int octave = (i - kSub) / kSub + kSubBits;  // msb of the values in bucket i
    const int sub = (i - kSub) % kSub;
    const std::uint64_t lo = (std::uint64_t{1} << octave) + (static_cast<std::uint64_t>(sub) << (octave - kSubBits));
    return lo + (std::uint64_t{1} << (octave - kSubBits)) - 1;
  }

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0, sum_ = 0, max_ = 0, min_ = 0;
};

}  // namespace mcpsim
