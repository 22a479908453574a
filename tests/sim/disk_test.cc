// sim::Disk: synced/unsynced semantics, power cuts (dropping and tearing at
// page granularity), injected faults; and SQLite through the "mcpsim-sim"
// VFS surviving power cuts with every committed transaction.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "sim/disk.h"
#include "sim/disk_vfs.h"

namespace mcpsim::sim {
namespace {

std::vector<std::uint8_t> V(const std::string& s) { return {s.begin(), s.end()}; }
std::string ReadAll(Disk& d, const std::string& f) {
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(d.Size(f)));
  auto r = d.Read(f, 0, buf);
  EXPECT_TRUE(r.ok());
  return std::string(buf.begin(), buf.end());
}

TEST(SimDisk, SyncedSurvivesUnsyncedIsDropped) {
  Disk d(Rng::Stream(1, "disk"));
  d.Create("f");
  ASSERT_TRUE(d.Write("f", 0, V("hello")).ok());
  ASSERT_TRUE(d.Sync("f").ok());
  ASSERT_TRUE(d.Write("f", 5, V(" world")).ok());
  ASSERT_TRUE(d.Write("f", 0, V("J")).ok());
  EXPECT_EQ(ReadAll(d, "f"), "Jello world");  // reads see unsynced writes
  EXPECT_EQ(d.Unsynced("f"), 2u);
  d.PowerCut();  // tear probability 0: every unsynced write is dropped
  EXPECT_EQ(ReadAll(d, "f"), "hello");
  EXPECT_EQ(d.Unsynced("f"), 0u);
  EXPECT_EQ(d.stats().unsynced_lost, 2u);
}

TEST(SimDisk, UnsyncedTruncateIsUndoneAndCreateDeleteAreDurable) {
  Disk d(Rng::Stream(1, "disk"));
  d.Create("f");
  ASSERT_TRUE(d.Write("f", 0, V("abcdef")).ok());
  ASSERT_TRUE(d.Sync("f").ok());
  ASSERT_TRUE(d.Truncate("f", 2).ok());
  EXPECT_EQ(d.Size("f"), 2u);
  d.Create("g");
  d.PowerCut();
  EXPECT_EQ(ReadAll(d, "f"), "abcdef");
  EXPECT_TRUE(d.Exists("g"));  // creation is durable at once
  EXPECT_TRUE(d.Delete("g"));
  d.PowerCut();
  EXPECT_FALSE(d.Exists("g"));
}

TEST(SimDisk, TornPowerCutKeepsWholePagesOfAWrite) {
  // A 4-page unsynced write over synced zeros: after a torn cut each page is
  // all old or all new, and over seeds both outcomes occur.
  bool saw_mixed = false;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Disk d(Rng::Stream(seed, "disk"));
    d.SetTearProbability(1.0);
    d.Create("f");
    std::vector<std::uint8_t> zeros(4 * Disk::kPageSize, 0), ones(4 * Disk::kPageSize, 1);
    ASSERT_TRUE(d.Write("f", 0, zeros).ok());
    ASSERT_TRUE(d.Sync("f").ok());
    ASSERT_TRUE(d.Write("f", 0, ones).ok());
    d.PowerCut();
    std::string got = ReadAll(d, "f");
    int news = 0;
    for (int p = 0; p < 4; ++p) {
      const char first = got[static_cast<std::size_t>(p) * Disk::kPageSize];
      for (std::size_t i = 0; i < Disk::kPageSize; ++i) ASSERT_EQ(got[p * Disk::kPageSize + i], first);
      news += first == 1;
    }
    saw_mixed = saw_mixed || (news > 0 && news < 4);
  }
  EXPECT_TRUE(saw_mixed);
}

