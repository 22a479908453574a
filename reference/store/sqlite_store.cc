#include <utility>
#include <vector>

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
    // 2: SG state — profile fields, contact lists with per-entry versions and
    // tombstones (SG-SYNC-1), offline messages (SG-OFF-1).
    R"sql(
ALTER TABLE accounts ADD COLUMN psm TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN avatar_id TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN list_horizon INTEGER NOT NULL DEFAULT 0;
CREATE TABLE contacts(
  owner TEXT NOT NULL,
  contact TEXT NOT NULL,
  blocked INTEGER NOT NULL,
  added_version INTEGER NOT NULL,
  changed_version INTEGER NOT NULL,
  PRIMARY KEY(owner, contact)) WITHOUT ROWID;
CREATE INDEX contacts_by_contact ON contacts(contact, owner);
CREATE TABLE contact_tombstones(
  owner TEXT NOT NULL,
  contact TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY(owner, contact)) WITHOUT ROWID;
CREATE TABLE offline_messages(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient TEXT NOT NULL,
  sender TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  text BLOB NOT NULL);
CREATE INDEX offline_by_recipient ON offline_messages(recipient, id);
)sql",
    // 3: CS-1 across restarts — the request's trid is kept with each upload,
    // and (mid, trid, timestamp) is unique, so a resend that reaches a CS
    // which lost its answer cache (crash, restart) is not recorded twice.
    R"sql(
ALTER TABLE uploads ADD COLUMN trid INTEGER;
CREATE UNIQUE INDEX uploads_once ON uploads(mid, trid, timestamp_ms) WHERE trid IS NOT NULL;
)sql",
};

class SqliteStore final : public Store {
 public:
  SqliteStore(sql::Db db, std::string path, std::string vfs)
      : db_(std::move(db)), path_(std::move(path)), vfs_(std::move(vfs)) {}

  // SerializeSqliteStore: not inside a batch (its writes are not committed).
  Result<std::string> Serialize() {
    if (batch_) return Status::Error("STORE-1", "cannot serialize inside a batch");
    return db_.Serialize();
  }

  Result<bool> CreateAccount(const Account& a) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare(
        "INSERT OR IGNORE INTO accounts(name, password_hash, nickname, profile_version, "
        "list_version, created_ms, psm, avatar_id) VALUES(?,?,?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, a.name).Bind(2, a.password_hash).Bind(3, a.nickname);
    st->Bind(4, static_cast<std::int64_t>(a.profile_version));
    st->Bind(5, static_cast<std::int64_t>(a.list_version)).Bind(6, a.created_ms);
    st->Bind(7, a.psm).Bind(8, a.avatar_id);
    if (Status s = st->Run(); !s.ok()) return s;
    return db_.Changes() == 1;
  }

