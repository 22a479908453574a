// The PostgreSQL store: the same tables, versions and semantics as the SQLite
// store (sqlite_store.cc), for deployments whose servers share one database.
// Strings are BYTEA (byte order, any bytes — exactly SQLite's BINARY text),
// integers BIGINT; msgIds come from an identity sequence.
#include <utility>
#include <vector>

#include "reference/store/postgres.h"
#include "reference/store/store.h"

namespace mcpsim::reference {
namespace {

using pg::Rows;

// Schema migrations, version for version the same as SQLite's kMigrations.
// Never edit a shipped entry; append a new one (to both stores).
const std::vector<std::string_view> kPgMigrations = {
    R"sql(
CREATE TABLE accounts(
  name BYTEA PRIMARY KEY,
  password_hash BYTEA NOT NULL,
  nickname BYTEA NOT NULL,
  profile_version BIGINT NOT NULL,
  list_version BIGINT NOT NULL,
  created_ms BIGINT NOT NULL);
CREATE TABLE uploads(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_ms BIGINT NOT NULL,
  mid BYTEA NOT NULL,
  kind BYTEA NOT NULL,
  timestamp_ms BIGINT NOT NULL,
  data BYTEA NOT NULL);
CREATE INDEX uploads_mid ON uploads(mid, id);
CREATE TABLE media(
  id BYTEA PRIMARY KEY,
  content_type BYTEA NOT NULL,
  bytes BYTEA NOT NULL);
)sql",
    R"sql(
ALTER TABLE accounts ADD COLUMN psm BYTEA NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN avatar_id BYTEA NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN list_horizon BIGINT NOT NULL DEFAULT 0;
CREATE TABLE contacts(
  owner BYTEA NOT NULL,
  contact BYTEA NOT NULL,
  blocked BIGINT NOT NULL,
  added_version BIGINT NOT NULL,
  changed_version BIGINT NOT NULL,
  PRIMARY KEY(owner, contact));
CREATE INDEX contacts_by_contact ON contacts(contact, owner);
CREATE TABLE contact_tombstones(
  owner BYTEA NOT NULL,
  contact BYTEA NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY(owner, contact));
CREATE TABLE offline_messages(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recipient BYTEA NOT NULL,
  sender BYTEA NOT NULL,
  timestamp_ms BIGINT NOT NULL,
  text BYTEA NOT NULL);
CREATE INDEX offline_by_recipient ON offline_messages(recipient, id);
)sql",
    R"sql(
ALTER TABLE uploads ADD COLUMN trid BIGINT;
CREATE UNIQUE INDEX uploads_once ON uploads(mid, trid, timestamp_ms) WHERE trid IS NOT NULL;
)sql",
};

constexpr const char* kContactSelect =
    "SELECT c.contact, c.blocked, c.added_version, c.changed_version, a.nickname, a.psm, "
    "a.avatar_id, a.profile_version FROM contacts c JOIN accounts a ON a.name = c.contact";

std::uint32_t U32(std::int64_t v) { return static_cast<std::uint32_t>(v); }

Profile ProfileAt(const Rows& r, int row, int col) {
  return Profile{r.Bytes(row, col), r.Bytes(row, col + 1), r.Bytes(row, col + 2), U32(r.Int(row, col + 3))};
}

