// The store contract (reference/store/store.h), run against every backend:
// SQLite always, PostgreSQL when a server is reachable. ctest starts a
// throwaway cluster (tools/pg-cluster.sh, fixture `pg`) and passes its URI in
// MCPSIM_TEST_PG_URI; without it the PostgreSQL instances skip and say why.
// Each PostgreSQL test works in its own schema (search_path), so tests run in
// parallel against one cluster.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "reference/store/sqlite.h"
#include "reference/store/store.h"
#include "tests/cli/pg_env.h"

namespace mcpsim::reference {
namespace {

using testing::PgAdmin;
using testing::PgUri;

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      char path[] = "/tmp/mcpsim-contract-XXXXXX";
      const int fd = mkstemp(path);
      ASSERT_GE(fd, 0);
      close(fd);
      spec_ = path;
    } else {
      if (PgUri().empty()) {
        GTEST_SKIP() << testing::kPgSkipReason;
      }
      schema_ = "t_" + std::to_string(getpid()) + "_" + std::to_string(++counter_);
      std::string err;
      spec_ = testing::PgTestSchema(schema_, &err);
      ASSERT_EQ(err, "") << "cannot prepare a schema on " << PgUri();
    }
    auto s = OpenStore(spec_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  void TearDown() override {
    store_.reset();
    if (GetParam() == "sqlite" && !spec_.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((spec_ + suffix).c_str());
    }
    if (!schema_.empty()) (void)PgAdmin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }

  // A second store on the same database.
  std::unique_ptr<Store> Reopen() {
    auto s = OpenStore(spec_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  void MakeAccount(const std::string& name, const std::string& nick = "n") {
    Account a;
    a.name = name;
    a.password_hash.assign(16, 'h');
    a.nickname = nick;
    a.created_ms = 42;
    auto r = store_->CreateAccount(a);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(*r);
  }

  static inline int counter_ = 0;
  std::string spec_;
  std::string schema_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, AccountsAreCreatedOnceAndRoundTripAnyBytes) {
  Store& s = *store_;
  Account a;
  a.name = std::string("al\0ice\xff@live.cn", 15);
  a.password_hash = "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA";
  a.nickname = "Ali\xe7\x88\xb1";
  a.profile_version = 3;
  a.list_version = 5;
  a.created_ms = 1234567890123;
  a.psm = "p";
  a.avatar_id = "av";
  ASSERT_TRUE(*s.CreateAccount(a));
  Account other = a;
  other.nickname = "changed";
  EXPECT_FALSE(*s.CreateAccount(other));  // exists: nothing changes
  auto got = s.GetAccount(a.name);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->name, a.name);
  EXPECT_EQ((*got)->password_hash, a.password_hash);
  EXPECT_EQ((*got)->nickname, a.nickname);
  EXPECT_EQ((*got)->profile_version, 3u);
  EXPECT_EQ((*got)->list_version, 5u);
  EXPECT_EQ((*got)->created_ms, 1234567890123);
  EXPECT_EQ((*got)->psm, "p");
  EXPECT_EQ((*got)->avatar_id, "av");
  EXPECT_FALSE(s.GetAccount("nobody")->has_value());
  EXPECT_EQ(*s.CountAccounts(), 1u);
}

TEST_P(StoreContract, UploadsKeepOrderAndTheTridTripleIsRecordedOnce) {
  Store& s = *store_;
  Upload u{10, "mid1", "launch", 99, std::string("a\0b", 3), 7};
  ASSERT_TRUE(s.AddUpload(u).ok());
  ASSERT_TRUE(s.AddUpload(u).ok());  // same (mid, trid, timestamp): succeeds, recorded once
  Upload v{11, "mid1", "click", 99, "x", std::nullopt};
  ASSERT_TRUE(s.AddUpload(v).ok());
  ASSERT_TRUE(s.AddUpload(v).ok());  // no trid: recorded each time
  Upload w{12, "mid2", "launch", 1, "", 7};
  ASSERT_TRUE(s.AddUpload(w).ok());
  auto list = s.ListUploads("mid1");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].kind, "launch");
  EXPECT_EQ((*list)[0].data, std::string("a\0b", 3));
  EXPECT_EQ((*list)[0].timestamp_ms, 99u);
  EXPECT_EQ((*list)[0].received_ms, 10);
  EXPECT_EQ((*list)[1].kind, "click");
  EXPECT_EQ((*list)[2].kind, "click");
  EXPECT_EQ(*s.CountUploads(), 4u);
}