  Result<std::optional<Account>> GetAccount(std::string_view name) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare(
        "SELECT name, password_hash, nickname, profile_version, list_version, created_ms, psm, "
        "avatar_id FROM accounts WHERE name = ?");
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
    a.psm = st->Text(6);
    a.avatar_id = st->Text(7);
    return std::optional<Account>(std::move(a));
  }

  Result<std::uint64_t> CountAccounts() override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    return Count("SELECT COUNT(*) FROM accounts");
  }

  Status AddUpload(const Upload& u) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare(
        "INSERT OR IGNORE INTO uploads(received_ms, mid, kind, timestamp_ms, data, trid) VALUES(?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, u.received_ms).Bind(2, u.mid).Bind(3, u.kind);
    st->Bind(4, static_cast<std::int64_t>(u.timestamp_ms)).BindBlob(5, u.data);
    if (u.trid) {
      st->Bind(6, static_cast<std::int64_t>(*u.trid));
    } else {
      st->BindNull(6);
    }
    return st->Run();
  }

  Result<std::vector<Upload>> ListUploads(std::string_view mid) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
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
                           static_cast<std::uint64_t>(st->Int(3)), st->Blob(4), std::nullopt});
    }
    return out;
  }

  Result<std::uint64_t> CountUploads() override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    return Count("SELECT COUNT(*) FROM uploads");
  }

  Status PutMedia(const Media& m) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare("INSERT OR REPLACE INTO media(id, content_type, bytes) VALUES(?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, m.id).Bind(2, m.content_type).BindBlob(3, m.bytes);
    return st->Run();
  }

  Result<std::optional<Media>> GetMedia(std::string_view id) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare("SELECT id, content_type, bytes FROM media WHERE id = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, id);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<Media>{};
    return std::optional<Media>(Media{st->Text(0), st->Text(1), st->Blob(2)});
  }

  // ---- SG ----
  Result<std::optional<Profile>> GetProfile(std::string_view account) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare(
        "SELECT nickname, psm, avatar_id, profile_version FROM accounts WHERE name = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, account);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<Profile>{};
    return std::optional<Profile>(ProfileAt(*st, 0));
  }

  Result<std::vector<std::string>> UpdateProfile(std::string_view account,
                                                 const Profile& f) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    std::vector<std::string> owners;
    Status s = Transaction([&]() -> Status {
      auto up = db_.Prepare(
          "UPDATE accounts SET nickname = ?, psm = ?, avatar_id = ?, "
          "profile_version = profile_version + 1 WHERE name = ?");
      if (!up.ok()) return up.status();
      up->Bind(1, f.nickname).Bind(2, f.psm).Bind(3, f.avatar_id).Bind(4, account);
      if (Status r = up->Run(); !r.ok()) return r;
      if (db_.Changes() != 1) return Status::Error("STORE-3", "no such account");
      auto list = ListOwnersOf(account);
      if (!list.ok()) return list.status();
      owners = std::move(*list);
      for (const std::string& o : owners) {
        auto v = BumpListVersion(o);
        if (!v.ok()) return v.status();
        auto st = db_.Prepare(
            "UPDATE contacts SET changed_version = ? WHERE owner = ? AND contact = ?");
        if (!st.ok()) return st.status();
        st->Bind(1, static_cast<std::int64_t>(*v)).Bind(2, o).Bind(3, account);
        if (Status r = st->Run(); !r.ok()) return r;
      }
      return {};
    });
    if (!s.ok()) return s;
    return owners;
  }

  Result<ContactList> GetContactList(std::string_view owner) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    ContactList list;
    {
      auto st = db_.Prepare("SELECT list_version, list_horizon FROM accounts WHERE name = ?");
      if (!st.ok()) return st.status();
      st->Bind(1, owner);
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (*row) {
        list.version = static_cast<std::uint32_t>(st->Int(0));
        list.horizon = static_cast<std::uint32_t>(st->Int(1));
      }
    }
    auto st = db_.Prepare(std::string(kContactSelect) + " WHERE c.owner = ? ORDER BY c.contact");
    if (!st.ok()) return st.status();
    st->Bind(1, owner);
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      list.entries.push_back(ContactAt(*st));
    }
    auto ts = db_.Prepare(
        "SELECT contact, version FROM contact_tombstones WHERE owner = ? ORDER BY contact");
    if (!ts.ok()) return ts.status();
    ts->Bind(1, owner);
    for (;;) {
      auto row = ts->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      list.tombstones.push_back({ts->Text(0), static_cast<std::uint32_t>(ts->Int(1))});
    }
    return list;
  }

  Result<std::optional<ContactEntry>> GetContact(std::string_view owner,
                                                 std::string_view contact) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare(std::string(kContactSelect) + " WHERE c.owner = ? AND c.contact = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, owner).Bind(2, contact);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<ContactEntry>{};
    return std::optional<ContactEntry>(ContactAt(*st));
  }

  Result<std::uint32_t> CountContacts(std::string_view owner) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare("SELECT COUNT(*) FROM contacts WHERE owner = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, owner);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    return static_cast<std::uint32_t>(st->Int(0));
  }

  Result<ContactEditResult> EditContact(std::string_view owner, std::string_view contact,
                                        ContactEdit op) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    ContactEditResult out;
    Status s = Transaction([&]() -> Status {
      auto cur = GetContact(owner, contact);
      if (!cur.ok()) return cur.status();
      const bool listed = cur->has_value();
      const bool blocked = listed && (*cur)->blocked;
      const bool change = (op == ContactEdit::kAdd && !listed) ||
                          (op == ContactEdit::kDelete && listed) ||
                          (op == ContactEdit::kBlock && listed && !blocked) ||
                          (op == ContactEdit::kUnblock && listed && blocked);
      if (!change) {
        auto list = GetListVersion(owner);
        if (!list.ok()) return list.status();
        out.version = *list;
        return {};
      }
      auto v = BumpListVersion(owner);
      if (!v.ok()) return v.status();
      out = {true, *v};
      const auto ver = static_cast<std::int64_t>(*v);
      if (op == ContactEdit::kAdd) {
        auto st = db_.Prepare(
            "INSERT INTO contacts(owner, contact, blocked, added_version, changed_version) "
            "VALUES(?,?,0,?,?)");
        if (!st.ok()) return st.status();
        st->Bind(1, owner).Bind(2, contact).Bind(3, ver).Bind(4, ver);
        if (Status r = st->Run(); !r.ok()) return r;
        return RunOwnerContact("DELETE FROM contact_tombstones WHERE owner = ? AND contact = ?",
                               owner, contact);
      }
      if (op == ContactEdit::kDelete) {
        if (Status r = RunOwnerContact("DELETE FROM contacts WHERE owner = ? AND contact = ?",
                                       owner, contact);
            !r.ok()) {
          return r;
        }
        auto st = db_.Prepare(
            "INSERT OR REPLACE INTO contact_tombstones(owner, contact, version) VALUES(?,?,?)");
        if (!st.ok()) return st.status();
        st->Bind(1, owner).Bind(2, contact).Bind(3, ver);
        return st->Run();
      }
      auto st = db_.Prepare(
          "UPDATE contacts SET blocked = ?, changed_version = ? WHERE owner = ? AND contact = ?");
      if (!st.ok()) return st.status();
      st->Bind(1, std::int64_t{op == ContactEdit::kBlock ? 1 : 0}).Bind(2, ver);
      st->Bind(3, owner).Bind(4, contact);
      return st->Run();
    });
    if (!s.ok()) return s;
    return out;
  }

  Result<std::vector<std::string>> ListOwnersOf(std::string_view contact) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare("SELECT owner FROM contacts WHERE contact = ? ORDER BY owner");
    if (!st.ok()) return st.status();
    st->Bind(1, contact);
    std::vector<std::string> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(st->Text(0));
    }
    return out;
  }

  Result<std::uint64_t> AddOfflineMessage(const OfflineMessage& m) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare(
        "INSERT INTO offline_messages(recipient, sender, timestamp_ms, text) VALUES(?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, m.recipient).Bind(2, m.sender).Bind(3, m.timestamp_ms).BindBlob(4, m.text);
    if (Status s = st->Run(); !s.ok()) return s;
    return static_cast<std::uint64_t>(db_.LastInsertId());
  }

  Result<std::vector<OfflineMessage>> ListOfflineMessages(std::string_view recipient) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare(
        "SELECT id, recipient, sender, timestamp_ms, text FROM offline_messages "
        "WHERE recipient = ? ORDER BY id");
    if (!st.ok()) return st.status();
    st->Bind(1, recipient);
    std::vector<OfflineMessage> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back({static_cast<std::uint64_t>(st->Int(0)), st->Text(1), st->Text(2), st->Int(3),
                     st->Blob(4)});
    }
    return out;
  }

  Result<std::uint64_t> CountOfflineMessages(std::string_view recipient) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare("SELECT COUNT(*) FROM offline_messages WHERE recipient = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, recipient);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    return static_cast<std::uint64_t>(st->Int(0));
  }

  Status BeginBatch() override {
    if (batch_) return Status::Error("STORE-4", "a batch is already open");
    if (Status ready = Ready(); !ready.ok()) return ready;
    if (Status s = db_.ExecCached("BEGIN"); !s.ok()) return s;
    batch_ = true;
    batch_lost_ = false;
    return {};
  }

  // Store batch rollback (G-disk): an I/O error inside a batch may make
  // SQLite roll back the whole transaction; the batch then fails as a whole
  // (every request of it is answered with the error by its host), and no
  // later call of the batch may write in autocommit mode.
  Status EndBatch() override {
    if (!batch_) return Status::Error("STORE-4", "no batch is open");
    batch_ = false;
    if (batch_lost_ || !db_.in_transaction()) {
      if (db_.in_transaction()) (void)db_.Exec("ROLLBACK");
      return Status::Error("STORE-1", "the batch was rolled back after a storage error");
    }
    Status s = db_.ExecCached("COMMIT");
    if (!s.ok() && db_.in_transaction()) (void)db_.Exec("ROLLBACK");
    return s;
  }

  bool in_batch() const override { return batch_; }

  Result<bool> DeleteOfflineMessage(std::uint64_t id) override {
    if (Status ready = Ready(); !ready.ok()) return ready;
    auto st = db_.Prepare("DELETE FROM offline_messages WHERE id = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, static_cast<std::int64_t>(id));
    if (Status s = st->Run(); !s.ok()) return s;
    return db_.Changes() == 1;
  }

 private:
  static constexpr const char* kContactSelect =
      "SELECT c.contact, c.blocked, c.added_version, c.changed_version, a.nickname, a.psm, "
      "a.avatar_id, a.profile_version FROM contacts c JOIN accounts a ON a.name = c.contact";

  static Profile ProfileAt(const sql::Stmt& st, int col) {
    return Profile{st.Text(col), st.Text(col + 1), st.Text(col + 2),
                   static_cast<std::uint32_t>(st.Int(col + 3))};
  }
  static ContactEntry ContactAt(const sql::Stmt& st) {
    ContactEntry e;
    e.account = st.Text(0);
    e.blocked = st.Int(1) != 0;
    e.added_version = static_cast<std::uint32_t>(st.Int(2));
    e.changed_version = static_cast<std::uint32_t>(st.Int(3));
    e.profile = ProfileAt(st, 4);
    return e;
  }

  // Before each call: inside a batch, refuses once the batch's transaction
  // is gone (STORE-1); outside one, ends a transaction a failed COMMIT left
  // open and, after an I/O-class error, closes and reopens the database
  // (recovering from its journal) so the handle never stays dead.
  Status Ready() {
    if (nested_ > 0) return {};  // a call made from inside Transaction's body
    if (batch_) {
      if (batch_lost_ || !db_.in_transaction()) {
        batch_lost_ = true;
        return Status::Error("STORE-1", "the batch was rolled back after a storage error");
      }
      return {};
    }
    if (db_.in_transaction()) (void)db_.Exec("ROLLBACK");
    if (!db_.io_failed() || path_ == ":memory:") return {};
    auto db = vfs_.empty() ? sql::Db::Open(path_) : sql::Db::OpenOnVfs(path_, vfs_);
    if (!db.ok()) return db.status();
    db_ = std::move(*db);
    return {};
  }

  // Runs `body` inside BEGIN/COMMIT (a savepoint inside a batch); rolls
  // back when it fails, so each mutating call stays all-or-nothing.
  template <typename F>
  Status Transaction(F&& body) {
    struct Nest {
      int& n;
      explicit Nest(int& x) : n(x) { ++n; }
      ~Nest() { --n; }
    } nest(nested_);
    if (batch_) {
      if (Status s = db_.Exec("SAVEPOINT op"); !s.ok()) return s;
      Status s = body();
      if (!s.ok()) {
        if (!db_.in_transaction()) {
          batch_lost_ = true;  // SQLite rolled the whole batch back
        } else {
          (void)db_.Exec("ROLLBACK TO op; RELEASE op");
        }
        return s;
      }
      Status r = db_.Exec("RELEASE op");
      if (!db_.in_transaction()) batch_lost_ = true;
      return r;
    }
    if (Status s = db_.Exec("BEGIN"); !s.ok()) return s;
    Status s = body();
    if (!s.ok()) {
      if (db_.in_transaction()) (void)db_.Exec("ROLLBACK");
      return s;
    }
    Status c = db_.Exec("COMMIT");
    if (!c.ok() && db_.in_transaction()) (void)db_.Exec("ROLLBACK");
    return c;
  }

  Result<std::uint32_t> GetListVersion(std::string_view owner) {
    auto st = db_.Prepare("SELECT list_version FROM accounts WHERE name = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, owner);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Error("STORE-3", "no such account");
    return static_cast<std::uint32_t>(st->Int(0));
  }

  // list_version + 1 for `owner`; returns the new version.
  Result<std::uint32_t> BumpListVersion(std::string_view owner) {
    auto st = db_.Prepare("UPDATE accounts SET list_version = list_version + 1 WHERE name = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, owner);
    if (Status s = st->Run(); !s.ok()) return s;
    return GetListVersion(owner);
  }

  Status RunOwnerContact(std::string_view sql, std::string_view owner, std::string_view contact) {
    auto st = db_.Prepare(sql);
    if (!st.ok()) return st.status();
    st->Bind(1, owner).Bind(2, contact);
    return st->Run();
  }

  Result<std::uint64_t> Count(std::string_view sql) {
    auto st = db_.Prepare(sql);
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    return static_cast<std::uint64_t>(st->Int(0));
  }

  sql::Db db_;
  std::string path_, vfs_;  // to reopen after an I/O error
  bool batch_ = false;
  bool batch_lost_ = false;  // the open batch's transaction was rolled back
  int nested_ = 0;           // Transaction bodies running (their calls skip Ready)
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  auto db = sql::Db::Open(path);
  if (!db.ok()) return db.status();
  if (Status s = sql::Migrate(*db, kMigrations); !s.ok()) return s;
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*db), path, ""));
}

Result<std::string> SerializeSqliteStore(Store& store) {
  auto* s = dynamic_cast<SqliteStore*>(&store);
  if (!s) return Status::Error("STORE-1", "not a SQLite store");
  return s->Serialize();
}

Result<std::unique_ptr<Store>> OpenSqliteStoreImage(std::string_view image) {
  auto db = sql::Db::OpenImage(image);
  if (!db.ok()) return db.status();
  if (Status s = sql::Migrate(*db, kMigrations); !s.ok()) return s;
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*db), ":memory:", ""));
}

Result<std::unique_ptr<Store>> OpenSqliteStoreOnVfs(const std::string& path, const std::string& vfs) {
  auto db = sql::Db::OpenOnVfs(path, vfs);
  if (!db.ok()) return db.status();
  if (Status s = sql::Migrate(*db, kMigrations); !s.ok()) return s;
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*db), path, vfs));
}

}  // namespace mcpsim::reference
