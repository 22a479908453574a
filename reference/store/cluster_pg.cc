// The SG registry (cluster.h) on PostgreSQL: one row per SG id.
#include <utility>

#include "reference/store/cluster.h"
#include "reference/store/postgres.h"

namespace mcpsim::reference {
namespace {

// Created on first use, outside the store's versioned migrations (the SQLite
// store has no registry: these tables exist only on PostgreSQL).
constexpr std::string_view kClusterSchema = R"sql(
SELECT pg_advisory_xact_lock(7262126348);
CREATE TABLE IF NOT EXISTS mcpsim_sg_nodes(
  sg_id BIGINT PRIMARY KEY,
  instance BYTEA NOT NULL,
  sg_uris BYTEA NOT NULL,
  rs_uris BYTEA NOT NULL,
  lease_until TIMESTAMPTZ NOT NULL);
CREATE SEQUENCE IF NOT EXISTS mcpsim_call_ids;
CREATE SEQUENCE IF NOT EXISTS mcpsim_transfer_ids;
CREATE SEQUENCE IF NOT EXISTS mcpsim_voice_ids;
)sql";

class PgCluster final : public Cluster {
 public:
  explicit PgCluster(pg::Conn c) : db_(std::move(c)) {}

  Result<bool> Heartbeat(const GatewayRecord& self, std::string_view instance, std::int64_t lease_ms) override {
    if (Status s = db_.Reconnect(); !s.ok()) return s;
    auto r = db_.Query(
        "INSERT INTO mcpsim_sg_nodes(sg_id, instance, sg_uris, rs_uris, lease_until) "
        "VALUES($1, $2, $3, $4, clock_timestamp() + $5 * interval '1 millisecond') "
        "ON CONFLICT (sg_id) DO UPDATE SET instance = EXCLUDED.instance, sg_uris = EXCLUDED.sg_uris, "
        "rs_uris = EXCLUDED.rs_uris, lease_until = EXCLUDED.lease_until "
        "WHERE mcpsim_sg_nodes.instance = EXCLUDED.instance OR mcpsim_sg_nodes.lease_until <= clock_timestamp()",
        {static_cast<std::int64_t>(self.sg_id), instance, std::string_view(self.sg), std::string_view(self.rs),
         lease_ms});
    if (!r.ok()) return r.status();
    return r->affected() == 1;
  }

  Status Leave(std::uint32_t sg_id, std::string_view instance) override {
    if (Status s = db_.Reconnect(); !s.ok()) return s;
    auto r = db_.Query("DELETE FROM mcpsim_sg_nodes WHERE sg_id = $1 AND instance = $2",
                       {static_cast<std::int64_t>(sg_id), instance});
    return r.ok() ? Status{} : r.status();
  }

  Result<Wakeups> TakeWakeups() override {
    Wakeups w;
    if (!listening_ || !db_.ok()) {
      listening_ = false;
      if (Status s = db_.Reconnect(); !s.ok()) return s;
      auto ch = db_.Query("SELECT left('mcpsim_om:' || current_schema(), 63)::bytea");
      if (!ch.ok()) return ch.status();
      std::string channel = ch->Bytes(0, 0), quoted = "\"";
      for (char c : channel) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      if (Status s = db_.Exec("LISTEN " + quoted + "\""); !s.ok()) return s;
      listening_ = true;
      w.resync = true;  // anything committed before LISTEN took effect
    }
    auto got = db_.TakeNotifications();
    if (!got.ok()) {
      listening_ = false;
      return got.status();
    }
    for (const std::string& hex : *got) {
      std::string account;
      for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        auto nib = [](char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; };
        account += static_cast<char>(nib(hex[i]) * 16 + nib(hex[i + 1]));
      }
      w.recipients.push_back(std::move(account));
    }
    return w;
  }

  Result<std::uint64_t> NextId(std::string_view name) override {
    if (name != "call" && name != "transfer" && name != "voice") {
      return Status::Error("STORE-2", "no counter '" + std::string(name) + "'");
    }
    if (Status s = db_.Reconnect(); !s.ok()) return s;
    // `name` is one of three known words, so the sequence is named in the
    // SQL text itself (parameters are bytea here, which regclass refuses).
    auto r = db_.Query("SELECT nextval('mcpsim_" + std::string(name) + "_ids')");
    if (!r.ok()) return r.status();
    return static_cast<std::uint64_t>(r->Int(0, 0));
  }

  Result<std::vector<GatewayRecord>> LiveGateways() override {
    if (Status s = db_.Reconnect(); !s.ok()) return s;
    auto r = db_.Query(
        "SELECT sg_id, sg_uris, rs_uris FROM mcpsim_sg_nodes WHERE lease_until > clock_timestamp() "
        "ORDER BY sg_id");
    if (!r.ok()) return r.status();
    std::vector<GatewayRecord> out;
    for (int i = 0; i < r->size(); ++i) {
      out.push_back({static_cast<std::uint32_t>(r->Int(i, 0)), r->Bytes(i, 1), r->Bytes(i, 2)});
    }
    return out;
  }

 private:
  pg::Conn db_;
  bool listening_ = false;
};

}  // namespace

Result<std::unique_ptr<Cluster>> OpenPostgresCluster(const std::string& uri) {
  auto c = pg::Conn::Open(uri);
  if (!c.ok()) return c.status();
  if (Status s = c->Exec(std::string("BEGIN;") + std::string(kClusterSchema) + "COMMIT;"); !s.ok()) {
    (void)c->Exec("ROLLBACK");
    return Status::Error("STORE-2", "registry table: " + s.message());
  }
  return std::unique_ptr<Cluster>(new PgCluster(std::move(*c)));
}

}  // namespace mcpsim::reference
