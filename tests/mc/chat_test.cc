// MC side of conversations, offline messages and nudges against a scripted SG.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/mc/fake_sg.h"

namespace mcpsim::reference::mctest {
namespace {

FakeSg Active(McConfig cfg = {}) {
  FakeSg sg(std::move(cfg));
  sg.Login("alice@live.cn", "full", 10, {{"A", "bob@live.cn", "Bob", "", "", 1, 0}});
  sg.Events();
  return sg;
}

TEST(McChat, InviteMessageAndLeave) {
  FakeSg sg = Active();
  const auto inv = sg.mc().Invite(sg.now, "bob@live.cn");
  auto rsi = sg.TakeOne("RSI");
  EXPECT_EQ(rsi.params, std::vector<std::string>{"bob@live.cn"});
  sg.Deliver(FakeSg::Answer(rsi, 0, {"17"}));
  auto ev = sg.Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].op_id, inv);
  EXPECT_EQ(ev[0].call_id, 17u);
  EXPECT_EQ(sg.mc().sg()->conversations().at(17).members,
            (std::vector<Atom>{"alice@live.cn", "bob@live.cn"}));
  const auto msg = sg.mc().SendMessage(sg.now, 17, "hi bob\r\n100%");
  auto d = sg.TakeDatagrams();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0], "RSM " + std::to_string(rsi.trid + 1) + " 17 hi%20bob%0D%0A100%25\r\n");
  sg.Deliver("ASM " + std::to_string(rsi.trid + 1) + " 0\r\n");
  ev = sg.Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].op_id, msg);
  EXPECT_EQ(ev[0].op, McOp::kSendMessage);
  EXPECT_EQ(ev[0].outcome, McEvent::Outcome::kOk);
  // RRM: delivered once per (callId, server trid); a resend is answered again.
  const std::string rrm = sg.Request("RRM", {"17", "bob@live.cn", "  spaced  "});
  sg.Deliver(rrm);
  const auto arm = sg.TakeDatagrams();
  ASSERT_EQ(arm.size(), 1u);
  sg.Deliver(rrm);
  EXPECT_EQ(sg.TakeDatagrams(), arm);
  auto got = sg.EventsOf(McOp::kMessage);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].call_id, 17u);
  EXPECT_EQ(got[0].account, "bob@live.cn");
  EXPECT_EQ(got[0].text, "  spaced  ");  // byte-exact (SG-CHAT-10)
  sg.mc().Leave(sg.now, 17);
  auto rsb = sg.TakeOne("RSB");
  sg.Deliver(FakeSg::Answer(rsb, 0));
  EXPECT_TRUE(sg.mc().sg()->conversations().empty());
}

// G-80 / SG-LOGIN-13: a delayed duplicate of a push of the previous session
// (same SG endpoint) reaching the next session is answered from the cache,
// not shown again; the new session's own pushes (other trids, TRID-4) are.
TEST(McChat, OldSessionsDuplicatePushIsNotShownInTheNextSession) {
  FakeSg sg = Active();
  const std::string rrm = sg.Request("RRM", {"17", "bob@live.cn", "before logout"});
  sg.Deliver(rrm);
  const auto arm = sg.TakeDatagrams();
  ASSERT_EQ(arm.size(), 1u);
  ASSERT_EQ(sg.EventsOf(McOp::kMessage).size(), 1u);
  sg.mc().Logout(sg.now);
  auto rlo = sg.TakeOne("RLO");
  sg.Deliver(FakeSg::Answer(rlo, 0));
  sg.now += 5 * kSeconds;
  sg.Login("alice@live.cn", "current", 10, {});
  sg.Events();
  sg.Deliver(rrm);  // the network's late copy
  EXPECT_EQ(sg.TakeDatagrams(), arm);
  EXPECT_TRUE(sg.EventsOf(McOp::kMessage).empty());
  sg.Deliver(sg.Request("RRM", {"17", "bob@live.cn", "after login"}));
  ASSERT_EQ(sg.TakeDatagrams().size(), 1u);
  auto got = sg.EventsOf(McOp::kMessage);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "after login");
}

TEST(McChat, AddedToACallAsksForTheMembersAfterAnswering) {
  FakeSg sg = Active();
  sg.Deliver(sg.Request("RRR", {"17", "bob@live.cn"}));
  auto cmds = sg.Take();
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0].word, "ARR");  // the answer first, then RCM (SG-CHAT-5)
  EXPECT_EQ(cmds[1].word, "RCM");
  EXPECT_EQ(cmds[1].params, std::vector<std::string>{"17"});
  sg.Deliver(FakeSg::Answer(cmds[1], 0, {"3", "carol@live.cn", "bob@live.cn", "alice@live.cn"}));
  EXPECT_EQ(sg.mc().sg()->conversations().at(17).members,
            (std::vector<Atom>{"carol@live.cn", "bob@live.cn", "alice@live.cn"}));
  auto added = sg.EventsOf(McOp::kAddedToCall);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].account, "bob@live.cn");
  // RAC then RRB: members follow; ended = 1 removes the conversation.
  sg.Deliver(sg.Request("RAC", {"17", "dave@live.cn", "bob@live.cn"}));
  EXPECT_EQ(sg.TakeOne("AAC").status, 0u);
  EXPECT_EQ(sg.mc().sg()->conversations().at(17).members.back(), "dave@live.cn");
  sg.Deliver(sg.Request("RRB", {"17", "carol@live.cn", "left", "0"}));
  sg.Take();
  EXPECT_EQ(sg.mc().sg()->conversations().at(17).members.size(), 3u);
  sg.Deliver(sg.Request("RRB", {"17", "bob@live.cn", "sleeping", "0"}));
  EXPECT_EQ(sg.TakeOne("ARB").status, 103u);
  sg.Deliver(sg.Request("RRB", {"17", "bob@live.cn", "offline", "1"}));
  sg.Take();
  EXPECT_FALSE(sg.mc().sg()->conversations().count(17));
  auto left = sg.EventsOf(McOp::kMemberLeft);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[1].object_id, 1u);
  EXPECT_EQ(left[1].text, "offline");
}

