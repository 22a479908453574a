// SG contact edits and presence (PROTOCOL.md §7.4.4–5).
#include <gtest/gtest.h>

#include "tests/sg/sg_world.h"

namespace mcpsim::reference::sgtest {
namespace {

using Params = std::vector<std::string>;

TEST(SgPresence, FanOutInAscendingAccountOrder) {
  World w;
  for (auto n : {"alice@live.cn", "bob@live.cn", "carol@live.cn", "zed@live.cn"}) w.CreateAccount(n);
  for (auto n : {"carol@live.cn", "alice@live.cn", "bob@live.cn"}) w.Befriend(n, "zed@live.cn");
  Client& carol = w.NewClient("carol@live.cn");
  Client& bob = w.NewClient("bob@live.cn", Via::kTcp);
  Client& alice = w.NewClient("alice@live.cn");
  ASSERT_TRUE(carol.FullLogin());
  ASSERT_TRUE(bob.FullLogin());
  ASSERT_TRUE(alice.FullLogin());
  EXPECT_TRUE(alice.Received("RNP").empty());  // zed is offline: nothing to say
  Client& zed = w.NewClient("zed@live.cn");
  w.trace.clear();
  ASSERT_TRUE(zed.FullLogin(5));
  // SG-PRES-3: first the contacts to zed, then zed to its watchers (ascending).
  std::vector<std::pair<std::string, Params>> rnp;
  for (const auto& [to, c] : w.Trace("RNP")) rnp.emplace_back(to, c.params);
  const std::vector<std::pair<std::string, Params>> want = {
      {"zed@live.cn", {"alice@live.cn", "online", "7"}},
      {"zed@live.cn", {"bob@live.cn", "online", "7"}},
      {"zed@live.cn", {"carol@live.cn", "online", "7"}},
      {"alice@live.cn", {"zed@live.cn", "online", "5"}},
      {"bob@live.cn", {"zed@live.cn", "online", "5"}},
      {"carol@live.cn", {"zed@live.cn", "online", "5"}}};
  EXPECT_EQ(rnp, want);
  // SG-LOGIN-7 / SG-PRES-4: a change goes out once; a repeat is not sent.
  w.trace.clear();
  ASSERT_EQ(zed.Status("RLI", {"busy", "5"}), 0);
  ASSERT_EQ(zed.Status("RLI", {"busy", "5"}), 0);
  ASSERT_EQ(w.Trace("RNP").size(), 3u);
  EXPECT_EQ(w.Trace("RNP")[0].second.params, (Params{"zed@live.cn", "busy", "5"}));
  // Hidden looks offline (SG-PRES-2); logging out while hidden sends nothing more.
  ASSERT_EQ(zed.Status("RLI", {"hidden", "5"}), 0);
  EXPECT_EQ(carol.Received("RNP").back().params, (Params{"zed@live.cn", "offline", "0"}));
  EXPECT_EQ(zed.Status("RLI", {"offline", "5"}), 103);
  const std::size_t before = w.Trace("RNP").size();
  ASSERT_EQ(zed.Status("RLO", {}), 0);
  EXPECT_EQ(w.Trace("RNP").size(), before);
}

TEST(SgPresence, BackendUserPresenceReachesWatchers) {
  World w;
  w.CreateAccount("alice@live.cn");
  w.CreateAccount("msn@hotmail.com");
  w.AddContact("alice@live.cn", "msn@hotmail.com");
  Client& a = w.NewClient("alice@live.cn");
  ASSERT_TRUE(a.FullLogin());
  ASSERT_TRUE(w.backend().SetPresence(w.now, "msn@hotmail.com", "away", 0).ok());
  w.Pump();
  EXPECT_EQ(a.Received("RNP").back().params, (Params{"msn@hotmail.com", "away", "0"}));
  EXPECT_FALSE(w.backend().SetPresence(w.now, "alice@live.cn", "away", 0).ok());  // MCP user
  ASSERT_TRUE(w.backend().SetPresence(w.now, "msn@hotmail.com", "offline", 0).ok());
  w.Pump();
  EXPECT_EQ(a.Received("RNP").back().params, (Params{"msn@hotmail.com", "offline", "0"}));
}

TEST(SgContacts, EditsBumpTheVersionAndSyncAsDeltas) {
  World w;
  for (auto n : {"alice@live.cn", "bob@live.cn", "carol@live.cn"}) w.CreateAccount(n);
  w.AddContact("bob@live.cn", "alice@live.cn");
  Client& a = w.NewClient("alice@live.cn");
  Client& b = w.NewClient("bob@live.cn");
  ASSERT_TRUE(a.FullLogin());
  ASSERT_TRUE(b.FullLogin());
  ASSERT_EQ(b.Received("RNP").back().params, (Params{"alice@live.cn", "online", "7"}));
  auto ace = a.Call("RCE", {"add", "bob@live.cn"});
  ASSERT_EQ(StatusOf(ace), 0);
  EXPECT_EQ(ace->params, Params{"2"});
  EXPECT_EQ(a.Received("RCS").back().params, (Params{"2", "delta", "1"}));
  EXPECT_EQ(a.Received("RCR").back().params,
            (Params{"2", "1", "1", "A", "bob@live.cn", "bob", "", "", "1", "0"}));
  EXPECT_EQ(a.Received("RNP").back().params, (Params{"bob@live.cn", "online", "7"}));  // SG-CONT-4
  // SG-CONT-1: no-op edits keep the version and sync nothing.
  EXPECT_EQ(a.Call("RCE", {"add", "bob@live.cn"})->params, Params{"2"});
  EXPECT_EQ(a.Call("RCE", {"unblock", "bob@live.cn"})->params, Params{"2"});
  EXPECT_EQ(a.Received("RCS").size(), 2u);
  EXPECT_EQ(a.Status("RCE", {"del", "carol@live.cn"}), 305);
  EXPECT_EQ(a.Status("RCE", {"add", "nobody@live.cn"}), 305);
  EXPECT_EQ(a.Status("RCE", {"add", "alice@live.cn"}), 103);
  EXPECT_EQ(a.Status("RCE", {"befriend", "bob@live.cn"}), 103);
  // Blocking bob hides alice from him; unblocking shows her again.
  ASSERT_EQ(a.Status("RCE", {"block", "bob@live.cn"}), 0);
  EXPECT_EQ(b.Received("RNP").back().params, (Params{"alice@live.cn", "offline", "0"}));
  EXPECT_EQ(a.Received("RCR").back().params,
            (Params{"3", "1", "1", "M", "bob@live.cn", "bob", "", "", "1", "1"}));
  ASSERT_EQ(a.Status("RCE", {"unblock", "bob@live.cn"}), 0);
  EXPECT_EQ(b.Received("RNP").back().params, (Params{"alice@live.cn", "online", "7"}));
  ASSERT_EQ(a.Status("RCE", {"del", "bob@live.cn"}), 0);
  EXPECT_EQ(a.Received("RCR").back().params, (Params{"5", "1", "1", "D", "bob@live.cn", "", "", "", "0", "0"}));
  EXPECT_EQ(w.store().GetContactList("alice@live.cn")->version, 5u);
  // SG-CONT-3: one-sided.
  EXPECT_EQ(w.store().GetContactList("bob@live.cn")->entries.size(), 1u);
}

TEST(SgContacts, ListFullIs401) {
  SgConfig cfg;
  cfg.max_contacts = 2;  // CONV-2: LIM-6 is configurable
  World w(1, cfg);
  for (auto n : {"alice@live.cn", "b1@live.cn", "b2@live.cn", "b3@live.cn"}) w.CreateAccount(n);
  Client& a = w.NewClient("alice@live.cn");
  ASSERT_TRUE(a.FullLogin());
  EXPECT_EQ(a.Status("RCE", {"add", "b1@live.cn"}), 0);
  EXPECT_EQ(a.Status("RCE", {"add", "b2@live.cn"}), 0);
  EXPECT_EQ(a.Status("RCE", {"add", "b3@live.cn"}), 401);
  EXPECT_EQ(a.Status("RCE", {"add", "b2@live.cn"}), 0);  // no-op add still succeeds
}

}  // namespace
}  // namespace mcpsim::reference::sgtest
