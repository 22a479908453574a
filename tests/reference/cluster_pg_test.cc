// The SG registry and offline-message wake-ups on PostgreSQL (reference/store/
// cluster.h, PROTOCOL.md §3.1 CLU-1..5, CLU-8): leases on the database clock,
// one live holder per SG id, leave, and NOTIFY only for committed messages.
// Skips when no PostgreSQL server can be started (ctest fixture `pg`).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "reference/store/cluster.h"
#include "reference/store/store.h"
#include "tests/cli/pg_env.h"

namespace mcpsim::reference {
namespace {

class ClusterPg : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::PgUri().empty()) GTEST_SKIP() << testing::kPgSkipReason;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    schema_ = "clu_" + std::string(info->name()).substr(0, 30) + "_" + std::to_string(::getpid());
    for (char& c : schema_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string err;
    uri_ = testing::PgTestSchema(schema_, &err);
    ASSERT_EQ(err, "");
  }
  void TearDown() override {
    if (!schema_.empty()) (void)testing::PgAdmin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }
  std::unique_ptr<Cluster> Open() {
    auto c = OpenPostgresCluster(uri_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  std::string schema_, uri_;
};

TEST_F(ClusterPg, OneLiveHolderPerIdLeaseAndLeave) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  const GatewayRecord one{1, "udp://10.0.0.1:7001", ""}, two{2, "udp://10.0.0.2:7001", "tcp://10.0.0.2:1864"};
  EXPECT_TRUE(*a->Heartbeat(one, "inst-a", 60000));
  EXPECT_TRUE(*a->Heartbeat(one, "inst-a", 60000));   // renewal
  EXPECT_FALSE(*b->Heartbeat(one, "inst-b", 60000));  // CLU-3: live under another instance
  EXPECT_TRUE(*b->Heartbeat(two, "inst-b", 300));
  auto live = b->LiveGateways();
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 2u);
  EXPECT_EQ((*live)[0].sg_id, 1u);
  EXPECT_EQ((*live)[0].sg, one.sg);
  EXPECT_EQ((*live)[1].rs, two.rs);
  // SG 2's lease ends without a heartbeat: gone; then another instance may take the id.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  live = a->LiveGateways();
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].sg_id, 1u);
  EXPECT_TRUE(*a->Heartbeat(two, "inst-c", 60000));
  // CLU-4: only the holder's leave counts.
  EXPECT_TRUE(b->Leave(1, "inst-b").ok());
  EXPECT_EQ(a->LiveGateways()->size(), 2u);
  EXPECT_TRUE(a->Leave(1, "inst-a").ok());
  live = a->LiveGateways();
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].sg_id, 2u);
}

TEST_F(ClusterPg, WakeupsFollowCommittedOfflineMessagesOnly) {
  auto store = OpenPostgresStore(uri_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto listener = Open();
  ASSERT_TRUE(listener);
  auto first = listener->TakeWakeups();
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->resync);  // subscribing may have missed earlier ones
  for (const char* n : {"bob@live.cn", "carol@live.cn"}) {
    Account acc;
    acc.name = n;
    acc.password_hash = "x";
    ASSERT_TRUE((*store)->CreateAccount(acc).ok());
  }
  ASSERT_TRUE((*store)->AddOfflineMessage({0, "bob@live.cn", "carol@live.cn", 1, "hi"}).ok());
  // Inside a batch: nothing is announced before the commit (NOTIFY is transactional).
  ASSERT_TRUE((*store)->BeginBatch().ok());
  ASSERT_TRUE((*store)->AddOfflineMessage({0, "carol@live.cn", "bob@live.cn", 2, "yo"}).ok());
  auto w = listener->TakeWakeups();
  for (int i = 0; i < 20 && w.ok() && w->recipients.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    w = listener->TakeWakeups();
  }
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w->resync);
  ASSERT_EQ(w->recipients, std::vector<std::string>{"bob@live.cn"});
  ASSERT_TRUE((*store)->EndBatch().ok());
  std::vector<std::string> got;
  for (int i = 0; i < 40 && got.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    got = listener->TakeWakeups()->recipients;
  }
  EXPECT_EQ(got, std::vector<std::string>{"carol@live.cn"});
}

}  // namespace
}  // namespace mcpsim::reference

