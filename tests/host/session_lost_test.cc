// SG-LOGIN-14 end to end: SG closes a session after a push gave up (TIMER-9)
// without telling the MC; the MC finds out from the 200 to its next request
// and reports kSessionLost, then can log in again.
#include <gtest/gtest.h>

#include "tests/host/chat_util.h"

namespace mcpsim::chattest {
namespace {

TEST(SessionLost, PushGiveUpClosesTheSessionAndTheNextRequestRevealsIt) {
  SimChat s(11);
  const int alice = s.AddUser("alice@live.cn");
  const int bob = s.AddUser("bob@live.cn");
  ASSERT_TRUE(s.chat->Befriend("alice@live.cn", "bob@live.cn").ok());
  ASSERT_EQ(s.Login(alice).outcome, Outcome::kOk);
  ASSERT_EQ(s.Login(bob).outcome, Outcome::kOk);
  ASSERT_TRUE(s.Until([&] { return s.chat->mc(alice).sg()->presence().count("bob@live.cn") == 1; }));
  ASSERT_EQ(s.world->node_name(0), "sg");
  ASSERT_EQ(s.world->node_name(2), "mc-bob");
  // SG -> bob is cut for 45 s: the RRI of alice's invite is never answered.
  const TimeUs t0 = s.world->Now();
  ASSERT_TRUE(s.world->Partition({0}, {2}, t0, t0 + 45 * kSeconds, /*two_way=*/false).ok());
  auto invite = s.Do(alice, [](auto& mc, TimeUs now) { return mc.Invite(now, "bob@live.cn"); });
  ASSERT_EQ(invite.outcome, Outcome::kOk);
  // TIMER-9 after 31 s: SG closes bob's session; alice sees him go offline.
  ASSERT_TRUE(s.Until([&] { return s.chat->mc(alice).sg()->presence().count("bob@live.cn") == 0; }));
  s.RunFor(50 * kSeconds - (s.world->Now() - t0));  // the partition is over
  EXPECT_TRUE(s.chat->mc(bob).sg()->active());      // bob was never told
  EXPECT_EQ(s.Count(bob, McOp::kSessionLost), 0);
  auto rli = s.Do(bob, [](auto& mc, TimeUs now) { return mc.SetPresence(now, "away", 7); });
  EXPECT_EQ(rli.outcome, Outcome::kStatus);
  EXPECT_EQ(rli.status, 200);
  ASSERT_EQ(s.Count(bob, McOp::kSessionLost), 1);
  EXPECT_EQ(s.Last(bob, McOp::kSessionLost)->status, 200);
  EXPECT_EQ(s.chat->mc(bob).sg()->state(), reference::SgState::kClosed);
  // A new login works and alice sees bob again.
  ASSERT_EQ(s.Login(bob).outcome, Outcome::kOk);
  ASSERT_TRUE(s.Until([&] { return s.chat->mc(alice).sg()->presence().count("bob@live.cn") == 1; }));
}

}  // namespace
}  // namespace mcpsim::chattest
