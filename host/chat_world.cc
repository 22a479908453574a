#include "host/chat_world.h"

#include "reference/crypto/password.h"

namespace mcpsim::host {

const std::string ChatWorld::password_ = "correct horse";

Result<std::unique_ptr<ChatWorld>> ChatWorld::Create(EnvFactory envs, std::uint64_t seed,
                                                     reference::SgConfig sg_config) {
  std::unique_ptr<ChatWorld> w(new ChatWorld(std::move(envs), seed));
  if (Status s = w->Start(std::move(sg_config)); !s.ok()) return s;
  return w;
}

Status ChatWorld::Start(reference::SgConfig sg_config) {
  auto store = reference::OpenSqliteStore(":memory:");
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  Rng salt = Rng::Stream(seed_, "accounts");
  auto hash = reference::HashPassword(password_, salt, reference::PasswordCost::Minimal());
  if (!hash.ok()) return hash.status();
  password_hash_ = std::move(*hash);
  backend_ = std::make_unique<reference::Backend>(*store_);
  sg_config.dummy_cost = reference::PasswordCost::Minimal();  // the accounts' cost (SG-LOGIN-16)
  sg_ = std::make_unique<reference::SgRole>(std::move(sg_config), *store_, *backend_,
                                            Rng::Stream(seed_, "role:sg"));
  Env& env = envs_("sg");
  sg_host_ = std::make_unique<RoleHost>(env, *sg_);
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
  reference::Account a;
  a.name = account;
  a.password_hash = password_hash_;
  a.nickname = nickname.empty() ? account.substr(0, account.find('@')) : nickname;
  auto r = store_->CreateAccount(a);
  if (!r.ok()) return r.status();
  if (!*r) return Status::Error("STORE-3", "account exists: " + account);
  return {};
}

Status ChatWorld::AddContact(const std::string& owner, const std::string& contact) {
  auto r = store_->EditContact(owner, contact, reference::ContactEdit::kAdd);
  return r.ok() ? Status{} : r.status();
}

Status ChatWorld::Befriend(const std::string& a, const std::string& b) {
  if (Status s = AddContact(a, b); !s.ok()) return s;
  return AddContact(b, a);
}

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
