#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/transport/retry.h"

namespace mcpsim::reference {
namespace {

TEST(Retry, AnswerWordReplacesFirstLetter) {
  EXPECT_EQ(AnswerWord("REG"), "AEG");
  EXPECT_EQ(AnswerWord("RAP"), "AAP");
  EXPECT_EQ(AnswerWord("RQQW"), "AQQW");
}

TEST(Retry, TridWrapsAfterMax) {
  TridAllocator t(4294967294u);
  EXPECT_EQ(t.Next(), 4294967294u);
  EXPECT_EQ(t.Next(), 4294967295u);
  EXPECT_EQ(t.Next(), 0u);
  EXPECT_EQ(t.Next(), 1u);
}

TEST(Retry, ResendsWithBackoffThenGivesUp) {
  RetryPolicy p;  // 1 s, x2, cap 8 s, 5 resends
  RequestTracker tr(p);
  tr.Start(0, 7, "RSM", "RSM 7 a\r\n", 42);
  std::vector<TimeUs> resend_times;
  std::vector<RequestTracker::Entry> gave_up;
  TimeUs now = 0;
  while (tr.outstanding() > 0) {
    now = tr.NextDeadline();
    std::vector<const RequestTracker::Entry*> resend;
    tr.OnTimer(now, resend, gave_up);
    for (auto* e : resend) {
      EXPECT_EQ(e->bytes, "RSM 7 a\r\n");
      resend_times.push_back(now);
    }
  }
  // Resends at 1, 3, 7, 15, 23 s; gives up at 31 s.
  const std::vector<TimeUs> want = {1 * kSeconds, 3 * kSeconds, 7 * kSeconds, 15 * kSeconds,
                                    23 * kSeconds};
  EXPECT_EQ(resend_times, want);
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_EQ(gave_up[0].tag, 42u);
  EXPECT_EQ(gave_up[0].sends, 6u);
  EXPECT_EQ(now, 31 * kSeconds);
  EXPECT_EQ(p.GiveUpAfter(), 31 * kSeconds);
}

TEST(Retry, AnswerMatchesByTridAndWord) {
  RequestTracker tr;
  tr.Start(0, 1, "RCMD1", "x", 1);
  tr.Start(0, 2, "RCMD2", "y", 2);
  tr.Start(0, 3, "RCMD2", "z", 3);
  EXPECT_FALSE(tr.OnAnswer(3, "ACMD1").has_value());  // right trid, wrong word
  EXPECT_FALSE(tr.OnAnswer(3, "RCMD2").has_value());  // not an answer word
  auto a = tr.OnAnswer(3, "ACMD2");                   // out of order: trid 3 first
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->tag, 3u);
  EXPECT_FALSE(tr.OnAnswer(3, "ACMD2").has_value());  // duplicate answer
  EXPECT_EQ(tr.OnAnswer(1, "ACMD1")->tag, 1u);
  EXPECT_EQ(tr.outstanding(), 1u);
}

// Whatever subset of requests gets answered at whatever times, every request
// ends exactly once: answered (before giving up) or gave up (never both).
RC_GTEST_PROP(Retry, EveryRequestEndsExactlyOnce, ()) {
  const auto n = *rc::gen::inRange(1, 30);
  const auto answer_at = *rc::gen::container<std::vector<int>>(
      static_cast<std::size_t>(n), rc::gen::inRange(-1, 40));  // seconds; -1 = never
  RequestTracker tr;
  for (int i = 0; i < n; ++i) tr.Start(0, static_cast<std::uint32_t>(i), "RX", "b", static_cast<std::uint64_t>(i));
  std::vector<int> ended(static_cast<std::size_t>(n), 0);
  for (TimeUs now = 0; now <= 40 * kSeconds; now += 500 * kMillis) {
    for (int i = 0; i < n; ++i) {
      if (answer_at[static_cast<std::size_t>(i)] >= 0 && answer_at[static_cast<std::size_t>(i)] * kSeconds == now) {
        if (tr.OnAnswer(static_cast<std::uint32_t>(i), "AX")) ended[static_cast<std::size_t>(i)]++;
      }
    }
    std::vector<const RequestTracker::Entry*> resend;
    std::vector<RequestTracker::Entry> gave_up;
    tr.OnTimer(now, resend, gave_up);
    for (auto& e : gave_up) ended[e.tag]++;
  }
  RC_ASSERT(tr.outstanding() == 0u);
  for (int c : ended) RC_ASSERT(c == 1);
}

}  // namespace
}  // namespace mcpsim::reference
