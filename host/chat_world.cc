#include "host/chat_world.h"


namespace mcpsim::host {

const std::string ChatWorld::password_ = "correct horse";

Result<std::unique_ptr<ChatWorld>> ChatWorld::Create(EnvFactory envs, std::uint64_t seed,
                                                     reference::SgConfig sg_config) {
  std::unique_ptr<ChatWorld> w(new ChatWorld(std::move(envs), seed));
  if (Status s = w->Start(std::move(sg_config)); !s.ok()) return s;
  return w;
}

Status ChatWorld::Start(reference::SgConfig sg_config) {
  reference::DeploymentOptions d;
  d.seed = seed_;
  d.password_cost = reference::PasswordCost::Minimal();  // the accounts' cost (SG-LOGIN-16)
  d.sg = std::move(sg_config);
  auto deploy = reference::Deployment::Open(std::move(d), ":memory:");
  if (!deploy.ok()) return deploy.status();
  deploy_ = std::move(*deploy);
  accounts_ = std::make_unique<reference::DirectAccounts>(deploy_->store(reference::ServerRole::kSg), password_,
                                                          Rng::Stream(seed_, "accounts"));
  if (auto hash = accounts_->Hash(); !hash.ok()) return hash.status();
  deploy_->Build(reference::ServerRole::kSg);
  Env& env = envs_("sg");
  sg_host_ = std::make_unique<RoleHost>(env, *deploy_->sg());
  if (Status s = sg_host_->Start({kSgPort, kSgPort, std::nullopt}); !s.ok()) return s;
  sg_ep_ = sg_host_->udp_endpoint();
  sg_ep_.addr = env.LocalAddress().addr;  // the bound endpoint may carry 0.0.0.0
  return {};
}

ChatWorld::~ChatWorld() {
  // Clients first: their hosts hold timers on Envs and reference nothing of the SG.
  clients_.clear();
  sg_host_.reset();
}

Status ChatWorld::CreateAccount(const std::string& account, const std::string& nickname) {
  auto r = accounts_->Create(account, nickname);
  if (!r.ok()) return r.status();
  if (!*r) return Status::Error("STORE-3", "account exists: " + account);
  return {};
}

Status ChatWorld::AddContact(const std::string& owner, const std::string& contact) {
  return accounts_->AddContact(owner, contact);
}

Status ChatWorld::Befriend(const std::string& a, const std::string& b) { return accounts_->Befriend(a, b); }

Status ChatWorld::Build(Client& c, reference::McConfig config, bool accept_privacy) {
  const std::string stream = c.restarts == 0 ? "role:" + c.name
                                             : "role:" + c.name + "/restart-" + std::to_string(c.restarts);
  c.mc = std::make_unique<reference::McClient>(std::move(config), Rng::Stream(seed_, stream), c.name);
  c.mc->SetSgEndpoint(sg_ep_);
  if (accept_privacy) c.mc->AcceptPrivacyAgreement();
  c.host = std::make_unique<RoleHost>(*c.env, *c.mc);
  return c.host->Start({0, std::nullopt, std::nullopt});
}

Result<int> ChatWorld::AddClient(reference::McConfig config, const std::string& name, bool accept_privacy) {
  const int i = clients();
  if (config.device_id == reference::McConfig{}.device_id) config.device_id = "dev-" + std::to_string(i);
  Client c;
  c.env = &envs_(name);
  c.name = name;
  clients_.push_back(std::move(c));
  if (Status s = Build(clients_.back(), std::move(config), accept_privacy); !s.ok()) {
    clients_.pop_back();
    return s;
  }
  return i;
}

Status ChatWorld::RestartClient(int i, reference::McConfig config, bool accept_privacy) {
  Client& c = clients_.at(static_cast<std::size_t>(i));
  c.host.reset();  // cancels its timer; its port's callback goes dead
  if (config.device_id == reference::McConfig{}.device_id) config.device_id = c.mc->config().device_id;
  c.mc.reset();
  ++c.restarts;
  return Build(c, std::move(config), accept_privacy);
}

}  // namespace mcpsim::host
