// The SQLite layer's durability settings, statement reuse and group-commit
// batches (reference/store/sqlite.h, store.h).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "reference/store/sqlite.h"
#include "reference/store/store.h"

namespace mcpsim::reference {
namespace {

std::string TempPath() {
  char path[] = "/tmp/mcpsim-batch-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  return path;
}

void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::string p = path;
    p.append(suffix);
    std::remove(p.c_str());
  }
}

std::int64_t Pragma(sql::Db& db, std::string_view pragma) {
  std::string text = "PRAGMA ";
  text.append(pragma);
  auto st = db.Prepare(text);
  EXPECT_TRUE(st.ok() && *st->Step());
  return st->Int(0);
}

TEST(SqliteDurability, FileDatabasesSyncFullUnlessAskedForNormal) {
  const std::string path = TempPath();
  {
    auto full = sql::Db::Open(path);
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(Pragma(*full, "synchronous"), 2);  // FULL: every COMMIT fsyncs the WAL
  }
  {
    auto normal = sql::Db::Open(path, sql::Sync::kNormal);
    ASSERT_TRUE(normal.ok());
    EXPECT_EQ(Pragma(*normal, "synchronous"), 1);
  }
  RemoveDb(path);
}

TEST(SqliteStatements, ReusedStatementsStartUnboundAndReset) {
  auto db = sql::Db::Open(":memory:");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE t(a INTEGER NOT NULL);").ok());
  for (int i = 0; i < 3; ++i) {
    auto ins = db->Prepare("INSERT INTO t(a) VALUES(?)");
    ASSERT_TRUE(ins.ok());
    ASSERT_TRUE(ins->Bind(1, i).Run().ok());
  }
  {
    auto unbound = db->Prepare("INSERT INTO t(a) VALUES(?)");  // the cached one: bindings cleared
    EXPECT_FALSE(unbound->Run().ok());                         // NULL violates NOT NULL
  }
  {
    // Two live statements with the same text are independent; one left
    // mid-result does not keep the next transaction from committing.
    auto a = db->Prepare("SELECT a FROM t ORDER BY a");
    auto b = db->Prepare("SELECT a FROM t ORDER BY a");
    ASSERT_TRUE(*a->Step());
    ASSERT_TRUE(*b->Step());
    ASSERT_TRUE(*b->Step());
    EXPECT_EQ(a->Int(0), 0);
    EXPECT_EQ(b->Int(0), 1);
  }
  EXPECT_TRUE(db->Exec("BEGIN; INSERT INTO t(a) VALUES(9); COMMIT;").ok());
  auto count = db->Prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), 4);
}

TEST(StoreBatch, WritesJoinOneTransactionAndFailedCallsRollBackAlone) {
  const std::string path = TempPath();
  {
    auto store = OpenSqliteStore(path);
    ASSERT_TRUE(store.ok());
    Store& s = **store;
    EXPECT_EQ(s.EndBatch().clause(), "STORE-4");  // none open
    Account bob;
    bob.name = "bob@live.cn";
    bob.password_hash.assign(16, 'h');
    ASSERT_TRUE(s.CreateAccount(bob).ok());
    ASSERT_TRUE(s.BeginBatch().ok());
    EXPECT_TRUE(s.in_batch());
    EXPECT_EQ(s.BeginBatch().clause(), "STORE-4");  // not nestable
    Upload u;
    u.mid = "m";
    u.kind = "launch";
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.AddUpload(u).ok());
    OfflineMessage m;
    m.recipient = "bob@live.cn";
    m.sender = "alice@live.cn";
    m.text = "hi";
    ASSERT_TRUE(s.AddOfflineMessage(m).ok());
    // A mutating call that fails inside the batch undoes only itself.
    Profile p;
    p.nickname = "n";
    EXPECT_FALSE(s.UpdateProfile("nobody@live.cn", p).ok());
    ASSERT_TRUE(s.EndBatch().ok());
    EXPECT_FALSE(s.in_batch());
  }
  auto again = OpenSqliteStore(path);  // committed: visible after reopening
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*again)->CountUploads(), 5u);
  EXPECT_EQ(*(*again)->CountOfflineMessages("bob@live.cn"), 1u);
  RemoveDb(path);
}

}  // namespace
}  // namespace mcpsim::reference
