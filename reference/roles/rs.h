// RS, the registration server (PROTOCOL.md §7.2, RS-1..14, TCP-4, HTTP-7/8):
// RAP creates a registration session and a captcha, whose PNG image is pushed
// as RBIN chunks (server-initiated, PAY-4..9); REG creates the account with an
// Argon2id password hash. Transports: TCP (session = connection) and HTTP POST
// /mcp (session = `SessionID` header).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/rng.h"
#include "reference/crypto/password.h"
#include "reference/media/captcha.h"
#include "reference/roles/role.h"
#include "reference/store/store.h"
#include "reference/transport/push.h"
#include "reference/transport/ratelimit.h"
#include "reference/transport/server.h"

namespace mcpsim::reference {

struct RsConfig {
  PasswordCost password_cost;                // RS-10
  int captcha_length = 5;                    // RS-2
  CaptchaFormat captcha_format = CaptchaFormat::kPngStored;  // RS-3 (serve: rs.captcha_format)
  TimeUs captcha_ttl = 300 * kSeconds;       // RS-7
  TimeUs session_idle = 300 * kSeconds;      // TIMER-10
  RetryPolicy retry;
  ServerConfig server;
  // §6.8: RAP and REG per source address (RATE-6), the session table bound
  // (RATE-7). RateSpec{} (off) disables a limit.
  RateSpec rap_per_address{5, 40};
  RateSpec reg_per_address{5, 40};
  std::size_t max_sessions = 1024;
  // TEST-ONLY defect switch (mcpsim serve --mutant): false lets a captcha be
  // used again after a REG (violates RS-7). Never false when conforming.
  bool captcha_single_use = true;
  // TEST-ONLY defect switch: true answers 103 for a captchaText outside
  // 1..16 bytes before the captcha checks (violates the REG check order,
  // G-54: such a text is 203 and consumes the captcha). Never true when
  // conforming.
  bool reg_text_length_first = false;
  // TEST-ONLY defect switch: false keeps sending a captcha whose RBIN the
  // client answered non-zero (violates RS-6). Never false when conforming.
  bool rbin_refusal_stops = true;
  // TEST-1 (PROTOCOL.md §7.2, OPTIONAL, test mode only: `mcpsim serve
  // --test-hooks`): an HTTP response carrying AAP also carries the captcha
  // text in `X-MCP-Test-Captcha`. Off by default; never on in production.
  bool test_disclose_captcha = false;
};

struct RsStats {
  std::uint64_t sessions_created = 0, captchas = 0, chunks_acked = 0, accounts_created = 0;
  std::uint64_t wrong_captcha = 0, duplicate_accounts = 0;
  std::uint64_t rate_limited = 0, sessions_evicted = 0;  // RATE-6, RATE-7
};

class RsRole final : public Role, private CommandHandler {
 public:
  // `store` is not owned and must outlive the role. `rng` draws session ids,
  // captchas and password salts.
  RsRole(RsConfig config, Store& store, Rng rng, std::string name = "rs");

  void OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) override;
  void OnStreamOpen(TimeUs now, std::uint64_t conn, const Endpoint& peer) override;
  void OnStreamClosed(TimeUs now, std::uint64_t conn) override;
  void OnHttp(TimeUs now, std::uint64_t exchange, const HttpRequest& req) override;
  void OnWorkDone(TimeUs now, std::uint64_t id, const WorkResult& result) override;
  void OnTimer(TimeUs now) override;
  TimeUs NextDeadline() const override;
  void Drain(std::vector<Output>& out) override;
  std::string_view name() const override { return name_; }

  const RsStats& stats() const { return stats_; }
  const ServerStats& server_stats() const { return server_.stats(); }
  // The text of the live captcha of a session (for white-box tests only).
  std::string CaptchaTextForTest(const std::string& session_id) const;
  std::size_t session_count() const { return sessions_.size(); }

 private:
  struct Session {
    std::string id;
    std::uint64_t conn = 0;  // TCP connection, 0 for HTTP
    Endpoint peer;
    std::uint32_t captcha_id = 0;
    std::string captcha_text;
    TimeUs captcha_expires = 0;
    bool captcha_live = false;
    TimeUs last_active = 0;
    std::uint64_t seq = 0;  // creation order (RATE-7)
    PushChannel push;
    Session(PushTransport t, RetryPolicy p, PushLimits l) : push(t, p, l) {}
  };

  void HandleRequest(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply) override;
  void ResumeRequest(const RequestContext& ctx, const wire::CommandView& cmd,
                     const WorkResult& result, Reply& reply) override;
  void HandleAnswer(const RequestContext& ctx, const wire::CommandView& cmd) override;
  void AppendHttpPushes(TimeUs now, const std::string& session, std::string& body) override;

  Session* Find(const RequestContext& ctx);
  Session& Create(const RequestContext& ctx);
  void Rap(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply);
  void Reg(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply);
  void FlushTcp(TimeUs now, Session& s);
  void Close(const std::string& id);

  RsConfig config_;
  Store& store_;
  Rng rng_;
  std::string name_;
  CommandServer server_;
  std::map<std::string, Session> sessions_;       // by session id
  std::map<std::uint64_t, std::string> by_conn_;  // TCP conn -> session id
  std::map<std::uint64_t, std::string> by_age_;   // creation seq -> session id (RATE-7)
  std::uint64_t next_seq_ = 1;
  RateLimiter rap_limit_, reg_limit_;
  std::map<std::uint64_t, Endpoint> conn_peer_;
  std::uint32_t next_captcha_id_ = 1;
  std::vector<Output> out_;
  RsStats stats_;
};

}  // namespace mcpsim::reference
