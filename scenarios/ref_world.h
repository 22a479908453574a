// The reference world: every server role of the reference stack and N mobile
// clients hosted on nodes of one simulated network (sim::World), all on
// virtual time and one seed. This is the glue the scenario runner and the
// end-to-end tests share: sim/ knows nothing of MCP and reference/ nothing of
// the simulator; only this file knows both.
//
// Node layout (names are stable, so named random streams are too):
//   "dp"  DP   http :80            "rs"  RS   tcp :1864, http :8080
//   "cs"  CS   udp  :7000          "ms"  MS   http :80
//   "sg"  SG   udp :1863, tcp :1863, http :8080
//   "mc-<i>"  client i
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/host.h"
#include "reference/deploy/deployment.h"
#include "reference/roles/mc/client.h"
#include "scenarios/disk_store.h"
#include "sim/world.h"

namespace mcpsim::scenarios {

class RefWorld;

struct RefWorldOptions {
  std::uint64_t seed = 1;
  int clients = 1;
  sim::WorldOptions world;     // default link, streams, buggify, max events
  reference::PasswordCost password_cost = reference::PasswordCost::Minimal();
  std::vector<reference::AdEntry> ads;  // CS catalog (defaults to one banner)
  std::string min_version = "1.0.0", latest_version = "1.3.0";
  std::string client_version = "1.3.0";  // every client's McConfig::client_version
  std::uint32_t cs_rate_per_s = 0, cs_burst = 0;  // CS per-address limit (0 = RATE-8 default)
  // Which server roles are hosted. A role left out still has its node (same
  // names and addresses) but nothing listens there: requests to it fail.
  bool host_dp = true, host_rs = true, host_cs = true, host_ms = true, host_sg = true;
  // Each client keeps its cache (§7.11) in a private in-memory SQLite file.
  bool client_cache = true;
  // TEST-ONLY: false disables duplicate suppression in CS and RS
  // (ServerConfig::dedup_enabled), a deliberately broken reference.
  bool server_dedup = true;
  // TEST-ONLY misbehaving clients (McConfig switches of the same names): every
  // client may send a nudge (SG-NUDGE-3) / voice it did not validate.
  bool nonconforming_send_nudge = false;
  bool nonconforming_unchecked_voice = false;
  // Every client's McConfig::sg_transport ("udp", "tcp", "auto").
  std::string sg_transport = "udp";
  // Written from the first event on (RefWorld::Create fails if a file cannot
  // be opened: SIM-10 the trace, SIM-11 the pcap).
  std::string trace_path, pcap_path;
  // External target runs (scenarios/external.h): when set, no server role is
  // hosted; this installs relays on the server nodes instead (called once,
  // after every node exists; its error is RefWorld::Create's).
  std::function<Status(RefWorld&)> relay_servers;
  // When set, each client's role host runs on the Env this returns for its
  // node (a decorator around `env`, e.g. a capture; RefWorld keeps it for the
  // whole run, across crashes and restarts of the phone).
  std::function<std::unique_ptr<Env>(const std::string& node, Env& env)> wrap_client_env;
  // The UDP port of CS that the DP hands out (a third-party CS inside the
  // simulation binds its own; scenarios/sim_target.h).
  std::uint16_t cs_port = 7000;
  // Called once after the server nodes exist and before any role is built
  // (it may change these options, e.g. cs_port); its error is
  // RefWorld::Create's. Used to start a target inside the simulation.
  std::function<Status(RefWorld&, RefWorldOptions&)> before_roles;
  // Called once at the end of Create, after every node and role exists; its
  // error is Create's. Used to start a target playing several roles on a
  // node of its own (scenarios/sim_stage.h).
  std::function<Status(RefWorld&)> after_build;
  // Server nodes whose store lives on a simulated disk (scenarios/disk_store.h)
  // instead of in memory: "sg" (accounts, contact lists, offline messages —
  // the store RS shares), "cs" (uploads), "ms" (media). A crash of such a node
  // is a power cut of its disk (unsynced writes dropped, or torn with
  // probability 1/2); the store reopens from what survived.
  std::vector<std::string> disks;
  // Group commit: the SG and CS hosts bracket each receive burst in one store
  // batch (host::RoleHost::SetBatchStore), as `serve` does.
  bool group_commit = false;
  // TEST-ONLY: every disk lies about syncs (sim::Disk::SetLyingSync).
  bool broken_sync = false;
};

class RefWorld {
 public:
  // Builds the world: nodes, stores, roles and their hosts, in a fixed order
  // (so traces are a function of the options). Fails, as a value, when a
  // trace or pcap file cannot be opened (SIM-10, SIM-11), a store cannot open
  // (STORE-1), a host cannot bind, or before_roles / relay_servers fail
  // (their Status).
  static Result<std::unique_ptr<RefWorld>> Create(RefWorldOptions options);
  ~RefWorld();
  RefWorld(const RefWorld&) = delete;
  RefWorld& operator=(const RefWorld&) = delete;

