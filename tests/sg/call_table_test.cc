// CallTable (reference/roles/sg/call_table.h): its indexes agree with a scan
// of the conversations after any sequence of changes.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "reference/roles/sg/call_table.h"

namespace mcpsim::reference {
namespace {

const char* const kAccounts[] = {"ann@live.cn", "ben@live.cn", "cat@live.cn", "dan@live.cn", "eve@live.cn"};

// What CallTable answers, recomputed by scanning `model` (id -> members).
std::vector<std::uint64_t> ScanCallsOf(const std::map<std::uint64_t, std::vector<std::string>>& model,
                                       const std::string& account) {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, members] : model) {
    for (const std::string& m : members) {
      if (m == account) {
        ids.push_back(id);
        break;
      }
    }
  }
  return ids;
}

TEST(CallTable, FindAndIterationFollowPutAndErase) {
  CallTable t;
  t.Put(7, {"ann@live.cn", "ben@live.cn"});
  t.Put(3, {"ben@live.cn", "cat@live.cn"});
  ASSERT_NE(t.Find(7), nullptr);
  EXPECT_EQ(t.Find(7)->id, 7u);
  EXPECT_EQ(t.Find(5), nullptr);
  std::vector<std::uint64_t> order;
  for (const auto& [id, call] : t) order.push_back(id);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{3, 7}));
  EXPECT_EQ(t.CallsOf("ben@live.cn"), (std::vector<std::uint64_t>{3, 7}));
  EXPECT_TRUE(t.RemoveMember(*t.Find(7), "ben@live.cn"));
  EXPECT_FALSE(t.RemoveMember(*t.Find(7), "ben@live.cn"));
  EXPECT_EQ(t.CallsOf("ben@live.cn"), (std::vector<std::uint64_t>{3}));
  t.Erase(3);
  EXPECT_TRUE(t.CallsOf("ben@live.cn").empty());
  EXPECT_TRUE(t.CallsOf("cat@live.cn").empty());
  EXPECT_EQ(t.size(), 1u);
}

RC_GTEST_PROP(CallTable, IndexesAgreeWithAScanAfterAnyChanges, ()) {
  CallTable t;
  std::map<std::uint64_t, std::vector<std::string>> model;
  const auto steps = *rc::gen::inRange(1, 120);
  for (int i = 0; i < steps; ++i) {
    const auto id = static_cast<std::uint64_t>(*rc::gen::inRange(1, 12));
    const std::string who = kAccounts[*rc::gen::inRange(0, 5)];
    switch (*rc::gen::inRange(0, 4)) {
      case 0: {  // create or replace (members may repeat)
        std::vector<std::string> members;
        const auto n = *rc::gen::inRange(0, 4);
        for (int k = 0; k < n; ++k) members.emplace_back(kAccounts[*rc::gen::inRange(0, 5)]);
        t.Put(id, members);
        model[id] = members;
        break;
      }
      case 1:
        t.Erase(id);
        model.erase(id);
        break;
      case 2:
        if (Call* c = t.Find(id)) {
          t.AddMember(*c, who);
          model[id].push_back(who);
        }
        break;
      case 3:
        if (Call* c = t.Find(id)) {
          auto& m = model[id];
          auto it = std::find(m.begin(), m.end(), who);
          RC_ASSERT(t.RemoveMember(*c, who) == (it != m.end()));
          if (it != m.end()) m.erase(it);
        }
        break;
    }
    RC_ASSERT(t.size() == model.size());
    for (const auto& [cid, members] : model) {
      const Call* c = t.Find(cid);
      RC_ASSERT(c != nullptr);
      RC_ASSERT(c->members == members);
    }
    for (const char* a : kAccounts) RC_ASSERT(t.CallsOf(a) == ScanCallsOf(model, a));
  }
}

}  // namespace
}  // namespace mcpsim::reference
