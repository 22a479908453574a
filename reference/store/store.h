// The persistent state of the reference servers behind one small interface
// (accounts, analytics uploads, media; SG state is added by the gateway).
// The SQLite implementation (OpenSqliteStore) is the only one; the simulator
// opens one in-memory database per server node, `mcpsim serve` a WAL file.
//
// Errors are values with clause "STORE-1" (SQLite failure) or "STORE-2"
// (schema); callers answer status 501 for them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mcpsim::reference {

struct Account {
  std::string name;           // LIM-10 account name
  std::string password_hash;  // Argon2id PHC string (RS-10)
  std::string nickname;
  std::uint32_t profile_version = 1;
  std::uint32_t list_version = 1;
  std::int64_t created_ms = 0;
};

struct Upload {
  std::int64_t received_ms = 0;  // server receive time
  std::string mid;
  std::string kind;
  std::uint64_t timestamp_ms = 0;  // client's event time
  std::string data;
};

struct Media {
  std::string id;
  std::string content_type;
  std::string bytes;
};

class Store {
 public:
  virtual ~Store() = default;

  // ---- accounts ----
  // Creates the account; returns false (and changes nothing) if the name exists.
  virtual Result<bool> CreateAccount(const Account& a) = 0;
  virtual Result<std::optional<Account>> GetAccount(std::string_view name) = 0;
  virtual Result<std::uint64_t> CountAccounts() = 0;

  // ---- CS uploads ----
  virtual Status AddUpload(const Upload& u) = 0;
  virtual Result<std::vector<Upload>> ListUploads(std::string_view mid) = 0;  // in insertion order
  virtual Result<std::uint64_t> CountUploads() = 0;

  // ---- MS media ----
  virtual Status PutMedia(const Media& m) = 0;  // insert or replace
  virtual Result<std::optional<Media>> GetMedia(std::string_view id) = 0;
};

// Opens (creating and migrating) a SQLite store at `path`; ":memory:" gives a
// private in-memory database.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace mcpsim::reference
