#include "scenarios/provisioned_stage.h"

namespace mcpsim::scenarios {

Result<conformance::ProvisionAccount> ProvisionedStage::Account(const std::string& name, const std::string& password) {
  return prov_->Account(name, password);
}

Status ProvisionedStage::AddContacts(const conformance::ProvisionAccount& owner,
                                     const std::vector<std::string>& contacts) {
  return prov_->AddContacts(owner, contacts);
}

std::string ProvisionedStage::HookCaptchaFor(std::uint32_t ip) const {
  auto it = hook_captcha_.find(ip);
  return it == hook_captcha_.end() ? "" : it->second;
}

std::function<ProvisionedStage::Rewrite(const Endpoint& peer)> ProvisionedStage::HttpAnswerFilter(
    const std::string& role, const TargetAddresses& addrs) {
  const TargetAddresses* a = &addrs;
  return [this, a, role](const Endpoint& peer) -> Rewrite {
    const std::uint32_t ip = peer.v4();
    auto filter = std::make_shared<HttpResponseFilter>([this, a, role, ip](reference::HttpResponse& resp) {
      if (auto h = resp.headers.find("x-mcp-test-captcha"); h != resp.headers.end()) hook_captcha_[ip] = h->second;
      if (role == "dp") resp.body = a->RewriteCommands(resp.body);
    });
    return [filter](std::string_view chunk) { return (*filter)(chunk); };
  };
}

void ProvisionedStage::ProvisionCounters(std::map<std::string, std::int64_t>& c, bool from_file) const {
  const conformance::ProvisionStats& p = prov_->stats();
  c["provision_registered"] = p.registered;
  if (from_file) c["provision_from_file"] = p.from_file;
  c["provision_captcha_hook"] = p.captcha_hook;
  c["provision_captcha_reader"] = p.captcha_reader;
  c["provision_contacts_added"] = p.contacts_added;
}

}  // namespace mcpsim::scenarios
