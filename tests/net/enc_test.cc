// The encrypted-UDP envelope (PROTOCOL.md §6.5, ENC-1..7), sans-I/O.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "reference/transport/enc.h"

namespace mcpsim::reference::enc {
namespace {

Key MakeKey(std::uint8_t fill) {
  Key k;
  k.fill(fill);
  return k;
}

struct Fixture {
  Rng rng{7};
  KeyTable keys{{1, MakeKey(0x11)}, {2, MakeKey(0x22)}};
  Sealer sealer{NewSenderId(rng)};
  Opener opener{keys};
  std::string Seal(std::string_view plain, std::uint8_t id = 1) { return *sealer.Seal(id, keys.at(id), plain); }
};

TEST(Enc, RoundTripAndLayout) {
  Fixture f;
  const std::string env = f.Seal("RUP 1 a b 2 c\r\n");
  ASSERT_EQ(env.size(), kOverhead + 15);
  EXPECT_EQ(static_cast<std::uint8_t>(env[0]), kMagic);
  EXPECT_EQ(env[1], 1);
  EXPECT_EQ(env.compare(2, 16, std::string(reinterpret_cast<const char*>(f.sealer.sender_id().data()), 16)), 0);
  EXPECT_EQ(env.substr(18, 8), std::string(8, '\0'));  // counter 0, big-endian
  auto o = f.opener.Open(0, env);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->plain, "RUP 1 a b 2 c\r\n");
  EXPECT_EQ(o->key_id, 1);
  EXPECT_EQ(o->counter, 0u);
  const std::string second = f.Seal("x", 2);
  EXPECT_EQ(static_cast<std::uint8_t>(second[25]), 1);  // counter 1 in the last nonce byte
  EXPECT_EQ(f.opener.Open(0, second)->plain, "x");
}

TEST(Enc, TamperAnywhereIsDropped) {
  Fixture f;
  const std::string env = f.Seal("hello world");
  for (std::size_t i = 0; i < env.size(); ++i) {
    std::string bad = env;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(f.opener.Open(0, bad)) << "byte " << i;
  }
  EXPECT_TRUE(f.opener.Open(0, env));  // the window was not touched by the forgeries
}

TEST(Enc, ShortUnknownKeyAndWrongKeyAreDropped) {
  Fixture f;
  const std::string env = f.Seal("");
  EXPECT_EQ(env.size(), kOverhead);
  EXPECT_FALSE(f.opener.Open(0, env.substr(0, kOverhead - 1)));
  EXPECT_EQ(f.opener.stats().too_short, 1u);
  std::string other = env;
  other[1] = 9;  // no such key id
  EXPECT_FALSE(f.opener.Open(0, other));
  EXPECT_EQ(f.opener.stats().unknown_key, 1u);
  other[1] = 2;  // a configured key, but not the one that sealed it (AD differs too)
  EXPECT_FALSE(f.opener.Open(0, other));
  EXPECT_EQ(f.opener.stats().auth_failed, 1u);
  Opener stranger(KeyTable{{1, MakeKey(0x33)}});
  EXPECT_FALSE(stranger.Open(0, env));
  EXPECT_TRUE(f.opener.Open(0, env));
}

TEST(Enc, ReplayIsDropped) {
  Fixture f;
  const std::string env = f.Seal("once");
  EXPECT_TRUE(f.opener.Open(0, env));
  EXPECT_FALSE(f.opener.Open(0, env));
  EXPECT_EQ(f.opener.stats().replayed, 1u);
}

TEST(Enc, WindowEdge) {
  Fixture f;
  std::vector<std::string> envs;
  for (int i = 0; i < 70; ++i) envs.push_back(f.Seal(std::to_string(i)));
  ASSERT_TRUE(f.opener.Open(0, envs[69]));  // top = 69
  EXPECT_FALSE(f.opener.Open(0, envs[5]));  // 64 below: too old
  EXPECT_EQ(f.opener.stats().too_old, 1u);
  EXPECT_TRUE(f.opener.Open(0, envs[6]));   // 63 below: inside the window
  EXPECT_FALSE(f.opener.Open(0, envs[6]));  // ... once
  EXPECT_TRUE(f.opener.Open(0, envs[40]));
  EXPECT_TRUE(f.opener.Open(0, envs[68]));
}

TEST(Enc, IdleSenderStateIsDiscarded) {
  Fixture f;
  const std::string env = f.Seal("old");
  ASSERT_TRUE(f.opener.Open(0, env));
  f.opener.Expire(599 * kSeconds);
  EXPECT_EQ(f.opener.senders(), 1u);
  f.opener.Expire(600 * kSeconds);
  EXPECT_EQ(f.opener.senders(), 0u);
  EXPECT_TRUE(f.opener.Open(600 * kSeconds, env));  // ENC-7: counts as new again
}

TEST(Enc, KeyFile) {
  auto t = ParseKeyTable("# keys\n7 " + std::string(64, 'a') + "\n\n 0 " + std::string(64, '0') + " \r\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->size(), 2u);
  EXPECT_EQ(t->at(7)[0], 0xaa);
  EXPECT_FALSE(ParseKeyTable("256 " + std::string(64, 'a')).ok());
  EXPECT_FALSE(ParseKeyTable("1 abc").ok());
  EXPECT_FALSE(ParseKeyTable("1 " + std::string(63, 'a') + "g").ok());
  EXPECT_FALSE(ParseKeyTable("1 " + std::string(64, 'a') + "\n1 " + std::string(64, 'b')).ok());
}

// Any delivery order of distinct envelopes: each is accepted at most once,
// exactly those within 64 of the running maximum, and never a replay.
RC_GTEST_PROP(Enc, ArbitraryOrderAcceptsEachAtMostOnce, ()) {
  Fixture f;
  const int n = *rc::gen::inRange(1, 150);
  std::vector<std::string> envs;
  for (int i = 0; i < n; ++i) envs.push_back(f.Seal(std::to_string(i)));
  auto order = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, n));
  std::set<int> accepted;
  std::int64_t top = -1;
  for (int i : order) {
    auto o = f.opener.Open(0, envs[static_cast<std::size_t>(i)]);
    const bool expect = !accepted.count(i) && (top < 0 || i > top - 64);
    RC_ASSERT(static_cast<bool>(o) == expect);
    if (o) {
      RC_ASSERT(o->plain == std::to_string(i));
      accepted.insert(i);
      top = std::max<std::int64_t>(top, i);
    }
  }
}

// Random bytes never open and never crash.
RC_GTEST_PROP(Enc, GarbageNeverOpens, (const std::string& junk)) {
  Fixture f;
  RC_ASSERT(!f.opener.Open(0, junk));
  std::string framed = junk;
  framed.insert(framed.begin(), {static_cast<char>(kMagic), '\1'});
  RC_ASSERT(!f.opener.Open(0, framed));
}

}  // namespace
}  // namespace mcpsim::reference::enc
