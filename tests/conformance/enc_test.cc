// EncSession and the ENC cases (conformance/enc_session.h, catalog_enc.cc)
// in virtual time, against a small encrypted-UDP target on a simulated node
// whose defects are switches (no replay window, reused nonces), over a link
// that loses, duplicates and reorders like the fault proxy (ENC-8, issue 14).
#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "conformance/enc_session.h"
#include "conformance/runner.h"
#include "conformance/selftest.h"
#include "net/udps_env.h"
#include "reference/transport/enc.h"
#include "sim/fault_spec.h"
#include "sim/world.h"
#include "sim/world_loop.h"

namespace mcpsim::conformance {
namespace {

namespace enc = reference::enc;

Bytes B(std::string_view s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }
std::string S(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

enc::KeyTable Keys() {
  enc::Key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return {{1, k}};
}

// Answers every RUP of an envelope on port 7443 with `AUP <trid> 0`, sealed
// under the request's key id; an answer cache per (source, trid) (TIMER-5).
// Defects: `window` off = every envelope that authenticates is accepted
// (ENC-5 broken); `reuse_nonce` = every answer sealed with counter 0 (ENC-3
// broken).
struct EncTarget {
  sim::World w;
  sim::NodeId srv = w.AddNode("srv");
  sim::NodeId runner = w.AddNode("runner");
  sim::WorldLoop loop{w};
  enc::KeyTable keys = Keys();
  bool window = true;
  bool reuse_nonce = false;
  enc::Opener opener{keys};
  enc::Sealer sealer{enc::SenderId{9, 9, 9}};
  std::map<std::tuple<Endpoint, std::uint32_t>, std::string> cache;
  int executed = 0;
  int resend_ms = 0;

  explicit EncTarget(std::uint64_t seed, const std::string& fault = "") : w(seed) {
    if (!fault.empty()) {
      auto spec = sim::ParseFaultSpec(fault);
      EXPECT_TRUE(spec.ok());
      EXPECT_TRUE(sim::ApplyFaultSpec(w, runner, srv, *spec).ok());
      resend_ms = static_cast<int>(std::max<TimeUs>(300, 2 * sim::WorstDelay(spec->link) / 1000 + 100));
    }
    Env& e = w.env(srv);
    (void)e.BindDatagram(7443, [this, &e](const Endpoint& from, Bytes b) {
      const std::string d = S(b);
      auto o = window ? opener.Open(e.Now(), d) : enc::Opener(keys).Open(e.Now(), d);
      if (!o) return;
      std::string out;
      for (const wire::Command& c : Decode(o->plain)) {
        if (c.word != "RUP") continue;
        auto [it, fresh] = cache.emplace(std::make_tuple(from, c.trid), "AUP " + std::to_string(c.trid) + " 0\r\n");
        if (fresh) ++executed;
        out += it->second;
      }
      if (out.empty()) return;
      enc::Sealer once(sealer.sender_id());
      auto sealed = (reuse_nonce ? once : sealer).Seal(o->key_id, keys.at(o->key_id), out);
      ASSERT_TRUE(sealed.ok());
      (void)e.SendDatagram(7443, from, B(*sealed));
    });
  }
  Target Make() {
    Target t;
    const std::string ip = Endpoint::V4(w.node_ip(srv), 0).ToString();
    t.udps = HostPort{ip.substr(0, ip.rfind(':')), 7443};
    t.udps_keys = keys;
    t.env = &w.env(runner);
    t.loop = &loop;
    t.resend_ms = resend_ms;
    return t;
  }
  std::map<std::string, reports::CaseResult> Run(const std::string& cases) {
    RunOptions o;
    o.target = Make();
    o.cases = cases;
    o.timeout_ms = 600;
    o.quiet_ms = 40;
    std::map<std::string, reports::CaseResult> v;
    for (reports::CaseResult& r : RunCatalog(o, [](const reports::CaseResult&) {}).cases) v[r.id] = std::move(r);
    return v;
  }
};

TEST(EncSession, ResendsFreshEnvelopesAndDropsDuplicateAnswers) {
  EncTarget t(5, "loss=0.3,dup=0.5");
  ASSERT_GT(t.resend_ms, 0);
  Ctx ctx(t.Make(), 600, 600000, 1, "enc-session");
  EncSession s(ctx);
  ASSERT_TRUE(s.ok());
  int resends = 0;
  std::size_t dups = 0;
  for (std::uint32_t trid = 1; trid <= 30; ++trid) {
    s.Request("RUP " + std::to_string(trid) + " 58d05d6affef8ab9dd5a8be7afdf1c83 launch 1 x\r\n");
    const EncGot g = s.Await();
    ASSERT_EQ(g.answers.size(), 1u) << trid;
    EXPECT_EQ(Show(g.answers[0]), "AUP " + std::to_string(trid) + " 0");
    EXPECT_EQ(g.unopenable, 0u);
    resends += g.resends;
    dups += g.duplicates;
    // Every send of the request was a distinct envelope (ENC-3, ENC-8).
    EXPECT_EQ(s.CopiesSent("RUP", trid), static_cast<std::size_t>(1 + g.resends)) << trid;
  }
  EXPECT_GT(resends, 0) << "30% loss each way and no resend";
  EXPECT_GT(dups, 0u) << "50% duplication and no duplicate envelope";
  EXPECT_EQ(t.executed, 30) << "every resend answered from the target's cache";
  EXPECT_EQ(s.Violation(), std::nullopt);
}

TEST(EncSession, NothingIsResentOnADirectPath) {
  EncTarget t(5);
  Target tt = t.Make();
  tt.udps_keys[2] = enc::Key{};  // a key id the target does not know
  Ctx ctx(tt, 600, 60000, 1, "enc-direct");
  EncSession s(ctx);
  ASSERT_TRUE(s.ok());
  // An envelope the target cannot open (key id 2): no answer, and no resend.
  s.Request("RUP 1 58d05d6affef8ab9dd5a8be7afdf1c83 launch 1 x\r\n", 2);
  const EncGot g = s.Await();
  EXPECT_TRUE(g.answers.empty());
  EXPECT_EQ(g.resends, 0);
}

TEST(EncCases, AnHonestTargetPassesBehindALossyDuplicatingLink) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    EncTarget t(seed, "loss=0.2,dup=0.3,reorder=0.1");
    auto v = t.Run("enc.sealed.ok,enc.drop.invalid,enc.drop.replay");
    ASSERT_EQ(v.size(), 3u);
    for (const auto& [id, r] : v) {
      EXPECT_EQ(r.verdict, reports::Verdict::kOk) << "seed " << seed << " " << id << ": " << r.actual << " / " << r.reason;
    }
  }
  EncTarget direct(1);
  for (const auto& [id, r] : direct.Run("enc.sealed.ok,enc.drop.invalid,enc.drop.replay")) {
    EXPECT_EQ(r.verdict, reports::Verdict::kOk) << id << ": " << r.reason;
  }
}

// No mutant of the reference breaks the replay window (it lives in net/'s
// UdpsEnv): this target proves that enc.drop.replay can fail, directly and
// behind the lossy link.
TEST(EncCases, ATargetWithoutAReplayWindowFails) {
  for (const std::string fault : {"", "loss=0.2,dup=0.3,reorder=0.1"}) {
    EncTarget t(2, fault);
    t.window = false;
    auto v = t.Run("enc.drop.replay");
    ASSERT_EQ(v.size(), 1u);
    const reports::CaseResult& r = v.begin()->second;
    EXPECT_EQ(r.verdict, reports::Verdict::kFailed) << fault << ": " << r.actual;
    EXPECT_NE(r.reason.find("ENC-5"), std::string::npos) << r.reason << " / " << r.actual << " / " << r.expected;
  }
}

// With one key id in the table enc.cache.per_key cannot be judged: never a
// false FAILED.
TEST(EncCases, OneKeyIdLeavesThePerKeyCaseNotJudged) {
  EncTarget t(4);
  auto v = t.Run("enc.cache.per_key");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v.begin()->second.verdict, reports::Verdict::kInformational) << v.begin()->second.reason;
  EXPECT_NE(v.begin()->second.reason.find("two key ids"), std::string::npos) << v.begin()->second.reason;
}

