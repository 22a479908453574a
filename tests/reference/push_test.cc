#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/transport/push.h"

namespace mcpsim::reference {
namespace {

std::string Cmd(std::uint32_t trid) { return "RBIN " + std::to_string(trid) + " 1 0 1 0\r\n"; }

TEST(Push, TridsStartAtOneAndWindowLimitsFlight) {
  PushChannel ch(PushTransport::kUdp);
  for (int i = 0; i < 40; ++i) {
    const auto t = ch.NextTrid();
    EXPECT_EQ(t, static_cast<std::uint32_t>(i + 1));
    ch.Push(t, "RBIN", Cmd(t), static_cast<std::uint64_t>(t), /*group=*/7);
  }
  std::vector<std::string> out;
  ch.TakeSends(0, out);
  EXPECT_EQ(out.size(), 8u);  // PAY-8 per object
  EXPECT_EQ(out[0], Cmd(1));
  ASSERT_TRUE(ch.OnAnswer(3, "ABIN").has_value());
  EXPECT_FALSE(ch.OnAnswer(3, "ABIN").has_value());  // second copy ignored
  out.clear();
  ch.TakeSends(0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], Cmd(9));
}

TEST(Push, UdpResendsThenGivesUp) {
  PushChannel ch(PushTransport::kUdp);
  const auto t = ch.NextTrid();
  ch.Push(t, "RCS", "RCS 1 5 current 0\r\n", 1);
  std::vector<std::string> out;
  ch.TakeSends(0, out);
  std::vector<PushChannel::Entry> gave_up;
  int resends = 0;
  while (!ch.idle()) {
    out.clear();
    ch.OnTimer(ch.NextDeadline(), out, gave_up);
    resends += static_cast<int>(out.size());
  }
  EXPECT_EQ(resends, 5);
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_EQ(gave_up[0].word, "RCS");
}

TEST(Push, TcpNeverResends) {
  PushChannel ch(PushTransport::kTcp);
  ch.Push(ch.NextTrid(), "RCS", "x", 1);
  std::vector<std::string> out;
  ch.TakeSends(0, out);
  EXPECT_EQ(ch.NextDeadline(), 31 * kSeconds);
  out.clear();
  std::vector<PushChannel::Entry> gave_up;
  ch.OnTimer(31 * kSeconds, out, gave_up);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(gave_up.size(), 1u);
}

TEST(Push, HttpIncludesUntilAnsweredAtMostSixTimes) {
  PushChannel ch(PushTransport::kHttp);
  ch.Push(ch.NextTrid(), "RRM", "RRM 1 a\r\n", 1);
  ch.Push(ch.NextTrid(), "RRM", "RRM 2 b\r\n", 2);
  std::string body;
  std::vector<PushChannel::Entry> gave_up;
  ch.AppendHttp(body, gave_up);
  EXPECT_EQ(body, "RRM 1 a\r\nRRM 2 b\r\n");
  ASSERT_TRUE(ch.OnAnswer(1, "ARM"));
  for (int i = 0; i < 5; ++i) {
    body.clear();
    ch.AppendHttp(body, gave_up);
    EXPECT_EQ(body, "RRM 2 b\r\n");
  }
  body.clear();
  ch.AppendHttp(body, gave_up);
  EXPECT_TRUE(body.empty());
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_EQ(gave_up[0].tag, 2u);
}

// Every pushed request ends exactly once (answered or gave up), in any
// interleaving of answers and timers, and the window is never exceeded.
RC_GTEST_PROP(Push, EveryRequestEndsOnceWithinWindow, ()) {
  const auto n = *rc::gen::inRange(1, 60);
  const auto answer_mask = *rc::gen::container<std::vector<bool>>(static_cast<std::size_t>(n),
                                                                  rc::gen::arbitrary<bool>());
  PushChannel ch(PushTransport::kUdp);
  for (int i = 0; i < n; ++i) {
    const auto t = ch.NextTrid();
    ch.Push(t, "RRM", "RRM " + std::to_string(t) + "\r\n", t, static_cast<std::uint64_t>(i % 3 + 1));
  }
  std::map<std::uint64_t, int> ended;
  TimeUs now = 0;
  std::vector<std::string> out;
  ch.TakeSends(now, out);
  for (int step = 0; step < 400 && !ch.idle(); ++step) {
    RC_ASSERT(ch.in_flight() <= 32u);
    now += 250 * kMillis;
    for (std::uint32_t t = 1; t <= static_cast<std::uint32_t>(n); ++t) {
      if (answer_mask[t - 1] && (t + static_cast<std::uint32_t>(step)) % 7 == 0) {
        if (auto e = ch.OnAnswer(t, "ARM")) ended[e->tag]++;
      }
    }
    std::vector<PushChannel::Entry> gave_up;
    out.clear();
    ch.OnTimer(now, out, gave_up);
    for (auto& e : gave_up) ended[e.tag]++;
    ch.TakeSends(now, out);
  }
  RC_ASSERT(ch.idle());
  RC_ASSERT(ended.size() == static_cast<std::size_t>(n));
  for (auto& [tag, c] : ended) RC_ASSERT(c == 1);
}

TEST(Push, DropGroupRemovesQueuedAndInFlightRequestsOfOneObject) {
  PushChannel ch(PushTransport::kUdp);
  for (int i = 0; i < 12; ++i) {
    const auto t = ch.NextTrid();
    ch.Push(t, "RBIN", Cmd(t), t, /*group=*/i < 10 ? 7 : 0);
  }
  std::vector<std::string> out;
  ch.TakeSends(0, out);
  EXPECT_EQ(out.size(), 8u);  // the 9th chunk of group 7 blocks the queue head
  ch.DropGroup(7);
  EXPECT_FALSE(ch.HasGroup(7));
  EXPECT_FALSE(ch.OnAnswer(1, "ABIN").has_value());
  out.clear();
  ch.TakeSends(0, out);
  ASSERT_EQ(out.size(), 2u);  // the ungrouped requests 11 and 12 now go out
  EXPECT_EQ(out[0], Cmd(11));
  EXPECT_EQ(ch.in_flight(), 2u);
}

}  // namespace
}  // namespace mcpsim::reference
