#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "sim/scheduler.h"

namespace mcpsim::sim {
namespace {

TEST(SimScheduler, RunsInTimeOrderWithFifoTies) {
  Scheduler s;
  std::vector<int> order;
  s.At(30, [&] { order.push_back(3); });
  s.At(10, [&] { order.push_back(1); });
  s.At(20, [&] { order.push_back(20); });
  s.At(20, [&] { order.push_back(21); });
  s.At(20, [&] { order.push_back(22); });
  ASSERT_TRUE(s.RunUntilQuiet().ok());
  EXPECT_EQ(order, (std::vector<int>{1, 20, 21, 22, 3}));
  EXPECT_EQ(s.now(), 30);
  EXPECT_EQ(s.executed(), 5u);
}

TEST(SimScheduler, PastTimesClampToNowAndRunAfterEarlierSchedules) {
  Scheduler s;
  std::vector<int> order;
  s.At(100, [&] {
    order.push_back(1);
    s.At(5, [&] { order.push_back(3); });  // in the past: runs at 100, after #2
  });
  s.At(100, [&] { order.push_back(2); });
  ASSERT_TRUE(s.RunUntilQuiet().ok());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(s.now(), 100);
}

TEST(SimScheduler, CancelRemovesOnlyThatEvent) {
  Scheduler s;
  int a = 0, b = 0;
  const EventId ia = s.At(10, [&] { ++a; });
  s.At(10, [&] { ++b; });
  EXPECT_NE(ia, 0u);
  EXPECT_TRUE(s.Cancel(ia));
  EXPECT_FALSE(s.Cancel(ia));        // already cancelled
  EXPECT_FALSE(s.Cancel(0xdead00000001ULL));  // unknown
  EXPECT_EQ(s.pending(), 1u);
  ASSERT_TRUE(s.RunUntilQuiet().ok());
  EXPECT_EQ(a, 0);
  EXPECT_EQ(b, 1);
  EXPECT_FALSE(s.Cancel(ia));
}

TEST(SimScheduler, ReusedSlotDoesNotHonourStaleId) {
  Scheduler s;
  int fired = 0;
  const EventId old = s.At(1, [] {});
  ASSERT_TRUE(s.RunUntilQuiet().ok());
  const EventId fresh = s.At(2, [&] { ++fired; });  // likely reuses old's slot
  EXPECT_NE(old, fresh);
  EXPECT_FALSE(s.Cancel(old));
  ASSERT_TRUE(s.RunUntilQuiet().ok());
  EXPECT_EQ(fired, 1);
}

TEST(SimScheduler, RunUntilStopsAtTimeAndAdvancesClock) {
  Scheduler s;
  int n = 0;
  s.At(10, [&] { ++n; });
  s.At(50, [&] { ++n; });
  ASSERT_TRUE(s.RunUntil(20).ok());
  EXPECT_EQ(n, 1);
  EXPECT_EQ(s.now(), 20);
  EXPECT_EQ(s.next_time(), 50);
  ASSERT_TRUE(s.RunUntil(50).ok());  // inclusive
  EXPECT_EQ(n, 2);
}

TEST(SimScheduler, MaxEventsGuardReturnsError) {
  Scheduler s;
  s.set_max_events(1000);
  std::function<void()> again = [&] { s.After(1, again); };  // never quiesces
  s.After(1, again);
  const Status st = s.RunUntilQuiet();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.clause(), "SIM-1");
  EXPECT_EQ(s.executed(), 1000u);
  const Status st2 = s.RunUntilCondition([] { return false; });
  EXPECT_EQ(st2.clause(), "SIM-1");
}

TEST(SimScheduler, ConditionRunStopsWhenTrueOrFailsAtDeadline) {
  Scheduler s;
  int n = 0;
  for (int i = 1; i <= 10; ++i) s.At(i * 10, [&] { ++n; });
  ASSERT_TRUE(s.RunUntilCondition([&] { return n == 3; }).ok());
  EXPECT_EQ(s.now(), 30);
  const Status st = s.RunUntilCondition([&] { return n == 100; }, 75);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.clause(), "SIM-2");
  EXPECT_EQ(n, 7);
  EXPECT_EQ(s.now(), 75);
}

TEST(SimScheduler, ManyCancellationsCompactWithoutLosingLiveEvents) {
  Scheduler s;
  std::vector<EventId> ids;
  int fired = 0;
  for (int i = 0; i < 20000; ++i) ids.push_back(s.At(1000 + i, [&] { ++fired; }));
  for (int i = 0; i < 20000; ++i) {
    if (i % 10 != 0) {
      EXPECT_TRUE(s.Cancel(ids[i]));
    }
  }
  EXPECT_EQ(s.pending(), 2000u);
  ASSERT_TRUE(s.RunUntilQuiet().ok());
  EXPECT_EQ(fired, 2000);
}

TEST(SimScheduler, LargeCapturesFallBackToHeap) {
  Scheduler s;
  std::array<std::uint64_t, 32> big{};
  big[31] = 7;
  std::uint64_t got = 0;
  s.At(1, [big, &got] { got = big[31]; });
  ASSERT_TRUE(s.RunUntilQuiet().ok());
  EXPECT_EQ(got, 7u);
}

// Property: for any schedule (times, with some events cancelled and some
// scheduling children), events run in nondecreasing time, FIFO among equal
// times, none lost, and exactly the cancelled ones never run.
RC_GTEST_PROP(SimScheduler, OrderFifoAndCancellation, ()) {
  const auto times = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 50));
  const auto cancel_mask = *rc::gen::container<std::vector<bool>>(times.size(), rc::gen::arbitrary<bool>());
  Scheduler s;
  struct Rec { TimeUs t; std::uint64_t order; int key; };
  std::vector<Rec> ran;
  std::map<int, std::uint64_t> sched_order;  // key -> scheduling order
  std::uint64_t counter = 0;
  std::vector<EventId> ids;
  std::set<int> expected;
  int next_key = 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    const int key = next_key++;
    sched_order[key] = counter++;
    ids.push_back(s.At(times[i], [&, key] {
      ran.push_back({s.now(), sched_order[key], key});
      if (key % 3 == 0) {  // spawn a child at a later-or-equal time
        const int child = next_key++;
        sched_order[child] = counter++;
        expected.insert(child);
        s.After(key % 2, [&, child] { ran.push_back({s.now(), sched_order[child], child}); });
      }
    }));
    expected.insert(key);
  }
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (cancel_mask[i]) {
      RC_ASSERT(s.Cancel(ids[i]));
      expected.erase(static_cast<int>(i));
    }
  }
  RC_ASSERT(s.RunUntilQuiet().ok());
  std::set<int> got;
  for (std::size_t i = 0; i < ran.size(); ++i) {
    RC_ASSERT(got.insert(ran[i].key).second);  // each at most once
    if (i > 0) {
      RC_ASSERT(ran[i - 1].t <= ran[i].t);
      if (ran[i - 1].t == ran[i].t) RC_ASSERT(ran[i - 1].order < ran[i].order);
    }
  }
  RC_ASSERT(got == expected);
  RC_ASSERT(s.pending() == 0u);
}

}  // namespace
}  // namespace mcpsim::sim
