// The key id as part of the sender endpoint (PROTOCOL.md §6.2, TIMER-5,
// ENC-2, ENC-8; G-87): net::UdpsEnv hands the role a datagram opened under
// key id k on channel Endpoint::KeyChannel(k), and seals what the role sends
// to that endpoint under k. In virtual time (sim::World), with the reference
// CS behind the decorator where the answer cache matters.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/endpoint_hash.h"
#include "host/host.h"
#include "net/udps_env.h"
#include "reference/roles/cs.h"
#include "reference/store/store.h"
#include "reference/transport/enc.h"
#include "sim/world.h"

namespace mcpsim::net {
namespace {

namespace enc = reference::enc;

Bytes B(std::string_view s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }
std::string S(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

enc::KeyTable Keys() {
  enc::Key k1, k2;
  k1.fill(0x11);
  k2.fill(0x22);
  return {{1, k1}, {2, k2}};
}

// An encrypted-only Env (a client) sealing with `default_key` (ENC-2).
UdpsOptions ClientOptions(std::uint8_t default_key) {
  UdpsOptions o;
  o.keys = Keys();
  o.plain = false;
  o.default_key_id = default_key;
  return o;
}

constexpr std::uint16_t kPlain = 7000, kEnc = 7002, kClientPort = 5000;

// What the client received: the server port it came from, the key id of its
// envelope (nullopt: plain) and the plain bytes.
struct Got {
  std::uint16_t port = 0;
  std::optional<std::uint8_t> key_id;
  std::string plain;
};

// A server node whose datagram Env is a UdpsEnv (plain on kPlain, envelopes
// on kEnc) and a client node that sends plain datagrams and envelopes from
// one port (kClientPort), i.e. from one transport address.
struct Rig {
  sim::World w;
  sim::NodeId srv = w.AddNode("srv");
  sim::NodeId mc = w.AddNode("mc");
  UdpsEnv udps;
  enc::Sealer sealer{enc::SenderId{7, 7, 7}};
  enc::Opener opener{Keys()};
  std::vector<Got> got;

  static UdpsOptions Options(bool blind) {
    UdpsOptions o;
    o.keys = Keys();
    o.plain = true;
    o.encrypted_port = kEnc;
    o.test_key_blind = blind;
    return o;
  }
  explicit Rig(std::uint64_t seed, bool blind = false) : w(seed), udps(w.env(srv), Options(blind)) {
    auto bound = w.env(mc).BindDatagram(kClientPort, [this](const Endpoint& from, Bytes b) {
      Got g{from.port, std::nullopt, S(b)};
      if (from.port == kEnc) {
        auto o = opener.Open(w.Now(), g.plain);
        if (!o) {
          ADD_FAILURE() << "an answer envelope does not open";
          return;
        }
        g.key_id = o->key_id;
        g.plain = o->plain;
      }
      got.push_back(std::move(g));
    });
    EXPECT_TRUE(bound.ok());
  }
  Endpoint Server(std::uint16_t port) const { return Endpoint::V4(w.node_ip(srv), port); }
  Endpoint Client() const { return Endpoint::V4(w.node_ip(mc), kClientPort); }
  // Sends `plain` as is (kid nullopt) to kPlain, or sealed under `kid` to kEnc.
  void Send(std::optional<std::uint8_t> kid, const std::string& plain) {
    if (!kid) {
      ASSERT_TRUE(w.env(mc).SendDatagram(kClientPort, Server(kPlain), B(plain)).ok());
      return;
    }
    auto e = sealer.Seal(*kid, Keys().at(*kid), plain);
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(w.env(mc).SendDatagram(kClientPort, Server(kEnc), B(*e)).ok());
  }
  void Run(TimeUs d = 20 * kMillis) { ASSERT_TRUE(w.RunUntil(w.Now() + d).ok()); }
};

TEST(EndpointChannel, KeyChannelsPrintCompareAndHashApart) {
  const Endpoint a = Endpoint::V4(0x0a000001, 7000);
  Endpoint b = a;
  b.channel = Endpoint::KeyChannel(3);
  EXPECT_EQ(a.ToString(), "10.0.0.1:7000");  // channel 0 prints as before (traces unchanged)
  EXPECT_EQ(b.ToString(), "10.0.0.1:7000~k3");
  EXPECT_NE(a, b);
  EXPECT_LT(a, b);
  EXPECT_EQ(b.Transport(), a);
  EXPECT_EQ(b.channel_key_id(), 3);
  EXPECT_EQ(a.channel_key_id(), -1);
  EXPECT_NE(EndpointHash{}(a), EndpointHash{}(b));
  // Every key id of ENC-2 (0..255) has its own channel, apart from plain.
  std::set<Endpoint> all{a};
  for (int k = 0; k <= 255; ++k) {
    Endpoint e = a;
    e.channel = Endpoint::KeyChannel(static_cast<std::uint8_t>(k));
    EXPECT_EQ(e.channel_key_id(), k);
    all.insert(e);
  }
  EXPECT_EQ(all.size(), 257u);
  Endpoint other = a;
  other.channel = 300;
  EXPECT_EQ(other.ToString(), "10.0.0.1:7000~c300");
  EXPECT_EQ(other.channel_key_id(), -1);
}

// Plain, key 1 and key 2 from one address and port are three senders; each
// is answered the way it spoke — plain, or sealed under its own key id —
// even when the answers leave after all three arrived (ENC-2: the key of the
// datagram answered, not the one last heard from the address).
TEST(UdpsEnv, PlainAndTwoKeysFromOneAddressAreThreeSenders) {
  Rig r(1);
  std::vector<std::pair<Endpoint, std::string>> seen;
  auto bound = r.udps.BindDatagram(kPlain, [&](const Endpoint& from, Bytes b) { seen.emplace_back(from, S(b)); });
  ASSERT_TRUE(bound.ok());
  r.Send(1, "one");
  r.Send(std::nullopt, "plain");
  r.Send(2, "two");
  r.Run();
  ASSERT_EQ(seen.size(), 3u);
  const Endpoint c = r.Client();
  EXPECT_EQ(seen[0].first.Transport(), c);
  EXPECT_EQ(seen[0].first.channel, Endpoint::KeyChannel(1));
  EXPECT_EQ(seen[1].first, c);  // plain: channel 0
  EXPECT_EQ(seen[2].first.channel, Endpoint::KeyChannel(2));
  EXPECT_EQ(std::set<Endpoint>({seen[0].first, seen[1].first, seen[2].first}).size(), 3u);
  for (const auto& [from, text] : seen) {
    ASSERT_TRUE(r.udps.SendDatagram(bound->port, from, B("re:" + text)).ok()) << from.ToString();
  }
  r.Run();
  ASSERT_EQ(r.got.size(), 3u);
  EXPECT_EQ(r.got[0].port, kEnc);
  EXPECT_EQ(r.got[0].key_id, std::optional<std::uint8_t>(1));
  EXPECT_EQ(r.got[0].plain, "re:one");
  EXPECT_EQ(r.got[1].port, kPlain);
  EXPECT_EQ(r.got[1].key_id, std::nullopt);
  EXPECT_EQ(r.got[1].plain, "re:plain");
  EXPECT_EQ(r.got[2].port, kEnc);
  EXPECT_EQ(r.got[2].key_id, std::optional<std::uint8_t>(2));
  EXPECT_EQ(r.got[2].plain, "re:two");
  // A key channel whose key the table lacks: an ENC-2 error, nothing sent.
  Endpoint unknown = c;
  unknown.channel = Endpoint::KeyChannel(5);
  const Status st = r.udps.SendDatagram(bound->port, unknown, B("x"));
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.clause(), "ENC-2");
  EXPECT_EQ(r.udps.seal_failures(), 1u);
}

// An encrypted-only UdpsEnv (a client): its default key is channel 0, so the
// role sees its peer at the endpoint it addressed; another key id is not.
TEST(UdpsEnv, OnAnEncryptedOnlyEnvTheDefaultKeyIsChannelZero) {
  sim::World w(2);
  const sim::NodeId a = w.AddNode("mc"), b = w.AddNode("srv");
  UdpsEnv client(w.env(a), ClientOptions(2));
  std::vector<Endpoint> from;
  auto mine = client.BindDatagram(0, [&](const Endpoint& f, Bytes) { from.push_back(f); });
  ASSERT_TRUE(mine.ok());
  enc::Sealer srv_sealer(enc::SenderId{9});
  auto srv = w.env(b).BindDatagram(7443, [&](const Endpoint& peer, Bytes bytes) {
    auto opened = enc::Opener(Keys()).Open(0, S(bytes));
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->key_id, 2) << "a send to channel 0 is sealed under the default key";
    for (std::uint8_t kid : {std::uint8_t{2}, std::uint8_t{1}}) {
      auto e = srv_sealer.Seal(kid, Keys().at(kid), "A");
      ASSERT_TRUE(e.ok());
      (void)w.env(b).SendDatagram(7443, peer, B(*e));
    }
  });
  ASSERT_TRUE(srv.ok());
  ASSERT_TRUE(client.SendDatagram(mine->port, *srv, B("R")).ok());
  ASSERT_TRUE(w.RunUntil(w.Now() + 20 * kMillis).ok());
  ASSERT_EQ(from.size(), 2u);
  EXPECT_EQ(from[0], *srv);
  EXPECT_EQ(from[1].Transport(), *srv);
  EXPECT_EQ(from[1].channel, Endpoint::KeyChannel(1));
}

// A client Env binds one port per simulated phone (`mcpsim load --udps`):
// each port seals its own sends and gets its own answers; a plain + encrypted
// server Env still serves one port.
TEST(UdpsEnv, AnEncryptedOnlyEnvBindsManyPorts) {
  sim::World w(3);
  const sim::NodeId a = w.AddNode("mc"), b = w.AddNode("srv");
  UdpsEnv client(w.env(a), ClientOptions(1));
  std::map<std::uint16_t, std::vector<std::string>> got;
  std::vector<Endpoint> ports;
  for (int i = 0; i < 3; ++i) {
    auto p = client.BindDatagram(0, [&got, i](const Endpoint&, Bytes b) { got[static_cast<std::uint16_t>(i)].push_back(S(b)); });
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ports.push_back(*p);
  }
  enc::Sealer srv_sealer(enc::SenderId{9});
  auto srv = w.env(b).BindDatagram(7443, [&](const Endpoint& peer, Bytes bytes) {
    auto opened = enc::Opener(Keys()).Open(0, S(bytes));
    ASSERT_TRUE(opened);
    auto e = srv_sealer.Seal(opened->key_id, Keys().at(opened->key_id), "echo " + opened->plain);
    ASSERT_TRUE(e.ok());
    (void)w.env(b).SendDatagram(7443, peer, B(*e));
  });
  ASSERT_TRUE(srv.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.SendDatagram(ports[static_cast<std::size_t>(i)].port, *srv, B("R" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(w.RunUntil(w.Now() + 20 * kMillis).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[static_cast<std::uint16_t>(i)], std::vector<std::string>{"echo R" + std::to_string(i)}) << i;
  }
  client.CloseDatagram(ports[1].port);
  EXPECT_FALSE(client.SendDatagram(ports[1].port, *srv, B("x")).ok());
  EXPECT_TRUE(client.SendDatagram(ports[2].port, *srv, B("y")).ok());
  UdpsEnv server(w.env(b), Rig::Options(false));
  ASSERT_TRUE(server.BindDatagram(8000, [](const Endpoint&, Bytes) {}).ok());
  EXPECT_FALSE(server.BindDatagram(8001, [](const Endpoint&, Bytes) {}).ok());
}

// The reference CS behind UdpsEnv: the same trid under key 1, key 2 and
// plain from one address are three requests of three senders, each executed
// once and each answered from its own cache entry on a resend. The first
// (key 1) names an invalid MID and is answered 103, the others are valid:
// an answer cache keyed by address alone gives them key 1's 103.
struct CsAnswers {
  std::vector<Got> got;
  std::uint64_t uploads = 0, replayed = 0;
};
CsAnswers RunCs(bool blind) {
  Rig r(3, blind);
  auto store = reference::OpenSqliteStore(":memory:");
  EXPECT_TRUE(store.ok());
  reference::CsRole cs(reference::CsConfig{}, **store);
  host::RoleHost host(r.udps, cs);
  EXPECT_TRUE(host.Start({kPlain, std::nullopt, std::nullopt}).ok());
  const std::string m = "58d05d6affef8ab9dd5a8be7afdf1c8";
  const std::vector<std::pair<std::optional<std::uint8_t>, std::string>> sends = {
      {1, "RUP 7 X" + m.substr(1) + "1 launch 1 a\r\n"},  // MID-3: 103
      {2, "RUP 7 " + m + "2 launch 1 b\r\n"},
      {std::nullopt, "RUP 7 " + m + "3 launch 1 c\r\n"},
  };
  for (int round = 0; round < 2; ++round) {  // the second round: resends (fresh envelopes, TIMER-4, ENC-8)
    for (const auto& [kid, plain] : sends) {
      r.Send(kid, plain);
      r.Run();
    }
  }
  return {r.got, cs.uploads_recorded(), cs.server_stats().duplicates_replayed};
}

TEST(UdpsEnv, EachKeyHasItsOwnAnswerCacheAtTheReferenceCs) {
  const CsAnswers a = RunCs(false);
  ASSERT_EQ(a.got.size(), 6u);
  for (int round = 0; round < 2; ++round) {
    const Got* g = &a.got[static_cast<std::size_t>(round) * 3];
    EXPECT_EQ(g[0].key_id, std::optional<std::uint8_t>(1));
    EXPECT_EQ(g[0].plain, "AUP 7 103\r\n");
    EXPECT_EQ(g[1].key_id, std::optional<std::uint8_t>(2));
    EXPECT_EQ(g[1].plain, "AUP 7 0\r\n") << "key 2's request was answered from key 1's cache entry";
    EXPECT_EQ(g[2].port, kPlain);
    EXPECT_EQ(g[2].plain, "AUP 7 0\r\n") << "the plain request was answered from an encrypted sender's entry";
  }
  EXPECT_EQ(a.uploads, 2u) << "each valid RUP executed exactly once";
  EXPECT_EQ(a.replayed, 3u) << "every resend answered from its own sender's cache entry";
}

// The defect the mutant udps-key-blind restores (the reference before G-87):
// the test above fails on it.
TEST(UdpsEnv, TheKeyBlindDefectSharesOneCacheEntry) {
  const CsAnswers a = RunCs(true);
  ASSERT_EQ(a.got.size(), 6u);
  EXPECT_EQ(a.got[1].key_id, std::optional<std::uint8_t>(2));
  EXPECT_EQ(a.got[1].plain, "AUP 7 103\r\n");  // key 1's cached answer, re-sealed under key 2
  EXPECT_EQ(a.got[2].plain, "AUP 7 103\r\n");
  EXPECT_EQ(a.uploads, 0u);
}

// Any interleaving of requests from one address under plain, key 1 and key
// 2 with a few trids: each (sender, trid) is executed exactly once, and every
// request — first send or resend — is answered the way it came (plain, or
// sealed under its key id) with its own answer.
RC_GTEST_PROP(UdpsEnv, EachSenderAndTridIsExecutedOnceWhateverTheInterleaving, ()) {
  const auto reqs = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 3), rc::gen::inRange(1, 4)));
  Rig r(*rc::gen::inRange<std::uint64_t>(1, 1000));
  auto store = reference::OpenSqliteStore(":memory:");
  RC_ASSERT(store.ok());
  reference::CsRole cs(reference::CsConfig{}, **store);
  host::RoleHost host(r.udps, cs);
  RC_ASSERT(host.Start({kPlain, std::nullopt, std::nullopt}).ok());
  std::set<std::pair<int, int>> distinct;
  for (const auto& [sender, trid] : reqs) {
    // One MID per sender (CS-1 records a (MID, trid, timestamp) once).
    const std::string plain =
        "RUP " + std::to_string(trid) + " 58d05d6affef8ab9dd5a8be7afdf1c8" + std::to_string(sender) + " launch 1 x\r\n";
    r.Send(sender == 0 ? std::nullopt : std::optional<std::uint8_t>(static_cast<std::uint8_t>(sender)), plain);
    r.Run();
    distinct.emplace(sender, trid);
  }
  RC_ASSERT(r.got.size() == reqs.size());
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    const auto [sender, trid] = reqs[i];
    RC_ASSERT(r.got[i].plain == "AUP " + std::to_string(trid) + " 0\r\n");
    if (sender == 0) {
      RC_ASSERT(r.got[i].port == kPlain);
    } else {
      RC_ASSERT(r.got[i].key_id == std::optional<std::uint8_t>(static_cast<std::uint8_t>(sender)));
    }
  }
  RC_ASSERT(cs.uploads_recorded() == distinct.size());
  RC_ASSERT(cs.server_stats().duplicates_replayed == reqs.size() - distinct.size());
}

}  // namespace
}  // namespace mcpsim::net
