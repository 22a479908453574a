// reference::Deployment (the one builder of the reference server roles) and
// reference::DirectAccounts.
#include <gtest/gtest.h>

#include "reference/crypto/password.h"
#include "reference/deploy/accounts.h"
#include "reference/deploy/deployment.h"

namespace mcpsim::reference {
namespace {

std::unique_ptr<Deployment> Open(DeploymentOptions o) {
  auto d = Deployment::Open(std::move(o), ":memory:");
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(*d) : nullptr;
}

TEST(Deployment, SharedFieldsGoIntoEveryConfigThenTheTweak) {
  DeploymentOptions o;
  o.password_cost = PasswordCost::Minimal();
  o.dedup = false;
  o.rs.max_sessions = 7;           // a base field survives
  o.sg.poll_interval_s = 33;
  o.sg.dummy_cost = {};             // the shared field wins over the base
  o.cs_rate_per_s = 3;              // CS-3: burst 0 = the rate
  o.tweak_cs = [](CsConfig& c) { c.server.dedup_enabled = true; };  // the tweak comes last
  auto d = Open(o);
  ASSERT_TRUE(d);
  const RsConfig rs = d->RsConfigFor();
  EXPECT_EQ(rs.password_cost.memory_kib, PasswordCost::Minimal().memory_kib);
  EXPECT_EQ(rs.max_sessions, 7u);
  EXPECT_FALSE(rs.server.dedup_enabled);
  const SgConfig sg = d->SgConfigFor();
  EXPECT_EQ(sg.dummy_cost.memory_kib, PasswordCost::Minimal().memory_kib);  // SG-LOGIN-16
  EXPECT_EQ(sg.poll_interval_s, 33u);
  EXPECT_FALSE(sg.server.dedup_enabled);
  const CsConfig cs = d->CsConfigFor();
  EXPECT_TRUE(cs.server.dedup_enabled);
  EXPECT_EQ(cs.per_address.per_s, 3u);
  EXPECT_EQ(cs.per_address.burst, 3u);
}

TEST(Deployment, DpHandsOutTheAddressesSetBeforeItIsBuilt) {
  DeploymentOptions o;
  o.dp.min_version = "1.2.0";
  auto d = Open(o);
  ASSERT_TRUE(d);
  d->SetAddresses({"udp://10.0.0.5:1863", "tcp://10.0.0.2:1864", "udp://10.0.0.3:7000", "http://10.0.0.4:80"});
  const DpConfig dp = d->DpConfigFor();
  ASSERT_EQ(dp.gateways.size(), 1u);
  EXPECT_EQ(dp.gateways[0].sg, "udp://10.0.0.5:1863");
  EXPECT_EQ(dp.gateways[0].rs, "tcp://10.0.0.2:1864");
  EXPECT_TRUE(dp.gateways[0].available);
  EXPECT_EQ(dp.cs, "udp://10.0.0.3:7000");
  EXPECT_EQ(dp.ms, "http://10.0.0.4:80");
  EXPECT_EQ(dp.min_version, "1.2.0");
  EXPECT_EQ(d->dp(), nullptr);
  d->Build(ServerRole::kDp);
  EXPECT_NE(d->dp(), nullptr);
}

TEST(Deployment, BuildAgainMakesANewIncarnationAndDestroyRemovesIt) {
  auto d = Open({});
  ASSERT_TRUE(d);
  for (ServerRole r : {ServerRole::kDp, ServerRole::kRs, ServerRole::kSg, ServerRole::kCs, ServerRole::kMs}) {
    d->Build(r);
  }
  const SgRole* first = d->sg();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(d->sg()->name(), "sg");
  EXPECT_EQ(&d->backend()->store(), &d->store(ServerRole::kSg));
  d->Build(ServerRole::kSg, "role:sg#1");
  ASSERT_NE(d->sg(), nullptr);
  EXPECT_EQ(d->sg_count(), 1u);
  d->Destroy(ServerRole::kSg);
  EXPECT_EQ(d->sg(), nullptr);
  EXPECT_EQ(d->backend(), nullptr);
  d->Destroy(ServerRole::kCs);
  EXPECT_EQ(d->cs(), nullptr);
  EXPECT_NE(d->rs(), nullptr);
}

TEST(Deployment, SeveralSgsShareOneBackEndUnlessTheyRelay) {
  DeploymentOptions o;
  o.sgs = 2;
  auto one = Open(o);
  ASSERT_TRUE(one);
  one->Build(ServerRole::kSg);
  ASSERT_EQ(one->sg_count(), 2u);
  EXPECT_EQ(one->sg(0)->name(), "sg-1");
  EXPECT_EQ(one->sg(1)->name(), "sg-2");
  EXPECT_EQ(one->backend(0), one->backend(1));
  EXPECT_EQ(one->backend(0)->self_sg(), 0u);

  o.sg_relay_ids = {4, 9};
  auto procs = Open(o);
  ASSERT_TRUE(procs);
  procs->Build(ServerRole::kSg);
  ASSERT_EQ(procs->sg_count(), 2u);
  EXPECT_NE(procs->backend(0), procs->backend(1));
  EXPECT_EQ(procs->backend(0)->self_sg(), 4u);
  EXPECT_EQ(procs->backend(1)->self_sg(), 9u);
}

TEST(Deployment, RolesSeeTheStoresThroughFaultPointsOnlyWhenOn) {
  auto plain = Open({});
  ASSERT_TRUE(plain);
  EXPECT_EQ(&plain->role_store(ServerRole::kRs), &plain->store(ServerRole::kRs));
  struct Never final : FaultPoints {
    bool Fire(std::string_view) override { return false; }
  } faults;
  DeploymentOptions o;
  o.faults = &faults;
  DeploymentStores stores;
  auto a = OpenSqliteStore(":memory:");
  auto u = OpenSqliteStore(":memory:");
  ASSERT_TRUE(a.ok() && u.ok());
  stores.accounts = std::move(*a);
  stores.uploads = std::move(*u);
  Deployment d(o, stores);
  EXPECT_NE(&d.role_store(ServerRole::kSg), &d.store(ServerRole::kSg));
  EXPECT_NE(&d.store(ServerRole::kCs), &d.store(ServerRole::kSg));   // its own uploads store
  EXPECT_EQ(&d.store(ServerRole::kMs), &d.store(ServerRole::kSg));   // media: the accounts store
  EXPECT_EQ(d.SgConfigFor().server.faults, &faults);
  EXPECT_EQ(d.SgConfigFor().push.faults, &faults);
  EXPECT_EQ(d.DpConfigFor().faults, &faults);
}

TEST(Deployment, SeedAdsWritesBannersOrKeepsThoseTheStoreHas) {
  auto d = Open({});
  ASSERT_TRUE(d);
  AdSpec a;
  AdSpec b;
  b.slot = "bottom", b.ad_id = "ad-2", b.media_id = "banner-2";
  auto ads = d->SeedAds({a, b}, "http://10.0.0.4:80", /*keep_existing=*/false);
  ASSERT_TRUE(ads.ok()) << ads.status().ToString();
  ASSERT_EQ(ads->size(), 2u);
  EXPECT_EQ((*ads)[1].image_url, "http://10.0.0.4:80/media/banner-2");
  EXPECT_EQ((*ads)[1].slot, "bottom");
  EXPECT_GT((*ads)[0].width, 0u);
  auto stored = d->store(ServerRole::kMs).GetMedia("banner-1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  // A restart keeps the stored banner: the same bytes, its size read back.
  auto again = d->SeedAds({a}, "http://h:1", /*keep_existing=*/true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].width, (*ads)[0].width);
  EXPECT_EQ((*again)[0].height, (*ads)[0].height);
  auto after = d->store(ServerRole::kMs).GetMedia("banner-1");
  EXPECT_EQ((*after)->bytes, (*stored)->bytes);
  // The same seed draws the same banner.
  auto twin = Open({});
  ASSERT_TRUE(twin->SeedAds({a}, "", false).ok());
  EXPECT_EQ((*twin->store(ServerRole::kMs).GetMedia("banner-1"))->bytes, (*stored)->bytes);
}

TEST(DirectAccounts, OneHashForAllAccountsAndContactsBothWays) {
  auto store = OpenSqliteStore(":memory:");
  ASSERT_TRUE(store.ok());
  DirectAccounts acc(**store, "pw-1", Rng(3));
  auto made = acc.Create("alice@live.cn");
  ASSERT_TRUE(made.ok());
  EXPECT_TRUE(*made);
  auto again = acc.Create("alice@live.cn", "other");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // existed, left as it was
  ASSERT_TRUE(acc.Create("bob@live.cn", "Bobby").ok());
  auto alice = (*store)->GetAccount("alice@live.cn");
  auto bob = (*store)->GetAccount("bob@live.cn");
  ASSERT_TRUE(alice.ok() && alice->has_value() && bob.ok() && bob->has_value());
  EXPECT_EQ((*alice)->nickname, "alice");
  EXPECT_EQ((*bob)->nickname, "Bobby");
  EXPECT_EQ((*alice)->password_hash, (*bob)->password_hash);
  EXPECT_TRUE(VerifyPassword("pw-1", (*alice)->password_hash));
  EXPECT_FALSE(VerifyPassword("pw-2", (*alice)->password_hash));
  ASSERT_TRUE(acc.Befriend("alice@live.cn", "bob@live.cn").ok());
  auto ab = (*store)->GetContact("alice@live.cn", "bob@live.cn");
  auto ba = (*store)->GetContact("bob@live.cn", "alice@live.cn");
  EXPECT_TRUE(ab.ok() && ab->has_value());
  EXPECT_TRUE(ba.ok() && ba->has_value());
}

}  // namespace
}  // namespace mcpsim::reference
