// ProvisionedStage: what the two TargetStages (external.h: a server on real
// sockets; sim_stage.h: a server inside the simulation) share — accounts and
// contacts through a conformance::Provisioner, and the relays' HTTP answer
// filter, which records the TEST-1 captcha text per client address and
// rewrites the target's addresses in a DP answer to the relay nodes'.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/provision.h"
#include "scenarios/target_addresses.h"
#include "scenarios/target_stage.h"

namespace mcpsim::scenarios {

class ProvisionedStage : public TargetStage {
 public:
  Result<conformance::ProvisionAccount> Account(const std::string& name, const std::string& password) override;
  Status AddContacts(const conformance::ProvisionAccount& owner, const std::vector<std::string>& contacts) override;
  std::string HookCaptchaFor(std::uint32_t ip) const override;

 protected:
  // The relay's filter for the HTTP answers of `role`'s node (any role: the
  // captcha hook; "dp": the address rewrite too, with `addrs`, which must
  // outlive the relays, as must this stage).
  using Rewrite = std::function<std::string(std::string_view)>;
  std::function<Rewrite(const Endpoint& peer)> HttpAnswerFilter(const std::string& role, const TargetAddresses& addrs);
  // REQUIRES: set before Account, AddContacts and ProvisionCounters.
  void SetProvisioner(std::unique_ptr<conformance::Provisioner> p) { prov_ = std::move(p); }
  // The derived stage's destructor calls this before what the provisioner
  // uses (its Env and loop) is gone.
  void ResetProvisioner() { prov_.reset(); }
  // Adds provision_registered, _captcha_hook, _captcha_reader,
  // _contacts_added (and _from_file when `from_file`) to `c`.
  void ProvisionCounters(std::map<std::string, std::int64_t>& c, bool from_file) const;

 private:
  std::unique_ptr<conformance::Provisioner> prov_;
  std::map<std::uint32_t, std::string> hook_captcha_;  // client node ip -> TEST-1 text
};

}  // namespace mcpsim::scenarios
