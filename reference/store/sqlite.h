// A thin RAII wrapper over the SQLite C API with errors as values (clause
// "STORE-1" for SQLite failures). Used only by store implementations.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mcpsim::reference::sql {

class Stmt;

class Db {
 public:
  // Opens (creating if needed) `path`; ":memory:" gives a private in-memory
  // database. File databases use WAL with synchronous=FULL so that a committed
  // transaction survives a crash of the process right after commit.
  static Result<Db> Open(const std::string& path);
  Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Runs one or more statements without results.
  Status Exec(std::string_view sql);
  Result<Stmt> Prepare(std::string_view sql);
  std::int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  Status Error(std::string_view what) const;
  sqlite3* raw() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// A prepared statement. Bind indices are 1-based; column indices 0-based.
class Stmt {
 public:
  Stmt(Stmt&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }
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
  Stmt(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st) {}
  sqlite3* db_;
  sqlite3_stmt* st_;
};

// Versioned migrations: migrations[i] upgrades schema version i to i+1.
// Applies the missing ones in one transaction each; PRAGMA user_version holds
// the version. A database newer than the code is an error (STORE-2).
Status Migrate(Db& db, const std::vector<std::string_view>& migrations);

}  // namespace mcpsim::reference::sql
