// CS, the communication server (PROTOCOL.md §7.9, CS-1..6, MID-3): analytics
// uploads (RUP/AUP) and banner queries (RAD/AAD) over UDP, keyed by MID, no
// login. Every endpoint is unvalidated (AMP-1): answers never exceed the
// request datagram; clients pad RAD (AMP-4).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "reference/roles/role.h"
#include "reference/store/store.h"
#include "reference/transport/ratelimit.h"
#include "reference/transport/server.h"

namespace mcpsim::reference {

struct AdEntry {
  std::string slot;  // [a-z0-9_-]{1,32}
  std::string ad_id;
  std::string image_url;  // an MS media URL (MS-1)
  std::string click_url;
  std::uint32_t width = 0, height = 0;
};

struct CsConfig {
  std::vector<AdEntry> catalog;  // per slot, served round-robin in this order (CS-5)
  // RATE-8 (CS-3): RUP and RAD per source address and per MID; RateSpec{}
  // (off) disables a limit.
  RateSpec per_address{50, 200};
  RateSpec per_mid{20, 100};
  ServerConfig server;
  // TEST-ONLY (mcpsim serve --mutant cache-without-endpoint), never set when
  // conforming: every datagram is handled as if it came from one endpoint,
  // so the answer cache ignores the sender (violates TIMER-5, UDP-2); the
  // answers still go to the datagram's source.
  bool test_cache_without_endpoint = false;
};

class CsRole final : public Role, private CommandHandler {
 public:
  // `store` is not owned and must outlive the role.
  CsRole(CsConfig config, Store& store, std::string name = "cs");

  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) override;
  void OnTimer(TimeUs now) override { server_.Expire(now); }
  TimeUs NextDeadline() const override { return server_.NextDeadline(); }
  void Drain(std::vector<Output>& out) override;
  void OnHttp(TimeUs, std::uint64_t exchange, const HttpRequest&) override {
    out_.push_back(NoHttpBinding(exchange));  // ARCH-1: CS is UDP only
  }
  // Group commit: the AUP answers of a failed batch are forgotten (Role).
  void BeginBatch(TimeUs) override { server_.BeginBatch(); }
  void EndBatch(TimeUs, bool committed) override { server_.EndBatch(committed); }
  std::string_view name() const override { return name_; }

  const ServerStats& server_stats() const { return server_.stats(); }
  std::uint64_t uploads_recorded() const { return uploads_; }

 private:
  void HandleRequest(const RequestContext& ctx, const wire::CommandView& cmd,
                     Reply& reply) override;
  void HandleUpload(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply);
  void Ad(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply);
  // RATE-8: the address's bucket, then (valid MIDs only) the MID's.
  bool Admit(const RequestContext& ctx, const std::string& mid);

  CsConfig config_;
  RateLimiter by_address_, by_mid_;
  Store& store_;
  std::string name_;
  CommandServer server_;
  std::vector<Output> out_;
  std::map<std::string, std::size_t> next_ad_;  // slot -> round-robin counter
  Upload upload_;  // RUP's scratch (its strings keep their capacity)
  std::uint64_t uploads_ = 0;
  std::uint64_t rate_limited_ = 0;

 public:
  std::uint64_t rate_limited() const { return rate_limited_; }
};

}  // namespace mcpsim::reference
