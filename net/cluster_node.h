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
#include <set>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "host/host.h"
#include "reference/roles/dp.h"
#include "reference/roles/role.h"
#include "reference/roles/sg/backend.h"
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
  // CLU-10..14, for a process hosting an SG with an id (`self`): relays of
  // other SG processes for this one (in queue order), the presence of every
  // other SG process's ACTIVE users (at start and after a reconnect), and
  // the end of another SG process (its lease ended). Unset: no relays.
  std::function<void(const reference::Relay&)> on_relay;
  std::function<void(const std::vector<reference::Relay>&)> on_presence;
  std::function<void(std::uint32_t sg)> on_sg_gone;
  // What was queued for a gone SG process and not taken (after on_sg_gone).
  std::function<void(const reference::Relay&)> on_orphan;

  // Sets the callbacks above for a process whose SG back end is `backend`,
  // hosted by `host` on `env`: each input pumps the host, so what it caused
  // leaves at once. `relays`: CLU-10..16 too. All three must outlive the node.
  void FeedSg(Env& env, reference::Backend& backend, host::RoleHost& host, bool relays);
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
  // CLU-10..14: writes this SG's relays to the database (presence rows and
  // the other SG processes' queues, one transaction) before the caller lets
  // anything they explain out. While the database is unreachable they wait
  // here, in order, and go with the next heartbeat tick that reaches it.
  void SendRelays(std::vector<reference::Relay> relays);
  std::size_t relays_waiting() const { return pending_.size(); }

 private:
  ClusterNode(Env& env, std::unique_ptr<reference::Cluster> db, ClusterNodeOptions o, reference::DpRole* dp);
  void Arm();
  void ArmWakeups();
  void TakeWakeups();
  bool relaying() const { return o_.self && o_.on_relay; }
  void FlushRelays();
  // Takes and hands over (on_relay, or on_orphan for another SG's) what is
  // queued for `sg`.
  void TakeQueued(std::uint32_t sg);
  void Resync();
  void RefreshLive();
  Env& env_;
  std::unique_ptr<reference::Cluster> db_;
  ClusterNodeOptions o_;
  reference::DpRole* dp_;
  std::string instance_;
  TimerId timer_{}, wake_timer_{};
  bool timer_set_ = false, wake_set_ = false, wake_failing_ = false;
  bool held_ = false, hb_failing_ = false, dp_failing_ = false;
  std::int64_t wake_skips_ = 0;
  std::vector<reference::Relay> pending_;  // relays not yet written
  bool relay_failing_ = false;
  std::set<std::uint32_t> live_;  // other live SG ids (relay targets)
  bool live_known_ = false;
  TimeUs resync_again_at_ = kNever;  // one more presence snapshot after start
};

// The role a host drives when its process's SG relays (CLU-10..14): `inner`
// (the front), whose outputs leave only after the relays the back end
// emitted with them are written (ClusterNode::SendRelays), so an answer or
// push never announces a relay a crash could still lose.
class RelayOut final : public reference::Role {
 public:
  RelayOut(reference::Role& inner, reference::Backend& backend) : inner_(inner), backend_(backend) {}
  void SetNode(ClusterNode* node) { node_ = node; }
  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) override {
    inner_.OnDatagram(now, from, bytes);
  }
  void OnStreamOpen(TimeUs now, std::uint64_t conn, const Endpoint& peer) override {
    inner_.OnStreamOpen(now, conn, peer);
  }
  void OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) override {
    inner_.OnStreamData(now, conn, bytes);
  }
  void OnStreamClosed(TimeUs now, std::uint64_t conn) override { inner_.OnStreamClosed(now, conn); }
  void OnHttpResponse(TimeUs now, std::uint64_t id, bool ok, const reference::HttpResponse& resp) override {
    inner_.OnHttpResponse(now, id, ok, resp);
  }
  void OnHttp(TimeUs now, std::uint64_t exchange, const reference::HttpRequest& req) override {
    inner_.OnHttp(now, exchange, req);
  }
  void OnWorkDone(TimeUs now, std::uint64_t id, const reference::WorkResult& result) override {
    inner_.OnWorkDone(now, id, result);
  }
  void OnTimer(TimeUs now) override { inner_.OnTimer(now); }
  TimeUs NextDeadline() const override { return inner_.NextDeadline(); }
  void Drain(std::vector<reference::Output>& out) override {
    if (node_ && backend_.has_relays()) node_->SendRelays(backend_.TakeRelays());
    inner_.Drain(out);
  }
  void BeginBatch(TimeUs now) override { inner_.BeginBatch(now); }
  void EndBatch(TimeUs now, bool committed) override { inner_.EndBatch(now, committed); }
  std::string_view name() const override { return inner_.name(); }

 private:
  reference::Role& inner_;
  reference::Backend& backend_;
  ClusterNode* node_ = nullptr;
};

}  // namespace mcpsim::net