TEST(EncCases, ATargetReusingANonceFails) {
  EncTarget t(3);
  t.reuse_nonce = true;
  auto v = t.Run("enc.sealed.ok");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v.begin()->second.verdict, reports::Verdict::kFailed);
  EXPECT_NE(v.begin()->second.reason.find("ENC-3"), std::string::npos) << v.begin()->second.reason;
}

// Against the reference (the self-test's virtual run, two key ids): every
// ENC case OK; the mutant that executes resends again fails
// enc.resend.cached, and the one whose answer cache ignores the key id
// (the reference before G-87) fails enc.cache.per_key.
TEST(EncCases, TheReferencePassesAndDedupOffFailsTheResendCase) {
  SelfTestOptions so;
  so.cases = "enc.*";
  std::uint64_t hash = 0;
  const reports::Report clean = RunVirtual(so, "", &hash);
  std::size_t n = 0;
  for (const reports::CaseResult& r : clean.cases) {
    if (r.id.rfind("enc.", 0) != 0) continue;
    ++n;
    EXPECT_EQ(r.verdict, reports::Verdict::kOk) << r.id << ": " << r.reason;
  }
  EXPECT_EQ(n, 5u);
  const reports::Report blind = RunVirtual(so, "udps-key-blind", &hash);
  std::size_t judged = 0;
  for (const reports::CaseResult& r : blind.cases) {
    if (r.id.rfind("enc.", 0) != 0) continue;
    ++judged;
    if (r.id != "enc.cache.per_key") {
      EXPECT_EQ(r.verdict, reports::Verdict::kOk) << r.id << ": " << r.reason;
      continue;
    }
    EXPECT_EQ(r.verdict, reports::Verdict::kFailed) << r.actual;
    EXPECT_NE(r.reason.find("TIMER-5"), std::string::npos) << r.reason;
    EXPECT_NE(r.actual.find("AUP 61 103"), std::string::npos) << r.actual;
  }
  EXPECT_EQ(judged, 5u);
  const reports::Report bad = RunVirtual(so, "dedup-off", &hash);
  bool seen = false;
  for (const reports::CaseResult& r : bad.cases) {
    if (r.id != "enc.resend.cached") continue;
    seen = true;
    EXPECT_EQ(r.verdict, reports::Verdict::kFailed) << r.actual;
    // Executed again, the resends drain the MID's bucket: their answers turn
    // 403 (differing from the first) or the new RUPs find it empty.
    EXPECT_NE(r.reason.find("TIMER-5"), std::string::npos) << r.reason;
  }
  EXPECT_TRUE(seen);
}

