#include "scenarios/ref_world.h"

#include <algorithm>

#include "reference/roles/uri.h"
#include "sim/trace.h"

namespace mcpsim::scenarios {

using reference::FormatUri;

Result<std::unique_ptr<RefWorld>> RefWorld::Create(RefWorldOptions options) {
  std::unique_ptr<RefWorld> w(new RefWorld(std::move(options)));
  if (Status st = w->Build(); !st.ok()) return st;
  return w;
}

Status RefWorld::Build() {
  world_ = std::make_unique<sim::World>(o_.seed, o_.world);
  if (!o_.trace_path.empty()) {
    if (Status st = world_->trace().OpenFile(o_.trace_path); !st.ok()) return st;
  }
  if (!o_.pcap_path.empty()) {
    if (Status st = world_->OpenPcap(o_.pcap_path); !st.ok()) return st;
  }
  reference::DeploymentStores stores;
  auto open = [this](const char* node, std::shared_ptr<reference::Store>& into) {
    auto s = MakeStore(node);
    if (!s.ok()) return s.status();
    into = std::move(*s);
    return Status();
  };
  if (Status st = open("sg", stores.accounts); !st.ok()) return st;
  if (Status st = open("cs", stores.uploads); !st.ok()) return st;
  if (Status st = open("ms", stores.media); !st.ok()) return st;
  auto add = [&](const std::string& name) {
    const sim::NodeId id = world_->AddNode(name);
    names_.emplace_back(name, id);
    return id;
  };
  add("dp"), add("rs"), add("cs");
  const sim::NodeId ms = add("ms");
  add("sg");
  auto ep = [&](sim::NodeId n, std::uint16_t port) { return Endpoint::V4(world_->node_ip(n), port); };
  if (o_.before_roles) {
    if (Status s = o_.before_roles(*this, o_); !s.ok()) return s;
  }

  // The server roles: with fault points on, they see their stores through
  // the store.* fault points; provisioning and checkers use the stores.
  reference::DeploymentOptions d;
  d.seed = o_.seed;
  d.password_cost = o_.password_cost;
  d.dedup = o_.server_dedup;
  d.faults = world_->faults();
  d.cs_rate_per_s = o_.cs_rate_per_s;
  d.cs_burst = o_.cs_burst;
  d.dp.min_version = o_.min_version;
  d.dp.latest_version = o_.latest_version;
  d.dp.update_url = "http://example.invalid/mc-" + o_.latest_version + ".sis";
  deploy_ = std::make_unique<reference::Deployment>(std::move(d), std::move(stores));
  const sim::NodeId sg = *node("sg"), rs = *node("rs");
  reference::DeploymentAddresses where;
  if (o_.host_sg) {
    where.sg_uris = FormatUri("udp", ep(sg, 1863)) + "," + FormatUri("tcp", ep(sg, 1863)) + "," +
                    FormatUri("http", ep(sg, 8080), "/mcp");
  }
  where.rs_uris = FormatUri("tcp", ep(rs, 1864)) + "," + FormatUri("http", ep(rs, 8080), "/mcp");
  where.cs_uris = FormatUri("udp", ep(*node("cs"), o_.cs_port));
  where.ms_base = FormatUri("http", ep(ms, 80));
  deploy_->SetAddresses(where);
  // A banner for the default ad slot, served by MS (the store is fresh).
  auto ads = deploy_->SeedAds({reference::AdSpec{}}, where.ms_base, /*keep_existing=*/false);
  if (!ads.ok()) return ads.status();
  deploy_->SetCatalog(o_.ads.empty() ? std::move(*ads) : o_.ads);
  // Same construction order as ever (roles first, then hosts in this order),
  // so traces of runs without crashes are unchanged.
  // External target runs relay the server nodes instead of hosting roles.
  external_ = static_cast<bool>(o_.relay_servers);
  for (const char* name : {"dp", "rs", "sg", "cs", "ms"}) {
    if (Status s = BuildRole(name); !s.ok()) return s;
  }
  for (int i = 0; i < o_.clients; ++i) {
    const std::string name = "mc-" + std::to_string(i);
    mc_nodes_.push_back(add(name));
    mcs_.emplace_back();
    mc_hosts_.push_back(nullptr);
    if (Status s = BuildRole(name); !s.ok()) return s;
  }
  if (external_) return o_.relay_servers(*this);
  if (o_.after_build) return o_.after_build(*this);
  return Status();
}

Result<std::unique_ptr<reference::Store>> RefWorld::MakeStore(const std::string& node) {
  if (std::find(o_.disks.begin(), o_.disks.end(), node) == o_.disks.end()) {
    auto s = reference::OpenSqliteStore(":memory:");
    if (!s.ok()) return s.status();
    return std::move(*s);
  }
  auto on_busy = [this, node](TimeUs until) {
    // Slow sync: the node answers nothing until its disk is done.
    if (until <= Now()) return;
    if (auto id = this->node(node); id.ok()) (void)world_->ClogNode(*id, Now(), until);
  };
  auto d = std::make_unique<DiskStore>(o_.seed, node, [this] { return Now(); }, on_busy);
  d->disk().SetTearProbability(0.5);
  d->disk().SetLyingSync(o_.broken_sync);
  if (Status st = d->Open(); !st.ok()) return st;
  disk_stores_[node] = d.get();
  return std::unique_ptr<reference::Store>(std::move(d));
}

sim::Disk* RefWorld::disk(const std::string& name) {
  auto it = disk_stores_.find(name);
  return it == disk_stores_.end() ? nullptr : &it->second->disk();
}

void RefWorld::HealDisks() {
  for (auto& [name, d] : disk_stores_) {
    sim::Disk& k = d->disk();
    for (int i = 0; i < sim::kDiskFaultCount; ++i) k.SetFault(static_cast<sim::DiskFault>(i), 0);
    k.SetSyncLatency(0);
    k.DisarmPowerLoss();
    k.SetOffline(false);
  }
}

std::string RefWorld::Incarnation(const std::string& name) const {
  auto it = crashes_.find(name);
  const int n = it == crashes_.end() ? 0 : it->second;
  return "role:" + name + (n == 0 ? "" : "#" + std::to_string(n)) + (up(name) ? "" : "-off");
}

Result<host::RoleHost*> RefWorld::StartHost(const std::string& name, reference::Role& role, host::HostPorts ports) {
  auto id = node(name);
  if (!id.ok()) return id.status();
  Env* env = &world_->env(*id);
  if (o_.wrap_client_env && name.rfind("mc-", 0) == 0) {
    // One decorator per phone for the whole run (it outlives every host).
    auto& w = wrapped_[name];
    if (!w) w = o_.wrap_client_env(name, *env);
    env = w.get();
  }
  auto h = std::make_unique<host::RoleHost>(*env, role);
  if (Status s = h->Start(ports); !s.ok()) return s;
  host::RoleHost* raw = h.get();
  hosts_[name] = std::move(h);
  return raw;
}

Status RefWorld::BuildRole(const std::string& name, bool live) {
  // Starts the host of this node's role (the role's Status if it cannot bind).
  auto start = [&](reference::Role& role, host::HostPorts ports, host::RoleHost** out = nullptr) {
    auto h = StartHost(name, role, ports);
    if (!h.ok()) return h.status();
    if (out) *out = *h;
    return Status();
  };
  using reference::ServerRole;
  reference::Deployment& d = *deploy_;
  if (name == "dp") {
    d.Build(ServerRole::kDp);
    if (live && o_.host_dp && !external_) return start(*d.dp(), {std::nullopt, std::nullopt, 80});
  } else if (name == "rs") {
    d.Build(ServerRole::kRs, Incarnation(name));
    if (live && o_.host_rs && !external_) return start(*d.rs(), {std::nullopt, 1864, 8080});
  } else if (name == "sg") {
    // The SG shares the account store with RS through the Messenger back end.
    d.Build(ServerRole::kSg, Incarnation(name));
    d.sg()->set_close_observer([this](TimeUs at, const std::string& account, reference::SgRole::CloseWhy why) {
      sg_closes_.push_back(SgClose{at, account, why});
    });
    if (live && o_.host_sg && !external_) {
      if (Status st = start(*d.sg(), {1863, 1863, 8080}, &sg_host_); !st.ok()) return st;
      if (o_.group_commit) sg_host_->SetBatchStore(&d.role_store(ServerRole::kSg));
    }
  } else if (name == "cs") {
    d.Build(ServerRole::kCs);
    if (live && o_.host_cs && !external_) {
      host::RoleHost* h = nullptr;
      if (Status st = start(*d.cs(), {7000, std::nullopt, std::nullopt}, &h); !st.ok()) return st;
      if (o_.group_commit) h->SetBatchStore(&d.role_store(ServerRole::kCs));
    }
  } else if (name == "ms") {
    d.Build(ServerRole::kMs);
    if (live && o_.host_ms && !external_) return start(*d.ms(), {std::nullopt, std::nullopt, 80});
  } else {
    const int i = std::stoi(name.substr(3));
    reference::McConfig mcc;
    mcc.device_id = "dev-" + std::to_string(i);
    mcc.imsi = std::to_string(460000000000000ULL + static_cast<std::uint64_t>(i));
    mcc.imei = std::to_string(356938035643809ULL + static_cast<std::uint64_t>(i));
    mcc.dp = Endpoint::V4(world_->node_ip(*node("dp")), 80);
    mcc.client_version = o_.client_version;
    // A restarted phone adopts the cache it had (Restart), it opens none.
    mcc.cache_path = o_.client_cache && crashes(name) == 0 ? ":memory:" : "";
    mcc.nonconforming_send_nudge = o_.nonconforming_send_nudge;
    mcc.nonconforming_unchecked_voice = o_.nonconforming_unchecked_voice;
    mcc.sg_transport = o_.sg_transport;
    mcc.faults = world_->faults();
    auto mc = std::make_unique<reference::McClient>(mcc, Rng::Stream(o_.seed, Incarnation(name)), name);
    mcs_[static_cast<std::size_t>(i)] = std::move(mc);
    if (live) return start(*mcs_[static_cast<std::size_t>(i)], {0, std::nullopt, std::nullopt}, &mc_hosts_[static_cast<std::size_t>(i)]);
  }
  return Status();
}

void RefWorld::DestroyRole(const std::string& name) {
  hosts_.erase(name);  // the host first: it refers to the role
  if (name == "sg") sg_host_ = nullptr;
  for (reference::ServerRole r : {reference::ServerRole::kDp, reference::ServerRole::kRs, reference::ServerRole::kSg,
                                  reference::ServerRole::kCs, reference::ServerRole::kMs}) {
    if (name == reference::ServerRoleName(r)) return deploy_->Destroy(r);
  }
  mc_hosts_[static_cast<std::size_t>(std::stoi(name.substr(3)))] = nullptr;
}

bool RefWorld::up(const std::string& name) const {
  auto it = down_.find(name);
  return it == down_.end() || !it->second;
}

int RefWorld::crashes(const std::string& name) const {
  auto it = crashes_.find(name);
  return it == crashes_.end() ? 0 : it->second;
}

Status RefWorld::Crash(const std::string& name) {
  const auto found = node(name);
  if (!found.ok()) return Status::Error("SCEN-CRASH", "no node " + name);
  const sim::NodeId id = *found;
  if (!up(name)) return Status::Error("SCEN-CRASH", name + " is already down");
  if (name.rfind("mc-", 0) != 0 && !hosts_.count(name)) return Status::Error("SCEN-CRASH", name + " hosts nothing");
  // A power loss in the middle of a disk op crashed the sim node already.
  if (world_->node_up(id)) {
    if (Status st = world_->CrashNode(id); !st.ok()) return st;
  }
  down_[name] = true;
  ++crashes_[name];
  if (name.rfind("mc-", 0) == 0) {
    // The engine dies; its cache and its SG address (what a phone keeps in
    // flash) survive for the next incarnation.
    const auto i = static_cast<std::size_t>(std::stoi(name.substr(3)));
    hosts_.erase(name);
    mc_hosts_[i] = nullptr;
    if (const auto* st = mcs_[i]->cs_stats()) past_mc_cs_requests_ += st->requests;
    kept_caches_[name] = mcs_[i]->TakeCache();
    kept_sg_[name] = {mcs_[i]->sg_endpoint(), mcs_[i]->sg_tcp_endpoint()};
    if (Status st = BuildRole(name, /*live=*/false); !st.ok()) return st;  // a powered-off stand-in (same MID, no cache)
    crash_log_.emplace_back(Now(), name);
    return Status();
  }
  if (name == "cs") past_cs_executed_.push_back(cs().server_stats().requests_executed);
  if (name == "rs") past_rs_accounts_ += rs().stats().accounts_created;
  DestroyRole(name);
  // A node with a disk loses power: what it had not synced may be lost.
  if (auto it = disk_stores_.find(name); it != disk_stores_.end()) {
    const sim::DiskStats before = it->second->disk().stats();
    it->second->PowerCut();
    const sim::DiskStats& after = it->second->disk().stats();
    world_->TraceEvent(id, "power_cut",
                       sim::TraceFields()
                           .Int("unsynced_lost", static_cast<std::int64_t>(after.unsynced_lost - before.unsynced_lost))
                           .Int("unsynced_kept", static_cast<std::int64_t>(after.unsynced_kept - before.unsynced_kept))
                           .str());
  } else if (name == "sg" || name == "cs") {
    // An in-memory store keeps what the dead host's open batch wrote (a
    // commit nobody was told about is allowed; an answer before it is not).
    reference::Store& st = name == "sg" ? backend() : cs_store();
    if (st.in_batch()) (void)st.EndBatch();
  }
  if (Status st = BuildRole(name, /*live=*/false); !st.ok()) return st;  // an unhosted stand-in until Restart
  crash_log_.emplace_back(Now(), name);
  return Status();
}

Status RefWorld::Restart(const std::string& name) {
  if (up(name)) return Status::Error("SCEN-CRASH", name + " is not down");
  const auto id = node(name);
  if (!id.ok()) return id.status();
  if (Status st = world_->RestartNode(*id); !st.ok()) return st;
  down_[name] = false;
  if (name.rfind("mc-", 0) == 0) {
    const auto i = static_cast<std::size_t>(std::stoi(name.substr(3)));
    if (Status st = BuildRole(name); !st.ok()) return st;
    mcs_[i]->AdoptCache(std::move(kept_caches_[name]));
    kept_caches_.erase(name);
    if (kept_sg_[name].first.port != 0) mcs_[i]->SetSgEndpoint(kept_sg_[name].first);
    if (kept_sg_[name].second.port != 0) mcs_[i]->SetSgTcpEndpoint(kept_sg_[name].second);
    return Status();
  }
  DestroyRole(name);  // the stand-in
  return BuildRole(name);
}

RefWorld::~RefWorld() = default;

Result<sim::NodeId> RefWorld::node(const std::string& name) const {
  for (const auto& [n, id] : names_) {
    if (n == name) return id;
  }
  return Status::Error("SCEN-NODE", "no node " + name);
}

Result<std::uint32_t> RefWorld::node_ip(const std::string& name) const {
  auto id = node(name);
  if (!id.ok()) return id.status();
  return world_->node_ip(*id);
}

Status RefWorld::RunUntil(const std::function<bool()>& done, TimeUs limit) {
  return world_->RunUntilCondition(done, Now() + limit);
}

}  // namespace mcpsim::scenarios
