#include "scenarios/ref_world.h"

#include <algorithm>

#include "reference/media/captcha.h"
#include "reference/roles/uri.h"
#include "reference/store/faulty_store.h"
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
  auto open = [this](const char* node, std::unique_ptr<reference::Store>& into) {
    auto s = MakeStore(node);
    if (!s.ok()) return s.status();
    into = std::move(*s);
    return Status();
  };
  if (Status st = open("sg", backend_); !st.ok()) return st;
  if (Status st = open("cs", cs_store_); !st.ok()) return st;
  if (Status st = open("ms", ms_store_); !st.ok()) return st;
  // With fault points on, the roles see their stores through the store.*
  // fault points; provisioning and checkers use the stores themselves.
  if (FaultPoints* f = world_->faults()) {
    faulty_backend_ = reference::WithFaultPoints(*backend_, f);
    faulty_cs_store_ = reference::WithFaultPoints(*cs_store_, f);
    faulty_ms_store_ = reference::WithFaultPoints(*ms_store_, f);
  }
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

  // A banner for the default ad slot, served by MS.
  Rng media_rng = Rng::Stream(o_.seed, "media");
  reference::Captcha banner = reference::MakeCaptcha(media_rng, 6);
  (void)ms_store_->PutMedia({"banner-1", "image/png", banner.png});
  ads_ = o_.ads;
  if (ads_.empty()) {
    ads_.push_back({"top", "ad-1", FormatUri("http", ep(ms, 80), "/media/banner-1"),
                    "http://example.invalid/click/1", static_cast<std::uint32_t>(banner.width),
                    static_cast<std::uint32_t>(banner.height)});
  }
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
  // The server nodes exist before any role is built (Build adds them first).
  auto ep = [&](const char* n, std::uint16_t port) {
    auto id = node(n);
    return Endpoint::V4(id.ok() ? world_->node_ip(*id) : 0, port);
  };
  // Starts the host of this node's role (the role's Status if it cannot bind).
  auto start = [&](reference::Role& role, host::HostPorts ports, host::RoleHost** out = nullptr) {
    auto h = StartHost(name, role, ports);
    if (!h.ok()) return h.status();
    if (out) *out = *h;
    return Status();
  };
  // The run's fault-point oracle (nullptr unless the world enables them).
  FaultPoints* const faults = world_->faults();
  reference::Store& backend = faulty_backend_ ? *faulty_backend_ : *backend_;
  if (name == "dp") {
    reference::DpConfig dpc;
    dpc.min_version = o_.min_version;
    dpc.latest_version = o_.latest_version;
    dpc.update_url = "http://example.invalid/mc-" + o_.latest_version + ".sis";
    const std::string sg_uris = o_.host_sg ? FormatUri("udp", ep("sg", 1863)) + "," + FormatUri("tcp", ep("sg", 1863)) +
                                                 "," + FormatUri("http", ep("sg", 8080), "/mcp")
                                           : "";
    dpc.gateways.push_back(
        {sg_uris, FormatUri("tcp", ep("rs", 1864)) + "," + FormatUri("http", ep("rs", 8080), "/mcp"), true});
    dpc.cs = FormatUri("udp", ep("cs", o_.cs_port));
    dpc.ms = FormatUri("http", ep("ms", 80));
    dpc.faults = faults;
    dp_ = std::make_unique<reference::DpRole>(dpc);
    if (live && o_.host_dp && !external_) return start(*dp_, {std::nullopt, std::nullopt, 80});
  } else if (name == "rs") {
    reference::RsConfig rsc;
    rsc.password_cost = o_.password_cost;
    rsc.server.dedup_enabled = o_.server_dedup;
    rsc.server.faults = faults;
    rs_ = std::make_unique<reference::RsRole>(rsc, backend, Rng::Stream(o_.seed, Incarnation(name)));
    if (live && o_.host_rs && !external_) return start(*rs_, {std::nullopt, 1864, 8080});
  } else if (name == "sg") {
    // The SG shares the account store with RS through the Messenger back end.
    sg_backend_ = std::make_unique<reference::Backend>(*backend_);
    reference::SgConfig sgc;
    sgc.server.dedup_enabled = o_.server_dedup;
    sgc.dummy_cost = o_.password_cost;  // SG-LOGIN-16: unknown accounts cost the same
    sgc.server.faults = faults;
    sgc.push.faults = faults;
    sg_ = std::make_unique<reference::SgRole>(sgc, backend, *sg_backend_, Rng::Stream(o_.seed, Incarnation(name)));
    sg_->set_close_observer([this](TimeUs at, const std::string& account, reference::SgRole::CloseWhy why) {
      sg_closes_.push_back(SgClose{at, account, why});
    });
    if (live && o_.host_sg && !external_) {
      if (Status st = start(*sg_, {1863, 1863, 8080}, &sg_host_); !st.ok()) return st;
      if (o_.group_commit) sg_host_->SetBatchStore(&backend);
    }
  } else if (name == "cs") {
    reference::CsConfig csc;
    csc.catalog = ads_;
    if (o_.cs_rate_per_s) {  // the scenario's CS-3 limit replaces the per-address default
      csc.per_address = {o_.cs_rate_per_s, o_.cs_burst ? o_.cs_burst : o_.cs_rate_per_s};
    }
    csc.server.dedup_enabled = o_.server_dedup;
    csc.server.faults = faults;
    reference::Store& cs_store = faulty_cs_store_ ? *faulty_cs_store_ : *cs_store_;
    cs_ = std::make_unique<reference::CsRole>(csc, cs_store);
    if (live && o_.host_cs && !external_) {
      host::RoleHost* h = nullptr;
      if (Status st = start(*cs_, {7000, std::nullopt, std::nullopt}, &h); !st.ok()) return st;
      if (o_.group_commit) h->SetBatchStore(&cs_store);
    }
  } else if (name == "ms") {
    ms_ = std::make_unique<reference::MsRole>(faulty_ms_store_ ? *faulty_ms_store_ : *ms_store_);
    if (live && o_.host_ms && !external_) return start(*ms_, {std::nullopt, std::nullopt, 80});
  } else {
    const int i = std::stoi(name.substr(3));
    reference::McConfig mcc;
    mcc.device_id = "dev-" + std::to_string(i);
    mcc.imsi = std::to_string(460000000000000ULL + static_cast<std::uint64_t>(i));
    mcc.imei = std::to_string(356938035643809ULL + static_cast<std::uint64_t>(i));
    mcc.dp = ep("dp", 80);
    mcc.client_version = o_.client_version;
    // A restarted phone adopts the cache it had (Restart), it opens none.
    mcc.cache_path = o_.client_cache && crashes(name) == 0 ? ":memory:" : "";
    mcc.nonconforming_send_nudge = o_.nonconforming_send_nudge;
    mcc.nonconforming_unchecked_voice = o_.nonconforming_unchecked_voice;
    mcc.sg_transport = o_.sg_transport;
    mcc.faults = faults;
    auto mc = std::make_unique<reference::McClient>(mcc, Rng::Stream(o_.seed, Incarnation(name)), name);
    mcs_[static_cast<std::size_t>(i)] = std::move(mc);
    if (live) return start(*mcs_[static_cast<std::size_t>(i)], {0, std::nullopt, std::nullopt}, &mc_hosts_[static_cast<std::size_t>(i)]);
  }
  return Status();
}

void RefWorld::DestroyRole(const std::string& name) {
  hosts_.erase(name);  // the host first: it refers to the role
  if (name == "dp") {
    dp_.reset();
  } else if (name == "rs") {
    rs_.reset();
  } else if (name == "sg") {
    sg_host_ = nullptr;
    sg_.reset();
    sg_backend_.reset();
  } else if (name == "cs") {
    cs_.reset();
  } else if (name == "ms") {
    ms_.reset();
  } else {
    const auto i = static_cast<std::size_t>(std::stoi(name.substr(3)));
    mc_hosts_[i] = nullptr;
  }
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
  if (name == "cs") past_cs_executed_.push_back(cs_->server_stats().requests_executed);
  if (name == "rs") past_rs_accounts_ += rs_->stats().accounts_created;
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
    reference::Store& st = name == "sg" ? *backend_ : *cs_store_;
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
