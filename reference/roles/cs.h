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
  // CS-3 rate limit per source endpoint: token bucket (0 = unlimited).
  std::uint32_t rate_per_s = 0;
  std::uint32_t burst = 0;
  ServerConfig server;
};

class CsRole final : public Role, private CommandHandler {
 public:
  // `store` is not owned and must outlive the role.
  CsRole(CsConfig config, Store& store, std::string name = "cs");

  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) override;
  void OnTimer(TimeUs now) override { server_.Expire(now); }
  TimeUs NextDeadline() const override { return server_.NextDeadline(); }
  void Drain(std::vector<Output>& out) override;
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
  void Ad(const wire::CommandView& cmd, Reply& reply);
  bool Admit(TimeUs now, const Endpoint& from);

  struct Bucket {
    double tokens = 0;
    TimeUs at = 0;
  };
  CsConfig config_;
  Store& store_;
  std::string name_;
  CommandServer server_;
  std::vector<Output> out_;
  std::map<std::string, std::size_t> next_ad_;  // slot -> round-robin counter
  std::map<Endpoint, Bucket> buckets_;
  std::uint64_t uploads_ = 0;
};

}  // namespace mcpsim::reference
