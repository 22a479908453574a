// FlatHashMap (core/flat_hash.h) against std::map.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "core/flat_hash.h"

namespace mcpsim {
namespace {

// A hash that collides on purpose (keys mod 8): long probe runs, wrap-around
// at the end of the array and backward-shift deletion inside runs.
struct Clumpy {
  std::size_t operator()(std::uint64_t k) const { return static_cast<std::size_t>(k % 8); }
};

template <typename Map>
void CheckSame(const Map& f, const std::map<std::uint64_t, int>& m) {
  RC_ASSERT(f.size() == m.size());
  std::map<std::uint64_t, int> seen;
  for (const auto& [k, v] : f) RC_ASSERT(seen.emplace(k, v).second);  // each entry once
  RC_ASSERT(seen == m);
  for (std::uint64_t k = 0; k < 70; ++k) {
    auto it = f.find(k);
    RC_ASSERT((it != f.end()) == (m.count(k) == 1));
    if (it != f.end()) RC_ASSERT(it->second == m.at(k));
  }
}

template <typename Hash>
void RunModel() {
  const auto ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 5), rc::gen::inRange(0, 64)));
  FlatHashMap<std::uint64_t, int, Hash> f;
  std::map<std::uint64_t, int> m;
  int n = 0;
  for (auto [op, ki] : ops) {
    const auto k = static_cast<std::uint64_t>(ki);
    ++n;
    switch (op) {
      case 0: RC_ASSERT(f.try_emplace(k, n).second == m.try_emplace(k, n).second); break;
      case 1: f[k] = n; m[k] = n; break;
      case 2: RC_ASSERT(f.erase(k) == m.erase(k)); break;
      case 3:
        if (auto it = f.find(k); it != f.end()) f.erase(it);
        m.erase(k);
        break;
      default:
        if (ki % 16 == 0) {
          f.clear();
          m.clear();
        }
        break;
    }
    CheckSame(f, m);
  }
}

RC_GTEST_PROP(FlatHashMap, MatchesStdMap, ()) { RunModel<std::hash<std::uint64_t>>(); }
RC_GTEST_PROP(FlatHashMap, MatchesStdMapUnderCollisions, ()) { RunModel<Clumpy>(); }

TEST(FlatHashMap, MoveOnlyValuesAndAt) {
  FlatHashMap<std::uint64_t, std::unique_ptr<int>> f;
  for (int i = 0; i < 100; ++i) f.try_emplace(static_cast<std::uint64_t>(i) << 32, std::make_unique<int>(i));
  EXPECT_EQ(f.size(), 100u);
  EXPECT_EQ(*f.at(std::uint64_t{42} << 32), 42);
  EXPECT_THROW(f.at(7), std::out_of_range);
  EXPECT_EQ(f.erase(std::uint64_t{42} << 32), 1u);
  EXPECT_FALSE(f.contains(std::uint64_t{42} << 32));
  EXPECT_EQ(*f.at(std::uint64_t{43} << 32), 43);
}

}  // namespace
}  // namespace mcpsim
