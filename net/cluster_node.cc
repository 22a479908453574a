#include "net/cluster_node.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/hash.h"
#include "reference/roles/sg/relay.h"

namespace mcpsim::net {

ClusterNode::ClusterNode(Env& env, std::unique_ptr<reference::Cluster> db, ClusterNodeOptions o,
                         reference::DpRole* dp)
    : env_(env), db_(std::move(db)), o_(std::move(o)), dp_(dp) {
  // Unique per process start, also when two processes share a --seed.
  instance_ = Hex64(env_.Random().Next()) + "-" + std::to_string(::getpid());
}

Result<std::unique_ptr<ClusterNode>> ClusterNode::Start(Env& env, std::unique_ptr<reference::Cluster> db,
                                                        ClusterNodeOptions o, reference::DpRole* dp) {
  std::unique_ptr<ClusterNode> n(new ClusterNode(env, std::move(db), std::move(o), dp));
  if (n->o_.self) {
    // CLU-3: a predecessor killed without leaving still holds the id until
    // its lease ends; wait for that (startup, before any input is served).
    const std::int64_t wait_ms = n->o_.takeover_wait_ms >= 0 ? n->o_.takeover_wait_ms : n->o_.lease_ms + 1000;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    bool logged = false;
    for (;;) {
      auto held = n->db_->Heartbeat(*n->o_.self, n->instance_, n->o_.lease_ms);
      if (!held.ok()) return held.status();
      if (*held) break;
      if (std::chrono::steady_clock::now() >= until) {
        return Status::Error("CLU-3", "sg-id " + std::to_string(n->o_.self->sg_id) +
                                          " is held by another live SG process (its lease did not expire within " +
                                          std::to_string(wait_ms) + " ms)");
      }
      if (!logged) {
        spdlog::warn("cluster: sg-id {} is held by another instance; waiting for its lease to expire",
                     n->o_.self->sg_id);
        logged = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    n->held_ = true;
    spdlog::info("cluster: registered sg-id {} ({}), lease {} ms", n->o_.self->sg_id, n->o_.self->sg, n->o_.lease_ms);
  }
  if (n->dp_) {
    auto live = n->db_->LiveGateways();  // unreachable now: fail the start
    if (!live.ok()) return live.status();
    n->Tick();
  }
  if (n->relaying()) {
    n->RefreshLive();
    // A predecessor killed under this id left its users' presence rows:
    // they are offline now (CLU-11), told to every other SG in queue order.
    auto left = n->db_->PresenceHeldBy(n->o_.self->sg_id);
    if (!left.ok()) return left.status();
    std::vector<reference::Relay> gone;
    for (const std::string& body : *left) {
      auto r = reference::DecodeRelay(body);
      if (!r.ok() || r->presence == "offline") continue;
      r->presence = "offline";
      r->caps = 0;
      gone.push_back(std::move(*r));
    }
    n->SendRelays(std::move(gone));
    // SG processes that have not listed this one yet miss what it sends
    // until they do: one more snapshot once they all have (a lease on).
    n->resync_again_at_ = env.Now() + (n->o_.lease_ms + 1000) * kMillis;
  }
  n->Arm();
  if (n->o_.on_offline || n->relaying()) {
    n->TakeWakeups();  // LISTEN now (and a first resync)
    n->ArmWakeups();
  }
  return n;
}

void ClusterNodeOptions::FeedSg(Env& env, reference::Backend& backend, host::RoleHost& host, bool relays) {
  Env* e = &env;
  reference::Backend* b = &backend;
  host::RoleHost* h = &host;
  on_offline = [e, b, h](std::string_view recipient) {
    b->OfflineQueued(e->Now(), recipient);
    h->Pump();
  };
  on_resync = [e, b, h] {
    b->RecheckOffline(e->Now());
    h->Pump();
  };
  if (!relays) return;
  on_relay = [e, b, h](const reference::Relay& r) {
    b->OnRelay(e->Now(), r);
    h->Pump();
  };
  on_presence = [e, b, h](const std::vector<reference::Relay>& all) {
    b->RemoteSnapshot(e->Now(), all);
    h->Pump();
  };
  on_sg_gone = [e, b, h](std::uint32_t sg) {
    b->SgGone(e->Now(), sg);
    h->Pump();
  };
  on_orphan = [e, b, h](const reference::Relay& r) {
    b->OnOrphanRelay(e->Now(), r);
    h->Pump();
  };
}

void ClusterNode::SendRelays(std::vector<reference::Relay> relays) {
  for (reference::Relay& r : relays) pending_.push_back(std::move(r));
  // While the database is unreachable a write may block up to libpq's
  // connect_timeout: the heartbeat tick retries, not every output.
  if (!relay_failing_) FlushRelays();
}

void ClusterNode::FlushRelays() {
  if (pending_.empty() || !o_.self) return;
  std::vector<reference::Cluster::PresenceRow> presence;
  std::vector<reference::Cluster::QueuedRelay> queued;
  for (const reference::Relay& r : pending_) {
    std::string body = reference::EncodeRelay(r);
    if (r.kind == reference::Relay::Kind::kPresence) {
      presence.push_back({r.account, o_.self->sg_id, r.presence == "offline", body});
      for (std::uint32_t sg : live_) queued.push_back({sg, body});  // to every other live SG
    } else if (r.to_sg != 0) {
      queued.push_back({r.to_sg, std::move(body)});
    }
  }
  Status s = db_->PutRelays(presence, queued);
  if (!s.ok()) {
    if (!relay_failing_) {
      spdlog::warn("cluster: relays to other SGs wait ({} so far): {}", pending_.size(), s.ToString());
    }
    relay_failing_ = true;
    return;
  }
  if (relay_failing_) spdlog::info("cluster: relays to other SGs written again");
  relay_failing_ = false;
  pending_.clear();
}

void ClusterNode::TakeQueued(std::uint32_t sg) {
  const bool mine = sg == o_.self->sg_id;
  for (;;) {
    constexpr std::size_t kMax = 512;
    auto got = db_->TakeQueued(sg, kMax);
    if (!got.ok()) {
      spdlog::warn("cluster: reading relays for this SG failed (retrying): {}", got.status().ToString());
      return;
    }
    for (const std::string& body : *got) {
      auto r = reference::DecodeRelay(body);
      if (!r.ok()) {
        spdlog::error("cluster: dropped a malformed relay: {}", r.status().ToString());
        continue;
      }
      if (mine) {
        o_.on_relay(*r);
      } else if (o_.on_orphan) {
        o_.on_orphan(*r);
      }
    }
    if (got->size() < kMax) return;
  }
}

void ClusterNode::Resync() {
  auto rows = db_->LivePresence();
  if (!rows.ok()) {
    spdlog::warn("cluster: reading other SGs' presence failed (retrying): {}", rows.status().ToString());
    return;
  }
  std::vector<reference::Relay> all;
  for (const std::string& body : *rows) {
    if (auto r = reference::DecodeRelay(body); r.ok()) all.push_back(std::move(*r));
  }
  if (o_.on_presence) o_.on_presence(all);
}

void ClusterNode::RefreshLive() {
  auto live = db_->LiveGateways();
  if (!live.ok()) return;  // keep the last list (logged by the DP's refresh or the heartbeat)
  std::set<std::uint32_t> now;
  for (const reference::GatewayRecord& r : *live) {
    if (r.sg_id != o_.self->sg_id) now.insert(r.sg_id);
  }
  const std::set<std::uint32_t> before = std::move(live_);
  live_ = now;
  if (!live_known_) {
    live_known_ = true;
    return;
  }
  for (std::uint32_t sg : before) {
    if (!live_.count(sg) && o_.on_sg_gone) {
      spdlog::info("cluster: sg-id {} is gone (lease over): its users leave this SG's conversations", sg);
      o_.on_sg_gone(sg);
      TakeQueued(sg);  // CLU-13: what it had not taken (a restart takes its own)
    }
  }
  // An SG (re)appearing: its users' presence may have been announced before
  // this process addressed relays to it, or dropped as gone.
  for (std::uint32_t sg : live_) {
    if (!before.count(sg)) {
      Resync();
      break;
    }
  }
}

ClusterNode::~ClusterNode() {
  if (timer_set_) env_.CancelTimer(timer_);
  if (wake_set_) env_.CancelTimer(wake_timer_);
  if (o_.self && held_) {
    if (Status s = db_->Leave(o_.self->sg_id, instance_); !s.ok()) {
      spdlog::warn("cluster: leaving the registry failed ({}); the lease expires by itself", s.ToString());
    } else {
      spdlog::info("cluster: sg-id {} left the registry", o_.self->sg_id);
    }
  }
}

void ClusterNode::Arm() {
  // A heartbeat every third of the lease (CLU-2); the DP's list is refreshed
  // at least once a second.
  std::int64_t period_ms = std::max<std::int64_t>(50, o_.lease_ms / 3);
  if (dp_) period_ms = std::min<std::int64_t>(period_ms, 1000);
  timer_ = env_.StartTimer(env_.Now() + period_ms * kMillis, [this] {
    timer_set_ = false;
    Tick();
    Arm();
  });
  timer_set_ = true;
}

void ClusterNode::ArmWakeups() {
  wake_timer_ = env_.StartTimer(env_.Now() + std::max<std::int64_t>(1, o_.wakeup_poll_ms) * kMillis, [this] {
    wake_set_ = false;
    TakeWakeups();
    ArmWakeups();
  });
  wake_set_ = true;
}

void ClusterNode::TakeWakeups() {
  // While the database is unreachable a reconnect may block up to libpq's
  // connect_timeout: try once a second, not on every poll.
  if (wake_failing_ && ++wake_skips_ * std::max<std::int64_t>(1, o_.wakeup_poll_ms) < 1000) return;
  wake_skips_ = 0;
  auto w = db_->TakeWakeups();
  if (!w.ok()) {
    if (!wake_failing_) spdlog::warn("cluster: offline-message wake-ups unavailable: {}", w.status().ToString());
    wake_failing_ = true;
    return;
  }
  if (wake_failing_) spdlog::info("cluster: offline-message wake-ups back");
  wake_failing_ = false;
  if (w->resync && o_.on_resync) o_.on_resync();
  if (o_.on_offline) {
    for (const std::string& r : w->recipients) o_.on_offline(r);
  }
  if (relaying()) {
    FlushRelays();
    if (w->resync) Resync();
    const bool mine = std::find(w->queued_for.begin(), w->queued_for.end(), o_.self->sg_id) != w->queued_for.end();
    if (mine || w->resync) TakeQueued(o_.self->sg_id);
  }
}

void ClusterNode::Tick() {
  if (relaying()) {
    RefreshLive();
    FlushRelays();
    TakeQueued(o_.self->sg_id);  // also without a NOTIFY (one missed while reconnecting)
    if (env_.Now() >= resync_again_at_) {
      resync_again_at_ = kNever;
      Resync();
    }
  }
  if (o_.self) {
    auto held = db_->Heartbeat(*o_.self, instance_, o_.lease_ms);
    if (!held.ok()) {
      if (!hb_failing_) spdlog::warn("cluster: heartbeat failed (retrying): {}", held.status().ToString());
      hb_failing_ = true;
    } else {
      if (hb_failing_) spdlog::info("cluster: heartbeats back");
      hb_failing_ = false;
      if (*held != held_) {
        held_ = *held;
        if (held_) {
          spdlog::info("cluster: sg-id {} registered again", o_.self->sg_id);
        } else {
          spdlog::error("cluster: sg-id {} was taken over by another instance (CLU-3); retrying", o_.self->sg_id);
        }
      }
    }
  }
  if (dp_) {
    auto live = db_->LiveGateways();
    if (!live.ok()) {
      if (!dp_failing_) {
        spdlog::warn("cluster: reading the live SGs failed (DP keeps its list; retrying): {}", live.status().ToString());
      }
      dp_failing_ = true;
      return;
    }
    if (dp_failing_) spdlog::info("cluster: live SGs readable again");
    dp_failing_ = false;
    std::vector<reference::DpGateway> gw;
    for (const reference::GatewayRecord& r : *live) {
      gw.push_back({r.sg, r.rs.empty() ? o_.local_rs : r.rs, true});
    }
    if (o_.local_sg && !o_.self) gw.insert(gw.begin(), *o_.local_sg);
    if (gw.size() != dp_->gateways().size()) {
      spdlog::info("cluster: DP lists {} SG(s)", gw.size());
    }
    dp_->SetGateways(std::move(gw));
  }
}

}  // namespace mcpsim::net
