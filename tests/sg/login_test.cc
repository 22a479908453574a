// SG login, sync and logout (PROTOCOL.md §7.3, §7.4.1–3).
#include <gtest/gtest.h>

#include <set>

#include "reference/roles/validate.h"
#include "tests/sg/sg_world.h"

namespace mcpsim::reference::sgtest {
namespace {

std::vector<std::string> Words(const std::vector<std::string>& log, std::size_t n) {
  return std::vector<std::string>(log.begin(), log.begin() + std::min(n, log.size()));
}

TEST(SgLogin, HappyPathFollowsTheSeedOrder) {
  World w;
  for (auto n : {"alice@live.cn", "bob@live.cn", "carol@live.cn", "dave@live.cn"}) w.CreateAccount(n);
  for (auto n : {"dave@live.cn", "bob@live.cn", "carol@live.cn"}) w.AddContact("alice@live.cn", n);
  Client& a = w.NewClient("alice@live.cn");
  ASSERT_EQ(a.Login(), 0);
  EXPECT_TRUE(IsHex32(a.token));
  EXPECT_EQ(w.sg().SessionOf("alice@live.cn")->state, SessionState::kAuthed);
  ASSERT_EQ(a.Status("RSII", {a.token, "online", "7", "0"}), 0);
  EXPECT_EQ(w.sg().SessionOf("alice@live.cn")->state, SessionState::kOnline);
  auto aps = a.Call("RPS", {"0", "ignored", "", ""});
  ASSERT_EQ(StatusOf(aps), 0);
  // SG-PROF-1: a stale base version never changes the profile.
  EXPECT_EQ(aps->params, (std::vector<std::string>{"1", "alice", "", ""}));
  EXPECT_EQ(Words(a.log, 6), (std::vector<std::string>{"AAT", "ASII", "RCS", "RCR", "APS"}));
  const auto rcs = a.Received("RCS").at(0);
  // TRID-4: a session's server trids start at a random value, then count up.
  EXPECT_GE(rcs.trid, 1u);
  EXPECT_LE(rcs.trid, 2147483647u);
  EXPECT_EQ(a.Received("RCR").at(0).trid, rcs.trid + 1);
  EXPECT_EQ(rcs.params, (std::vector<std::string>{"4", "full", "3"}));
  const auto rcr = a.Received("RCR").at(0);
  ASSERT_EQ(rcr.params.size(), 3u + 3 * 7);
  EXPECT_EQ(rcr.params[0], "4");
  EXPECT_EQ(rcr.params[1], "1");
  EXPECT_EQ(rcr.params[2], "1");
  // SG-SYNC-3: ascending account order.
  EXPECT_EQ(rcr.params[4], "bob@live.cn");
  EXPECT_EQ(rcr.params[11], "carol@live.cn");
  EXPECT_EQ(rcr.params[18], "dave@live.cn");
  EXPECT_EQ(std::vector<std::string>(rcr.params.begin() + 3, rcr.params.begin() + 10),
            (std::vector<std::string>{"A", "bob@live.cn", "bob", "", "", "1", "0"}));
  EXPECT_EQ(w.sg().SessionOf("alice@live.cn")->state, SessionState::kActive);
}

TEST(SgLogin, FullSyncOfThousandContactsPagesOnlyAfterAcr) {
  World w;
  w.CreateAccount("alice@live.cn");
  for (int i = 0; i < 1000; ++i) {
    std::string n = "u";
    n.append(std::to_string(1000 + i)).append("@live.cn");
    w.CreateAccount(n);
    w.AddContact("alice@live.cn", n);
  }
  Client& a = w.NewClient("alice@live.cn");
  a.hold = {"RCR"};
  ASSERT_EQ(a.Login(), 0);
  ASSERT_EQ(a.Status("RSII", {a.token, "online", "0", "0"}), 0);
  EXPECT_EQ(a.Received("RCS").at(0).params, (std::vector<std::string>{"1001", "full", "1000"}));
  ASSERT_EQ(a.Received("RCR").size(), 1u);  // SG-SYNC-5: stop and wait
  EXPECT_EQ(a.Status("RPS", {"0", "alice", "", ""}), 300);  // sync not complete (SG-SESS-2)
  w.Advance(500 * kMillis);
  EXPECT_EQ(a.Received("RCR").size(), 1u);
  a.SendRaw("ACR " + std::to_string(a.Received("RCR")[0].trid) + " 0\r\n");
  w.Pump();
  ASSERT_EQ(a.Received("RCR").size(), 2u);
  a.hold.clear();
  a.SendRaw("ACR " + std::to_string(a.Received("RCR")[1].trid) + " 0\r\n");
  w.Pump();
  const auto pages = a.Received("RCR");
  ASSERT_EQ(pages.size(), 250u);
  std::string last;
  for (std::size_t p = 0; p < pages.size(); ++p) {
    ASSERT_EQ(pages[p].params.size(), 31u);  // LIM-15: 4 records per page
    EXPECT_EQ(pages[p].params[1], std::to_string(p + 1));
    EXPECT_EQ(pages[p].params[2], "250");
    for (int r = 0; r < 4; ++r) {
      const std::string& acc = pages[p].params[3 + 7 * r + 1];
      EXPECT_LT(last, acc);
      last = acc;
    }
  }
  EXPECT_EQ(a.Status("RPS", {"0", "alice", "", ""}), 0);
}

TEST(SgLogin, CachedLoginGetsThreeContactDeltaOrCurrent) {
  World w;
  for (auto n : {"alice@live.cn", "bob@live.cn", "carol@live.cn", "dave@live.cn", "eve@live.cn"}) {
    w.CreateAccount(n);
  }
  w.AddContact("alice@live.cn", "bob@live.cn");   // v2
  w.AddContact("alice@live.cn", "dave@live.cn");  // v3
  w.AddContact("alice@live.cn", "eve@live.cn");   // v4
  const std::uint32_t cached = 4;
  ASSERT_TRUE(w.store().UpdateProfile("bob@live.cn", {"Bobby", "at work", "av-bob2", 0}).ok());  // v5
  w.AddContact("alice@live.cn", "carol@live.cn");  // v6
  ASSERT_TRUE(w.store().EditContact("alice@live.cn", "dave@live.cn", ContactEdit::kDelete).ok());  // v7
  Client& a = w.NewClient("alice@live.cn");
  ASSERT_EQ(a.Login(), 0);
  ASSERT_EQ(a.Status("RSII", {a.token, "online", "7", std::to_string(cached)}), 0);
  EXPECT_EQ(a.Received("RCS").at(0).params, (std::vector<std::string>{"7", "delta", "3"}));
  const auto rcr = a.Received("RCR").at(0);
  EXPECT_EQ(rcr.params, (std::vector<std::string>{
                            "7", "1", "1",                                            //
                            "M", "bob@live.cn", "Bobby", "at work", "av-bob2", "2", "0",  //
                            "A", "carol@live.cn", "carol", "", "", "1", "0",            //
                            "D", "dave@live.cn", "", "", "", "0", "0"}));
  ASSERT_EQ(a.Status("RLO", {}), 0);

  // Up to date: `current`, no pages, and RPS is allowed right after ACS.
  Client& b = w.NewClient("alice@live.cn");
  ASSERT_EQ(b.Login(), 0);
  ASSERT_EQ(b.Status("RSII", {b.token, "online", "7", "7"}), 0);
  EXPECT_EQ(b.Received("RCS").at(0).params, (std::vector<std::string>{"7", "current", "0"}));
  EXPECT_TRUE(b.Received("RCR").empty());
  EXPECT_EQ(b.Status("RPS", {"1", "alice", "", ""}), 0);
  ASSERT_EQ(b.Status("RLO", {}), 0);

  // A version from the future (or 0) gets a full sync.
  Client& c = w.NewClient("alice@live.cn");
  ASSERT_EQ(c.Login(), 0);
  ASSERT_EQ(c.Status("RSII", {c.token, "online", "7", "99"}), 0);
  EXPECT_EQ(c.Received("RCS").at(0).params, (std::vector<std::string>{"7", "full", "3"}));
}

TEST(SgLogin, ErrorStatusesInSpecOrder) {
  World w;
  w.CreateAccount("alice@live.cn");
  Client& a = w.NewClient("alice@live.cn", Via::kTcp);  // no AMP budget on TCP
  EXPECT_EQ(a.Status("RAT", {"alice@live.cn", "wrong-pass", "dev", "1.0.0", "1"}), 201);
  EXPECT_EQ(a.Status("RAT", {"nobody@live.cn", kPassword, "dev", "1.0.0", "1"}), 201);
  EXPECT_EQ(a.Status("RAT", {"alice@live.cn", kPassword, "dev", "1.0.0", "0"}), 103);  // PRIV-4
  EXPECT_EQ(a.Status("RAT", {"Alice@live.cn", kPassword, "dev", "1.0.0", "1"}), 103);
  EXPECT_EQ(a.Status("RAT", {"alice@live.cn", kPassword, "dev", "1.0.0"}), 102);
  EXPECT_EQ(a.Status("RSII", {std::string(32, 'a'), "online", "7", "0"}), 200);
  EXPECT_EQ(a.Status("RSM", {"1", "hi"}), 200);
  EXPECT_EQ(a.Status("RPOL", {}), 0);
  EXPECT_EQ(a.Status("RXYZ", {}), 100);  // WIRE-21
  EXPECT_EQ(a.Status("RCS", {"1", "full", "0"}), 310);  // server-only word
  ASSERT_EQ(a.Login(), 0);
  EXPECT_EQ(a.Login(), 301);
  EXPECT_EQ(a.Status("RPS", {"0", "alice", "", ""}), 300);
  EXPECT_EQ(a.Status("RSII", {std::string(32, 'a'), "online", "7", "0"}), 202);
  EXPECT_EQ(a.Status("RSII", {a.token, "offline", "7", "0"}), 103);  // SG-PRES-1
  EXPECT_EQ(a.Status("RSII", {a.token, "online", "8", "0"}), 103);
  a.hold = {"RCS"};
  ASSERT_EQ(a.Status("RSII", {a.token, "online", "7", "0"}), 0);
  EXPECT_EQ(a.Status("RSII", {a.token, "online", "7", "0"}), 300);
  EXPECT_EQ(a.Status("RSM", {"1", "hi"}), 300);
  // The RCS (count 0) is in flight: an RPS stands for its ACS 0 (SG-SYNC-12).
  EXPECT_EQ(a.Status("RPS", {"0", "alice", "", ""}), 0);
}

// G-45 regression: the MC's datagram "ACR <last page> 0 + RPS" is lost; its
// resent RPS reaches SG before the ACR it replays on the RCR's resend. SG
// used to answer APS 300 (and the MC's login failed).
TEST(SgLogin, RpsOvertakingTheLastAcrCompletesTheSync) {
  World w;
  w.CreateAccount("alice@live.cn");
  for (int i = 0; i < 6; ++i) {  // 2 pages
    std::string n = "u";
    n.append(std::to_string(i)).append("@live.cn");
    w.CreateAccount(n);
    w.AddContact("alice@live.cn", n);
  }
  Client& a = w.NewClient("alice@live.cn");
  a.hold = {"RCR"};
  ASSERT_EQ(a.Login(), 0);
  ASSERT_EQ(a.Status("RSII", {a.token, "online", "7", "0"}), 0);
  ASSERT_EQ(a.Received("RCR").size(), 1u);
  // Page 1 of 2 unanswered: an RPS proves nothing yet (SG-SYNC-12).
  EXPECT_EQ(a.Status("RPS", {"0", "alice", "", ""}), 300);
  a.SendRaw(Cat(Cat(std::string("ACR "), std::to_string(a.Received("RCR")[0].trid)), " 0\r\n"));
  w.Pump();
  ASSERT_EQ(a.Received("RCR").size(), 2u);
  const std::uint32_t last = a.Received("RCR")[1].trid;
  EXPECT_EQ(a.Received("RCR")[1].params[1], "2");
  // The last page is in flight and its ACR was lost with the RPS: the resent
  // RPS arrives first.
  auto aps = a.Call("RPS", {"0", "alice", "", ""});
  ASSERT_EQ(StatusOf(aps), 0);
  EXPECT_EQ(w.sg().SessionOf("alice@live.cn")->state, SessionState::kActive);
  // SG stopped resending the page; the late replayed ACR matches nothing.
  const std::size_t dups = a.duplicates;
  w.Advance(40 * kSeconds);
  EXPECT_EQ(a.duplicates, dups);
  a.SendRaw(Cat(Cat(std::string("ACR "), std::to_string(last)), " 0\r\n"));
  w.Pump();
  EXPECT_EQ(a.Received("RCR").size(), 2u);
  ASSERT_TRUE(w.sg().SessionOf("alice@live.cn"));
  EXPECT_EQ(w.sg().SessionOf("alice@live.cn")->state, SessionState::kActive);
  EXPECT_EQ(a.Status("RLI", {"busy", "7"}), 0);  // a working ACTIVE session
}

TEST(SgLogin, SecondDeviceLoginSendsRout208ToTheOldSession) {
  World w;
  w.CreateAccount("alice@live.cn");
  w.CreateAccount("bob@live.cn");
  w.Befriend("alice@live.cn", "bob@live.cn");
  Client& bob = w.NewClient("bob@live.cn");
  Client& old_udp = w.NewClient("alice@live.cn", Via::kUdp);
  ASSERT_TRUE(bob.FullLogin());
  ASSERT_TRUE(old_udp.FullLogin());
  EXPECT_EQ(bob.Received("RNP").back().params, (std::vector<std::string>{"alice@live.cn", "online", "7"}));
  Client& tcp = w.NewClient("alice@live.cn", Via::kTcp);
  ASSERT_TRUE(tcp.FullLogin(3));
  auto rout = old_udp.Received("ROUT");
  ASSERT_EQ(rout.size(), 1u);
  EXPECT_EQ(rout[0].params, std::vector<std::string>{"208"});
  // SG-SESS-6 on the old session, then the new one's presence.
  const auto rnps = bob.Received("RNP");
  ASSERT_GE(rnps.size(), 3u);
  EXPECT_EQ(rnps[rnps.size() - 2].params, (std::vector<std::string>{"alice@live.cn", "offline", "0"}));
  EXPECT_EQ(rnps.back().params, (std::vector<std::string>{"alice@live.cn", "online", "3"}));
  EXPECT_EQ(old_udp.StatusPadded("RSM", {"1", "x"}), 200);  // the old endpoint is CONNECTED again
  // A third login, over HTTP, evicts the TCP one: ROUT, then the connection closes (TCP-6).
  Client& http = w.NewClient("alice@live.cn", Via::kHttp);
  ASSERT_EQ(http.Login(), 0);
  EXPECT_EQ(tcp.Received("ROUT").size(), 1u);
  EXPECT_TRUE(tcp.closed);
  EXPECT_EQ(w.sg().SessionOf("alice@live.cn")->via, Via::kHttp);
}

TEST(SgLogin, LogoutAnswersAloThenClosesTheSession) {
  World w;
  w.CreateAccount("alice@live.cn");
  Client& u = w.NewClient("alice@live.cn", Via::kUdp);
  ASSERT_TRUE(u.FullLogin());
  EXPECT_EQ(u.Status("RLO", {}), 0);
  EXPECT_FALSE(w.sg().SessionOf("alice@live.cn"));
  EXPECT_EQ(u.Status("RLO", {}), -1);  // AMP-1: the endpoint is no longer validated
  EXPECT_EQ(u.StatusPadded("RLO", {}), 200);
  Client& t = w.NewClient("alice@live.cn", Via::kTcp);
  ASSERT_TRUE(t.FullLogin());
  EXPECT_EQ(t.Status("RLO", {}), 0);
  EXPECT_EQ(t.log.back(), "ALO");
  EXPECT_TRUE(t.closed);  // TCP-6
  EXPECT_EQ(w.sg().session_count(), 0u);
}

// TRID-4 / G-80: each session of a binding draws its first server trid, so
// the previous session's pushes never share trids with the next one's.
TEST(SgLogin, EachSessionStartsItsServerTridsAtRandom) {
  World w;
  w.CreateAccount("alice@live.cn");
  Client& u = w.NewClient("alice@live.cn", Via::kUdp);
  std::set<std::uint32_t> firsts;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(u.FullLogin());
    const auto rcs = u.Received("RCS");
    ASSERT_FALSE(rcs.empty());
    firsts.insert(rcs.back().trid);
    ASSERT_EQ(u.Status("RLO", {}), 0);
  }
  EXPECT_EQ(firsts.size(), 8u);
}

TEST(SgProfile, ChangeBumpsVersionAndSendsDeltaToListOwners) {
  World w;
  w.CreateAccount("alice@live.cn");
  w.CreateAccount("bob@live.cn");
  w.AddContact("bob@live.cn", "alice@live.cn");
  Client& a = w.NewClient("alice@live.cn");
  Client& b = w.NewClient("bob@live.cn");
  ASSERT_TRUE(a.FullLogin());
  ASSERT_TRUE(b.FullLogin());
  auto aps = a.Call("RPS", {"1", "Alice", "hello world", "av-alice"});
  EXPECT_EQ(aps->params, (std::vector<std::string>{"2", "Alice", "hello world", "av-alice"}));
  EXPECT_EQ(StatusOf(a.Call("RPS", {"1", "Stale", "", ""})), 0);  // ignored: stale base
  EXPECT_EQ(w.store().GetProfile("alice@live.cn")->value().nickname, "Alice");
  EXPECT_EQ(a.Status("RPS", {"2", "", "", ""}), 103);  // LIM-12
  const auto rcs = b.Received("RCS");
  ASSERT_EQ(rcs.size(), 2u);  // the initial sync and the SG-PROF-3 delta
  EXPECT_EQ(rcs[1].params, (std::vector<std::string>{"3", "delta", "1"}));
  EXPECT_EQ(b.Received("RCR").back().params,
            (std::vector<std::string>{"3", "1", "1", "M", "alice@live.cn", "Alice", "hello world",
                                      "av-alice", "2", "0"}));
}

}  // namespace
}  // namespace mcpsim::reference::sgtest