TEST(SimDisk, FaultsFailWithoutChangingAnything) {
  Disk d(Rng::Stream(1, "disk"));
  d.Create("f");
  ASSERT_TRUE(d.Write("f", 0, V("abc")).ok());
  d.SetFault(DiskFault::kWriteError, 1.0);
  EXPECT_EQ(d.Write("f", 0, V("x")).clause(), "DISK-2");
  d.SetFault(DiskFault::kWriteError, 0);
  d.SetFault(DiskFault::kSyncError, 1.0);
  EXPECT_EQ(d.Sync("f").clause(), "DISK-3");
  EXPECT_EQ(d.Unsynced("f"), 1u);  // a failed sync leaves the write unsynced
  d.SetFault(DiskFault::kSyncError, 0);
  d.SetFault(DiskFault::kReadError, 1.0);
  std::vector<std::uint8_t> buf(3);
  EXPECT_EQ(d.Read("f", 0, buf).status().clause(), "DISK-1");
  d.SetFault(DiskFault::kReadError, 0);
  EXPECT_EQ(ReadAll(d, "f"), "abc");
  d.SetFault(DiskFault::kFull, 1.0);
  EXPECT_TRUE(d.Write("f", 0, V("xyz")).ok());  // no growth: allowed
  EXPECT_EQ(d.Write("f", 3, V("d")).clause(), "DISK-4");
  d.SetFault(DiskFault::kFull, 0);
  d.SetQuota(4);
  EXPECT_TRUE(d.Write("f", 3, V("d")).ok());
  EXPECT_EQ(d.Write("f", 4, V("e")).clause(), "DISK-4");
  EXPECT_EQ(d.stats().full_errors, 2u);
  d.SetSyncLatency(30 * kMillis);
  ASSERT_TRUE(d.Sync("f").ok());
  ASSERT_TRUE(d.Sync("f").ok());
  EXPECT_EQ(d.TakeSyncLatency(), 60 * kMillis);
  EXPECT_EQ(d.TakeSyncLatency(), 0);
  d.SetOffline(true);
  EXPECT_EQ(d.Write("f", 0, V("q")).clause(), "DISK-5");
  d.SetOffline(false);
}

// After any sequence of writes and syncs and a (possibly torn) power cut,
// every byte not written since its last sync keeps its synced value, and
// every byte written since is its synced value or one of the values written
// to it since — and each page-aligned piece of one write is all old or all new.
RC_GTEST_PROP(SimDisk, PowerCutKeepsSyncedBytesAndTearsPerPage, ()) {
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  Disk d(Rng::Stream(seed, "disk"));
  d.SetTearProbability(*rc::gen::element(0.0, 0.5, 1.0));
  d.Create("f");
  constexpr std::size_t kMax = 3 * Disk::kPageSize;
  std::vector<int> synced(kMax, -1);  // -1: beyond the synced size (reads as 0 or absent)
  std::vector<std::vector<int>> since(kMax);  // values written since the last sync
  std::vector<std::uint8_t> cur;
  const int n_ops = *rc::gen::inRange(1, 20);
  for (int k = 0; k < n_ops; ++k) {
    if (*rc::gen::inRange(0, 4) == 0) {
      RC_ASSERT(d.Sync("f").ok());
      for (std::size_t i = 0; i < kMax; ++i) {
        synced[i] = i < cur.size() ? cur[i] : -1;
        since[i].clear();
      }
      continue;
    }
    const auto off = static_cast<std::size_t>(*rc::gen::inRange<int>(0, static_cast<int>(kMax) - 1));
    const auto len = static_cast<std::size_t>(*rc::gen::inRange<int>(1, static_cast<int>(kMax - off) + 1));
    const auto val = static_cast<std::uint8_t>(*rc::gen::inRange(1, 255));
    std::vector<std::uint8_t> data(len, val);
    RC_ASSERT(d.Write("f", off, data).ok());
    if (cur.size() < off + len) cur.resize(off + len, 0);
    for (std::size_t i = off; i < off + len; ++i) {
      cur[i] = val;
      since[i].push_back(val);
    }
  }
  d.PowerCut();
  std::vector<std::uint8_t> got(static_cast<std::size_t>(d.Size("f")));
  RC_ASSERT(d.Read("f", 0, got).ok());
  for (std::size_t i = 0; i < kMax; ++i) {
    const int old = synced[i];
    if (since[i].empty()) {
      if (old >= 0) {
        RC_ASSERT(i < got.size());
        RC_ASSERT(static_cast<int>(got[i]) == old);
      }
      continue;
    }
    if (i >= got.size()) {
      RC_ASSERT(old < 0);  // only a byte beyond the synced size may vanish
      continue;
    }
    bool ok = static_cast<int>(got[i]) == (old < 0 ? 0 : old);
    for (int v : since[i]) ok = ok || static_cast<int>(got[i]) == v;
    RC_ASSERT(ok);
  }
  // Everything is durable after the cut.
  RC_ASSERT(d.Unsynced("f") == 0u);
}

