#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "reference/transport/deadline_heap.h"

namespace mcpsim::reference {
namespace {

struct Item {
  std::uint32_t heap_pos = DeadlineHeap<Item>::kAbsent;
};

TEST(DeadlineHeap, TopAndRemove) {
  DeadlineHeap<Item> h;
  Item a, b, c;
  EXPECT_EQ(h.Top(), kNever);
  h.Set(a, 30, 1);
  h.Set(b, 10, 2);
  h.Set(c, 20, 3);
  EXPECT_EQ(h.Top(), 10);
  h.Set(b, 40, 2);  // moves later
  EXPECT_EQ(h.Top(), 20);
  h.Remove(c);
  EXPECT_EQ(h.Top(), 30);
  h.Remove(c);  // absent: no-op
  EXPECT_EQ(h.size(), 2u);
  std::vector<std::uint64_t> due;
  h.ForEachDue(35, [&](std::uint64_t id, const Item&) { due.push_back(id); });
  EXPECT_EQ(due, std::vector<std::uint64_t>{1});
}

// Stateful equivalence with a std::map model: Top and the due set agree after
// every Set / Remove on a pool of items.
RC_GTEST_PROP(DeadlineHeap, MatchesOrderedModel, ()) {
  const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 3), rc::gen::inRange(0, 40), rc::gen::inRange(0, 1000)));
  std::vector<Item> items(40);
  std::map<std::uint64_t, TimeUs> model;  // id -> deadline
  DeadlineHeap<Item> h;
  for (auto [op, i, t] : ops) {
    const auto id = static_cast<std::uint64_t>(i);
    if (op == 2) {
      h.Remove(items[static_cast<std::size_t>(i)]);
      model.erase(id);
    } else {
      h.Set(items[static_cast<std::size_t>(i)], t, id);
      model[id] = t;
    }
    TimeUs top = kNever;
    for (const auto& [k, d] : model) top = std::min(top, d);
    RC_ASSERT(h.Top() == top);
    RC_ASSERT(h.size() == model.size());
    const TimeUs now = t;
    std::vector<std::uint64_t> got, want;
    h.ForEachDue(now, [&](std::uint64_t k, const Item&) { got.push_back(k); });
    for (const auto& [k, d] : model) {
      if (d <= now) want.push_back(k);
    }
    std::sort(got.begin(), got.end());
    RC_ASSERT(got == want);
  }
}

}  // namespace
}  // namespace mcpsim::reference
