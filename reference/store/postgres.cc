#include "reference/store/postgres.h"

#include <array>
#include <cstring>

namespace mcpsim::reference::pg {
namespace {

constexpr Oid kInt8 = 20;
constexpr Oid kBytea = 17;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The first line of a URI fit for logs: the password (if any) masked.
std::string Redact(const std::string& uri) {
  const auto scheme = uri.find("://");
  const auto at = uri.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return uri;
  const auto colon = uri.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return uri;
  return uri.substr(0, colon + 1) + "***" + uri.substr(at);
}

}  // namespace

std::int64_t Rows::affected() const {
  const char* n = r_ ? PQcmdTuples(r_.get()) : nullptr;
  if (!n || !*n) return 0;
  return std::strtoll(n, nullptr, 10);
}

std::int64_t Rows::Int(int row, int col) const {
  if (PQgetisnull(r_.get(), row, col)) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r_.get(), row, col));
  const int len = PQgetlength(r_.get(), row, col);
  if (len != 2 && len != 4 && len != 8) return 0;  // not an integer column
  std::uint64_t v = 0;
  for (int i = 0; i < len; ++i) v = (v << 8) | p[i];
  if (len < 8 && (p[0] & 0x80)) v |= ~std::uint64_t{0} << (8 * len);  // sign-extend
  return static_cast<std::int64_t>(v);
}

std::string Rows::Bytes(int row, int col) const {
  if (PQgetisnull(r_.get(), row, col)) return "";
  return std::string(PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
}

Result<Conn> Conn::Open(const std::string& uri) {
  const std::array<const char*, 3> keys = {"connect_timeout", "dbname", nullptr};
  const std::array<const char*, 3> values = {"5", uri.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keys.data(), values.data(), 1);
  if (!raw) return Status::Error("STORE-1", "cannot connect to '" + Redact(uri) + "': out of memory");
  Conn c(raw);
  if (PQstatus(raw) != CONNECTION_OK) {
    return Status::Error("STORE-1", "cannot connect to '" + Redact(uri) + "': " + Trim(PQerrorMessage(raw)));
  }
  PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);  // NOTICEs are not errors
  return c;
}

bool Conn::ok() const { return c_ && PQstatus(c_.get()) == CONNECTION_OK; }

bool Conn::in_transaction() const {
  return c_ && PQtransactionStatus(c_.get()) != PQTRANS_IDLE && PQtransactionStatus(c_.get()) != PQTRANS_UNKNOWN;
}

Status Conn::Reconnect() {
  // PQconsumeInput reads what is waiting without blocking (libpq keeps its
  // socket non-blocking). Outside a transaction nothing is expected: what it
  // finds is the server's goodbye (its FATAL message on one read, the end of
  // the stream on the next), which leaves the status BAD.
  if (ok() && !in_transaction()) {
    for (int i = 0; i < 2 && ok(); ++i) (void)PQconsumeInput(c_.get());
  }
  if (ok()) return {};
  PQreset(c_.get());
  prepared_->clear();  // prepared statements die with their session
  if (!ok()) return Status::Error("STORE-1", "PostgreSQL unreachable: " + Trim(PQerrorMessage(c_.get())));
  PQsetNoticeProcessor(c_.get(), [](void*, const char*) {}, nullptr);
  return {};
}

Result<std::vector<Conn::Notification>> Conn::TakeNotifications() {
  std::vector<Notification> out;
  if (!ok() || PQconsumeInput(c_.get()) == 0) {
    return Status::Error("STORE-1", "PostgreSQL connection lost: " + Trim(PQerrorMessage(c_.get())));
  }
  while (PGnotify* n = PQnotifies(c_.get())) {
    out.push_back({n->relname ? n->relname : "", n->extra ? n->extra : ""});
    PQfreemem(n);
  }
  return out;
}

Status Conn::Fail(std::string_view what, const PGresult* r) const {
  std::string msg = r ? PQresultErrorMessage(r) : "";
  if (msg.empty()) msg = PQerrorMessage(c_.get());
  return Status::Error("STORE-1", std::string(what) + ": " + Trim(msg));
}

