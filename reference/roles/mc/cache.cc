#include "reference/roles/mc/cache.h"

#include <set>
#include <utility>

namespace mcpsim::reference {
namespace {

// Schema migrations: entry i upgrades version i to i+1. Never edit a shipped
// entry; append a new one.
const std::vector<std::string_view> kMigrations = {
    R"sql(
CREATE TABLE devices(
  device_id TEXT PRIMARY KEY,
  privacy_accepted INTEGER NOT NULL);
CREATE TABLE accounts(
  device_id TEXT NOT NULL,
  account TEXT NOT NULL,
  list_version INTEGER NOT NULL DEFAULT 0,
  profile_version INTEGER NOT NULL DEFAULT 0,
  nickname TEXT NOT NULL DEFAULT '',
  psm TEXT NOT NULL DEFAULT '',
  avatar_id TEXT NOT NULL DEFAULT '',
  avatar BLOB,
  PRIMARY KEY(device_id, account));
CREATE TABLE contacts(
  device_id TEXT NOT NULL,
  account TEXT NOT NULL,
  contact TEXT NOT NULL,
  nickname TEXT NOT NULL,
  psm TEXT NOT NULL,
  avatar_id TEXT NOT NULL,
  profile_version INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  avatar BLOB,
  PRIMARY KEY(device_id, account, contact));
CREATE TABLE offline_seen(
  device_id TEXT NOT NULL,
  account TEXT NOT NULL,
  msg_id INTEGER NOT NULL,
  PRIMARY KEY(device_id, account, msg_id));
)sql",
};

bool IsMemoryPath(const std::string& p) {
  return p == ":memory:" || p.rfind("file::memory:", 0) == 0;
}

// Ensures the accounts row exists so that UPDATEs below always hit a row.
Status EnsureAccount(sql::Db& db, std::string_view device, std::string_view account) {
  auto st = db.Prepare("INSERT OR IGNORE INTO accounts(device_id, account) VALUES(?,?)");
  if (!st.ok()) return st.status();
  st->Bind(1, device).Bind(2, account);
  return st->Run();
}

}  // namespace

ClientCache::ClientCache(std::string path) : path_(std::move(path)), keep_open_(IsMemoryPath(path_)) {}

Result<sql::Db*> ClientCache::Acquire() {
  if (db_) return &*db_;
  auto db = sql::Db::Open(path_);
  if (!db.ok()) return db.status();
  if (Status s = sql::Migrate(*db, kMigrations); !s.ok()) return s;
  db_.emplace(std::move(*db));
  return &*db_;
}

void ClientCache::Release() {
  if (!keep_open_) db_.reset();
}

Status ClientCache::Transaction(const std::function<Status(sql::Db&)>& body) {
  auto db = Acquire();
  if (!db.ok()) return db.status();
  Status s = (*db)->Exec("BEGIN;");
  if (s.ok()) s = body(**db);
  if (s.ok()) s = (*db)->Exec("COMMIT;");
  if (!s.ok()) (void)(*db)->Exec("ROLLBACK;");
  Release();
  return s;
}

Result<bool> ClientCache::PrivacyAccepted(std::string_view device) {
  auto db = Acquire();
  if (!db.ok()) return db.status();
  bool accepted = false;
  Status err;
  {
    auto st = (*db)->Prepare("SELECT privacy_accepted FROM devices WHERE device_id = ?");
    if (!st.ok()) {
      err = st.status();
    } else {
      st->Bind(1, device);
      auto row = st->Step();
      if (!row.ok()) err = row.status();
      else accepted = *row && st->Int(0) != 0;
    }
  }
  Release();
  if (!err.ok()) return err;
  return accepted;
}

Status ClientCache::SetPrivacyAccepted(std::string_view device) {
  return Transaction([&](sql::Db& db) {
    auto st = db.Prepare("INSERT OR REPLACE INTO devices(device_id, privacy_accepted) VALUES(?, 1)");
    if (!st.ok()) return st.status();
    st->Bind(1, device);
    return st->Run();
  });
}