TEST_P(StoreContract, MediaIsReplaced) {
  Store& s = *store_;
  ASSERT_TRUE(s.PutMedia({"m1", "image/png", std::string("\x89PNG\0", 5)}).ok());
  ASSERT_TRUE(s.PutMedia({"m1", "image/gif", "GIF"}).ok());
  auto m = s.GetMedia("m1");
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->content_type, "image/gif");
  EXPECT_EQ((*m)->bytes, "GIF");
  EXPECT_FALSE(s.GetMedia("m2")->has_value());
}

TEST_P(StoreContract, ContactEditsVersionTheListAndLeaveTombstones) {
  Store& s = *store_;
  for (const char* n : {"owner", "b", "a", "B", "\xff"}) MakeAccount(n, std::string("nick-") + n);
  auto empty = s.GetContactList("owner");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->version, 1u);
  EXPECT_TRUE(empty->entries.empty());
  EXPECT_EQ(s.GetContactList("nobody")->version, 1u);  // no account: the empty list

  auto add = s.EditContact("owner", "b", ContactEdit::kAdd);
  ASSERT_TRUE(add.ok()) << add.status().ToString();
  EXPECT_TRUE(add->changed);
  EXPECT_EQ(add->version, 2u);
  EXPECT_FALSE(s.EditContact("owner", "b", ContactEdit::kAdd)->changed);  // no-op
  EXPECT_EQ(s.EditContact("owner", "b", ContactEdit::kAdd)->version, 2u);
  EXPECT_EQ(s.EditContact("owner", "a", ContactEdit::kAdd)->version, 3u);
  EXPECT_EQ(s.EditContact("owner", "\xff", ContactEdit::kAdd)->version, 4u);
  EXPECT_EQ(s.EditContact("owner", "B", ContactEdit::kAdd)->version, 5u);
  EXPECT_FALSE(s.EditContact("owner", "zz", ContactEdit::kBlock)->changed);  // unlisted: no-op
  EXPECT_EQ(s.EditContact("owner", "a", ContactEdit::kBlock)->version, 6u);
  EXPECT_FALSE(s.EditContact("owner", "a", ContactEdit::kBlock)->changed);
  EXPECT_EQ(s.EditContact("owner", "b", ContactEdit::kDelete)->version, 7u);
  EXPECT_EQ(*s.CountContacts("owner"), 3u);

  auto list = s.GetContactList("owner");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->version, 7u);
  ASSERT_EQ(list->entries.size(), 3u);  // byte order: "B" < "a" < "\xff"
  EXPECT_EQ(list->entries[0].account, "B");
  EXPECT_EQ(list->entries[1].account, "a");
  EXPECT_EQ(list->entries[2].account, "\xff");
  EXPECT_TRUE(list->entries[1].blocked);
  EXPECT_EQ(list->entries[1].added_version, 3u);
  EXPECT_EQ(list->entries[1].changed_version, 6u);
  EXPECT_EQ(list->entries[1].profile.nickname, "nick-a");
  ASSERT_EQ(list->tombstones.size(), 1u);
  EXPECT_EQ(list->tombstones[0].account, "b");
  EXPECT_EQ(list->tombstones[0].version, 7u);

  EXPECT_EQ(s.EditContact("owner", "b", ContactEdit::kAdd)->version, 8u);  // re-add clears the tombstone
  EXPECT_TRUE(s.GetContactList("owner")->tombstones.empty());
  EXPECT_EQ(s.EditContact("owner", "a", ContactEdit::kUnblock)->version, 9u);
  auto a = s.GetContact("owner", "a");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_FALSE((*a)->blocked);
  EXPECT_FALSE(s.GetContact("owner", "zz")->has_value());

  auto missing = s.EditContact("nobody", "a", ContactEdit::kAdd);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().clause(), "STORE-3");
}

