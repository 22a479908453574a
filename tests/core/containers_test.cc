// FlatMap (core/flat_map.h) against std::map, and Atom (core/atom.h) interning.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/atom.h"
#include "core/flat_map.h"

namespace mcpsim {
namespace {

// prefix + number (not "k" + std::to_string(...): GCC 12 -Wrestrict false positive).
std::string Name(char prefix, int n) {
  std::string s(1, prefix);
  s.append(std::to_string(n));
  return s;
}

// Stateful equivalence: after every insert / assign / erase the FlatMap holds
// exactly the std::map's entries in the same order, and lookups agree.
RC_GTEST_PROP(FlatMap, MatchesStdMap, ()) {
  const auto ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 5), rc::gen::inRange(0, 30)));
  FlatMap<std::string, int> f;
  std::map<std::string, int> m;
  int n = 0;
  for (auto [op, k] : ops) {
    const std::string key = Name('k', k);
    ++n;
    switch (op) {
      case 0: f.try_emplace(key, n); m.try_emplace(key, n); break;
      case 1: f[key] = n; m[key] = n; break;
      case 2: RC_ASSERT(f.erase(key) == m.erase(key)); break;
      case 3: f.insert_or_assign(key, n); m.insert_or_assign(key, n); break;
      default:
        if (auto it = f.find(std::string_view(key)); it != f.end()) f.erase(it);
        m.erase(key);
        break;
    }
    RC_ASSERT(f == m);
    RC_ASSERT(f.count(key) == m.count(key));
    RC_ASSERT(f.size() == m.size());
  }
  f.clear();
  RC_ASSERT(f.empty());
}

TEST(FlatMap, EraseIfAndHeterogeneousLookup) {
  FlatMap<std::string, int> f{{"b", 2}, {"a", 1}, {"c", 3}};
  EXPECT_EQ(f.begin()->first, "a");
  EXPECT_EQ(f.at(std::string_view("c")), 3);
  EXPECT_EQ(erase_if(f, [](const auto& kv) { return kv.second % 2 == 1; }), 2u);
  EXPECT_EQ(f.size(), 1u);
  EXPECT_TRUE(f.contains("b"));
  EXPECT_THROW((void)f.at("zz"), std::out_of_range);
}

TEST(Atom, InternsAndComparesByContent) {
  const std::size_t before = Atom::pool_size();
  {
    Atom a = "alice@live.cn";
    Atom b = std::string("alice@live.cn");
    Atom c = std::string_view("bob@live.cn");
    EXPECT_EQ(a, b);
    EXPECT_EQ(a, "alice@live.cn");
    EXPECT_EQ(a, std::string("alice@live.cn"));
    EXPECT_NE(a, c);
    EXPECT_LT(a, c);
    EXPECT_LT(a, "b");
    EXPECT_EQ(Atom::pool_size(), before + 2);
    EXPECT_EQ("to " + a, "to alice@live.cn");
    const std::string& s = a;
    EXPECT_EQ(s.size(), 13u);
    Atom empty;
    EXPECT_TRUE(empty.empty());
    EXPECT_EQ(empty, "");
    EXPECT_EQ(Atom(""), empty);
  }
  EXPECT_EQ(Atom::pool_size(), before);  // freed with the last reference
}

TEST(Atom, ThreadsShareOnePool) {
  const std::size_t before = Atom::pool_size();
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([] {
      for (int i = 0; i < 2000; ++i) {
        Atom a = Name('u', i % 50);
        Atom b = a;
        Atom c = std::move(b);
        (void)c;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(Atom::pool_size(), before);
}

}  // namespace
}  // namespace mcpsim