Result<McCachedAccount> ClientCache::Load(std::string_view device, std::string_view account) {
  McCachedAccount out;
  auto body = [&](sql::Db& db) -> Status {
    auto st = db.Prepare(
        "SELECT list_version, profile_version, nickname, psm, avatar_id FROM accounts "
        "WHERE device_id = ? AND account = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, device).Bind(2, account);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return {};
    out.list_version = static_cast<std::uint32_t>(st->Int(0));
    out.profile.version = static_cast<std::uint32_t>(st->Int(1));
    out.profile.nickname = st->Text(2);
    out.profile.psm = st->Text(3);
    out.profile.avatar_id = st->Text(4);
    auto c = db.Prepare(
        "SELECT contact, nickname, psm, avatar_id, profile_version, flags FROM contacts "
        "WHERE device_id = ? AND account = ? ORDER BY contact");
    if (!c.ok()) return c.status();
    c->Bind(1, device).Bind(2, account);
    for (;;) {
      auto r = c->Step();
      if (!r.ok()) return r.status();
      if (!*r) break;
      McContact m;
      m.nickname = c->Text(1);
      m.psm = c->Text(2);
      m.avatar_id = c->Text(3);
      m.profile_version = static_cast<std::uint32_t>(c->Int(4));
      m.flags = static_cast<std::uint32_t>(c->Int(5));
      out.contacts.emplace(c->Text(0), std::move(m));
    }
    return {};
  };
  if (Status s = Transaction(body); !s.ok()) return s;
  return out;
}

Status ClientCache::CommitSync(std::string_view device, std::string_view account,
                               std::uint32_t list_version, bool full,
                               const std::vector<std::pair<std::string, McContact>>& upserts,
                               const std::vector<std::string>& removed) {
  return Transaction([&](sql::Db& db) -> Status {
    if (Status s = EnsureAccount(db, device, account); !s.ok()) return s;
    auto del = db.Prepare("DELETE FROM contacts WHERE device_id = ? AND account = ? AND contact = ?");
    if (!del.ok()) return del.status();
    auto drop = [&](std::string_view contact) {
      del->Reset();
      del->Bind(1, device).Bind(2, account).Bind(3, contact);
      return del->Run();
    };
    if (full) {
      // Sweep the stored contacts that the full list no longer has.
      std::set<std::string, std::less<>> keep;
      for (const auto& [name, c] : upserts) keep.insert(name);
      std::vector<std::string> stale;
      auto q = db.Prepare("SELECT contact FROM contacts WHERE device_id = ? AND account = ?");
      if (!q.ok()) return q.status();
      q->Bind(1, device).Bind(2, account);
      for (;;) {
        auto r = q->Step();
        if (!r.ok()) return r.status();
        if (!*r) break;
        if (!keep.count(q->Text(0))) stale.push_back(q->Text(0));
      }
      for (const auto& name : stale) {
        if (Status s = drop(name); !s.ok()) return s;
      }
    }
    for (const auto& name : removed) {
      if (Status s = drop(name); !s.ok()) return s;
    }
    auto up = db.Prepare(
        "INSERT INTO contacts(device_id, account, contact, nickname, psm, avatar_id, "
        "profile_version, flags) VALUES(?,?,?,?,?,?,?,?) "
        "ON CONFLICT(device_id, account, contact) DO UPDATE SET nickname = excluded.nickname, "
        "psm = excluded.psm, profile_version = excluded.profile_version, flags = excluded.flags, "
        "avatar = CASE WHEN avatar_id = excluded.avatar_id THEN avatar ELSE NULL END, "
        "avatar_id = excluded.avatar_id");
    if (!up.ok()) return up.status();
    for (const auto& [name, c] : upserts) {
      up->Reset();
      up->Bind(1, device).Bind(2, account).Bind(3, name).Bind(4, c.nickname).Bind(5, c.psm);
      up->Bind(6, c.avatar_id).Bind(7, std::int64_t{c.profile_version}).Bind(8, std::int64_t{c.flags});
      if (Status s = up->Run(); !s.ok()) return s;
    }
    auto v = db.Prepare("UPDATE accounts SET list_version = ? WHERE device_id = ? AND account = ?");
    if (!v.ok()) return v.status();
    v->Bind(1, std::int64_t{list_version}).Bind(2, device).Bind(3, account);
    return v->Run();
  });
}

Status ClientCache::SaveProfile(std::string_view device, std::string_view account,
                                const McProfile& p) {
  return Transaction([&](sql::Db& db) -> Status {
    if (Status s = EnsureAccount(db, device, account); !s.ok()) return s;
    auto st = db.Prepare(
        "UPDATE accounts SET profile_version = ?, nickname = ?, psm = ?, "
        "avatar = CASE WHEN avatar_id = ? THEN avatar ELSE NULL END, avatar_id = ? "
        "WHERE device_id = ? AND account = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, std::int64_t{p.version}).Bind(2, p.nickname).Bind(3, p.psm).Bind(4, p.avatar_id);
    st->Bind(5, p.avatar_id).Bind(6, device).Bind(7, account);
    return st->Run();
  });
}

Status ClientCache::SaveAvatar(std::string_view device, std::string_view account,
                               std::string_view contact, std::string_view avatar_id,
                               std::string_view bytes) {
  return Transaction([&](sql::Db& db) -> Status {
    auto st = contact.empty()
                  ? db.Prepare("UPDATE accounts SET avatar = ? WHERE device_id = ? AND account = ? "
                               "AND avatar_id = ? AND ? = ''")
                  : db.Prepare("UPDATE contacts SET avatar = ? WHERE device_id = ? AND account = ? "
                               "AND avatar_id = ? AND contact = ?");
    if (!st.ok()) return st.status();
    st->BindBlob(1, bytes).Bind(2, device).Bind(3, account).Bind(4, avatar_id).Bind(5, contact);
    return st->Run();
  });
}

Result<std::optional<std::string>> ClientCache::Avatar(std::string_view device,
                                                       std::string_view account,
                                                       std::string_view contact) {
  std::optional<std::string> out;
  Status s = Transaction([&](sql::Db& db) -> Status {
    auto st = contact.empty()
                  ? db.Prepare("SELECT avatar FROM accounts WHERE device_id = ? AND account = ? "
                               "AND ? = ''")
                  : db.Prepare("SELECT avatar FROM contacts WHERE device_id = ? AND account = ? "
                               "AND contact = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, device).Bind(2, account).Bind(3, contact);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (*row && !st->IsNull(0)) out = st->Blob(0);
    return {};
  });
  if (!s.ok()) return s;
  return out;
}

Result<bool> ClientCache::SeenOfflineMessage(std::string_view device, std::string_view account,
                                             std::uint32_t msg_id) {
  bool seen = false;
  Status s = Transaction([&](sql::Db& db) -> Status {
    auto st = db.Prepare(
        "SELECT 1 FROM offline_seen WHERE device_id = ? AND account = ? AND msg_id = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, device).Bind(2, account).Bind(3, std::int64_t{msg_id});
    auto row = st->Step();
    if (!row.ok()) return row.status();
    seen = *row;
    return {};
  });
  if (!s.ok()) return s;
  return seen;
}

Status ClientCache::AddSeenOfflineMessage(std::string_view device, std::string_view account,
                                          std::uint32_t msg_id) {
  return Transaction([&](sql::Db& db) -> Status {
    auto st = db.Prepare(
        "INSERT OR IGNORE INTO offline_seen(device_id, account, msg_id) VALUES(?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, device).Bind(2, account).Bind(3, std::int64_t{msg_id});
    if (Status s = st->Run(); !s.ok()) return s;
    auto trim = db.Prepare(
        "DELETE FROM offline_seen WHERE device_id = ?1 AND account = ?2 AND msg_id NOT IN "
        "(SELECT msg_id FROM offline_seen WHERE device_id = ?1 AND account = ?2 "
        "ORDER BY msg_id DESC LIMIT ?3)");
    if (!trim.ok()) return trim.status();
    trim->Bind(1, device).Bind(2, account).Bind(3, static_cast<std::int64_t>(kMaxSeenMessages));
    return trim->Run();
  });
}

}  // namespace mcpsim::reference
