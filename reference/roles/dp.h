// DP, the dispatch server (PROTOCOL.md §7.1, DP-1..5, HTTP-1/2): one command,
// RQQW over HTTP GET `/mcp?q=<percent-encoded command line>`, answered with
// AQQW carrying the update advice and the addresses of the assigned SG, RS,
// CS and MS. Stateless per client (DP-4).
#pragma once

#include "core/buggify.h"

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "reference/roles/role.h"
#include "reference/transport/server.h"

namespace mcpsim::reference {

struct DpGateway {
  std::string sg;  // URI list of this SG (ARCH-4)
  std::string rs;  // URI list of the RS co-located with / serving this SG
  bool available = true;
};

struct DpConfig {
  std::string min_version = "1.0.0";     // below: update "required" (DP-1)
  std::string latest_version = "1.0.0";  // below: update "recommended"
  std::string update_url;                // offered unless update is "none"
  std::vector<DpGateway> gateways;       // chosen by FNV-1a(deviceId) mod N (DP-3)
  std::string cs;                        // URI list of CS
  std::string ms;                        // media base of MS
  // TEST-ONLY defect switch (mcpsim serve --mutant): true compares versions
  // as byte strings, so 1.9.0 > 1.10.0 (violates DP-1). Never set when conforming.
  bool compare_versions_as_strings = false;
  // Fault points (reference/fault_sites.h: dp.*); nullptr outside a
  // simulation that enables them. Not owned.
  FaultPoints* faults = nullptr;
};

class DpRole final : public Role, private CommandHandler {
 public:
  explicit DpRole(DpConfig config, std::string name = "dp");

  void OnHttp(TimeUs now, std::uint64_t exchange, const HttpRequest& req) override;
  void Drain(std::vector<Output>& out) override;
  std::string_view name() const override { return name_; }

  // Marks gateway i (un)available, e.g. from an operator or a health check.
  void SetAvailable(std::size_t i, bool available);
  // Replaces the configured SGs, e.g. with the live registrations of a
  // multi-process deployment (CLU-5), fed by the host. Answers use the new set
  // from the next request on (DP-3: the FNV index is over this list).
  void SetGateways(std::vector<DpGateway> gateways) { config_.gateways = std::move(gateways); }
  const std::vector<DpGateway>& gateways() const { return config_.gateways; }
  std::uint64_t requests() const { return requests_; }

 private:
  void HandleRequest(const RequestContext& ctx, const wire::CommandView& cmd,
                     Reply& reply) override;
  HttpResponse Answer(TimeUs now, const HttpRequest& req);

  DpConfig config_;
  std::array<std::uint16_t, 3> min_{}, latest_{};
  std::string name_;
  CommandServer server_;
  std::uint64_t requests_ = 0;
  std::vector<Output> out_;
};

}  // namespace mcpsim::reference