Status Conn::Exec(std::string_view sql) {
  if (!ok()) return Status::Error("STORE-1", "PostgreSQL connection lost");
  const std::string text(sql);
  Rows r(PQexec(c_.get(), text.c_str()));
  const ExecStatusType st = r.raw() ? PQresultStatus(r.raw()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Fail("exec '" + text.substr(0, 60) + "'", r.raw());
  // A COMMIT of a failed transaction is answered ROLLBACK, not an error.
  if (text == "COMMIT" && std::strcmp(PQcmdStatus(const_cast<PGresult*>(r.raw())), "COMMIT") != 0) {
    return Status::Error("STORE-1", "COMMIT rolled back: the transaction had failed");
  }
  return {};
}

Result<Rows> Conn::Query(std::string_view sql, std::initializer_list<Param> params) {
  if (!ok()) return Status::Error("STORE-1", "PostgreSQL connection lost");
  const int n = static_cast<int>(params.size());
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats(params.size(), 1);
  std::vector<std::array<unsigned char, 8>> ints;  // network-order INT8 values
  ints.reserve(params.size());
  for (const Param& p : params) {
    if (const auto* i = std::get_if<std::int64_t>(&p)) {
      std::array<unsigned char, 8> be{};
      const auto u = static_cast<std::uint64_t>(*i);
      for (int k = 0; k < 8; ++k) be[k] = static_cast<unsigned char>(u >> (56 - 8 * k));
      ints.push_back(be);
      types.push_back(kInt8);
      values.push_back(reinterpret_cast<const char*>(ints.back().data()));
      lengths.push_back(8);
    } else if (const auto* b = std::get_if<std::string_view>(&p)) {
      types.push_back(kBytea);
      values.push_back(b->data() ? b->data() : "");
      lengths.push_back(static_cast<int>(b->size()));
    } else {
      types.push_back(0);  // NULL: type inferred from the statement
      values.push_back(nullptr);
      lengths.push_back(0);
    }
  }
  auto it = prepared_->find(sql);
  std::string name;
  if (it != prepared_->end()) {
    name = it->second;
  } else {
    const bool keep = prepared_->size() < kMaxPrepared;
    name = keep ? "s" + std::to_string(prepared_->size()) : "";  // "": the unnamed statement
    const std::string text(sql);
    Rows prep(PQprepare(c_.get(), name.c_str(), text.c_str(), n, types.data()));
    if (!prep.raw() || PQresultStatus(prep.raw()) != PGRES_COMMAND_OK) {
      return Fail("prepare '" + text.substr(0, 60) + "'", prep.raw());
    }
    if (keep) prepared_->emplace(text, name);
  }
  Rows r(PQexecPrepared(c_.get(), name.c_str(), n, values.data(), lengths.data(), formats.data(), 1));
  const ExecStatusType st = r.raw() ? PQresultStatus(r.raw()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Fail("'" + std::string(sql.substr(0, 60)) + "'", r.raw());
  return r;
}

Status Migrate(Conn& db, const std::vector<std::string_view>& migrations) {
  // One transaction for the check and every missing step, under an advisory
  // lock: two processes starting on a fresh database migrate it once.
  if (Status s = db.Exec("BEGIN"); !s.ok()) return s;
  auto fail = [&](Status s) {
    (void)db.Exec("ROLLBACK");
    return s;
  };
  if (Status s = db.Exec("SELECT pg_advisory_xact_lock(7262126347); "
                         "CREATE TABLE IF NOT EXISTS mcpsim_schema(version BIGINT NOT NULL)");
      !s.ok()) {
    return fail(s);
  }
  auto row = db.Query("SELECT version FROM mcpsim_schema");
  if (!row.ok()) return fail(row.status());
  std::size_t version = 0;
  if (row->size() == 0) {
    if (Status s = db.Exec("INSERT INTO mcpsim_schema(version) VALUES(0)"); !s.ok()) return fail(s);
  } else {
    version = static_cast<std::size_t>(row->Int(0, 0));
  }
  if (version > migrations.size()) {
    return fail(Status::Error("STORE-2", "database schema version " + std::to_string(version) +
                                             " is newer than this build (" + std::to_string(migrations.size()) + ")"));
  }
  for (std::size_t v = version; v < migrations.size(); ++v) {
    if (Status s = db.Exec(migrations[v]); !s.ok()) {
      return fail(Status::Error("STORE-2", "migration " + std::to_string(v + 1) + " failed: " + s.message()));
    }
  }
  if (version < migrations.size()) {
    auto up = db.Query("UPDATE mcpsim_schema SET version = $1", {static_cast<std::int64_t>(migrations.size())});
    if (!up.ok()) return fail(up.status());
  }
  return db.Exec("COMMIT");
}

}  // namespace mcpsim::reference::pg
