// SG under abuse: password verification off the input path (WIRE-24,
// SG-LOGIN-1/15), RAT rate limits and login back-off (RATE-4/5), the bound
// on pending verifications (LIM-23).
#include <gtest/gtest.h>

#include "tests/sg/sg_world.h"

namespace mcpsim::reference::sgtest {
namespace {

TEST(SgAbuse, RatIsVerifiedOffTheInputPathAndUnknownAccountsCostTheSame) {
  World w;
  w.CreateAccount("alice@live.cn");
  Client& a = w.NewClient("alice@live.cn");
  Client& u = w.NewClient("nobody@live.cn");
  w.hold_work = true;
  const std::uint32_t ta = a.Send("RAT", {"alice@live.cn", "wrong pass", "dev-1", "1.0.0", "1"});
  const std::uint32_t tu = u.Send("RAT", {"nobody@live.cn", "wrong pass", "dev-1", "1.0.0", "1"});
  w.Pump();
  // No answer while the verifications wait; both asked for one job each.
  EXPECT_FALSE(a.AnswerTo(ta));
  EXPECT_FALSE(u.AnswerTo(tu));
  ASSERT_EQ(w.held_work.size(), 2u);
  EXPECT_EQ(w.held_work[0].work.kind, Work::Kind::kVerifyPassword);
  EXPECT_EQ(w.held_work[1].work.kind, Work::Kind::kVerifyPassword);
  EXPECT_EQ(ModelledCost(w.held_work[0].work), ModelledCost(w.held_work[1].work));  // SG-LOGIN-16
  // The server keeps serving meanwhile.
  EXPECT_EQ(u.StatusPadded("RPOL", {}), 0);
  w.FinishWork();
  EXPECT_EQ(StatusOf(a.AnswerTo(ta)), 201);
  EXPECT_EQ(StatusOf(u.AnswerTo(tu)), 201);
}

TEST(SgAbuse, ResentRatWhileVerifyingIsDroppedThenReplayed) {
  World w;
  w.CreateAccount("alice@live.cn");
  Client& a = w.NewClient("alice@live.cn");
  w.hold_work = true;
  std::uint32_t t = 0;
  const std::string rat = a.Build("RAT", {"alice@live.cn", kPassword, "dev-1", "1.0.0", "1"}, std::nullopt, &t);
  a.SendRaw(rat);
  a.SendRaw(rat);  // TIMER-7: still being executed
  w.Pump();
  EXPECT_EQ(w.held_work.size(), 1u);
  EXPECT_EQ(a.answers.size(), 0u);
  w.FinishWork();
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(StatusOf(a.AnswerTo(t)), 0);
  a.SendRaw(rat);  // TIMER-5: the cached AAT, no second session
  w.Pump();
  ASSERT_EQ(a.answers.size(), 2u);
  EXPECT_EQ(a.answers[1].params, a.answers[0].params);
  EXPECT_EQ(w.work_log.size(), 1u);
}

TEST(SgAbuse, TcpCommandsBehindARatWaitForIt) {
  World w;
  w.CreateAccount("alice@live.cn");
  Client& a = w.NewClient("alice@live.cn", Via::kTcp);
  w.hold_work = true;
  std::uint32_t t1 = 0, t2 = 0;
  std::string bytes = a.Build("RAT", {"alice@live.cn", kPassword, "dev-1", "1.0.0", "1"}, std::nullopt, &t1);
  bytes += a.Build("RPOL", {}, std::nullopt, &t2);
  a.SendRaw(bytes);
  w.Pump();
  EXPECT_TRUE(a.answers.empty());  // RPOL waits behind the RAT (WIRE-24)
  w.FinishWork();
  ASSERT_EQ(a.answers.size(), 2u);
  EXPECT_EQ(a.answers[0].trid, t1);
  EXPECT_EQ(a.answers[1].trid, t2);
}

TEST(SgAbuse, RatPerAddressBucketAnswers403AtOnce) {
  SgConfig cfg;
  cfg.rat_per_address = {1, 4};
  cfg.rat_per_account = {};
  World w(1, cfg);
  Client& c = w.NewClient("x@live.cn");
  std::vector<int> st;
  for (int i = 0; i < 6; ++i) {
    st.push_back(c.Status("RAT", {Cat(Cat("u", std::to_string(i)), "@live.cn"), "wrong pass", "d", "1.0.0", "1"}));
  }
  EXPECT_EQ(st, (std::vector<int>{201, 201, 201, 201, 403, 403}));
  EXPECT_EQ(w.work_log.size(), 4u);  // RATE-3: refused RATs are not verified
  EXPECT_EQ(w.sg().rat_refused(), 2u);
  w.Advance(1 * kSeconds);
  EXPECT_EQ(c.Status("RAT", {"u9@live.cn", "wrong pass", "d", "1.0.0", "1"}), 201);
  // Another source address has its own bucket.
  Client& d = w.NewClient("y@live.cn");
  EXPECT_EQ(d.Status("RAT", {"u1@live.cn", "wrong pass", "d", "1.0.0", "1"}), 201);
}

TEST(SgAbuse, RatPerAccountBucketSpansAddresses) {
  SgConfig cfg;
  cfg.rat_per_account = {1, 2};
  cfg.login_backoff.base = 0;  // off: only the bucket
  World w(1, cfg);
  w.CreateAccount("alice@live.cn");
  std::vector<int> st;
  for (int i = 0; i < 4; ++i) st.push_back(w.NewClient("alice@live.cn").Login("wrong pass"));
  EXPECT_EQ(st, (std::vector<int>{201, 201, 403, 403}));
}

TEST(SgAbuse, FailedLoginsBackOffExponentiallyAndSuccessResets) {
  World w;  // defaults: 3 free failures, then 1 s, 2 s, 4 s … up to 60 s
  w.CreateAccount("alice@live.cn");
  auto attempt = [&](const std::string& pw) { return w.NewClient("alice@live.cn").Login(pw); };
  for (int i = 0; i < 4; ++i) EXPECT_EQ(attempt("wrong pass"), 201) << i;
  // The 4th failure started a 1 s back-off: even the right password is 403.
  EXPECT_EQ(attempt(kPassword), 403);
  EXPECT_EQ(attempt("wrong pass"), 403);
  w.Advance(1 * kSeconds);
  EXPECT_EQ(attempt("wrong pass"), 201);  // 5th failure: 2 s
  w.Advance(1 * kSeconds);
  EXPECT_EQ(attempt(kPassword), 403);
  w.Advance(1 * kSeconds);
  EXPECT_EQ(attempt(kPassword), 0);  // success resets the count
  for (int i = 0; i < 3; ++i) EXPECT_EQ(attempt("wrong pass"), 201);
  // Unknown names are counted alike (RATE-5), so 403 tells nothing either.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(w.NewClient("ghost@live.cn").Login("wrong pass"), 201);
  EXPECT_EQ(w.NewClient("ghost@live.cn").Login("wrong pass"), 403);
}

TEST(SgAbuse, FullVerificationQueueAnswers502) {
  SgConfig cfg;
  cfg.server.max_parked = 2;
  World w(1, cfg);
  w.CreateAccount("alice@live.cn");
  w.hold_work = true;
  std::vector<std::uint32_t> trids;
  std::vector<Client*> cs;
  for (int i = 0; i < 3; ++i) {
    cs.push_back(&w.NewClient("alice@live.cn"));
    trids.push_back(cs.back()->Send("RAT", {"alice@live.cn", "wrong pass", "d", "1.0.0", "1"}));
  }
  w.Pump();
  EXPECT_EQ(w.held_work.size(), 2u);
  EXPECT_EQ(StatusOf(cs[2]->AnswerTo(trids[2])), 502);  // LIM-23
  w.FinishWork();
  EXPECT_EQ(StatusOf(cs[0]->AnswerTo(trids[0])), 201);
  EXPECT_EQ(StatusOf(cs[1]->AnswerTo(trids[1])), 201);
}

TEST(SgAbuse, HttpLoginAnswerCarriesTheTokenAfterVerification) {
  World w;
  w.CreateAccount("alice@live.cn");
  Client& a = w.NewClient("alice@live.cn", Via::kHttp);
  ASSERT_EQ(a.Login(), 0);
  EXPECT_EQ(a.token.size(), 32u);  // HTTP-7 header of the deferred response
  EXPECT_EQ(a.Status("RPOL", {}), 0);
}

}  // namespace
}  // namespace mcpsim::reference::sgtest
