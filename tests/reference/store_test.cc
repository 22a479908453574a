#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "reference/store/sqlite.h"
#include "reference/store/store.h"

namespace mcpsim::reference::sql {
namespace {

TEST(Sqlite, MigratesAndRoundTrips) {
  auto db = Db::Open(":memory:");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::vector<std::string_view> m = {"CREATE TABLE t(k TEXT PRIMARY KEY, v BLOB);",
                                     "ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 7;"};
  ASSERT_TRUE(Migrate(*db, m).ok());
  ASSERT_TRUE(Migrate(*db, m).ok());  // idempotent
  auto ins = db->Prepare("INSERT INTO t(k, v) VALUES(?, ?)");
  ASSERT_TRUE(ins.ok());
  ASSERT_TRUE(ins->Bind(1, "key").BindBlob(2, std::string("a\0b", 3)).Run().ok());
  EXPECT_FALSE(ins->Bind(1, "key").BindBlob(2, "dup").Run().ok());  // primary key
  auto sel = db->Prepare("SELECT v, n FROM t WHERE k = ?");
  sel->Bind(1, "key");
  ASSERT_TRUE(*sel->Step());
  EXPECT_EQ(sel->Blob(0), std::string("a\0b", 3));
  EXPECT_EQ(sel->Int(1), 7);
}

TEST(Sqlite, NewerSchemaIsRefused) {
  auto db = Db::Open(":memory:");
  ASSERT_TRUE(db->Exec("PRAGMA user_version=9;").ok());
  Status s = Migrate(*db, {"CREATE TABLE x(a);"});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.clause(), "STORE-2");
}

TEST(Sqlite, FileDatabaseUsesWal) {
  char path[] = "/tmp/mcpsim-store-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    auto db = Db::Open(path);
    ASSERT_TRUE(db.ok());
    auto st = db->Prepare("PRAGMA journal_mode");
    ASSERT_TRUE(*st->Step());
    EXPECT_EQ(st->Text(0), "wal");
  }
  std::remove(path);
  std::remove((std::string(path) + "-wal").c_str());
  std::remove((std::string(path) + "-shm").c_str());
}

TEST(Sqlite, BadSqlIsAnErrorValue) {
  auto db = Db::Open(":memory:");
  auto st = db->Prepare("SELEKT 1");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().clause(), "STORE-1");
}

// A database image is a copy: what the copy writes stays in the copy, and
// garbage is an error value, never a crash.
TEST(Sqlite, StoreImageIsAnIndependentCopy) {
  auto base = OpenSqliteStore(":memory:");
  ASSERT_TRUE(base.ok());
  Account a;
  a.name = "alice@live.cn";
  a.password_hash = "h";
  ASSERT_TRUE((*base)->CreateAccount(a).ok());
  auto image = SerializeSqliteStore(**base);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  auto copy = OpenSqliteStoreImage(*image);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  auto got = (*copy)->GetAccount("alice@live.cn");
  ASSERT_TRUE(got.ok() && got->has_value());
  a.name = "bob@live.cn";
  ASSERT_TRUE((*copy)->CreateAccount(a).ok());
  EXPECT_EQ(*(*copy)->CountAccounts(), 2u);
  EXPECT_EQ(*(*base)->CountAccounts(), 1u);
  auto again = OpenSqliteStoreImage(*image);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*again)->CountAccounts(), 1u);
  auto bad = OpenSqliteStoreImage("not a database");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().clause(), "STORE-1");
}

}  // namespace
}  // namespace mcpsim::reference::sql
