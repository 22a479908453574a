// SG offline messages (PROTOCOL.md §7.6).
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/sg/sg_world.h"

namespace mcpsim::reference::sgtest {
namespace {

using Params = std::vector<std::string>;

TEST(SgOffline, StoredThenDeliveredAtNextLoginAndDeletedOnlyAfterApn) {
  SgConfig cfg;
  cfg.epoch_ms = 1700000000000;
  World w(1, cfg);
  w.CreateAccount("alice@live.cn");
  w.CreateAccount("bob@live.cn");
  w.Befriend("alice@live.cn", "bob@live.cn");
  Client& a = w.NewClient("alice@live.cn");
  ASSERT_TRUE(a.FullLogin());
  auto aom = a.Call("ROM", {"bob@live.cn", "see you later"});
  ASSERT_EQ(StatusOf(aom), 0);
  EXPECT_EQ(aom->params, Params{"1"});
  EXPECT_EQ(a.Call("ROM", {"bob@live.cn", "second"})->params, Params{"2"});
  EXPECT_EQ(w.store().CountOfflineMessages("bob@live.cn").value(), 2u);
  // First login: bob refuses message 2 (non-zero APN): it stays stored.
  Client& b = w.NewClient("bob@live.cn");
  b.hold = {"RPN"};
  ASSERT_TRUE(b.FullLogin());
  const auto rpn = b.Received("RPN");
  ASSERT_EQ(rpn.size(), 2u);
  EXPECT_EQ(rpn[0].params, (Params{"1", "alice@live.cn", "1700000001000", "see you later"}));
  // SG-OFF-4: after the presence exchange.
  EXPECT_EQ(b.log.back(), "RPN");
  EXPECT_EQ(b.Received("RNP").size(), 1u);
  b.SendRaw(Cat("APN ", std::to_string(rpn[0].trid)) + " 0\r\nAPN " + std::to_string(rpn[1].trid) + " 1\r\n");
  w.Pump();
  auto left = w.store().ListOfflineMessages("bob@live.cn").value();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, 2u);
  // SG-OFF-5: not again in this session, but at the next login.
  w.Advance(40 * kSeconds);
  EXPECT_EQ(b.Received("RPN").size(), 2u);
  b.hold.clear();
  ASSERT_EQ(b.Status("RLO", {}), 0);
  Client& b2 = w.NewClient("bob@live.cn");
  ASSERT_TRUE(b2.FullLogin());
  ASSERT_EQ(b2.Received("RPN").size(), 1u);
  EXPECT_EQ(b2.Received("RPN")[0].params[0], "2");
  EXPECT_EQ(w.store().CountOfflineMessages("bob@live.cn").value(), 0u);
  // SG-OFF-2: an ACTIVE recipient gets it at once.
  ASSERT_EQ(a.Status("ROM", {"bob@live.cn", "now"}), 0);
  EXPECT_EQ(b2.Received("RPN").back().params[3], "now");
  EXPECT_EQ(w.store().CountOfflineMessages("bob@live.cn").value(), 0u);
}

TEST(SgOffline, ErrorStatusesAndQueueLimit) {
  SgConfig cfg;
  cfg.max_offline = 3;  // LIM-16 is configurable (CONV-2)
  World w(1, cfg);
  for (auto n : {"alice@live.cn", "bob@live.cn", "carol@live.cn", "dave@live.cn"}) w.CreateAccount(n);
  w.AddContact("alice@live.cn", "bob@live.cn");
  w.AddContact("alice@live.cn", "carol@live.cn");
  Client& a = w.NewClient("alice@live.cn");
  ASSERT_TRUE(a.FullLogin());
  ASSERT_TRUE(w.store().EditContact("carol@live.cn", "alice@live.cn", ContactEdit::kAdd).ok());
  ASSERT_TRUE(w.store().EditContact("carol@live.cn", "alice@live.cn", ContactEdit::kBlock).ok());
  EXPECT_EQ(a.Status("ROM", {"alice@live.cn", "me"}), 103);
  EXPECT_EQ(a.Status("ROM", {"bob@live.cn", ""}), 103);
  EXPECT_EQ(a.Status("ROM", {"bob@live.cn", std::string(1001, 'x')}), 402);
  EXPECT_EQ(a.Status("ROM", {"dave@live.cn", "not listed"}), 305);
  EXPECT_EQ(a.Status("ROM", {"zoe@live.cn", "no account"}), 305);
  EXPECT_EQ(a.Status("ROM", {"carol@live.cn", "blocked"}), 306);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.Status("ROM", {"bob@live.cn", "m"}), 0);
  EXPECT_EQ(a.Status("ROM", {"bob@live.cn", "m"}), 401);
  EXPECT_EQ(w.store().CountOfflineMessages("bob@live.cn").value(), 3u);
}

TEST(SgOffline, AcknowledgedMessageIsAlreadyCommitted) {
  char path[] = "/tmp/mcpsim-sg-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    World w(1, {}, path);
    w.CreateAccount("alice@live.cn");
    w.CreateAccount("bob@live.cn");
    w.AddContact("alice@live.cn", "bob@live.cn");
    Client& a = w.NewClient("alice@live.cn");
    ASSERT_TRUE(a.FullLogin());
    ASSERT_EQ(a.Status("ROM", {"bob@live.cn", "durable"}), 0);
    // A second connection to the database sees it right after AOM.
    auto other = OpenSqliteStore(path);
    ASSERT_TRUE(other.ok());
    auto msgs = (*other)->ListOfflineMessages("bob@live.cn");
    ASSERT_TRUE(msgs.ok());
    ASSERT_EQ(msgs->size(), 1u);
    EXPECT_EQ((*msgs)[0].text, "durable");
  }
  unlink(path);
  unlink((std::string(path) + "-wal").c_str());
  unlink((std::string(path) + "-shm").c_str());
}

TEST(SgOffline, BackendUserMessagesAreStoredForOfflineRecipients) {
  World w;
  w.CreateAccount("alice@live.cn");
  w.CreateAccount("msn@hotmail.com");
  auto id = w.backend().InjectOfflineMessage(w.now, "msn@hotmail.com", "alice@live.cn", "yo");
  ASSERT_TRUE(id.ok());
  Client& a = w.NewClient("alice@live.cn");
  ASSERT_TRUE(a.FullLogin());
  ASSERT_EQ(a.Received("RPN").size(), 1u);
  EXPECT_EQ(a.Received("RPN")[0].params[1], "msn@hotmail.com");
  EXPECT_EQ(w.store().CountOfflineMessages("alice@live.cn").value(), 0u);
}

}  // namespace
}  // namespace mcpsim::reference::sgtest