// ENC-8 on the reference's side: a role resends a request as the same plain
// datagram (TIMER-4, RequestTracker); the encrypted-UDP decorator the MC and
// `serve` run on (net::UdpsEnv) seals every send with the next counter, so
// the resend is a new envelope that the receiver's window accepts (a copy of
// the first envelope would be dropped, ENC-5).
TEST(ReferenceUdps, AResentDatagramIsAFreshEnvelope) {
  sim::World w(4);
  const sim::NodeId a = w.AddNode("mc"), b = w.AddNode("srv");
  net::UdpsOptions o;
  o.keys = Keys();
  o.plain = false;
  o.default_key_id = 1;
  net::UdpsEnv client(w.env(a), o);
  std::vector<std::string> got;
  auto srv = w.env(b).BindDatagram(7443, [&](const Endpoint&, Bytes bytes) { got.push_back(S(bytes)); });
  ASSERT_TRUE(srv.ok());
  auto mine = client.BindDatagram(0, [](const Endpoint&, Bytes) {});
  ASSERT_TRUE(mine.ok());
  const std::string plain = "RUP 5 58d05d6affef8ab9dd5a8be7afdf1c83 launch 1 x\r\n";
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(client.SendDatagram(mine->port, *srv, B(plain)).ok());
  sim::WorldLoop loop(w);
  loop.RunUntil(w.env(a).Now() + kSeconds, [&] { return got.size() == 2; });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0], got[1]);
  enc::Opener receiver(Keys());
  auto first = receiver.Open(0, got[0]), second = receiver.Open(0, got[1]);
  ASSERT_TRUE(first && second) << "the resend was dropped as a replay";
  EXPECT_EQ(first->plain, plain);
  EXPECT_EQ(second->plain, plain);
  EXPECT_EQ(second->counter, first->counter + 1);
  EXPECT_FALSE(receiver.Open(0, got[0])) << "the first envelope again is a replay";
}

}  // namespace
}  // namespace mcpsim::conformance
