// SGs in several processes (PROTOCOL.md §3.1, CLU-10..14): each SG with its
// own Backend, relays carried between them by the test world as a database
// queue would. What phones see must be what they see when the same SGs share
// one back end (the simulator's multi-SG worlds).
#include <gtest/gtest.h>

#include "reference/media/voice.h"
#include "tests/sg/sg_world.h"

namespace mcpsim::reference::sgtest {
namespace {

using Params = std::vector<std::string>;
using Seen = std::map<std::string, std::vector<std::string>>;

const char* const kUsers[] = {"alice@live.cn", "bob@live.cn", "carol@live.cn"};

// One SG per user, everyone befriended.
struct Three {
  explicit Three(bool processes) : w(3, SgConfig{}, ":memory:", processes) {
    for (const char* u : kUsers) w.CreateAccount(u);
    w.Befriend(kUsers[0], kUsers[1]);
    w.Befriend(kUsers[1], kUsers[2]);
    w.Befriend(kUsers[0], kUsers[2]);
  }
  // What each client received of presence and conversations, in order.
  Seen Pushes() const {
    Seen out;
    for (const Client* c : {&a, &b, &c}) {
      for (const wire::Command& cmd : c->received) {
        static const std::set<std::string> kWords = {"RNP", "RRI", "RRR", "RAC", "RRM", "RRB", "ROUT"};
        if (!kWords.count(cmd.word)) continue;
        std::string line = cmd.word;
        for (const std::string& p : cmd.params) line += " " + p;
        out[c->account].push_back(line);
      }
    }
    return out;
  }
  World w;
  Client& a = w.NewClient(kUsers[0], Via::kUdp, 0);
  Client& b = w.NewClient(kUsers[1], Via::kTcp, 1);
  Client& c = w.NewClient(kUsers[2], Via::kUdp, 2);
};

// A conversation of three users on three SGs: invite, messages both ways, a
// third member, a presence change, leaving, and a logout.
Seen Conversation(Three& t, std::vector<std::string>* acm) {
  EXPECT_TRUE(t.a.FullLogin());
  EXPECT_TRUE(t.b.FullLogin());
  EXPECT_TRUE(t.c.FullLogin());
  auto asi = t.a.Call("RSI", {kUsers[1]});
  EXPECT_EQ(StatusOf(asi), 0);
  EXPECT_EQ(asi->params, Params{"1"});
  EXPECT_EQ(t.a.Status("RSM", {"1", "hi bob\r\n100%"}), 0);
  EXPECT_EQ(t.b.Status("RSM", {"1", "hello alice"}), 0);
  EXPECT_EQ(t.b.Status("RSR", {"1", kUsers[2]}), 0);
  EXPECT_EQ(t.c.Status("RSM", {"1", "hi all"}), 0);
  auto m = t.c.Call("RCM", {"1"});
  if (acm && m) *acm = m->params;
  EXPECT_EQ(t.b.Status("RLI", {"away", "3"}), 0);
  EXPECT_EQ(t.a.Status("RSB", {"1"}), 0);
  EXPECT_EQ(t.b.Status("RSM", {"1", "just us"}), 0);
  EXPECT_EQ(t.c.Status("RLO", {}), 0);
  EXPECT_EQ(t.b.Status("RSM", {"1", "gone?"}), 302);  // ended with carol's logout
  return t.Pushes();
}

TEST(SgRelay, CodecRoundTripsAnyBytesAndRejectsMalformedInput) {
  Relay r;
  r.kind = Relay::Kind::kDeliver;
  r.from_sg = 7;
  r.to_sg = 2147483647;
  r.account = "bob@live.cn";
  r.word = "RRM";
  r.params = {"12", "alice@live.cn", std::string("a\0b:3:\r\n", 8), ""};
  r.tag = 18446744073709551615ull;
  auto back = DecodeRelay(EncodeRelay(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
  Relay call;
  call.kind = Relay::Kind::kCall;
  call.call_id = 5;
  call.members = {"a@live.cn", "b@live.cn"};
  EXPECT_EQ(*DecodeRelay(EncodeRelay(call)), call);

  const std::string good = EncodeRelay(r);
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    auto bad = DecodeRelay(good.substr(0, cut));
    ASSERT_FALSE(bad.ok()) << cut;
    EXPECT_EQ(bad.status().clause(), "CLU-10");
    EXPECT_TRUE(bad.status().has_offset());
  }
  EXPECT_FALSE(DecodeRelay(good + "x").ok());
  EXPECT_FALSE(DecodeRelay("1:9" + good.substr(3)).ok());  // no such kind
}

TEST(SgRelay, PhonesOnThreeProcessesSeeWhatTheySeeOnOneBackend) {
  Three one(false), three(true);
  std::vector<std::string> acm_one, acm_three;
  const Seen want = Conversation(one, &acm_one);
  const Seen got = Conversation(three, &acm_three);
  EXPECT_EQ(got, want);
  EXPECT_EQ(acm_three, acm_one);
  EXPECT_EQ(acm_three, (Params{"3", kUsers[0], kUsers[1], kUsers[2]}));
  EXPECT_EQ(one.w.relays_carried, 0u);
  EXPECT_GT(three.w.relays_carried, 10u);
  // Live, not offline: bob got alice's message as RRM, nothing was stored.
  const auto& bob = got.at(kUsers[1]);
  EXPECT_NE(std::find(bob.begin(), bob.end(), std::string("RRM 1 alice@live.cn hi bob\r\n100%")), bob.end());
  EXPECT_NE(std::find(bob.begin(), bob.end(), std::string("RNP alice@live.cn online 7")), bob.end());
  EXPECT_EQ(*three.w.store().CountOfflineMessages(kUsers[1]), 0u);
}

TEST(SgRelay, ALoginAtAnotherProcessReplacesTheSession) {
  Three t(true);
  ASSERT_TRUE(t.a.FullLogin());
  ASSERT_TRUE(t.b.FullLogin());
  ASSERT_EQ(t.a.Status("RSI", {kUsers[1]}), 0);
  // bob logs in again at alice's SG (SG-LOGIN-8 across processes, CLU-14).
  Client& b2 = t.w.NewClient(kUsers[1], Via::kUdp, 0);
  ASSERT_TRUE(b2.FullLogin());
  ASSERT_EQ(t.b.Received("ROUT").size(), 1u);
  EXPECT_EQ(t.b.Received("ROUT")[0].params, Params{"208"});
  EXPECT_FALSE(t.w.sg(1).SessionOf(kUsers[1]).has_value());
  EXPECT_EQ(t.w.backend(0).RemoteSgOf(kUsers[1]), 0u);
  // The old session left the conversation; the new one is local to alice.
  EXPECT_EQ(t.a.Received("RRB").back().params, (Params{"1", kUsers[1], "offline", "1"}));
  auto asi = t.a.Call("RSI", {kUsers[1]});
  ASSERT_EQ(StatusOf(asi), 0);
  EXPECT_EQ(b2.Received("RRI").back().params, (Params{asi->params[0], kUsers[0]}));
}

TEST(SgRelay, AKilledProcessesUsersGoOfflineAndLeaveConversations) {
  Three t(true);
  ASSERT_TRUE(t.a.FullLogin());
  ASSERT_TRUE(t.b.FullLogin());
  ASSERT_TRUE(t.c.FullLogin());
  ASSERT_EQ(t.a.Status("RSI", {kUsers[1]}), 0);
  ASSERT_EQ(t.a.Status("RSR", {"1", kUsers[2]}), 0);
  t.w.Kill(1);  // bob's SG
  t.w.LeaseOver(1);
  const Params left{"1", kUsers[1], "offline", "0"};
  EXPECT_EQ(t.a.Received("RRB").back().params, left);
  EXPECT_EQ(t.c.Received("RRB").back().params, left);
  EXPECT_EQ(t.a.Received("RRB").size(), 1u);  // once, from alice's own SG
  EXPECT_EQ(t.c.Received("RRB").size(), 1u);
  EXPECT_EQ(t.a.Received("RNP").back().params, (Params{kUsers[1], "offline", "0"}));
  EXPECT_EQ(t.a.Status("RSI", {kUsers[1]}), 304);  // SG-CHAT: the contact is offline
  ASSERT_EQ(t.a.Status("RSM", {"1", "still here"}), 0);
  EXPECT_EQ(t.c.Received("RRM").back().params, (Params{"1", kUsers[0], "still here"}));
}

// CLU-13: what alice's SG acknowledged while bob's SG was already dead (but
// its lease not over) waits in the dead SG's queue; a survivor takes it and
// keeps each RRM as an offline message, offered when bob logs in again.
TEST(SgRelay, AcknowledgedMessagesForADeadProcessBecomeOfflineMessages) {
  Three t(true);
  ASSERT_TRUE(t.a.FullLogin());
  ASSERT_TRUE(t.b.FullLogin());
  ASSERT_EQ(t.a.Status("RSI", {kUsers[1]}), 0);
  ASSERT_EQ(t.a.Status("RSM", {"1", "before"}), 0);
  EXPECT_EQ(t.b.Received("RRM").back().params, (Params{"1", kUsers[0], "before"}));
  t.w.Kill(1);
  ASSERT_EQ(t.a.Status("RSM", {"1", "after 1"}), 0);  // acknowledged: bob is not known dead yet
  ASSERT_EQ(t.a.Status("RSM", {"1", "after 2"}), 0);
  EXPECT_EQ(*t.w.store().CountOfflineMessages(kUsers[1]), 0u);
  t.w.LeaseOver(1);
  EXPECT_EQ(*t.w.store().CountOfflineMessages(kUsers[1]), 2u);
  EXPECT_EQ(t.w.backend(0).relays_kept_offline(), 2u);
  EXPECT_EQ(t.a.Status("RSM", {"1", "too late"}), 302);  // bob left: the conversation ended
  Client& b2 = t.w.NewClient(kUsers[1], Via::kUdp, 2);
  ASSERT_TRUE(b2.FullLogin());
  const auto rpn = b2.Received("RPN");
  ASSERT_EQ(rpn.size(), 2u);
  EXPECT_EQ(rpn[0].params[1], kUsers[0]);
  EXPECT_EQ(rpn[0].params[3], "after 1");
  EXPECT_EQ(rpn[1].params[3], "after 2");
}

// CLU-13: an RRM that arrives after the recipient's session ended there is
// kept offline too; one for a member that left the conversation is not.
TEST(SgRelay, AnRrmForAnEndedSessionIsKeptOfflineButNotForAMemberWhoLeft) {
  Three t(true);
  ASSERT_TRUE(t.a.FullLogin());
  ASSERT_TRUE(t.b.FullLogin());
  ASSERT_EQ(t.a.Status("RSI", {kUsers[1]}), 0);
  Relay late;  // as alice's SG queued it just before bob's logout reached it
  late.kind = Relay::Kind::kDeliver;
  late.from_sg = 1;
  late.to_sg = 2;
  late.account = kUsers[1];
  late.word = "RRM";
  late.params = {"1", kUsers[0], "raced"};
  ASSERT_EQ(t.b.Status("RLO", {}), 0);
  t.w.backend(1).OnRelay(t.w.now, late);
  EXPECT_EQ(*t.w.store().CountOfflineMessages(kUsers[1]), 1u);
  // bob back, in a new conversation; the old one's RRM is not for him any more.
  Client& b2 = t.w.NewClient(kUsers[1], Via::kUdp, 1);
  ASSERT_TRUE(b2.FullLogin());
  ASSERT_EQ(t.a.Status("RSI", {kUsers[1]}), 0);
  const std::size_t before = b2.Received("RRM").size();
  t.w.backend(1).OnRelay(t.w.now, late);
  t.w.Pump();
  EXPECT_EQ(b2.Received("RRM").size(), before);
  EXPECT_EQ(*t.w.store().CountOfflineMessages(kUsers[1]), 0u);  // the first was offered (RPN) and taken
}

// CLU-15: an SG restarted under a killed one's id relays "offline" for the
// users its predecessor left; another process that had not noticed the death
// takes them out of its conversations itself (nobody else will).
TEST(SgRelay, OfflineFromARestartedProcessEndsItsUsersConversations) {
  Three t(true);
  ASSERT_TRUE(t.a.FullLogin());
  ASSERT_TRUE(t.b.FullLogin());
  ASSERT_EQ(t.a.Status("RSI", {kUsers[1]}), 0);
  t.w.Kill(1);
  Relay gone;
  gone.kind = Relay::Kind::kPresence;
  gone.from_sg = 2;
  gone.account = kUsers[1];
  gone.presence = "offline";
  t.w.backend(0).OnRelay(t.w.now, gone);
  t.w.Pump();
  EXPECT_EQ(t.a.Received("RRB").back().params, (Params{"1", kUsers[1], "offline", "1"}));
  EXPECT_EQ(t.a.Received("RNP").back().params, (Params{kUsers[1], "offline", "0"}));
  t.w.backend(0).OnRelay(t.w.now, gone);  // again (the lease ended too): nothing more
  t.w.Pump();
  EXPECT_EQ(t.a.Received("RRB").size(), 1u);
}

// CLU-16: a voice clip crosses SG processes; the member's SG relays it under
// a voiceId of its own drawing (shared sequence, CLU-9).
TEST(SgRelay, VoiceClipsReachMembersAtOtherProcesses) {
  Three t(true);
  ASSERT_TRUE(t.a.FullLogin());
  ASSERT_TRUE(t.b.FullLogin());
  ASSERT_TRUE(t.c.FullLogin(1));  // files only: no clip for carol
  ASSERT_EQ(t.a.Status("RSI", {kUsers[1]}), 0);
  ASSERT_EQ(t.a.Status("RSR", {"1", kUsers[2]}), 0);
  const std::string clip = SynthesizeWav49(100);  // 3310 bytes, 4 chunks
  for (std::size_t off = 0; off < clip.size(); off += 1024) {
    ASSERT_EQ(t.a.Status("RSV", {"1", "77", std::to_string(off), std::to_string(clip.size())}, clip.substr(off, 1024)),
              0);
  }
  const auto rrv = t.b.Received("RRV");
  ASSERT_EQ(rrv.size(), 4u);
  std::string got;
  for (const auto& r : rrv) {
    EXPECT_EQ(r.params[0], "1");
    EXPECT_EQ(r.params[1], "1");
    EXPECT_EQ(r.params[2], kUsers[0]);
    got += *r.payload;
  }
  EXPECT_TRUE(got == clip);
  EXPECT_TRUE(t.c.Received("RRV").empty());
  // Nobody voice-capable elsewhere either: 307 as on one SG.
  ASSERT_EQ(t.b.Status("RLI", {"online", "1"}), 0);
  EXPECT_EQ(t.a.Status("RSV", {"1", "78", "0", "10"}, std::string(10, 'x')), 307);
}

// What each client received of `words` (ROT: with its payload), in order.
Seen Received(const Three& t, const std::set<std::string>& words) {
  Seen out;
  for (const Client* c : {&t.a, &t.b, &t.c}) {
    for (const wire::Command& cmd : c->received) {
      if (!words.count(cmd.word)) continue;
      std::string line = cmd.word;
      for (const std::string& p : cmd.params) line += " " + p;
      if (cmd.payload) line += " [" + std::string(*cmd.payload) + "]";
      out[c->account].push_back(line);
    }
  }
  return out;
}

// Accepted and relayed, rejected, cancelled, failed by the receiver's logout.
std::pair<Seen, std::vector<int>> Files(Three& t) {
  std::vector<int> st;
  EXPECT_TRUE(t.a.FullLogin());
  EXPECT_TRUE(t.b.FullLogin());
  st.push_back(t.a.Status("RSI", {kUsers[1]}));
  st.push_back(t.a.Status("ROI", {"1", "a.txt", "2100"}));
  st.push_back(t.b.Status("ROR", {"1", "accept"}));
  std::string file(2100, 'x');
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>('a' + i % 26);
  for (std::size_t off = 0; off < file.size(); off += 1024) {
    st.push_back(t.a.Status("ROT", {"1", std::to_string(off), "2100"}, file.substr(off, 1024)));
  }
  st.push_back(t.a.Status("ROI", {"1", "b.txt", "10"}));
  st.push_back(t.b.Status("ROR", {"2", "reject"}));
  st.push_back(t.a.Status("ROI", {"1", "c.txt", "10"}));
  st.push_back(t.a.Status("ROC", {"3"}));
  st.push_back(t.b.Status("ROR", {"3", "accept"}));  // 309: cancelled
  st.push_back(t.a.Status("ROI", {"1", "d.txt", "10"}));
  st.push_back(t.b.Status("ROR", {"4", "accept"}));
  st.push_back(t.b.Status("RLO", {}));
  st.push_back(t.a.Status("ROT", {"4", "0", "10"}, std::string(10, 'y')));  // 309: failed
  return {Received(t, {"ROA", "ROR", "ROT", "ROC"}), st};
}

// CLU-17: a file transfer between sessions of two SG processes: what both
// phones see is what they see when the SGs share one back end.
TEST(SgRelay, FileTransfersAcrossProcessesLookAsOnOneBackend) {
  Three one(false), many(true);
  const auto [seen, statuses] = Files(many);
  EXPECT_EQ(Files(one), std::make_pair(seen, statuses));
  EXPECT_EQ(statuses, (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 309, 0, 0, 0, 309}));
  const auto& b = seen.at(kUsers[1]);
  ASSERT_GE(b.size(), 4u);
  EXPECT_EQ(b[0], Cat("ROA 1 1 ", kUsers[0]) + " a.txt 2100");
  EXPECT_EQ(b[1].substr(0, 19), "ROT 1 0 2100 [abcde");
  EXPECT_EQ(seen.at(kUsers[0]), (std::vector<std::string>{"ROR 1 accept", "ROR 1 done", "ROR 2 reject",
                                                          "ROR 4 accept", "ROR 4 failed"}));
  EXPECT_GT(many.w.relays_carried, 0u);
}

// CLU-17: the receiver's process dies: the sender hears "failed" once the
// lease ends (not before: nothing says the process is gone).
TEST(SgRelay, ATransferToADeadProcessFailsWhenItsLeaseEnds) {
  Three t(true);
  ASSERT_TRUE(t.a.FullLogin());
  ASSERT_TRUE(t.b.FullLogin());
  ASSERT_EQ(t.a.Status("RSI", {kUsers[1]}), 0);
  ASSERT_EQ(t.a.Status("ROI", {"1", "a.txt", "10"}), 0);
  ASSERT_EQ(t.b.Status("ROR", {"1", "accept"}), 0);
  t.w.Kill(1);
  EXPECT_EQ(t.a.Status("ROT", {"1", "0", "10"}, std::string(10, 'z')), 0);
  EXPECT_EQ(t.a.Received("ROR").back().params, (Params{"1", "accept"}));
  t.w.LeaseOver(1);
  EXPECT_EQ(t.a.Received("ROR").back().params, (Params{"1", "failed"}));
}

// CLU-18: a back-end user injected into one process is seen by the others:
// its presence, its nudge (and the conversation it opens), the answers to it.
std::pair<Seen, std::vector<std::string>> BackEndUser(Three& t) {
  EXPECT_TRUE(t.a.FullLogin());
  EXPECT_TRUE(t.w.backend(2).SetPresence(t.w.now, kUsers[2], "busy", 7).ok());
  t.w.Pump();
  EXPECT_TRUE(t.w.backend(2).InjectNudge(t.w.now, kUsers[2], kUsers[0]));
  t.w.Pump();
  EXPECT_EQ(t.a.Status("RSM", {"1", "stop it"}), 0);
  EXPECT_TRUE(t.w.backend(2).SetPresence(t.w.now, kUsers[2], "offline", 0).ok());
  t.w.Pump();
  std::vector<std::string> got;
  for (const auto& d : t.w.backend(2).deliveries()) {
    std::string line = d.to + " " + d.word;
    for (const std::string& p : d.params) line += " " + p;
    got.push_back(line);
  }
  return {Received(t, {"RNP", "RRI", "RRN", "RRM", "RRB"}), got};
}

TEST(SgRelay, BackEndUsersAndTheirNudgesCrossProcesses) {
  Three one(false), many(true);
  const auto [seen, delivered] = BackEndUser(many);
  EXPECT_EQ(BackEndUser(one), std::make_pair(seen, delivered));
  const auto& a = seen.at(kUsers[0]);
  EXPECT_NE(std::find(a.begin(), a.end(), Cat("RNP ", kUsers[2]) + " busy 7"), a.end());
  EXPECT_NE(std::find(a.begin(), a.end(), Cat("RRI 1 ", kUsers[2])), a.end());
  EXPECT_NE(std::find(a.begin(), a.end(), Cat("RRN 1 ", kUsers[2])), a.end());
  EXPECT_NE(std::find(a.begin(), a.end(), Cat("RRB 1 ", kUsers[2]) + " offline 1"), a.end());
  EXPECT_EQ(delivered, (std::vector<std::string>{Cat(kUsers[2], " RRM 1 ") + kUsers[0] + " stop it"}));
}

}  // namespace
}  // namespace mcpsim::reference::sgtest