// ---- SQLite on the VFS ----

struct Conn {
  sqlite3* db = nullptr;
  explicit Conn(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kDiskVfsName),
              SQLITE_OK);
    Exec("PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;");
  }
  ~Conn() { sqlite3_close(db); }
  int Exec(const std::string& sql) { return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr); }
  std::int64_t Count() {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM t", -1, &st, nullptr) != SQLITE_OK) return -1;
    std::int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
  }
};

TEST(SimDiskVfs, EveryCommittedTransactionSurvivesPowerCuts) {
  // Power fails in the middle of the k-th disk write/sync (often inside a
  // COMMIT), unsynced pages are dropped or torn; every transaction whose
  // COMMIT returned SQLITE_OK is there after the reopen, nothing else is.
  int cut_mid_commit = 0, torn = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Disk d(Rng::Stream(seed, "disk"));
    d.SetTearProbability(0.5);
    DiskMount m(d, [] { return TimeUs{0}; }, Rng::Stream(seed, "vfs"));
    Rng r = Rng::Stream(seed, "test");
    std::int64_t committed = 0;
    {
      Conn c(m.Path("t.db"));
      ASSERT_EQ(c.Exec("CREATE TABLE t(x BLOB)"), SQLITE_OK);
    }
    for (int round = 0; round < 4; ++round) {
      Conn c(m.Path("t.db"));
      ASSERT_EQ(c.Count(), committed) << "seed " << seed << " round " << round;
      ASSERT_EQ(c.Exec("PRAGMA integrity_check"), SQLITE_OK);
      bool lost = false;
      d.ArmPowerLoss(1 + r.Below(40), [&] { lost = true; });
      for (int k = 0; k < 12; ++k) {
        const int rc = c.Exec(k % 3 == 2 ? "DELETE FROM t WHERE rowid IN (SELECT rowid FROM t LIMIT 1)"
                                         : "INSERT INTO t VALUES(randomblob(3000))");
        if (rc != SQLITE_OK) break;
        committed += k % 3 == 2 ? (committed > 0 ? -1 : 0) : 1;
      }
      cut_mid_commit += lost;
      // The process dies (nothing more reaches the disk), then the power cut.
      d.SetOffline(true);
      sqlite3_close(c.db);
      c.db = nullptr;
      const auto kept = d.stats().unsynced_kept;
      d.PowerCut();
      torn += d.stats().unsynced_kept > kept;
    }
    Conn c(m.Path("t.db"));
    EXPECT_EQ(c.Count(), committed) << "seed " << seed;
    EXPECT_EQ(c.Exec("PRAGMA integrity_check"), SQLITE_OK);
  }
  EXPECT_GT(cut_mid_commit, 20);  // the cuts did hit transactions in flight
  EXPECT_GT(torn, 5);             // and some of them tore pages
}

TEST(SimDiskVfs, IoErrorsFailStatementsAndTheDatabaseRecovers) {
  Disk d(Rng::Stream(3, "disk"));
  DiskMount m(d, [] { return TimeUs{5 * kSeconds}; }, Rng::Stream(3, "vfs"));
  Conn c(m.Path("t.db"));
  ASSERT_EQ(c.Exec("CREATE TABLE t(x)"), SQLITE_OK);
  d.SetFault(DiskFault::kSyncError, 1.0);
  EXPECT_NE(c.Exec("INSERT INTO t VALUES(1)"), SQLITE_OK);
  d.SetFault(DiskFault::kSyncError, 0);
  d.SetFault(DiskFault::kFull, 1.0);
  EXPECT_EQ(c.Exec("INSERT INTO t VALUES(randomblob(100000))") & 0xff, SQLITE_FULL);
  d.SetFault(DiskFault::kFull, 0);
  EXPECT_EQ(c.Exec("INSERT INTO t VALUES(2)"), SQLITE_OK);
  EXPECT_EQ(c.Count(), 1);
  // xCurrentTime is the virtual clock: 1970-01-01 00:00:05.
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(c.db, "SELECT datetime('now')", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))), "1970-01-01 00:00:05");
  sqlite3_finalize(st);
}

}  // namespace
}  // namespace mcpsim::sim
