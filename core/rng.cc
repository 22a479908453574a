#include "core/rng.h"

#include <cmath>
#include <cstring>

#include "core/hash.h"

namespace mcpsim {
namespace {
inline std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Rng::Rng(std::uint64_t seed) : origin_(seed) {
  std::uint64_t st = seed;
  for (auto& w : s_) w = SplitMix64(st);
}

Rng Rng::Stream(std::uint64_t seed, std::string_view name) {
  // Mix the name hash through SplitMix so that nearby seeds and similar names
  // still give unrelated streams.
  std::uint64_t st = seed ^ Fnv1a(name);
  return Rng(SplitMix64(st));
}

Rng Rng::Fork(std::string_view name) const { return Stream(origin_, name); }

std::uint64_t Rng::Next() {
  const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

std::uint64_t Rng::Below(std::uint64_t n) {
  // Lemire's nearly-divisionless method with rejection: exact uniformity.
  unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
  std::uint64_t low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(Next()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

std::int64_t Rng::Range(std::int64_t lo, std::int64_t hi) {
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  if (span == ~std::uint64_t{0}) return static_cast<std::int64_t>(Next());
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + Below(span + 1));
}

double Rng::Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

bool Rng::Chance(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return Unit() < p;
}

double Rng::Exponential(double mean) {
  // 1 - Unit() lies in (0, 1], so the log is finite.
  return -mean * std::log(1.0 - Unit());
}

double Rng::Pareto(double xm, double alpha) {
  return xm / std::pow(1.0 - Unit(), 1.0 / alpha);
}

void Rng::Fill(void* out, std::size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n >= 8) {
    const std::uint64_t v = Next();
    std::memcpy(p, &v, 8);  // little-endian hosts only (x86_64, aarch64)
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    const std::uint64_t v = Next();
    std::memcpy(p, &v, n);
  }
}

}  // namespace mcpsim