namespace mcpsim::reference {
namespace {

// CLU-9: two SG processes (two registry connections) draw callIds,
// transferIds and voiceIds from shared sequences: never the same value.
TEST_F(ClusterPg, SharedIdsAreUniqueAcrossProcesses) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  for (const char* name : {"call", "transfer", "voice"}) {
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 20; ++i) {
      for (Cluster* c : {a.get(), b.get()}) {
        auto id = c->NextId(name);
        ASSERT_TRUE(id.ok()) << id.status().ToString();
        EXPECT_GE(*id, 1u);
        EXPECT_TRUE(seen.insert(*id).second) << name << " " << *id << " handed out twice";
      }
    }
  }
  EXPECT_EQ(a->NextId("msg").status().clause(), "STORE-2");
}

}  // namespace
}  // namespace mcpsim::reference

namespace mcpsim::reference {
namespace {

// CLU-10/11/13: relays are queued per receiving SG, announced to it, taken
// once in the order they were queued (even by two takers at once), and the
// presence table keeps only rows of SG processes with a live lease.
TEST_F(ClusterPg, RelaysAreQueuedPerSgTakenOnceInOrderAndPresenceFollowsLeases) {
  auto one = Open(), two = Open(), three = Open();
  ASSERT_TRUE(one && two && three);
  ASSERT_TRUE(*one->Heartbeat({1, "udp://10.0.0.1:7001", ""}, "i1", 60000));
  ASSERT_TRUE(*two->Heartbeat({2, "udp://10.0.0.2:7001", ""}, "i2", 60000));
  ASSERT_TRUE(two->TakeWakeups().ok());  // LISTEN
  std::vector<Cluster::QueuedRelay> q;
  for (int i = 0; i < 30; ++i) q.push_back({static_cast<std::uint32_t>(i % 3 == 0 ? 3 : 2), "r" + std::to_string(i)});
  q.push_back({2, std::string("\0\xff bytes", 8)});
  ASSERT_TRUE(one->PutRelays({{"bob@live.cn", 1, false, "bob-online"}}, q).ok());
  std::vector<std::uint32_t> told;
  for (int i = 0; i < 40 && told.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    told = two->TakeWakeups()->queued_for;
  }
  EXPECT_EQ(told, (std::vector<std::uint32_t>{3, 2}));  // one announcement per receiver, in order
  std::vector<std::string> want;
  for (int i = 0; i < 30; ++i) {
    if (i % 3 != 0) want.push_back("r" + std::to_string(i));
  }
  want.push_back(std::string("\0\xff bytes", 8));
  // Two takers at once (a restarted SG and a survivor): each row once, in order.
  std::vector<std::string> got;
  for (;;) {
    auto a = two->TakeQueued(2, 4), b = three->TakeQueued(2, 3);
    ASSERT_TRUE(a.ok() && b.ok());
    if (a->empty() && b->empty()) break;
    for (auto* part : {&*a, &*b}) got.insert(got.end(), part->begin(), part->end());
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(three->TakeQueued(3, 100)->size(), 10u);
  EXPECT_TRUE(three->TakeQueued(3, 100)->empty());

  EXPECT_EQ(*two->LivePresence(), std::vector<std::string>{"bob-online"});
  EXPECT_EQ(*two->PresenceHeldBy(1), std::vector<std::string>{"bob-online"});
  // bob moves to SG 2: the row follows; SG 1's late "offline" does not remove it.
  ASSERT_TRUE(two->PutRelays({{"bob@live.cn", 2, false, "bob-on-2"}}, {}).ok());
  ASSERT_TRUE(one->PutRelays({{"bob@live.cn", 1, true, "bob-offline"}}, {}).ok());
  EXPECT_EQ(*one->LivePresence(), std::vector<std::string>{"bob-on-2"});
  EXPECT_TRUE(one->PresenceHeldBy(1)->empty());
  // SG 2 leaves: its rows are no longer live.
  ASSERT_TRUE(two->Leave(2, "i2").ok());
  EXPECT_TRUE(one->LivePresence()->empty());
  EXPECT_EQ(*one->PresenceHeldBy(2), std::vector<std::string>{"bob-on-2"});
}

}  // namespace
}  // namespace mcpsim::reference
