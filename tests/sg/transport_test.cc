// SG over UDP, TCP and HTTP (PROTOCOL.md §6, SG-SESS-3, TIMER-*, AMP-*, HTTP-*).
#include <gtest/gtest.h>

#include "tests/sg/sg_world.h"

namespace mcpsim::reference::sgtest {
namespace {

using Params = std::vector<std::string>;

void Accounts(World& w) {
  w.CreateAccount("alice@live.cn");
  w.CreateAccount("bob@live.cn");
  w.Befriend("alice@live.cn", "bob@live.cn");
}

TEST(SgTransport, ResentRequestIsAnsweredFromCacheNotExecutedTwice) {
  World w;
  Accounts(w);
  Client& a = w.NewClient("alice@live.cn");
  Client& b = w.NewClient("bob@live.cn");
  ASSERT_TRUE(a.FullLogin());
  ASSERT_TRUE(b.FullLogin());
  ASSERT_EQ(a.Status("RSI", {"bob@live.cn"}), 0);
  std::uint32_t trid = 0;
  const std::string rsm = a.Build("RSM", {"1", "once"}, std::nullopt, &trid);
  a.SendRaw(rsm);
  w.Pump();
  w.Advance(1 * kSeconds);
  a.SendRaw(rsm);  // TIMER-4 resend
  w.Pump();
  int asm_count = 0;
  for (const auto& x : a.answers) asm_count += x.trid == trid;
  EXPECT_EQ(asm_count, 2);
  EXPECT_EQ(b.Received("RRM").size(), 1u);
  EXPECT_GE(w.sg().server_stats().duplicates_replayed, 1u);
}

TEST(SgTransport, UdpPushesAreResentThenTheSessionIsClosedOnGiveUp) {
  World w;
  Accounts(w);
  Client& a = w.NewClient("alice@live.cn");
  Client& b = w.NewClient("bob@live.cn");
  ASSERT_TRUE(a.FullLogin());
  ASSERT_TRUE(b.FullLogin());
  ASSERT_EQ(a.Status("RSI", {"bob@live.cn"}), 0);
  b.deaf = true;  // every datagram to bob is lost from now on
  const std::size_t before = b.datagrams_in;
  ASSERT_EQ(a.Status("RSM", {"1", "hello?"}), 0);
  w.Advance(30 * kSeconds);
  EXPECT_EQ(b.datagrams_in - before, 6u);  // TIMER-2: 1 send + 5 resends
  EXPECT_TRUE(w.sg().SessionOf("bob@live.cn"));
  w.Advance(1001 * kMillis);  // TIMER-3: give-up at +31 s → TIMER-9
  EXPECT_FALSE(w.sg().SessionOf("bob@live.cn"));
  EXPECT_EQ(a.Received("RRB").back().params, (Params{"1", "bob@live.cn", "offline", "1"}));
  EXPECT_EQ(a.Received("RNP").back().params, (Params{"bob@live.cn", "offline", "0"}));
}

TEST(SgTransport, LostRcsIsResentByteIdentically) {
  World w;
  Accounts(w);
  Client& a = w.NewClient("alice@live.cn");
  ASSERT_EQ(a.Login(), 0);
  a.deaf = true;
  std::uint32_t trid = 0;
  a.SendRaw(a.Build("RSII", {a.token, "online", "7", "0"}, std::nullopt, &trid));
  w.Pump();
  a.deaf = false;
  w.Advance(1 * kSeconds);
  ASSERT_EQ(a.Received("RCS").size(), 1u);
  ASSERT_EQ(a.Received("RCR").size(), 1u);  // the sync continued after ACS
  EXPECT_EQ(a.Received("RCR")[0].trid, a.Received("RCS")[0].trid + 1);  // one counter (TRID-2)
}

TEST(SgTransport, NoAnswerLargerThanTheRequestBeforeRsii) {
  World w;
  w.CreateAccount("a@b.cn");
  Client& a = w.NewClient("a@b.cn");
  std::uint32_t trid = 0;
  const std::string rat = a.Build("RAT", {"a@b.cn", kPassword, "d", "0.0.0", "1"}, std::nullopt, &trid);
  a.SendRaw(rat);
  w.Pump();
  ASSERT_EQ(a.datagrams_in, 1u);
  EXPECT_LE(a.bytes_in_last, rat.size());  // AMP-1
  const auto first = a.AnswerTo(trid);
  ASSERT_EQ(StatusOf(first), 405);  // AMP-2
  const std::size_t needed = std::stoul(first->params.at(0));
  std::string padded = rat + "RPAD 9 " + std::string(needed, '0') + "\r\n";
  a.SendRaw(padded);  // AMP-3: same trid, answered from the cache
  w.Pump();
  EXPECT_EQ(StatusOf(a.AnswerTo(trid)), 0);
  EXPECT_EQ(a.AnswerTo(trid)->params[0].size(), 32u);
  EXPECT_EQ(w.sg().server_stats().requests_executed, 1u);
  // After RSII the endpoint is validated: big answers flow (the ASII datagram
  // carries RCS too).
  a.token = a.AnswerTo(trid)->params[0];
  EXPECT_EQ(a.Status("RSII", {a.token, "online", "7", "0"}), 0);
  EXPECT_EQ(a.Received("RCS").size(), 1u);
}

TEST(SgTransport, HttpAnswersThenQueuedPushesWithSessionIdHeader) {
  World w;
  Accounts(w);
  Client& h = w.NewClient("alice@live.cn", Via::kHttp);
  Client& u = w.NewClient("bob@live.cn");
  ASSERT_TRUE(h.FullLogin());
  ASSERT_TRUE(u.FullLogin());
  EXPECT_EQ(h.Received("RCR").size(), 1u);
  EXPECT_EQ(w.sg().SessionOf("alice@live.cn")->token, h.token);
  ASSERT_EQ(u.Status("RSI", {"alice@live.cn"}), 0);
  ASSERT_EQ(u.Status("RSM", {"1", "over http"}), 0);
  EXPECT_TRUE(h.Received("RRM").empty());  // HTTP-8: waits for the next POST
  h.log.clear();
  h.Poll();
  EXPECT_EQ(h.log, (Params{"APOL", "RNP", "RRI", "RRM"}));
  EXPECT_EQ(h.answers.back().params, Params{"5"});  // HTTP-9
  EXPECT_EQ(h.Received("RRM").at(0).params, (Params{"1", "bob@live.cn", "over http"}));
  // HTTP-10: an unknown SessionID.
  const std::string real = h.token;
  h.token = std::string(32, 'f');
  EXPECT_EQ(h.Status("RSM", {"1", "x"}), 202);
  EXPECT_EQ(h.Status("RPOL", {}), 0);
  h.token = real;
  HttpRequest get;
  get.method = "GET";
  get.target = "/mcp";
  EXPECT_EQ(w.Http(get).status, 405);
  get.method = "POST";
  get.target = "/other";
  EXPECT_EQ(w.Http(get).status, 404);
}

TEST(SgTransport, HttpPushIsIncludedAtMostSixTimesThenTheSessionCloses) {
  World w;
  Accounts(w);
  Client& h = w.NewClient("alice@live.cn", Via::kHttp);
  Client& u = w.NewClient("bob@live.cn");
  ASSERT_TRUE(h.FullLogin());
  ASSERT_TRUE(u.FullLogin());
  h.hold = {"RNP"};
  h.Poll();  // bob's RNP: included once, not answered
  for (int i = 0; i < 5; ++i) h.Poll();
  EXPECT_EQ(h.duplicates, 5u);
  EXPECT_TRUE(w.sg().SessionOf("alice@live.cn"));
  h.Poll();  // the 7th inclusion would exceed HTTP-8: give up → TIMER-9
  EXPECT_FALSE(w.sg().SessionOf("alice@live.cn"));
}

TEST(SgTransport, TcpDecodeErrorClosesConnectionAndSession) {
  World w;
  Accounts(w);
  Client& t = w.NewClient("alice@live.cn", Via::kTcp);
  ASSERT_TRUE(t.FullLogin());
  t.SendRaw("RSM 77 1 %zz\r\n");
  w.Pump();
  EXPECT_EQ(t.answers.back().word, "ASM");
  EXPECT_EQ(t.answers.back().status, 101u);  // WIRE-22
  EXPECT_TRUE(t.closed);                      // TCP-3
  EXPECT_FALSE(w.sg().SessionOf("alice@live.cn"));
}

TEST(SgTransport, IdleSessionClosedAfter180SecondsUnlessPolled) {
  World w;
  Accounts(w);
  Client& a = w.NewClient("alice@live.cn");
  Client& b = w.NewClient("bob@live.cn", Via::kTcp);
  ASSERT_TRUE(a.FullLogin());
  ASSERT_TRUE(b.FullLogin());
  for (int i = 0; i < 5; ++i) {
    w.Advance(60 * kSeconds);
    a.Poll();  // TIMER-11
  }
  EXPECT_TRUE(w.sg().SessionOf("alice@live.cn"));
  EXPECT_FALSE(w.sg().SessionOf("bob@live.cn"));  // TIMER-10
  EXPECT_TRUE(b.closed);
  EXPECT_EQ(a.Received("RNP").back().params, (Params{"bob@live.cn", "offline", "0"}));
}

}  // namespace
}  // namespace mcpsim::reference::sgtest