TEST_P(StoreContract, ProfileUpdatesBumpEveryListThatHoldsTheAccount) {
  Store& s = *store_;
  for (const char* n : {"carol", "alice", "bob"}) MakeAccount(n);
  ASSERT_TRUE(s.EditContact("carol", "bob", ContactEdit::kAdd).ok());
  ASSERT_TRUE(s.EditContact("alice", "bob", ContactEdit::kAdd).ok());
  Profile p{"Bobby", "hi", "av1", 0};
  auto owners = s.UpdateProfile("bob", p);
  ASSERT_TRUE(owners.ok()) << owners.status().ToString();
  EXPECT_EQ(*owners, (std::vector<std::string>{"alice", "carol"}));
  auto prof = s.GetProfile("bob");
  ASSERT_TRUE(prof.ok() && prof->has_value());
  EXPECT_EQ((*prof)->nickname, "Bobby");
  EXPECT_EQ((*prof)->version, 2u);
  auto list = s.GetContactList("alice");
  EXPECT_EQ(list->version, 3u);
  EXPECT_EQ(list->entries[0].changed_version, 3u);
  EXPECT_EQ(list->entries[0].added_version, 2u);
  EXPECT_EQ(list->entries[0].profile.psm, "hi");
  auto missing = s.UpdateProfile("nobody", p);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().clause(), "STORE-3");
  EXPECT_FALSE(s.GetProfile("nobody")->has_value());
}

TEST_P(StoreContract, OfflineMessagesQueueInIdOrder) {
  Store& s = *store_;
  OfflineMessage m{0, "bob", "alice", 5, std::string("hi\0there", 8)};
  const auto id1 = s.AddOfflineMessage(m);
  m.sender = "carol";
  const auto id2 = s.AddOfflineMessage(m);
  m.recipient = "dave";
  const auto id3 = s.AddOfflineMessage(m);
  ASSERT_TRUE(id1.ok() && id2.ok() && id3.ok());
  EXPECT_EQ(*id1, 1u);  // msgId: store-wide counter from 1
  EXPECT_LT(*id1, *id2);
  EXPECT_LT(*id2, *id3);
  auto bob = s.ListOfflineMessages("bob");
  ASSERT_EQ(bob->size(), 2u);
  EXPECT_EQ((*bob)[0].id, *id1);
  EXPECT_EQ((*bob)[0].sender, "alice");
  EXPECT_EQ((*bob)[0].text, std::string("hi\0there", 8));
  EXPECT_EQ((*bob)[0].timestamp_ms, 5);
  EXPECT_EQ((*bob)[1].sender, "carol");
  EXPECT_EQ(*s.CountOfflineMessages("bob"), 2u);
  EXPECT_TRUE(*s.DeleteOfflineMessage(*id1));
  EXPECT_FALSE(*s.DeleteOfflineMessage(*id1));
  EXPECT_EQ(*s.CountOfflineMessages("bob"), 1u);
}

TEST_P(StoreContract, BatchesCommitTogetherAndAFailedCallRollsBackAlone) {
  Store& s = *store_;
  EXPECT_EQ(s.EndBatch().clause(), "STORE-4");  // none open
  MakeAccount("bob");
  ASSERT_TRUE(s.BeginBatch().ok());
  EXPECT_TRUE(s.in_batch());
  EXPECT_EQ(s.BeginBatch().clause(), "STORE-4");  // not nestable
  Upload u{0, "m", "launch", 0, "", std::nullopt};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.AddUpload(u).ok());
  ASSERT_TRUE(s.AddOfflineMessage({0, "bob", "alice", 0, "hi"}).ok());
  ASSERT_TRUE(s.EditContact("bob", "bob", ContactEdit::kAdd).ok());
  EXPECT_FALSE(s.UpdateProfile("nobody", Profile{"n", "", "", 0}).ok());  // undoes only itself
  ASSERT_TRUE(s.EditContact("bob", "bob", ContactEdit::kBlock).ok());
  ASSERT_TRUE(s.EndBatch().ok());
  EXPECT_FALSE(s.in_batch());

  // An open batch is invisible to another connection and lost if never ended.
  ASSERT_TRUE(s.BeginBatch().ok());
  ASSERT_TRUE(s.AddUpload(u).ok());
  auto other = Reopen();
  ASSERT_TRUE(other);
  EXPECT_EQ(*other->CountUploads(), 5u);
  EXPECT_EQ(*other->CountOfflineMessages("bob"), 1u);
  EXPECT_EQ(other->GetContactList("bob")->version, 3u);
  other.reset();
  store_.reset();  // closed with the batch open: rolled back
  auto again = Reopen();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->CountUploads(), 5u);
}

TEST_P(StoreContract, ReopeningKeepsDataAndANewerSchemaIsRefused) {
  MakeAccount("alice");
  store_.reset();
  auto again = Reopen();  // migrations already applied: a no-op
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->CountAccounts(), 1u);
  again.reset();
  if (GetParam() == "sqlite") {
    auto db = sql::Db::Open(spec_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("PRAGMA user_version=99;").ok());
  } else {
    ASSERT_EQ(PgAdmin("UPDATE " + schema_ + ".mcpsim_schema SET version = 99"), "");
  }
  auto newer = OpenStore(spec_);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().clause(), "STORE-2");
}

