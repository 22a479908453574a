// ChatWorld: the IM half of the reference stack — one SG (with its Messenger
// back end and an in-memory SQLite store) and N mobile clients — hosted by
// RoleHosts on Envs the caller supplies. Used by `mcpsim bench world` and the
// end-to-end SG tests; the caller owns the Envs (sim nodes in practice) and
// runs them, so this file stays simulator-agnostic (host/ must not depend on
// sim/).
//
// Accounts and contact lists are provisioned straight into the store (no RS
// registration round trip): the SG's login path (RAT verifies the Argon2id
// hash, RSII, sync, RPS) is the same either way. Clients talk to the SG
// directly (McClient::SetSgEndpoint) instead of asking DP first, and have the
// privacy agreement accepted at creation unless the caller says otherwise.
//
// Determinism: every random choice comes from named streams of `seed`
// ("role:sg", "role:<client name>", "accounts").
//
// The SG, its back end and store come from reference::Deployment (the one
// builder of the reference roles); accounts from reference::DirectAccounts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/rng.h"
#include "host/host.h"
#include "reference/deploy/accounts.h"
#include "reference/deploy/deployment.h"
#include "reference/roles/mc/client.h"

namespace mcpsim::host {

class ChatWorld {
 public:
  // Returns the Env of a new node named `name` (called once per node: "sg",
  // then one per client). The Env must outlive the ChatWorld.
  using EnvFactory = std::function<Env&(const std::string& name)>;
  static constexpr std::uint16_t kSgPort = 1863;

  // Creates the store, back end and SG (UDP and TCP :1863). Fails (the
  // error of SQLite, the password hash or the SG's port binding) only if one
  // of those does.
  static Result<std::unique_ptr<ChatWorld>> Create(EnvFactory envs, std::uint64_t seed,
                                                   reference::SgConfig sg_config = {});
  ~ChatWorld();
  ChatWorld(const ChatWorld&) = delete;
  ChatWorld& operator=(const ChatWorld&) = delete;

  // ---- accounts (written to the store directly) ----
  // Every account gets the same password hash (Argon2id, minimal cost), so
  // provisioning 1000 accounts costs one hash. Nickname "" = local part.
  Status CreateAccount(const std::string& account, const std::string& nickname = "");
  static const std::string& Password() { return password_; }
  // One-sided list entry (SG-CONT-3); both for Befriend.
  Status AddContact(const std::string& owner, const std::string& contact);
  Status Befriend(const std::string& a, const std::string& b);

  // ---- clients ----
  // Adds client `name` on a new node; `config.device_id` defaults to "dev-<i>".
  // Returns its index, or the error of starting its host (the client is then
  // not added).
  Result<int> AddClient(reference::McConfig config, const std::string& name, bool accept_privacy = true);
  // Simulates an app restart: the client object is destroyed (closing its
  // cache file) and a new one is built from `config` on the same node (a new
  // UDP port, so the SG sees a new endpoint). Any open session is abandoned.
  // A default `config.device_id` keeps the client's device id. Fails only if
  // the new host cannot start (the client then has no host until a retry).
  Status RestartClient(int i, reference::McConfig config, bool accept_privacy = true);
  // Destroys every client and its host (their nodes' Envs stay). For memory
  // accounting: the heap this frees is what the clients held.
  void DropClients() { std::vector<Client>().swap(clients_); }
  int clients() const { return static_cast<int>(clients_.size()); }
  reference::McClient& mc(int i) { return *clients_.at(static_cast<std::size_t>(i)).mc; }
  const reference::McConfig& config(int i) const {
    return clients_.at(static_cast<std::size_t>(i)).mc->config();
  }
  // Lets client i act now (`fn(client, now)`) and sends what it produced.
  template <typename Fn>
  auto Act(int i, Fn&& fn) {
    Client& c = clients_.at(static_cast<std::size_t>(i));
    auto result = fn(*c.mc, c.env->Now());
    c.host->Pump();
    return result;
  }

  // Sends what the SG queued outside an input (Backend::InjectNudge, ...).
  void PumpSg() { sg_host_->Pump(); }
  reference::SgRole& sg() { return *deploy_->sg(); }
  reference::Backend& backend() { return *deploy_->backend(); }
  reference::Store& store() { return deploy_->store(reference::ServerRole::kSg); }
  const Endpoint& sg_endpoint() const { return sg_ep_; }

 private:
  struct Client {  // (the McConfig lives in the McClient only)
    Env* env = nullptr;
    std::string name;
    std::unique_ptr<reference::McClient> mc;
    std::unique_ptr<RoleHost> host;
    std::uint32_t restarts = 0;
  };
  ChatWorld(EnvFactory envs, std::uint64_t seed) : envs_(std::move(envs)), seed_(seed) {}
  Status Start(reference::SgConfig sg_config);
  Status Build(Client& c, reference::McConfig config, bool accept_privacy);

  static const std::string password_;
  EnvFactory envs_;
  std::uint64_t seed_;
  std::unique_ptr<reference::Deployment> deploy_;
  std::unique_ptr<reference::DirectAccounts> accounts_;
  std::unique_ptr<RoleHost> sg_host_;
  Endpoint sg_ep_;
  std::vector<Client> clients_;
};

}  // namespace mcpsim::host