  sim::World& world() { return *world_; }
  TimeUs Now() const { return world_->Now(); }

  int clients() const { return static_cast<int>(mcs_.size()); }
  // While client i is down this is a powered-off stand-in: no session, no
  // cache, not hosted (mc_up(i) false).
  reference::McClient& mc(int i) { return *mcs_.at(static_cast<std::size_t>(i)); }
  sim::NodeId mc_node(int i) const { return mc_nodes_.at(static_cast<std::size_t>(i)); }
  // Lets client i act now (`fn(client, now)`), then sends what it produced.
  // REQUIRES the client is up (a crashed phone does nothing).
  template <typename Fn>
  auto Act(int i, Fn&& fn) {
    auto result = fn(mc(i), Now());
    if (auto* h = mc_hosts_.at(static_cast<std::size_t>(i))) h->Pump();
    return result;
  }
  bool mc_up(int i) const { return mc_hosts_.at(static_cast<std::size_t>(i)) != nullptr; }

  const host::HostStats& mc_host_stats(int i) const {
    return mc_hosts_.at(static_cast<std::size_t>(i))->stats();
  }
  // The address of node `name`; "SCEN-NODE" for a node this world lacks.
  Result<std::uint32_t> node_ip(const std::string& name) const;

  reference::DpRole& dp() { return *deploy_->dp(); }
  reference::RsRole& rs() { return *deploy_->rs(); }
  reference::CsRole& cs() { return *deploy_->cs(); }
  reference::MsRole& ms() { return *deploy_->ms(); }
  reference::SgRole& sg() { return *deploy_->sg(); }
  reference::Backend& sg_backend() { return *deploy_->backend(); }
  // Lets the back end act now (`fn(backend, now)`: a back-end user's nudge,
  // presence, offline message), then sends what the SG queued. REQUIRES the
  // SG is hosted.
  template <typename Fn>
  auto ActBackend(Fn&& fn) {
    auto result = fn(sg_backend(), Now());
    if (sg_host_) sg_host_->Pump();
    return result;
  }
  reference::Store& backend() { return deploy_->store(reference::ServerRole::kSg); }  // accounts (RS, SG)
  reference::Store& cs_store() { return deploy_->store(reference::ServerRole::kCs); }
  reference::Store& ms_store() { return deploy_->store(reference::ServerRole::kMs); }
  // The node named `name` (see the layout above); "SCEN-NODE" for a name
  // this world does not have.
  Result<sim::NodeId> node(const std::string& name) const;

  // True when the server nodes relay to an external target.
  bool external() const { return external_; }

