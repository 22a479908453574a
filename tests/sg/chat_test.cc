// SG conversations and nudges (PROTOCOL.md §7.5, §7.8).
#include <gtest/gtest.h>

#include "tests/sg/sg_world.h"

namespace mcpsim::reference::sgtest {
namespace {

using Params = std::vector<std::string>;

struct Trio {
  explicit Trio(SgConfig cfg = {}, std::size_t sgs = 1) : w(sgs, cfg) {
    for (auto n : {"alice@live.cn", "bob@live.cn", "carol@live.cn"}) w.CreateAccount(n);
    w.Befriend("alice@live.cn", "bob@live.cn");
    w.Befriend("bob@live.cn", "carol@live.cn");
    w.Befriend("alice@live.cn", "carol@live.cn");
  }
  void LoginAll() {
    ASSERT_TRUE(a.FullLogin());
    ASSERT_TRUE(b.FullLogin());
    ASSERT_TRUE(c.FullLogin());
  }
  World w;
  Client& a = w.NewClient("alice@live.cn");
  Client& b = w.NewClient("bob@live.cn", Via::kTcp);
  Client& c = w.NewClient("carol@live.cn", Via::kUdp, w.sg_count() - 1);
};

TEST(SgChat, TwoPartyConversation) {
  Trio t;
  t.LoginAll();
  auto asi = t.a.Call("RSI", {"bob@live.cn"});
  ASSERT_EQ(StatusOf(asi), 0);
  EXPECT_EQ(asi->params, Params{"1"});
  EXPECT_EQ(t.b.Received("RRI").at(0).params, (Params{"1", "alice@live.cn"}));
  ASSERT_EQ(t.a.Status("RSM", {"1", "hi bob\r\n100%"}), 0);
  EXPECT_EQ(t.b.Received("RRM").at(0).params, (Params{"1", "alice@live.cn", "hi bob\r\n100%"}));
  EXPECT_TRUE(t.a.Received("RRM").empty());  // SG-CHAT-7
  // SG-CHAT-3: a second RSI makes a new conversation.
  EXPECT_EQ(t.a.Call("RSI", {"bob@live.cn"})->params, Params{"2"});
  ASSERT_EQ(t.b.Status("RSB", {"1"}), 0);
  EXPECT_EQ(t.a.Received("RRB").at(0).params, (Params{"1", "bob@live.cn", "left", "1"}));
  EXPECT_EQ(t.a.Status("RSM", {"1", "anyone?"}), 302);  // ended; never reused
  EXPECT_EQ(t.w.backend().call_count(), 1u);
}

TEST(SgChat, MultiPartyEveryMemberGetsEachMessageOnceInOrder) {
  Trio t(SgConfig{}, 2);  // carol on a second SG behind the same back end
  t.LoginAll();
  ASSERT_EQ(t.a.Status("RSI", {"bob@live.cn"}), 0);
  ASSERT_EQ(t.b.Status("RSR", {"1", "carol@live.cn"}), 0);
  EXPECT_EQ(t.c.Received("RRR").at(0).params, (Params{"1", "bob@live.cn"}));
  EXPECT_EQ(t.a.Received("RAC").at(0).params, (Params{"1", "carol@live.cn", "bob@live.cn"}));
  EXPECT_TRUE(t.b.Received("RAC").empty());  // SG-CHAT-4: not the adder
  auto acm = t.c.Call("RCM", {"1"});
  EXPECT_EQ(acm->params, (Params{"3", "alice@live.cn", "bob@live.cn", "carol@live.cn"}));
  Client* who[] = {&t.a, &t.b, &t.c, &t.b, &t.a, &t.c, &t.c};
  for (int i = 0; i < 7; ++i) ASSERT_EQ(who[i]->Status("RSM", {"1", Cat("m", std::to_string(i))}), 0);
  for (Client* m : {&t.a, &t.b, &t.c}) {
    Params got, want;
    for (const auto& r : m->Received("RRM")) got.push_back(r.params[2]);
    for (int i = 0; i < 7; ++i) {
      if (who[i] != m) want.push_back(Cat("m", std::to_string(i)));
    }
    EXPECT_EQ(got, want) << m->account;
    EXPECT_EQ(m->duplicates, 0u);
  }
  ASSERT_EQ(t.a.Status("RSB", {"1"}), 0);
  EXPECT_EQ(t.b.Received("RRB").back().params, (Params{"1", "alice@live.cn", "left", "0"}));
  EXPECT_EQ(t.c.Received("RRB").back().params, (Params{"1", "alice@live.cn", "left", "0"}));
  ASSERT_EQ(t.b.Status("RSB", {"1"}), 0);
  EXPECT_EQ(t.c.Received("RRB").back().params, (Params{"1", "bob@live.cn", "left", "1"}));
  EXPECT_EQ(t.c.Status("RCM", {"1"}), 302);
}

TEST(SgChat, ErrorStatusesInSpecOrder) {
  SgConfig cfg;
  cfg.max_members = 2;
  Trio t(cfg);
  t.w.CreateAccount("dave@live.cn");
  t.w.AddContact("alice@live.cn", "dave@live.cn");
  t.LoginAll();
  EXPECT_EQ(t.a.Status("RSI", {"alice@live.cn"}), 103);
  EXPECT_EQ(t.a.Status("RSI", {"zoe@live.cn"}), 305);
  EXPECT_EQ(t.a.Status("RSI", {"dave@live.cn"}), 304);  // offline
  ASSERT_EQ(t.b.Status("RCE", {"block", "alice@live.cn"}), 0);
  EXPECT_EQ(t.a.Status("RSI", {"bob@live.cn"}), 306);
  ASSERT_EQ(t.b.Status("RCE", {"unblock", "alice@live.cn"}), 0);
  ASSERT_EQ(t.c.Status("RLI", {"hidden", "7"}), 0);
  EXPECT_EQ(t.a.Status("RSI", {"carol@live.cn"}), 304);  // hidden looks offline
  ASSERT_EQ(t.c.Status("RLI", {"online", "7"}), 0);
  ASSERT_EQ(t.a.Status("RSI", {"bob@live.cn"}), 0);
  EXPECT_EQ(t.a.Status("RSM", {"9", "x"}), 302);
  EXPECT_EQ(t.c.Status("RSM", {"1", "x"}), 303);
  EXPECT_EQ(t.c.Status("RSB", {"1"}), 303);
  EXPECT_EQ(t.a.Status("RSM", {"1", ""}), 103);  // SG-CHAT-12
  EXPECT_EQ(t.a.Status("RSM", {"1", std::string(1001, 'x')}), 402);
  EXPECT_EQ(t.a.Status("RSM", {"1", std::string(1000, 'x')}), 0);
  EXPECT_EQ(t.a.Status("RSR", {"1", "bob@live.cn"}), 311);
  EXPECT_EQ(t.a.Status("RSR", {"1", "zoe@live.cn"}), 305);
  EXPECT_EQ(t.a.Status("RSR", {"1", "carol@live.cn"}), 401);  // LIM-14 (configured 2)
  EXPECT_EQ(t.a.Status("RSM", {"x", "hi"}), 103);
}

TEST(SgChat, RejectedInvitationAndLogoutRemoveMembers) {
  Trio t;
  t.LoginAll();
  t.b.status_for["RRI"] = 1;  // SG-CHAT-2
  ASSERT_EQ(t.a.Status("RSI", {"bob@live.cn"}), 0);
  EXPECT_EQ(t.a.Received("RRB").at(0).params, (Params{"1", "bob@live.cn", "rejected", "1"}));
  t.b.status_for.clear();
  ASSERT_EQ(t.a.Status("RSI", {"bob@live.cn"}), 0);
  ASSERT_EQ(t.a.Status("RSR", {"2", "carol@live.cn"}), 0);
  ASSERT_EQ(t.a.Status("RSI", {"carol@live.cn"}), 0);  // call 3
  ASSERT_EQ(t.a.Status("RLO", {}), 0);
  // SG-SESS-6: ascending callId, reason offline; call 3 ends.
  EXPECT_EQ(t.c.Received("RRB").at(0).params, (Params{"2", "alice@live.cn", "offline", "0"}));
  EXPECT_EQ(t.c.Received("RRB").at(1).params, (Params{"3", "alice@live.cn", "offline", "1"}));
  EXPECT_EQ(t.c.Received("RNP").back().params, (Params{"alice@live.cn", "offline", "0"}));
  EXPECT_EQ(t.w.backend().Members(2), (Params{"bob@live.cn", "carol@live.cn"}));
}

TEST(SgNudge, InjectedNudgeReachesOnlyCapableSessions) {
  World w;
  for (auto n : {"alice@live.cn", "bob@live.cn", "msn@hotmail.com"}) w.CreateAccount(n);
  Client& a = w.NewClient("alice@live.cn");
  Client& b = w.NewClient("bob@live.cn");
  ASSERT_TRUE(a.FullLogin(7));
  ASSERT_TRUE(b.FullLogin(3));  // no nudge bit
  ASSERT_TRUE(w.backend().SetPresence(w.now, "msn@hotmail.com", "online").ok());
  EXPECT_TRUE(w.backend().InjectNudge(w.now, "msn@hotmail.com", "alice@live.cn"));
  w.Pump();
  EXPECT_EQ(a.log.back(), "RRN");
  EXPECT_EQ(a.Received("RRI").at(0).params, (Params{"1", "msn@hotmail.com"}));  // SG-NUDGE-2
  EXPECT_EQ(a.Received("RRN").at(0).params, (Params{"1", "msn@hotmail.com"}));
  EXPECT_FALSE(w.backend().InjectNudge(w.now, "msn@hotmail.com", "bob@live.cn"));  // SG-NUDGE-1
  w.Pump();
  EXPECT_TRUE(b.Received("RRN").empty());
  EXPECT_TRUE(b.Received("RRI").empty());
  EXPECT_TRUE(w.backend().InjectNudge(w.now, "msn@hotmail.com", "alice@live.cn"));
  w.Pump();
  EXPECT_EQ(a.Received("RRI").size(), 1u);  // the shared conversation is reused
  EXPECT_EQ(a.Received("RRN").size(), 2u);
  // The back-end user is a member: alice's message reaches it through the back end.
  ASSERT_EQ(a.Status("RSM", {"1", "stop it"}), 0);
  ASSERT_FALSE(w.backend().deliveries().empty());
  EXPECT_EQ(w.backend().deliveries().back().word, "RRM");
  // SG-NUDGE-4: clients never send nudges.
  EXPECT_EQ(a.Status("RSN", {"1"}), 310);
  EXPECT_EQ(a.Status("RRN", {"1", "alice@live.cn"}), 310);
}

// CLU-9: with a SharedIds source the callIds come from it (another SG
// process may have taken the numbers in between); when it cannot be reached
// the RSI is answered 501 (STORE-1) and no conversation is created.
struct FakeIds final : SharedIds {
  std::uint64_t next = 1000;
  bool down = false;
  Result<std::uint64_t> Next(Counter) override {
    if (down) return Status::Error("STORE-1", "database unreachable");
    const std::uint64_t v = next;
    next += 7;  // another process takes the values in between
    return v;
  }
};

TEST(SgChat, CallIdsComeFromTheSharedSourceAndItsOutageIsA501) {
  Trio t;
  FakeIds ids;
  t.w.backend().SetSharedIds(&ids);
  t.LoginAll();
  EXPECT_EQ(t.a.Call("RSI", {"bob@live.cn"})->params, Params{"1000"});
  EXPECT_EQ(t.a.Call("RSI", {"carol@live.cn"})->params, Params{"1007"});
  ids.down = true;
  const std::size_t calls = t.w.backend().call_count();
  EXPECT_EQ(StatusOf(t.a.Call("RSI", {"bob@live.cn"})), 501);
  EXPECT_EQ(t.w.backend().call_count(), calls);
  ids.down = false;
  EXPECT_EQ(t.a.Call("RSI", {"bob@live.cn"})->params, Params{"1014"});
  t.w.backend().SetSharedIds(nullptr);
}

}  // namespace
}  // namespace mcpsim::reference::sgtest
