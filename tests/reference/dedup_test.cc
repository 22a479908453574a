#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "reference/transport/dedup.h"

namespace mcpsim::reference {
namespace {

PeerKey Peer(int n) { return PeerKey{Endpoint::V4(0x0A000000u + static_cast<std::uint32_t>(n), 5000), 0}; }

TEST(Dedup, ReplaysCachedAnswerUntilTtl) {
  DedupCache c;
  c.Insert(0, Peer(1), 5, "RSM", "ASM 5 0\r\n");
  ASSERT_TRUE(c.Find(1 * kSeconds, Peer(1), 5, "RSM").has_value());
  EXPECT_EQ(*c.Find(1 * kSeconds, Peer(1), 5, "RSM"), "ASM 5 0\r\n");
  EXPECT_FALSE(c.Find(1 * kSeconds, Peer(2), 5, "RSM").has_value());  // other sender
  EXPECT_FALSE(c.Find(1 * kSeconds, Peer(1), 5, "RSI").has_value());  // other word
  EXPECT_FALSE(c.Find(60 * kSeconds, Peer(1), 5, "RSM").has_value());  // expired
  c.Expire(60 * kSeconds);
  EXPECT_EQ(c.size(), 0u);
}

TEST(Dedup, BoundedPerPeerAndGlobally) {
  DedupCache c(DedupCache::Limits{60 * kSeconds, 4, 10});
  for (std::uint32_t t = 0; t < 6; ++t) c.Insert(0, Peer(1), t, "RX", "a");
  EXPECT_EQ(c.size(), 4u);
  EXPECT_FALSE(c.Find(0, Peer(1), 0, "RX").has_value());  // oldest of the peer evicted
  EXPECT_TRUE(c.Find(0, Peer(1), 5, "RX").has_value());
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
    RC_ASSERT(c.Find(now, Peer(peer), static_cast<std::uint32_t>(trid), "RX").has_value());
  }
}

TEST(Dedup, ForgetAndReinsert) {
  DedupCache c(DedupCache::Limits{10 * kSeconds, 3, 100});
  c.Insert(0, Peer(1), 1, "RX", "one");
  c.Insert(1, Peer(1), 2, "RX", "two");
  c.Forget(Peer(1), 1, "RX");
  EXPECT_FALSE(c.Find(2, Peer(1), 1, "RX").has_value());
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.NextDeadline(), 1 + 10 * kSeconds);
  c.Insert(3, Peer(1), 2, "RX", "two again");  // replaces, now the newest
  EXPECT_EQ(*c.Find(3, Peer(1), 2, "RX"), "two again");
  EXPECT_EQ(c.NextDeadline(), 3 + 10 * kSeconds);
  c.Forget(Peer(1), 2, "RX");
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.NextDeadline(), kNever);
  EXPECT_EQ(c.evictions(), 0u);
}

TEST(Dedup, StreamPeersAreDistinct) {
  DedupCache c;
  c.Insert(0, PeerKey{Endpoint{}, 7}, 1, "RX", "a");
  EXPECT_FALSE(c.Find(0, PeerKey{Endpoint{}, 8}, 1, "RX").has_value());
  EXPECT_TRUE(c.Find(0, PeerKey{Endpoint{}, 7}, 1, "RX").has_value());
}

// The observable contract, modelled naively: a list in insertion order.
struct ModelEntry {
  int peer;
  std::uint32_t trid;
  std::string word, answer;
  TimeUs expires;
};
struct Model {
  DedupCache::Limits limits;
  std::vector<ModelEntry> list;
  std::size_t evictions = 0;

  std::optional<std::size_t> Pos(int peer, std::uint32_t trid, const std::string& word) const {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i].peer == peer && list[i].trid == trid && list[i].word == word) return i;
    }
    return std::nullopt;
  }
  void Expire(TimeUs now) {
    while (!list.empty() && list.front().expires <= now) list.erase(list.begin());
  }
  void Insert(TimeUs now, int peer, std::uint32_t trid, const std::string& word, const std::string& ans) {
    if (auto i = Pos(peer, trid, word)) list.erase(list.begin() + static_cast<std::ptrdiff_t>(*i));
    Expire(now);
    auto of_peer = [&] {
      return static_cast<std::size_t>(
          std::count_if(list.begin(), list.end(), [&](const ModelEntry& e) { return e.peer == peer; }));
    };
    while (of_peer() > 0 && of_peer() >= limits.per_peer_max) {
      ++evictions;
      list.erase(std::find_if(list.begin(), list.end(), [&](const ModelEntry& e) { return e.peer == peer; }));
    }
    while (!list.empty() && list.size() >= limits.global_max) {
      ++evictions;
      list.erase(list.begin());
    }
    list.push_back(ModelEntry{peer, trid, word, ans, now + limits.ttl});
  }
};

// Stateful equivalence with the model: Find, size, NextDeadline and evictions
// agree after every Insert / Find / Forget / Expire, including hash-index
// tombstones and compaction (many operations on few keys).
RC_GTEST_PROP(Dedup, MatchesNaiveModel, ()) {
  const DedupCache::Limits limits{*rc::gen::inRange<TimeUs>(1, 40) * kSeconds,
                                  *rc::gen::inRange<std::size_t>(1, 8),
                                  *rc::gen::inRange<std::size_t>(1, 24)};
  DedupCache c(limits);
  Model m{limits, {}, 0};
  const auto steps = *rc::gen::container<std::vector<std::tuple<int, int, int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 4), rc::gen::inRange(0, 5), rc::gen::inRange(0, 12),
                     rc::gen::inRange(0, 2), rc::gen::inRange(0, 3000)));
  TimeUs now = 0;
  int n = 0;
  for (auto [op, peer, trid_i, word_i, dt_ms] : steps) {
    now += dt_ms * kMillis;
    const auto trid = static_cast<std::uint32_t>(trid_i);
    const std::string word = word_i ? "RSM" : "RNG-with-a-long-word";
    switch (op) {
      case 0: {
        ++n;
        const std::string ans = "answer " + std::to_string(n) + std::string(static_cast<std::size_t>(n % 40), 'x');
        c.Insert(now, Peer(peer), trid, word, ans);
        m.Insert(now, peer, trid, word, ans);
        break;
      }
      case 1:
        c.Forget(Peer(peer), trid, word);
        if (auto i = m.Pos(peer, trid, word)) m.list.erase(m.list.begin() + static_cast<std::ptrdiff_t>(*i));
        break;
      case 2:
        c.Expire(now);
        m.Expire(now);
        break;
      default:
        break;
    }
    const auto got = c.Find(now, Peer(peer), trid, word);
    const auto want = m.Pos(peer, trid, word);
    const bool want_live = want && m.list[*want].expires > now;
    RC_ASSERT(got.has_value() == want_live);
    if (got) RC_ASSERT(*got == m.list[*want].answer);
    RC_ASSERT(c.size() == m.list.size());
    RC_ASSERT(c.evictions() == m.evictions);
    RC_ASSERT(c.NextDeadline() == (m.list.empty() ? kNever : m.list.front().expires));
  }
}

}  // namespace
}  // namespace mcpsim::reference
