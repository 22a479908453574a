// mcpsim core: deterministic randomness.
//
// One seeded generator (xoshiro256**, seeded through SplitMix64) and our own
// distribution functions, so that a seed gives the same numbers with every
// compiler and standard library (std:: distributions are not portable).
// Independent named streams are derived from (seed, name) with a fixed hash,
// so adding a consumer never shifts the numbers another consumer sees.
#pragma once

#include <cstdint>
#include <string_view>

namespace mcpsim {

class Rng {
 public:
  // A generator whose whole sequence is a function of `seed`.
  explicit Rng(std::uint64_t seed);

  // An independent stream for `name` under `seed`. Same (seed, name) -> same
  // stream; different names give statistically independent streams.
  static Rng Stream(std::uint64_t seed, std::string_view name);
  // A child stream of this generator's seed material (does not advance *this).
  Rng Fork(std::string_view name) const;

  std::uint64_t Next();  // uniform over [0, 2^64)

  // Uniform integer in [0, n). REQUIRES: n > 0. Unbiased (Lemire's method).
  std::uint64_t Below(std::uint64_t n);
  // Uniform integer in [lo, hi]. REQUIRES: lo <= hi.
  std::int64_t Range(std::int64_t lo, std::int64_t hi);
  // Uniform double in [0, 1) with 53 random bits.
  double Unit();
  // true with probability p (p <= 0 never, p >= 1 always).
  bool Chance(double p);
  // Exponential with the given mean (> 0); inverse-CDF method.
  double Exponential(double mean);
  // Pareto (long tail) with scale xm > 0 and shape alpha > 0.
  double Pareto(double xm, double alpha);
  // Fills `n` bytes at `out` with random bytes.
  void Fill(void* out, std::size_t n);

  std::uint64_t seed_material() const { return origin_; }

 private:
  std::uint64_t s_[4];
  std::uint64_t origin_;  // the 64-bit value this generator was seeded with
};

// SplitMix64 step, exposed for seeding and hashing helpers.
std::uint64_t SplitMix64(std::uint64_t& state);

}  // namespace mcpsim