  // ---- crash and restart (any server node or "mc-<i>") ----
  // Crashes the node (sim::World::CrashNode: timers, bindings, datagrams in
  // flight and streams gone) and destroys what ran there: the role with its
  // memory (SG: sessions, conversations, transfers and the Messenger back
  // end's state; RS: registration sessions; CS/RS/SG: answer caches; MC: its
  // engine and sessions). The stores survive (SQLite, every acknowledged write
  // committed), and so does a client's cache. "SCEN-CRASH" for an unknown
  // node, one that is down or one that hosts nothing.
  Status Crash(const std::string& name);
  // Builds the role again on the same node from its store (a client: from
  // its cache, with the SG address it had; it is logged out) and starts it.
  Status Restart(const std::string& name);
  bool up(const std::string& name) const;
  // Crashes so far of a node (0 if never).
  int crashes(const std::string& name) const;
  // Counters of incarnations that crashed (what their stats said then), so
  // checkers can judge totals: CS requests executed per past CS incarnation,
  // distinct CS requests sent by past client incarnations, RS accounts
  // created by past RS incarnations.
  const std::vector<std::uint64_t>& past_cs_executed() const { return past_cs_executed_; }
  std::uint64_t past_mc_cs_requests() const { return past_mc_cs_requests_; }
  std::uint64_t past_rs_accounts() const { return past_rs_accounts_; }
  // The simulated disk of a server node (RefWorldOptions::disks), or nullptr.
  sim::Disk* disk(const std::string& name);
  // Ends every disk fault (errors, full, slow sync, an armed power loss; a
  // disk that lost power is back online) so checkers can read the stores.
  void HealDisks();
  // Every crash so far: (virtual time, node name), in order.
  const std::vector<std::pair<TimeUs, std::string>>& crash_log() const { return crash_log_; }
  // Every SG session end so far, in order (SgRole::set_close_observer): the
  // closes an MC is not told of (TIMER-9, TIMER-10) are visible only here.
  struct SgClose {
    TimeUs at = 0;
    std::string account;
    reference::SgRole::CloseWhy why = reference::SgRole::CloseWhy::kLogout;
  };
  const std::vector<SgClose>& sg_closes() const { return sg_closes_; }

  // Runs until `done()` or until `limit` of virtual time has passed.
  Status RunUntil(const std::function<bool()>& done, TimeUs limit);
  Status RunFor(TimeUs span) { return world_->RunUntil(Now() + span); }

 private:
  explicit RefWorld(RefWorldOptions options) : o_(std::move(options)) {}
  // Everything Create does after storing the options.
  Status Build();
  // Creates the role of `name` and, if `live`, starts its host. A crashed
  // node gets a stand-in that is never hosted (so accessors stay valid).
  Status BuildRole(const std::string& name, bool live = true);
  void DestroyRole(const std::string& name);
  Result<host::RoleHost*> StartHost(const std::string& name, reference::Role& role, host::HostPorts ports);
  std::string Incarnation(const std::string& name) const;  // "role:<name>" (+ "#<crashes>")

  RefWorldOptions o_;
  std::map<std::string, int> crashes_;
  std::map<std::string, bool> down_;
  std::map<std::string, std::unique_ptr<reference::ClientCache>> kept_caches_;  // crashed phones'
  std::map<std::string, std::pair<Endpoint, Endpoint>> kept_sg_;  // (UDP, TCP) SG addresses
  std::vector<std::pair<TimeUs, std::string>> crash_log_;
  std::vector<SgClose> sg_closes_;
  std::vector<std::uint64_t> past_cs_executed_;
  std::uint64_t past_mc_cs_requests_ = 0, past_rs_accounts_ = 0;
  std::unique_ptr<sim::World> world_;
  std::map<std::string, DiskStore*> disk_stores_;  // by node name (owned by deploy_)
  // The store of a server node: in memory, or on a disk (RefWorldOptions::disks).
  Result<std::unique_ptr<reference::Store>> MakeStore(const std::string& node);
  // The server roles and their stores (the roles see the stores through the
  // store.* fault points when the world enables them).
  std::unique_ptr<reference::Deployment> deploy_;
  std::vector<std::unique_ptr<reference::McClient>> mcs_;
  std::vector<sim::NodeId> mc_nodes_;
  bool external_ = false;
  std::map<std::string, std::unique_ptr<Env>> wrapped_;  // RefWorldOptions::wrap_client_env (outlive the hosts)
  std::map<std::string, std::unique_ptr<host::RoleHost>> hosts_;  // by node name
  std::vector<host::RoleHost*> mc_hosts_;
  host::RoleHost* sg_host_ = nullptr;
  std::vector<std::pair<std::string, sim::NodeId>> names_;
};

}  // namespace mcpsim::scenarios
