// A thin RAII wrapper over the SQLite C API with errors as values (clause
// "STORE-1" for SQLite failures). Used only by store implementations.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mcpsim::reference::sql {

class Stmt;

// How a file database syncs (PRAGMA synchronous, always with WAL):
//   kFull   every COMMIT fsyncs the WAL before it returns: a committed
//           transaction survives a process kill (SIGKILL) AND an OS crash or
//           power loss. The default.
//   kNormal COMMIT writes the WAL without fsync (checkpoints still sync): a
//           committed transaction survives a process kill, since its bytes are
//           in the OS page cache when COMMIT returns, but the last ones may be
//           rolled back by an OS crash or power loss (never corrupted).
enum class Sync : std::uint8_t { kFull, kNormal };

class Db {
 public:
  // Opens (creating if needed) `path`; ":memory:" gives a private in-memory
  // database. File databases use WAL with `sync` (see Sync).
  static Result<Db> Open(const std::string& path, Sync sync = Sync::kFull);
  // Opens `path` through the registered SQLite VFS `vfs` (a VFS without
  // shared memory, e.g. the simulator's): rollback journal
  // (journal_mode=DELETE), synchronous=FULL, temp_store=MEMORY.
  static Result<Db> OpenOnVfs(const std::string& path, const std::string& vfs);
  // A private in-memory database holding a copy of `image` (the bytes
  // Serialize gave); no migration runs. For fixtures that need many
  // identical fresh databases (fuzz targets).
  static Result<Db> OpenImage(std::string_view image);
  // The bytes of the main database (sqlite3_serialize), e.g. of ":memory:".
  Result<std::string> Serialize();
  Db(Db&& o) noexcept : db_(o.db_), cache_(std::move(o.cache_)) { o.db_ = nullptr; }
  // True once a call on this connection failed with an I/O-class error
  // (SQLITE_IOERR, FULL, CORRUPT, NOTADB, CANTOPEN): the caller should close
  // and reopen the database before trusting the connection again.
  bool io_failed() const { return cache_ && cache_->io_failed; }
  // True while a transaction is open (not autocommit).
  bool in_transaction() const { return db_ && sqlite3_get_autocommit(db_) == 0; }
  static bool IsIoError(int rc);
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Runs one or more statements without results.
  Status Exec(std::string_view sql);
  // Runs ONE statement without results through the statement cache
  // (Prepare): for the texts run per batch (BEGIN, COMMIT), compiled once.
  // Errors read as Exec's.
  Status ExecCached(std::string_view sql);
  // A prepared statement for `sql`. Compiled statements are kept (reset, with
  // bindings cleared) when the Stmt is destroyed and handed out again for the
  // same text, so hot queries are compiled once (at most kMaxCached distinct texts).
  // REQUIRES: every Stmt is destroyed before its Db.
  Result<Stmt> Prepare(std::string_view sql);
  static constexpr std::size_t kMaxCached = 64;
  std::int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  Status Error(std::string_view what) const;
  sqlite3* raw() const { return db_; }

 private:
  friend class Stmt;
  struct Cache {
    std::map<std::string, std::vector<sqlite3_stmt*>, std::less<>> free;  // by SQL text
    bool io_failed = false;
  };
  explicit Db(sqlite3* db) : db_(db), cache_(std::make_unique<Cache>()) {}
  void FinalizeCached();
  sqlite3* db_ = nullptr;
  std::unique_ptr<Cache> cache_;  // heap: Stmts point at it across moves of the Db
};

// A prepared statement. Bind indices are 1-based; column indices 0-based.
class Stmt {
 public:
  Stmt(Stmt&& o) noexcept : db_(o.db_), st_(o.st_), home_(o.home_), io_failed_(o.io_failed_) { o.st_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& Bind(int i, std::int64_t v);
  Stmt& Bind(int i, std::string_view text);  // bound as TEXT (copied)
  Stmt& BindBlob(int i, std::string_view bytes);
  Stmt& BindNull(int i);

  // Advances: true = a row is available, false = done; errors as Status.
  Result<bool> Step();
  // Step() expecting completion (INSERT/UPDATE/DELETE).
  Status Run();
  void Reset();

  std::int64_t Int(int col) const;
  std::string Text(int col) const;
  std::string Blob(int col) const;
  bool IsNull(int col) const;

 private:
  friend class Db;
  Stmt(sqlite3* db, sqlite3_stmt* st, std::vector<sqlite3_stmt*>* home, bool* io_failed)
      : db_(db), st_(st), home_(home), io_failed_(io_failed) {}
  sqlite3* db_;
  sqlite3_stmt* st_;
  std::vector<sqlite3_stmt*>* home_;  // the Db's free list for this SQL text (nullptr: finalize)
  bool* io_failed_;                   // the Db's Cache::io_failed
};

// Versioned migrations: migrations[i] upgrades schema version i to i+1.
// Applies the missing ones in one transaction each; PRAGMA user_version holds
// the version. A database newer than the code is an error (STORE-2).
Status Migrate(Db& db, const std::vector<std::string_view>& migrations);

}  // namespace mcpsim::reference::sql
