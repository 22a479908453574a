// The host side of a deployment with several SG processes sharing one
// PostgreSQL database (PROTOCOL.md §3.1, CLU-1..6). On timers of the Env it
//   - keeps this process's SG registered (heartbeats renewing its lease), and
//   - gives the DP of this process the live SGs (DpRole::SetGateways).
// The roles stay sans-I/O: the registry is read and written here, in the host.
// Each database call blocks the event loop for one round trip (as the store's
// calls do); a failing call is logged and retried on the next tick, and the DP
// keeps the last list it was given.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/env.h"
#include "core/status.h"
#include "reference/roles/dp.h"
#include "reference/store/cluster.h"

namespace mcpsim::net {

struct ClusterNodeOptions {
  // This process's SG registration (CLU-1); unset: it registers none.
  std::optional<reference::GatewayRecord> self;
  std::int64_t lease_ms = 10000;  // CLU-2
  // For the DP: the RS URI list of SGs that registered none (the RS of the
  // DP's process), and this process's own SG when it registers none.
  std::string local_rs;
  std::optional<reference::DpGateway> local_sg;
  // Start: how long to wait for a live registration of the same id by
  // another instance (a killed predecessor) to expire (CLU-3).
  std::int64_t takeover_wait_ms = -1;  // -1: lease_ms + 1000
  // CLU-8, for a process hosting an SG: called (on the Env's thread, from a
  // timer) with the recipient of each offline message committed by any
  // process, and with no recipient (resync) when some may have been missed.
  // Unset: no LISTEN.
  std::function<void(std::string_view recipient)> on_offline;
  std::function<void()> on_resync;
  std::int64_t wakeup_poll_ms = 50;  // how often the LISTEN socket is read
};

class ClusterNode {
 public:
  // Registers (waiting for a predecessor's lease, CLU-3) and gives `dp` (if
  // any; not owned, must outlive the node) its first list. Errors: STORE-1/2,
  // CLU-3 (the id stays held by another live instance).
  static Result<std::unique_ptr<ClusterNode>> Start(Env& env, std::unique_ptr<reference::Cluster> db,
                                                    ClusterNodeOptions o, reference::DpRole* dp);
  // Cancels the timer and leaves the registry (CLU-4).
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // One heartbeat and DP refresh now (also run by the timer).
  void Tick();
  // The registry connection (also the source of CLU-9's shared ids).
  reference::Cluster& db() { return *db_; }

 private:
  ClusterNode(Env& env, std::unique_ptr<reference::Cluster> db, ClusterNodeOptions o, reference::DpRole* dp);
  void Arm();
  void ArmWakeups();
  void TakeWakeups();
  Env& env_;
  std::unique_ptr<reference::Cluster> db_;
  ClusterNodeOptions o_;
  reference::DpRole* dp_;
  std::string instance_;
  TimerId timer_{}, wake_timer_{};
  bool timer_set_ = false, wake_set_ = false, wake_failing_ = false;
  bool held_ = false, hb_failing_ = false, dp_failing_ = false;
  std::int64_t wake_skips_ = 0;
};

}  // namespace mcpsim::net
