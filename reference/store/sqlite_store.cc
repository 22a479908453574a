#include <utility>

#include "reference/store/sqlite.h"
#include "reference/store/store.h"

namespace mcpsim::reference {
namespace {

// Schema migrations: entry i upgrades version i to i+1. Never edit a shipped
// entry; append a new one.
const std::vector<std::string_view> kMigrations = {
    R"sql(
CREATE TABLE accounts(
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  nickname TEXT NOT NULL,
  profile_version INTEGER NOT NULL,
  list_version INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE uploads(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_ms INTEGER NOT NULL,
  mid TEXT NOT NULL,
  kind TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE INDEX uploads_mid ON uploads(mid, id);
CREATE TABLE media(
  id TEXT PRIMARY KEY,
  content_type TEXT NOT NULL,
  bytes BLOB NOT NULL);
)sql",
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sql::Db db) : db_(std::move(db)) {}

  Result<bool> CreateAccount(const Account& a) override {
    auto st = db_.Prepare(
        "INSERT OR IGNORE INTO accounts(name, password_hash, nickname, profile_version, "
        "list_version, created_ms) VALUES(?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, a.name).Bind(2, a.password_hash).Bind(3, a.nickname);
    st->Bind(4, static_cast<std::int64_t>(a.profile_version));
    st->Bind(5, static_cast<std::int64_t>(a.list_version)).Bind(6, a.created_ms);
    if (Status s = st->Run(); !s.ok()) return s;
    return db_.Changes() == 1;
  }

  Result<std::optional<Account>> GetAccount(std::string_view name) override {
    auto st = db_.Prepare(
        "SELECT name, password_hash, nickname, profile_version, list_version, created_ms "
        "FROM accounts WHERE name = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, name);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<Account>{};
    Account a;
    a.name = st->Text(0);
    a.password_hash = st->Text(1);
    a.nickname = st->Text(2);
    a.profile_version = static_cast<std::uint32_t>(st->Int(3));
    a.list_version = static_cast<std::uint32_t>(st->Int(4));
    a.created_ms = st->Int(5);
    return std::optional<Account>(std::move(a));
  }

  Result<std::uint64_t> CountAccounts() override { return Count("SELECT COUNT(*) FROM accounts"); }

  Status AddUpload(const Upload& u) override {
    auto st = db_.Prepare(
        "INSERT INTO uploads(received_ms, mid, kind, timestamp_ms, data) VALUES(?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, u.received_ms).Bind(2, u.mid).Bind(3, u.kind);
    st->Bind(4, static_cast<std::int64_t>(u.timestamp_ms)).BindBlob(5, u.data);
    return st->Run();
  }

  Result<std::vector<Upload>> ListUploads(std::string_view mid) override {
    auto st = db_.Prepare(
        "SELECT received_ms, mid, kind, timestamp_ms, data FROM uploads WHERE mid = ? ORDER BY id");
    if (!st.ok()) return st.status();
    st->Bind(1, mid);
    std::vector<Upload> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(Upload{st->Int(0), st->Text(1), st->Text(2),
                           static_cast<std::uint64_t>(st->Int(3)), st->Blob(4)});
    }
    return out;
  }

  Result<std::uint64_t> CountUploads() override { return Count("SELECT COUNT(*) FROM uploads"); }

  Status PutMedia(const Media& m) override {
    auto st = db_.Prepare("INSERT OR REPLACE INTO media(id, content_type, bytes) VALUES(?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, m.id).Bind(2, m.content_type).BindBlob(3, m.bytes);
    return st->Run();
  }

  Result<std::optional<Media>> GetMedia(std::string_view id) override {
    auto st = db_.Prepare("SELECT id, content_type, bytes FROM media WHERE id = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, id);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<Media>{};
    return std::optional<Media>(Media{st->Text(0), st->Text(1), st->Blob(2)});
  }

 private:
  Result<std::uint64_t> Count(std::string_view sql) {
    auto st = db_.Prepare(sql);
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    return static_cast<std::uint64_t>(st->Int(0));
  }

  sql::Db db_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  auto db = sql::Db::Open(path);
  if (!db.ok()) return db.status();
  if (Status s = sql::Migrate(*db, kMigrations); !s.ok()) return s;
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*db)));
}

}  // namespace mcpsim::reference