// Both backends answer any sequence of contact edits identically.
TEST_P(StoreContract, RandomContactEditsMatchAModel) {
  Store& s = *store_;
  const std::vector<std::string> names = {"a", "b", "c", "A", "\xc3\xa9"};
  for (const auto& n : names) MakeAccount(n);
  int round = 0;
  EXPECT_TRUE(rc::check([&] {
    const auto ops =
        *rc::gen::resize(25, rc::gen::arbitrary<std::vector<std::pair<std::uint8_t, std::uint8_t>>>());
    const bool batched = *rc::gen::arbitrary<bool>();  // each edit a savepoint in one transaction
    const std::string owner = "owner" + std::to_string(++round);
    Account a;
    a.name = owner;
    RC_ASSERT(*s.CreateAccount(a));
    std::map<std::string, bool> model;  // contact → blocked
    std::uint32_t version = 1;
    if (batched) RC_ASSERT(s.BeginBatch().ok());
    for (auto [op_raw, who] : ops) {
      const auto op = static_cast<ContactEdit>(op_raw % 4);
      const std::string& c = names[who % names.size()];
      const bool listed = model.count(c) > 0;
      bool change = false;
      switch (op) {
        case ContactEdit::kAdd: change = !listed; if (change) model[c] = false; break;
        case ContactEdit::kDelete: change = listed; model.erase(c); break;
        case ContactEdit::kBlock: change = listed && !model[c]; if (change) model[c] = true; break;
        case ContactEdit::kUnblock: change = listed && model[c]; if (change) model[c] = false; break;
      }
      if (!listed && op != ContactEdit::kAdd) model.erase(c);
      if (change) ++version;
      auto r = s.EditContact(owner, c, op);
      RC_ASSERT(r.ok());
      RC_ASSERT(r->changed == change);
      RC_ASSERT(r->version == version);
    }
    if (batched) RC_ASSERT(s.EndBatch().ok());
    auto list = s.GetContactList(owner);
    RC_ASSERT(list.ok());
    RC_ASSERT(list->version == version);
    RC_ASSERT(list->entries.size() == model.size());
    std::size_t i = 0;
    for (const auto& [c, blocked] : model) {  // std::map: byte order, as the store
      RC_ASSERT(list->entries[i].account == c);
      RC_ASSERT(list->entries[i].blocked == blocked);
      ++i;
    }
  }));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

// ---- PostgreSQL only: the connection and the server's transaction rules ----

class PostgresOnly : public StoreContract {};

TEST_P(PostgresOnly, ALostConnectionIsAnErrorThenReconnects) {
  MakeAccount("alice");
  // Ends every other session on the database: the store's connection dies.
  ASSERT_EQ(PgAdmin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = '" + schema_ + "'"),
            "");
  auto first = store_->CountAccounts();  // may fail (STORE-1): the loss is noticed here
  if (!first.ok()) {
    EXPECT_EQ(first.status().clause(), "STORE-1");
  }
  auto second = store_->CountAccounts();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(*second, 1u);
  // A batch whose connection dies is not committed and says so.
  ASSERT_TRUE(store_->BeginBatch().ok());
  ASSERT_TRUE(store_->AddUpload({0, "m", "k", 0, "", std::nullopt}).ok());
  ASSERT_EQ(PgAdmin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = '" + schema_ + "'"),
            "");
  Status end = store_->EndBatch();
  EXPECT_FALSE(end.ok());
  EXPECT_EQ(end.clause(), "STORE-1");
  EXPECT_EQ(*store_->CountUploads(), 0u);
}

TEST_P(PostgresOnly, UnreachableServerIsStore1) {
  auto s = OpenStore("postgresql://nobody@/mcpsim?host=/nonexistent-dir&connect_timeout=1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().clause(), "STORE-1");
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresOnly, ::testing::Values("postgresql"),
                         [](const auto& info) { return info.param; });

TEST(StoreSpec, PicksTheBackendByScheme) {
  EXPECT_TRUE(IsPostgresUri("postgresql://u@h/db"));
  EXPECT_TRUE(IsPostgresUri("postgres://u@h/db"));
  EXPECT_FALSE(IsPostgresUri(":memory:"));
  EXPECT_FALSE(IsPostgresUri("postgresql.db"));
  auto mem = OpenStore(":memory:");
  EXPECT_TRUE(mem.ok());
}

}  // namespace
}  // namespace mcpsim::reference