TEST(McChat, InvitedAndUnknownWordAnswered100) {
  FakeSg sg = Active();
  sg.Deliver(sg.Request("RRI", {"5", "bob@live.cn"}));
  EXPECT_EQ(sg.TakeOne("ARI").status, 0u);
  auto inv = sg.EventsOf(McOp::kInvited);
  ASSERT_EQ(inv.size(), 1u);
  EXPECT_EQ(inv[0].call_id, 5u);
  sg.Deliver(sg.Request("RXYZ", {"1"}));
  EXPECT_EQ(sg.TakeOne("AXYZ").status, 100u);  // WIRE-21
  sg.Deliver(sg.Request("RRI", {"5"}));
  EXPECT_EQ(sg.TakeOne("ARI").status, 102u);  // CONV-4
}

TEST(McOffline, SendAndRedeliveryShownOnceAcrossRestart) {
  McConfig cfg;
  cfg.cache_path = ::testing::TempDir() + "mc_cache_offline.db";
  std::remove(cfg.cache_path.c_str());
  FakeSg sg = Active(cfg);
  const auto op = sg.mc().SendOffline(sg.now, "bob@live.cn", "see you");
  auto rom = sg.TakeOne("ROM");
  EXPECT_EQ(rom.params, (std::vector<std::string>{"bob@live.cn", "see you"}));
  sg.Deliver(FakeSg::Answer(rom, 0, {"42"}));
  auto sent = sg.Events();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].op_id, op);
  EXPECT_EQ(sent[0].object_id, 42u);
  sg.Deliver(sg.Request("RPN", {"7", "carol@live.cn", "1700000000000", "see you later"}));
  EXPECT_EQ(sg.TakeOne("APN").status, 0u);
  auto got = sg.EventsOf(McOp::kOfflineMessage);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].object_id, 7u);
  EXPECT_EQ(got[0].text, "see you later");
  EXPECT_EQ(got[0].params, std::vector<std::string>{"1700000000000"});
  // Redelivered with a new trid (our APN was lost): APN 0, not shown (SG-OFF-6).
  sg.Deliver(sg.Request("RPN", {"7", "carol@live.cn", "1700000000000", "see you later"}));
  EXPECT_EQ(sg.TakeOne("APN").status, 0u);
  EXPECT_TRUE(sg.EventsOf(McOp::kOfflineMessage).empty());
  // And in the next session on a restarted client (SG-OFF-5 redelivery).
  sg.Restart();
  sg.Login("alice@live.cn", "current", 10, {});
  sg.Events();
  sg.Deliver(sg.Request("RPN", {"7", "carol@live.cn", "1700000000000", "see you later"}));
  EXPECT_EQ(sg.TakeOne("APN").status, 0u);
  EXPECT_TRUE(sg.EventsOf(McOp::kOfflineMessage).empty());
  sg.Deliver(sg.Request("RPN", {"8", "carol@live.cn", "1700000000001", "new"}));
  sg.Take();
  EXPECT_EQ(sg.EventsOf(McOp::kOfflineMessage).size(), 1u);
}

TEST(McNudge, ReceivedButNeverSentUnlessNonconforming) {
  FakeSg sg = Active();
  sg.Deliver(sg.Request("RRN", {"17", "msn-user@hotmail.com"}));
  EXPECT_EQ(sg.TakeOne("ARN").status, 0u);
  auto n = sg.EventsOf(McOp::kNudgeReceived);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].account, "msn-user@hotmail.com");
  sg.mc().SendNudge(sg.now, 17);
  EXPECT_TRUE(sg.Take().empty());  // SG-NUDGE-3
  auto refused = sg.Events();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].outcome, McEvent::Outcome::kRefused);

  McConfig bad;
  bad.nonconforming_send_nudge = true;  // TEST ONLY switch
  FakeSg sg2 = Active(bad);
  const auto op = sg2.mc().SendNudge(sg2.now, 17);
  auto rsn = sg2.TakeOne("RSN");
  EXPECT_EQ(rsn.params, std::vector<std::string>{"17"});
  sg2.Deliver(FakeSg::Answer(rsn, 310));  // SG-NUDGE-4
  auto ev = sg2.Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].op_id, op);
  EXPECT_EQ(ev[0].status, 310);
}

}  // namespace
}  // namespace mcpsim::reference::mctest