ContactEntry ContactAt(const Rows& r, int row) {
  ContactEntry e;
  e.account = r.Bytes(row, 0);
  e.blocked = r.Int(row, 1) != 0;
  e.added_version = U32(r.Int(row, 2));
  e.changed_version = U32(r.Int(row, 3));
  e.profile = ProfileAt(r, row, 4);
  return e;
}

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(pg::Conn db) : db_(std::move(db)) {}

  Result<bool> CreateAccount(const Account& a) override {
    auto r = Write(
        "INSERT INTO accounts(name, password_hash, nickname, profile_version, list_version, created_ms, psm, "
        "avatar_id) VALUES($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (name) DO NOTHING",
        {a.name, a.password_hash, a.nickname, std::int64_t{a.profile_version}, std::int64_t{a.list_version},
         a.created_ms, a.psm, a.avatar_id});
    if (!r.ok()) return r.status();
    return r->affected() == 1;
  }

  Result<std::optional<Account>> GetAccount(std::string_view name) override {
    auto r = Read(
        "SELECT name, password_hash, nickname, profile_version, list_version, created_ms, psm, avatar_id "
        "FROM accounts WHERE name = $1",
        {name});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return std::optional<Account>{};
    Account a;
    a.name = r->Bytes(0, 0);
    a.password_hash = r->Bytes(0, 1);
    a.nickname = r->Bytes(0, 2);
    a.profile_version = U32(r->Int(0, 3));
    a.list_version = U32(r->Int(0, 4));
    a.created_ms = r->Int(0, 5);
    a.psm = r->Bytes(0, 6);
    a.avatar_id = r->Bytes(0, 7);
    return std::optional<Account>(std::move(a));
  }

  Result<std::uint64_t> CountAccounts() override { return Count("SELECT COUNT(*) FROM accounts", {}); }

  Status AddUpload(const Upload& u) override {
    pg::Param trid;
    if (u.trid) trid = std::int64_t{*u.trid};
    auto r = Write(
        "INSERT INTO uploads(received_ms, mid, kind, timestamp_ms, data, trid) VALUES($1,$2,$3,$4,$5,$6) "
        "ON CONFLICT DO NOTHING",
        {u.received_ms, u.mid, u.kind, static_cast<std::int64_t>(u.timestamp_ms), u.data, trid});
    return r.ok() ? Status{} : r.status();
  }

  Result<std::vector<Upload>> ListUploads(std::string_view mid) override {
    auto r = Read("SELECT received_ms, mid, kind, timestamp_ms, data FROM uploads WHERE mid = $1 ORDER BY id", {mid});
    if (!r.ok()) return r.status();
    std::vector<Upload> out;
    for (int i = 0; i < r->size(); ++i) {
      out.push_back(Upload{r->Int(i, 0), r->Bytes(i, 1), r->Bytes(i, 2), static_cast<std::uint64_t>(r->Int(i, 3)),
                           r->Bytes(i, 4), std::nullopt});
    }
    return out;
  }

  Result<std::uint64_t> CountUploads() override { return Count("SELECT COUNT(*) FROM uploads", {}); }

  Status PutMedia(const Media& m) override {
    auto r = Write(
        "INSERT INTO media(id, content_type, bytes) VALUES($1,$2,$3) "
        "ON CONFLICT (id) DO UPDATE SET content_type = EXCLUDED.content_type, bytes = EXCLUDED.bytes",
        {m.id, m.content_type, m.bytes});
    return r.ok() ? Status{} : r.status();
  }

  Result<std::optional<Media>> GetMedia(std::string_view id) override {
    auto r = Read("SELECT id, content_type, bytes FROM media WHERE id = $1", {id});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return std::optional<Media>{};
    return std::optional<Media>(Media{r->Bytes(0, 0), r->Bytes(0, 1), r->Bytes(0, 2)});
  }

  // ---- SG ----
  Result<std::optional<Profile>> GetProfile(std::string_view account) override {
    auto r = Read("SELECT nickname, psm, avatar_id, profile_version FROM accounts WHERE name = $1", {account});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return std::optional<Profile>{};
    return std::optional<Profile>(ProfileAt(*r, 0, 0));
  }

  Result<std::vector<std::string>> UpdateProfile(std::string_view account, const Profile& f) override {
    std::vector<std::string> owners;
    Status s = Transaction([&]() -> Status {
      auto up = db_.Query(
          "UPDATE accounts SET nickname = $1, psm = $2, avatar_id = $3, profile_version = profile_version + 1 "
          "WHERE name = $4",
          {f.nickname, f.psm, f.avatar_id, account});
      if (!up.ok()) return up.status();
      if (up->affected() != 1) return Status::Error("STORE-3", "no such account");
      auto list = db_.Query("SELECT owner FROM contacts WHERE contact = $1 ORDER BY owner", {account});
      if (!list.ok()) return list.status();
      for (int i = 0; i < list->size(); ++i) owners.push_back(list->Bytes(i, 0));
      for (const std::string& o : owners) {  // ascending: every writer locks accounts in one order
        auto v = BumpListVersion(o);
        if (!v.ok()) return v.status();
        auto st = db_.Query("UPDATE contacts SET changed_version = $1 WHERE owner = $2 AND contact = $3",
                            {std::int64_t{*v}, o, account});
        if (!st.ok()) return st.status();
      }
      return {};
    });
    if (!s.ok()) return s;
    return owners;
  }

  Result<ContactList> GetContactList(std::string_view owner) override {
    if (Status s = Ready(); !s.ok()) return s;
    ContactList list;
    auto head = db_.Query("SELECT list_version, list_horizon FROM accounts WHERE name = $1", {owner});
    if (!head.ok()) return head.status();
    if (head->size() > 0) {
      list.version = U32(head->Int(0, 0));
      list.horizon = U32(head->Int(0, 1));
    }
    auto r = db_.Query(std::string(kContactSelect) + " WHERE c.owner = $1 ORDER BY c.contact", {owner});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) list.entries.push_back(ContactAt(*r, i));
    auto ts = db_.Query("SELECT contact, version FROM contact_tombstones WHERE owner = $1 ORDER BY contact", {owner});
    if (!ts.ok()) return ts.status();
    for (int i = 0; i < ts->size(); ++i) list.tombstones.push_back({ts->Bytes(i, 0), U32(ts->Int(i, 1))});
    return list;
  }

  Result<std::optional<ContactEntry>> GetContact(std::string_view owner, std::string_view contact) override {
    auto r = Read(std::string(kContactSelect) + " WHERE c.owner = $1 AND c.contact = $2", {owner, contact});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return std::optional<ContactEntry>{};
    return std::optional<ContactEntry>(ContactAt(*r, 0));
  }

  Result<std::uint32_t> CountContacts(std::string_view owner) override {
    auto n = Count("SELECT COUNT(*) FROM contacts WHERE owner = $1", {owner});
    if (!n.ok()) return n.status();
    return static_cast<std::uint32_t>(*n);
  }

  Result<ContactEditResult> EditContact(std::string_view owner, std::string_view contact, ContactEdit op) override {
    ContactEditResult out;
    Status s = Transaction([&]() -> Status {
      // The owner's row first (FOR UPDATE): edits of one list from several
      // servers serialise here.
      auto head = db_.Query("SELECT list_version FROM accounts WHERE name = $1 FOR UPDATE", {owner});
      if (!head.ok()) return head.status();
      if (head->size() == 0) return Status::Error("STORE-3", "no such account");
      auto cur = db_.Query("SELECT blocked FROM contacts WHERE owner = $1 AND contact = $2", {owner, contact});
      if (!cur.ok()) return cur.status();
      const bool listed = cur->size() > 0;
      const bool blocked = listed && cur->Int(0, 0) != 0;
      const bool change = (op == ContactEdit::kAdd && !listed) || (op == ContactEdit::kDelete && listed) ||
                          (op == ContactEdit::kBlock && listed && !blocked) ||
                          (op == ContactEdit::kUnblock && listed && blocked);
      if (!change) {
        out.version = U32(head->Int(0, 0));
        return {};
      }
      auto v = BumpListVersion(owner);
      if (!v.ok()) return v.status();
      out = {true, *v};
      const std::int64_t ver = *v;
      if (op == ContactEdit::kAdd) {
        auto ins = db_.Query(
            "INSERT INTO contacts(owner, contact, blocked, added_version, changed_version) VALUES($1,$2,0,$3,$3)",
            {owner, contact, ver});
        if (!ins.ok()) return ins.status();
        auto del = db_.Query("DELETE FROM contact_tombstones WHERE owner = $1 AND contact = $2", {owner, contact});
        return del.ok() ? Status{} : del.status();
      }
      if (op == ContactEdit::kDelete) {
        auto del = db_.Query("DELETE FROM contacts WHERE owner = $1 AND contact = $2", {owner, contact});
        if (!del.ok()) return del.status();
        auto ts = db_.Query(
            "INSERT INTO contact_tombstones(owner, contact, version) VALUES($1,$2,$3) "
            "ON CONFLICT (owner, contact) DO UPDATE SET version = EXCLUDED.version",
            {owner, contact, ver});
        return ts.ok() ? Status{} : ts.status();
      }
      auto up = db_.Query("UPDATE contacts SET blocked = $1, changed_version = $2 WHERE owner = $3 AND contact = $4",
                          {std::int64_t{op == ContactEdit::kBlock ? 1 : 0}, ver, owner, contact});
      return up.ok() ? Status{} : up.status();
    });
    if (!s.ok()) return s;
    return out;
  }

  Result<std::vector<std::string>> ListOwnersOf(std::string_view contact) override {
    auto r = Read("SELECT owner FROM contacts WHERE contact = $1 ORDER BY owner", {contact});
    if (!r.ok()) return r.status();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(r->Bytes(i, 0));
    return out;
  }

  Result<std::uint64_t> AddOfflineMessage(const OfflineMessage& m) override {
    // CLU-8: the recipient's SG, wherever it runs, hears of the message when
    // (and only if) it commits (NOTIFY is transactional).
    auto r = Write(
        "WITH ins AS (INSERT INTO offline_messages(recipient, sender, timestamp_ms, text) VALUES($1,$2,$3,$4) "
        "RETURNING id, recipient) SELECT id, pg_notify(left('mcpsim_om:' || current_schema(), 63), "
        "encode(recipient, 'hex'))::text FROM ins",
        {m.recipient, m.sender, m.timestamp_ms, m.text});
    if (!r.ok()) return r.status();
    if (r->size() != 1) return Status::Error("STORE-1", "INSERT … RETURNING id returned no row");
    return static_cast<std::uint64_t>(r->Int(0, 0));
  }

  Result<std::vector<OfflineMessage>> ListOfflineMessages(std::string_view recipient) override {
    auto r = Read(
        "SELECT id, recipient, sender, timestamp_ms, text FROM offline_messages WHERE recipient = $1 ORDER BY id",
        {recipient});
    if (!r.ok()) return r.status();
    std::vector<OfflineMessage> out;
    for (int i = 0; i < r->size(); ++i) {
      out.push_back({static_cast<std::uint64_t>(r->Int(i, 0)), r->Bytes(i, 1), r->Bytes(i, 2), r->Int(i, 3),
                     r->Bytes(i, 4)});
    }
    return out;
  }

  Result<std::uint64_t> CountOfflineMessages(std::string_view recipient) override {
    return Count("SELECT COUNT(*) FROM offline_messages WHERE recipient = $1", {recipient});
  }

  Result<bool> DeleteOfflineMessage(std::uint64_t id) override {
    auto r = Write("DELETE FROM offline_messages WHERE id = $1", {static_cast<std::int64_t>(id)});
    if (!r.ok()) return r.status();
    return r->affected() == 1;
  }

  Status BeginBatch() override {
    if (batch_) return Status::Error("STORE-4", "a batch is already open");
    if (Status s = Ready(); !s.ok()) return s;
    if (Status s = db_.Exec("BEGIN"); !s.ok()) return s;
    batch_ = true;
    return {};
  }

  Status EndBatch() override {
    if (!batch_) return Status::Error("STORE-4", "no batch is open");
    batch_ = false;
    Status s = db_.Exec("COMMIT");
    if (!s.ok() && db_.in_transaction()) (void)db_.Exec("ROLLBACK");
    return s;
  }

  bool in_batch() const override { return batch_; }

 private:
  // Outside a batch, a lost connection is re-established before the call.
  Status Ready() { return batch_ ? Status{} : db_.Reconnect(); }

  Result<Rows> Read(std::string_view sql, std::initializer_list<pg::Param> params) {
    if (Status s = Ready(); !s.ok()) return s;
    return db_.Query(sql, params);
  }

  // A single-statement write: its own (implicit) transaction outside a batch.
  // Inside one, a failure (only a server or connection failure — conflicts
  // are DO NOTHING/UPDATE) aborts the batch, which EndBatch then reports.
  Result<Rows> Write(std::string_view sql, std::initializer_list<pg::Param> params) { return Read(sql, params); }

  Result<std::uint64_t> Count(std::string_view sql, std::initializer_list<pg::Param> params) {
    auto r = Read(sql, params);
    if (!r.ok()) return r.status();
    return static_cast<std::uint64_t>(r->Int(0, 0));
  }

  // Runs `body` inside BEGIN/COMMIT (a savepoint inside a batch); rolls back
  // when it fails, so each mutating call stays all-or-nothing.
  template <typename F>
  Status Transaction(F&& body) {
    if (batch_) {
      if (Status s = db_.Exec("SAVEPOINT op"); !s.ok()) return s;
      Status s = body();
      if (!s.ok()) {
        (void)db_.Exec("ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op");
        return s;
      }
      return db_.Exec("RELEASE SAVEPOINT op");
    }
    if (Status s = db_.Reconnect(); !s.ok()) return s;
    if (Status s = db_.Exec("BEGIN"); !s.ok()) return s;
    Status s = body();
    if (!s.ok()) {
      (void)db_.Exec("ROLLBACK");
      return s;
    }
    return db_.Exec("COMMIT");
  }

  // list_version + 1 for `owner`; returns the new version.
  Result<std::uint32_t> BumpListVersion(std::string_view owner) {
    auto r = db_.Query("UPDATE accounts SET list_version = list_version + 1 WHERE name = $1 RETURNING list_version",
                       {owner});
    if (!r.ok()) return r.status();
    if (r->size() == 0) return Status::Error("STORE-3", "no such account");
    return U32(r->Int(0, 0));
  }

  pg::Conn db_;
  bool batch_ = false;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& uri) {
  auto db = pg::Conn::Open(uri);
  if (!db.ok()) return db.status();
  if (Status s = pg::Migrate(*db, kPgMigrations); !s.ok()) return s;
  return std::unique_ptr<Store>(std::make_unique<PostgresStore>(std::move(*db)));
}

bool IsPostgresUri(std::string_view spec) {
  return spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& spec) {
  if (IsPostgresUri(spec)) return OpenPostgresStore(spec);
  return OpenSqliteStore(spec);
}

}  // namespace mcpsim::reference
