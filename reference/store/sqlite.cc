#include "reference/store/sqlite.h"

#include <cstring>

namespace mcpsim::reference::sql {

Result<Db> Db::Open(const std::string& path, Sync sync) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &raw, flags, nullptr) != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return Status::Error("STORE-1", "cannot open database '" + path + "': " + msg);
  }
  Db db(raw);
  sqlite3_busy_timeout(raw, 5000);
  if (path != ":memory:" && path.rfind("file::memory:", 0) != 0) {
    const char* pragmas = sync == Sync::kFull ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                              : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
    if (Status s = db.Exec(pragmas); !s.ok()) return s;
  }
  if (Status s = db.Exec("PRAGMA foreign_keys=ON;"); !s.ok()) return s;
  return db;
}

Result<Db> Db::OpenImage(std::string_view image) {
  auto db = Open(":memory:");
  if (!db.ok()) return db.status();
  const auto n = static_cast<sqlite3_int64>(image.size());
  auto* copy = static_cast<unsigned char*>(sqlite3_malloc64(static_cast<sqlite3_uint64>(image.size())));
  if (!copy) return Status::Error("STORE-1", "out of memory for a database image");
  std::memcpy(copy, image.data(), image.size());
  // FREEONCLOSE: SQLite owns `copy` from here on, even when the call fails.
  if (sqlite3_deserialize(db->db_, "main", copy, n, n, SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
      SQLITE_OK) {
    return Status::Error("STORE-1", std::string("cannot load a database image: ") + sqlite3_errmsg(db->db_));
  }
  if (Status s = db->Exec("PRAGMA foreign_keys=ON;"); !s.ok()) return s;
  return db;
}

Result<std::string> Db::Serialize() {
  sqlite3_int64 n = 0;
  unsigned char* bytes = sqlite3_serialize(db_, "main", &n, 0);
  if (!bytes) return Status::Error("STORE-1", "cannot serialize the database");
  std::string out(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(n));
  sqlite3_free(bytes);
  return out;
}

Result<Db> Db::OpenOnVfs(const std::string& path, const std::string& vfs) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &raw, flags, vfs.c_str()) != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return Status::Error("STORE-1", "cannot open database '" + path + "' on vfs " + vfs + ": " + msg);
  }
  Db db(raw);
  if (Status s = db.Exec("PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; "
                         "PRAGMA foreign_keys=ON;");
      !s.ok()) {
    return s;
  }
  return db;
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    FinalizeCached();
    sqlite3_close(db_);
    db_ = o.db_;
    cache_ = std::move(o.cache_);
    o.db_ = nullptr;
  }
  return *this;
}

Db::~Db() {
  FinalizeCached();
  sqlite3_close(db_);
}

void Db::FinalizeCached() {
  if (!cache_) return;
  for (auto& [sql, stmts] : cache_->free) {
    for (sqlite3_stmt* st : stmts) sqlite3_finalize(st);
  }
  cache_->free.clear();
}

bool Db::IsIoError(int rc) {
  switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
      return true;
    default:
      return false;
  }
}

Status Db::Error(std::string_view what) const {
  return Status::Error("STORE-1", std::string(what) + ": " + sqlite3_errmsg(db_));
}

Status Db::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    if (IsIoError(rc)) cache_->io_failed = true;
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::Error("STORE-1", "exec failed: " + msg);
  }
  return {};
}

Status Db::ExecCached(std::string_view sql) {
  auto st = Prepare(sql);
  if (!st.ok()) return Exec(sql);  // not compilable now: the plain path says why
  if (st->Step().ok()) return {};  // (a failed step marks io_failed itself)
  return Status::Error("STORE-1", std::string("exec failed: ") + sqlite3_errmsg(db_));
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  auto it = cache_->free.find(sql);
  if (it == cache_->free.end() && cache_->free.size() < kMaxCached) {
    it = cache_->free.emplace(std::string(sql), std::vector<sqlite3_stmt*>{}).first;
  }
  std::vector<sqlite3_stmt*>* home = it == cache_->free.end() ? nullptr : &it->second;
  if (home && !home->empty()) {
    sqlite3_stmt* st = home->back();
    home->pop_back();
    return Stmt(db_, st, home, &cache_->io_failed);
  }
  sqlite3_stmt* st = nullptr;
  if (const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, nullptr);
      rc != SQLITE_OK) {
    if (IsIoError(rc)) cache_->io_failed = true;
    sqlite3_finalize(st);
    return Error("prepare '" + std::string(sql.substr(0, 60)) + "'");
  }
  return Stmt(db_, st, home, &cache_->io_failed);
}

Stmt::~Stmt() {
  if (!st_) return;
  // Reset ends the statement's read snapshot at once, whether it is kept or not.
  sqlite3_reset(st_);
  if (home_) {
    sqlite3_clear_bindings(st_);
    home_->push_back(st_);
    return;
  }
  sqlite3_finalize(st_);
}

Stmt& Stmt::Bind(int i, std::int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}
Stmt& Stmt::Bind(int i, std::string_view text) {
  sqlite3_bind_text64(st_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Stmt& Stmt::BindBlob(int i, std::string_view bytes) {
  sqlite3_bind_blob64(st_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(st_, i);
  return *this;
}

Result<bool> Stmt::Step() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (Db::IsIoError(rc) && io_failed_) *io_failed_ = true;
  return Status::Error("STORE-1", std::string("step failed: ") + sqlite3_errmsg(db_));
}

Status Stmt::Run() {
  auto r = Step();
  if (!r.ok()) return r.status();
  Reset();
  return {};
}

void Stmt::Reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

std::int64_t Stmt::Int(int col) const { return sqlite3_column_int64(st_, col); }
std::string Stmt::Text(int col) const {
  const auto* p = sqlite3_column_text(st_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st_, col)) : "";
}
std::string Stmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(st_, col);
  return p ? std::string(static_cast<const char*>(p), sqlite3_column_bytes(st_, col)) : "";
}
bool Stmt::IsNull(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

Status Migrate(Db& db, const std::vector<std::string_view>& migrations) {
  std::size_t version = 0;
  {  // the statement must be finished before a migration may DROP a table
    auto st = db.Prepare("PRAGMA user_version");
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    version = static_cast<std::size_t>(st->Int(0));
  }
  if (version > migrations.size()) {
    return Status::Error("STORE-2", "database schema version " + std::to_string(version) +
                                        " is newer than this build (" +
                                        std::to_string(migrations.size()) + ")");
  }
  for (std::size_t v = version; v < migrations.size(); ++v) {
    std::string sql = "BEGIN;\n" + std::string(migrations[v]) +
                      "\nPRAGMA user_version=" + std::to_string(v + 1) + ";\nCOMMIT;";
    if (Status s = db.Exec(sql); !s.ok()) {
      (void)db.Exec("ROLLBACK;");
      return Status::Error("STORE-2", "migration " + std::to_string(v + 1) + " failed: " +
                                          s.message());
    }
  }
  return {};
}

}  // namespace mcpsim::reference::sql
