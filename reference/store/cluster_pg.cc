// The SG registry (cluster.h) on PostgreSQL: one row per SG id.
#include <algorithm>
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
CREATE TABLE IF NOT EXISTS mcpsim_sg_relays(
  seq BIGSERIAL PRIMARY KEY,
  to_sg BIGINT NOT NULL,
  body BYTEA NOT NULL);
CREATE INDEX IF NOT EXISTS mcpsim_sg_relays_to ON mcpsim_sg_relays(to_sg, seq);
CREATE TABLE IF NOT EXISTS mcpsim_sg_presence(
  account BYTEA PRIMARY KEY,
  sg_id BIGINT NOT NULL,
  body BYTEA NOT NULL);
)sql";

std::string FromHex(std::string_view hex) {
  std::string out;
  auto nib = [](char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(nib(hex[i]) * 16 + nib(hex[i + 1]));
  return out;
}

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
      auto ch = db_.Query(
          "SELECT left('mcpsim_om:' || current_schema(), 63)::bytea, left('mcpsim_rq:' || current_schema(), 63)::bytea");
      if (!ch.ok()) return ch.status();
      om_channel_ = ch->Bytes(0, 0);
      rq_channel_ = ch->Bytes(0, 1);
      for (const std::string& channel : {om_channel_, rq_channel_}) {
        std::string quoted = "\"";
        for (char c : channel) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        if (Status s = db_.Exec("LISTEN " + quoted + "\""); !s.ok()) return s;
      }
      listening_ = true;
      w.resync = true;  // anything committed before LISTEN took effect
    }
    auto got = db_.TakeNotifications();
    if (!got.ok()) {
      listening_ = false;
      return got.status();
    }
    for (const pg::Conn::Notification& n : *got) {
      if (n.channel == rq_channel_) {
        std::uint32_t sg = 0;
        for (char c : n.payload) sg = c >= '0' && c <= '9' ? sg * 10 + static_cast<std::uint32_t>(c - '0') : sg;
        w.queued_for.push_back(sg);
      } else {
        w.recipients.push_back(FromHex(n.payload));
      }
    }
    return w;
  }

  Status PutRelays(const std::vector<PresenceRow>& presence, const std::vector<QueuedRelay>& queued) override {
    if (presence.empty() && queued.empty()) return {};
    if (Status s = db_.Reconnect(); !s.ok()) return s;
    if (Status s = db_.Exec("BEGIN"); !s.ok()) return s;
    auto fail = [&](Status s) {
      (void)db_.Exec("ROLLBACK");
      return s;
    };
    for (const PresenceRow& p : presence) {
      auto r = p.offline
                   ? db_.Query("DELETE FROM mcpsim_sg_presence WHERE account = $1 AND sg_id = $2",
                               {std::string_view(p.account), static_cast<std::int64_t>(p.sg_id)})
                   : db_.Query("INSERT INTO mcpsim_sg_presence(account, sg_id, body) VALUES($1, $2, $3) "
                               "ON CONFLICT (account) DO UPDATE SET sg_id = EXCLUDED.sg_id, body = EXCLUDED.body",
                               {std::string_view(p.account), static_cast<std::int64_t>(p.sg_id),
                                std::string_view(p.body)});
      if (!r.ok()) return fail(r.status());
    }
    std::vector<std::uint32_t> told;
    for (const QueuedRelay& q : queued) {
      auto r = db_.Query("INSERT INTO mcpsim_sg_relays(to_sg, body) VALUES($1, $2)",
                         {static_cast<std::int64_t>(q.to_sg), std::string_view(q.body)});
      if (!r.ok()) return fail(r.status());
      if (std::find(told.begin(), told.end(), q.to_sg) != told.end()) continue;
      told.push_back(q.to_sg);
      auto n = db_.Query("SELECT pg_notify(left('mcpsim_rq:' || current_schema(), 63), $1::text)::text",
                         {static_cast<std::int64_t>(q.to_sg)});
      if (!n.ok()) return fail(n.status());
    }
    return db_.Exec("COMMIT");
  }

  Result<std::vector<std::string>> TakeQueued(std::uint32_t sg_id, std::size_t max) override {
    if (Status s = db_.Reconnect(); !s.ok()) return s;
    auto r = db_.Query(
        "DELETE FROM mcpsim_sg_relays WHERE seq IN (SELECT seq FROM mcpsim_sg_relays WHERE to_sg = $1 "
        "ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING seq, body",
        {static_cast<std::int64_t>(sg_id), static_cast<std::int64_t>(max)});
    if (!r.ok()) return r.status();
    std::vector<std::pair<std::int64_t, std::string>> rows;
    for (int i = 0; i < r->size(); ++i) rows.emplace_back(r->Int(i, 0), r->Bytes(i, 1));
    std::sort(rows.begin(), rows.end());
    std::vector<std::string> out;
    for (auto& [seq, body] : rows) out.push_back(std::move(body));
    return out;
  }

  Result<std::vector<std::string>> PresenceHeldBy(std::uint32_t sg_id) override {
    if (Status s = db_.Reconnect(); !s.ok()) return s;
    auto r = db_.Query("SELECT body FROM mcpsim_sg_presence WHERE sg_id = $1 ORDER BY account",
                       {static_cast<std::int64_t>(sg_id)});
    if (!r.ok()) return r.status();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(r->Bytes(i, 0));
    return out;
  }

  Result<std::vector<std::string>> LivePresence() override {
    if (Status s = db_.Reconnect(); !s.ok()) return s;
    auto r = db_.Query(
        "SELECT p.body FROM mcpsim_sg_presence p JOIN mcpsim_sg_nodes n ON n.sg_id = p.sg_id "
        "WHERE n.lease_until > clock_timestamp() ORDER BY p.account");
    if (!r.ok()) return r.status();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(r->Bytes(i, 0));
    return out;
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
  std::string om_channel_, rq_channel_;
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
