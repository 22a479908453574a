// End-to-end: the reference stack I (DP, RS, CS, MS and the MC engine) on the
// simulated network, driven through RefWorld.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "tests/host/stack_util.h"

namespace mcpsim::scenarios {
namespace {

TEST(FrontRolesE2e, RegistrationThroughDpAndRsUnderLoss) {
  RefWorldOptions o;
  o.seed = 11;
  o.world.default_link = Lossy(0.2);
  auto wp = BuildWorld(o);
  ASSERT_TRUE(wp);
  RefWorld& w = *wp;
  std::map<std::uint64_t, McEvent> seen;
  auto reg = RegisterAccount(w, 0, "alice@live.cn", seen);
  ASSERT_EQ(reg.outcome, Outcome::kOk) << reg.status << " " << reg.detail;
  EXPECT_EQ(reg.params, std::vector<std::string>{"alice@live.cn"});
  auto acct = w.backend().GetAccount("alice@live.cn");
  ASSERT_TRUE(acct.ok() && acct->has_value());
  EXPECT_EQ((*acct)->nickname, "alice");
  EXPECT_EQ((*acct)->password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(w.rs().stats().accounts_created, 1u);
}

TEST(FrontRolesE2e, WrongCaptchaThenReusedSessionThenDuplicateAccount) {
  RefWorldOptions o;
  o.seed = 12;
  o.clients = 2;
  auto wp = BuildWorld(o);
  ASSERT_TRUE(wp);
  RefWorld& w = *wp;
  std::map<std::uint64_t, McEvent> seen0, seen1;
  auto bad = RegisterAccount(w, 0, "bob@live.cn", seen0, /*wrong_captcha=*/true);
  EXPECT_EQ(bad.outcome, Outcome::kStatus);
  EXPECT_EQ(bad.status, 203);
  // The captcha was consumed (RS-7): trying again without a new RAP is 204.
  auto reused = Await(w, 0, w.Act(0, [](auto& mc, TimeUs now) {
                        return mc.Register(now, "AAAAA", "bob@live.cn", "correct horse", "correct horse", "");
                      }), seen0);
  EXPECT_EQ(reused.status, 204);
  auto ok = RegisterAccount(w, 0, "bob@live.cn", seen0);  // same RS session (RS-1), new captcha
  EXPECT_EQ(ok.outcome, Outcome::kOk);
  auto dup = RegisterAccount(w, 1, "bob@live.cn", seen1);
  EXPECT_EQ(dup.status, 205);
  EXPECT_EQ(w.rs().stats().duplicate_accounts, 1u);
}

TEST(FrontRolesE2e, ClientRefusesBeforePrivacyAndOnPasswordMismatch) {
  auto wp = BuildWorld(RefWorldOptions{});
  ASSERT_TRUE(wp);
  RefWorld& w = *wp;
  std::map<std::uint64_t, McEvent> seen;
  Await(w, 0, w.Act(0, [](auto& mc, TimeUs now) { return mc.QueryDispatch(now); }), seen);
  auto refused = Await(w, 0, w.Act(0, [](auto& mc, TimeUs now) { return mc.RequestCaptcha(now); }), seen);
  EXPECT_EQ(refused.outcome, Outcome::kRefused);
  w.mc(0).AcceptPrivacyAgreement();
  auto mismatch = Await(w, 0, w.Act(0, [](auto& mc, TimeUs now) {
                          return mc.Register(now, "x", "c@live.cn", "password1", "password2", "");
                        }), seen);
  EXPECT_EQ(mismatch.outcome, Outcome::kRefused);
  EXPECT_EQ(w.rs().server_stats().requests_executed, 0u);  // nothing reached RS
}

TEST(FrontRolesE2e, DispatchRequiresUpdateForOldClients) {
  RefWorldOptions o;
  o.min_version = "2.0.0";
  o.latest_version = "2.1.0";
  auto wp = BuildWorld(o);
  ASSERT_TRUE(wp);
  RefWorld& w = *wp;
  std::map<std::uint64_t, McEvent> seen;
  auto dp = Await(w, 0, w.Act(0, [](auto& mc, TimeUs now) { return mc.QueryDispatch(now); }), seen);
  ASSERT_EQ(dp.outcome, Outcome::kOk);
  EXPECT_EQ(dp.params[0], "required");
  w.mc(0).AcceptPrivacyAgreement();
  auto cap = Await(w, 0, w.Act(0, [](auto& mc, TimeUs now) { return mc.RequestCaptcha(now); }), seen);
  EXPECT_EQ(cap.outcome, Outcome::kRefused);  // DP-2
}

TEST(FrontRolesE2e, UploadBurstIsStoredExactlyOnceUnderDupAndReorder) {
  RefWorldOptions o;
  o.seed = 13;
  sim::LinkConfig l = Lossy(0.1);
  l.duplicate = 0.3;
  l.reorder = 0.3;
  l.reorder_delay = 300 * kMillis;
  o.world.default_link = l;
  auto wp = BuildWorld(o);
  ASSERT_TRUE(wp);
  RefWorld& w = *wp;
  std::map<std::uint64_t, McEvent> seen;
  Await(w, 0, w.Act(0, [](auto& mc, TimeUs now) { return mc.QueryDispatch(now); }), seen);
  std::vector<std::uint64_t> ops;
  for (int k = 0; k < 50; ++k) {
    ops.push_back(w.Act(0, [&](auto& mc, TimeUs now) {
      return mc.Upload(now, "impression", "slot=top n=" + std::to_string(k), 1700000000000ULL + k);
    }));
  }
  int ok = 0, gave_up = 0;
  for (auto op : ops) {
    auto e = Await(w, 0, op, seen);
    ok += e.outcome == Outcome::kOk;
    gave_up += e.outcome == Outcome::kGaveUp;
  }
  EXPECT_EQ(ok + gave_up, 50);
  EXPECT_GT(ok, 45);
  auto stored = w.cs_store().ListUploads(w.mc(0).mid());
  ASSERT_TRUE(stored.ok());
  // Every acknowledged upload stored exactly once; nothing stored twice.
  std::map<std::string, int> count;
  for (auto& u : *stored) count[u.data]++;
  for (auto& [data, c] : count) EXPECT_EQ(c, 1) << data;
  EXPECT_GE(static_cast<int>(stored->size()), ok);
  EXPECT_EQ(w.cs().uploads_recorded(), stored->size());
  EXPECT_GT(w.mc(0).cs_stats()->resends, 0u);
}

TEST(FrontRolesE2e, BannerAdIsFetchedFromMs) {
  auto wp = BuildWorld(RefWorldOptions{});
  ASSERT_TRUE(wp);
  RefWorld& w = *wp;
  std::map<std::uint64_t, McEvent> seen;
  Await(w, 0, w.Act(0, [](auto& mc, TimeUs now) { return mc.QueryDispatch(now); }), seen);
  auto ad = Await(w, 0, w.Act(0, [](auto& mc, TimeUs now) { return mc.QueryAd(now, "top"); }), seen);
  ASSERT_EQ(ad.outcome, Outcome::kOk) << ad.status;
  ASSERT_EQ(ad.params.size(), 5u);
  auto media = Await(w, 0, w.Act(0, [&](auto& mc, TimeUs now) { return mc.FetchMedia(now, ad.params[1]); }), seen);
  ASSERT_EQ(media.outcome, Outcome::kOk);
  EXPECT_EQ(media.data.substr(1, 3), "PNG");
  auto missing = Await(w, 0, w.Act(0, [&](auto& mc, TimeUs now) {
                         return mc.FetchMedia(now, ad.params[1] + "-gone");
                       }), seen);
  EXPECT_EQ(missing.status, 404);
}

TEST(FrontRolesE2e, SameSeedSameTraceHash) {
  auto run = [](std::uint64_t seed) {
    RefWorldOptions o;
    o.seed = seed;
    o.world.default_link = Lossy(0.2);
    auto wp = BuildWorld(o);
    if (!wp) return std::string("no world");
    RefWorld& w = *wp;
    std::map<std::uint64_t, McEvent> seen;
    RegisterAccount(w, 0, "carol@live.cn", seen);
    return w.world().trace().HashHex();
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace mcpsim::scenarios
