// The persistent state of the reference servers behind one small interface
// (accounts, analytics uploads, media, and the SG's contact lists, profiles
// and offline messages).
// Two implementations with the same semantics: SQLite (OpenSqliteStore, the
// default: the simulator opens one in-memory database per server node,
// `mcpsim serve` a WAL file) and PostgreSQL (OpenPostgresStore: servers in
// several processes share one database). OpenStore picks by the spec.
//
// Errors are values with clause "STORE-1" (database or connection failure)
// or "STORE-2" (schema); callers answer status 501 for them.
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
  std::string psm;        // personal message (LIM-13), "" when created
  std::string avatar_id;  // LIM-18 media id or ""
};

// An account's own profile (SG §7.4.3).
struct Profile {
  std::string nickname;
  std::string psm;
  std::string avatar_id;
  std::uint32_t version = 1;
};

// One entry of a contact list (SG-SYNC-1) with the contact's current profile.
struct ContactEntry {
  std::string account;
  bool blocked = false;
  std::uint32_t added_version = 0;    // list version at which it was (last) added
  std::uint32_t changed_version = 0;  // list version of its last change (>= added)
  Profile profile;
};

// A removed contact (SG-SYNC-1): the list version of its removal.
struct ContactTombstone {
  std::string account;
  std::uint32_t version = 0;
};

struct ContactList {
  std::uint32_t version = 1;  // the list version (>= 1)
  std::uint32_t horizon = 0;  // SG-SYNC-11: highest pruned tombstone version
  std::vector<ContactEntry> entries;         // ascending account (byte order)
  std::vector<ContactTombstone> tombstones;  // ascending account; none for listed accounts
};

enum class ContactEdit : std::uint8_t { kAdd, kDelete, kBlock, kUnblock };

struct ContactEditResult {
  bool changed = false;       // false: the edit was a no-op (SG-CONT-1)
  std::uint32_t version = 0;  // the list version after the edit
};

// A stored offline message (SG §7.6).
struct OfflineMessage {
  std::uint64_t id = 0;  // msgId: store-wide counter from 1
  std::string recipient;
  std::string sender;
  std::int64_t timestamp_ms = 0;
  std::string text;
};

struct Upload {
  std::int64_t received_ms = 0;  // server receive time
  std::string mid;
  std::string kind;
  std::uint64_t timestamp_ms = 0;  // client's event time
  std::string data;
  // The RUP's trid (CS-1): with it, (mid, trid, timestamp_ms) is recorded at
  // most once — a second AddUpload with the same triple succeeds and records
  // nothing (a resend after a restart lost the answer cache).
  std::optional<std::uint32_t> trid;
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

  // ---- SG: profiles and contact lists ----
  // Every mutating call below is one transaction: committed on success,
  // unchanged on error.
  virtual Result<std::optional<Profile>> GetProfile(std::string_view account) = 0;
  // SG-PROF-1/3: stores the fields with version + 1 and records an `M` change
  // of `account` in every list that contains it (each such list's version + 1).
  // Returns the owners of those lists in ascending order. REQUIRES the account
  // exists (else STORE-3).
  virtual Result<std::vector<std::string>> UpdateProfile(std::string_view account,
                                                         const Profile& fields) = 0;
  // The whole list of `owner` (empty list, version 1 when it has none).
  virtual Result<ContactList> GetContactList(std::string_view owner) = 0;
  virtual Result<std::optional<ContactEntry>> GetContact(std::string_view owner,
                                                         std::string_view contact) = 0;
  virtual Result<std::uint32_t> CountContacts(std::string_view owner) = 0;
  // Applies one edit (SG-CONT-1/2): a changing edit bumps the list version by
  // one and records the change (add: new entry or re-add clearing the
  // tombstone; del: entry removed, tombstone written). kAdd REQUIRES the
  // contact account exists; other ops on an unlisted contact are no-ops.
  virtual Result<ContactEditResult> EditContact(std::string_view owner, std::string_view contact,
                                                ContactEdit op) = 0;
  // Owners whose list contains `contact`, ascending.
  virtual Result<std::vector<std::string>> ListOwnersOf(std::string_view contact) = 0;

  // ---- SG: offline messages ----
  // Stores `m` (id ignored) and returns its new id; committed before return.
  virtual Result<std::uint64_t> AddOfflineMessage(const OfflineMessage& m) = 0;
  // The recipient's messages in queue (id) order.
  virtual Result<std::vector<OfflineMessage>> ListOfflineMessages(std::string_view recipient) = 0;
  virtual Result<std::uint64_t> CountOfflineMessages(std::string_view recipient) = 0;
  // Returns false if no message has this id.
  virtual Result<bool> DeleteOfflineMessage(std::uint64_t id) = 0;

  // ---- group commit ----
  // BeginBatch() opens one transaction that the mutating calls until
  // EndBatch() join (each call's own transaction becomes a savepoint inside
  // it), so a burst of writes costs one commit (one fsync with synchronous=
  // FULL) instead of one each. EndBatch() commits and returns the commit's
  // status; on failure the batch is rolled back entirely. Not nestable:
  // REQUIRES no batch open for BeginBatch, one open for EndBatch.
  // Durability contract for callers: a write made inside a batch is durable
  // only once EndBatch() returned ok — nothing that reports it (an answer
  // such as AUP 0 or AOM) may leave the process before that.
  virtual Status BeginBatch() = 0;
  virtual Status EndBatch() = 0;
  virtual bool in_batch() const = 0;
};

// Opens (creating and migrating) a SQLite store at `path`; ":memory:" gives a
// private in-memory database.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);
// The same at `path` through the registered SQLite VFS `vfs` (rollback
// journal, synchronous=FULL; sql::Db::OpenOnVfs), e.g. the simulator's disk.
// After an I/O-class error the store reopens the database on its next call
// outside a batch (recovering from the journal what a failed write left).
Result<std::unique_ptr<Store>> OpenSqliteStoreOnVfs(const std::string& path, const std::string& vfs);

// Fixtures that need many identical fresh stores (the fuzz targets): the
// database image of a SQLite store (STORE-1 for any other store), and a
// private in-memory SQLite store holding a copy of such an image (checked
// against the schema version like any open; nothing is migrated).
Result<std::string> SerializeSqliteStore(Store& store);
Result<std::unique_ptr<Store>> OpenSqliteStoreImage(std::string_view image);

// Connects to the PostgreSQL database at `uri` (a libpq connection URI,
// postgresql://user@host:port/db?… or with host=/socket/dir) and migrates it
// (several processes may start at once: the migration runs once). Strings are
// stored as BYTEA, so any bytes round-trip and order byte-wise as in SQLite.
// A connection lost later is re-established by the next call outside a batch.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& uri);

// true for "postgresql://…" and "postgres://…".
bool IsPostgresUri(std::string_view spec);

// The store named by `spec`: a PostgreSQL URI (IsPostgresUri), else a SQLite
// path or ":memory:".
Result<std::unique_ptr<Store>> OpenStore(const std::string& spec);

}  // namespace mcpsim::reference
