// A thin wrapper over libpq with errors as values (clause "STORE-1" for
// server or connection failures, "STORE-2" for the schema). Used only by the
// PostgreSQL store (postgres_store.cc).
//
// Every parameter and result travels in libpq's binary format: strings are
// BYTEA (any bytes, compared and ordered byte-wise like SQLite's BINARY
// collation), integers INT8. Statements are prepared once per connection and
// kept by their SQL text.
//
// Blocking: each call is one synchronous round trip to the server (like
// SQLite's file I/O, it runs on the caller's thread). A lost connection is
// noticed by the failing call (STORE-1) and re-established by the next
// Reconnect() — the store calls it before each top-level operation outside a
// transaction, so a server restart costs the calls made while it is down,
// never a restart of the process.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace mcpsim::reference::pg {

// One bound parameter: INT8, BYTEA, or NULL (std::monostate).
using Param = std::variant<std::monostate, std::int64_t, std::string_view>;

// The result of one statement (owns the PGresult).
class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* r) : r_(r, &PQclear) {}
  int size() const { return r_ ? PQntuples(r_.get()) : 0; }
  // Rows affected by INSERT/UPDATE/DELETE (0 for others).
  std::int64_t affected() const;
  // Column values of row `row` (0-based). REQUIRES row < size().
  std::int64_t Int(int row, int col) const;  // INT2/4/8; 0 for NULL
  std::string Bytes(int row, int col) const;  // BYTEA (or TEXT); "" for NULL
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  const PGresult* raw() const { return r_.get(); }

 private:
  std::shared_ptr<PGresult> r_;
};

class Conn {
 public:
  // Connects to `uri` (a libpq connection URI, postgresql://… or postgres://…);
  // connect_timeout defaults to 5 s unless the URI sets it.
  static Result<Conn> Open(const std::string& uri);
  Conn(Conn&&) noexcept = default;
  Conn& operator=(Conn&&) noexcept = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() = default;

  // Runs one or more statements without parameters or results (simple query
  // protocol). A COMMIT the server turned into a ROLLBACK (the transaction
  // had failed) is an error.
  Status Exec(std::string_view sql);
  // Runs one statement with parameters $1..$n (prepared on first use).
  Result<Rows> Query(std::string_view sql, std::initializer_list<Param> params = {});

  // true when the connection is usable.
  bool ok() const;
  // Re-establishes a lost connection (forgetting prepared statements); a no-op
  // when it is fine. A connection the server closed while idle (a database
  // restart or pg_terminate_backend: the server's FATAL message is waiting
  // on the socket) counts as lost — found with one non-blocking read, so the
  // first call after a database restart does not fail. STORE-1 when the
  // server is still unreachable.
  Status Reconnect();
  // The server's transaction state: true when inside a transaction block.
  bool in_transaction() const;
  // Reads what the server sent without blocking and returns the
  // notifications (LISTEN) received so far, oldest first.
  // STORE-1 when the connection is lost.
  struct Notification {
    std::string channel;
    std::string payload;
  };
  Result<std::vector<Notification>> TakeNotifications();

 private:
  explicit Conn(PGconn* c) : c_(c, &PQfinish), prepared_(std::make_unique<std::map<std::string, std::string, std::less<>>>()) {}
  Status Fail(std::string_view what, const PGresult* r) const;
  std::unique_ptr<PGconn, void (*)(PGconn*)> c_;
  std::unique_ptr<std::map<std::string, std::string, std::less<>>> prepared_;  // SQL text → statement name
  static constexpr std::size_t kMaxPrepared = 128;
};

// Versioned migrations for PostgreSQL: migrations[i] upgrades schema version
// i to i+1. The version lives in table mcpsim_schema; a transaction-scoped
// advisory lock serialises processes migrating the same database at once. A
// database newer than the code is an error (STORE-2).
Status Migrate(Conn& db, const std::vector<std::string_view>& migrations);

}  // namespace mcpsim::reference::pg
