// The runner's network and faults (Execution, execution.h): the scenario's
// link overrides and fault windows applied to the world, and the crashes and
// restarts of steps and crash windows.
#include <algorithm>
#include <iterator>
#include <memory>

#include "scenarios/execution.h"

namespace mcpsim::scenarios {

using reference::McEvent;
using Outcome = McEvent::Outcome;

Result<std::vector<sim::NodeId>> Execution::Nodes(const std::vector<std::string>& names) {
  std::vector<sim::NodeId> out;
  for (const auto& n : names) {
    for (const auto& r : ResolveNodes(n, s_.clients)) {
      auto id = w_->node(r);
      if (!id.ok()) return id.status();
      out.push_back(*id);
    }
  }
  return out;
}

Status Execution::ApplyNetwork() {
  sim::World& w = w_->world();
  for (const LinkOverride& l : s_.links) {
    auto from = Nodes({l.from}), to = Nodes({l.to});
    if (!from.ok()) return from.status();
    if (!to.ok()) return to.status();
    for (sim::NodeId a : *from) {
      for (sim::NodeId b : *to) {
        if (a == b) continue;
        if (Status st = l.both ? w.SetLinkBoth(a, b, l.cfg) : w.SetLink(a, b, l.cfg); !st.ok()) return st;
      }
    }
  }
  for (const Fault& f : s_.faults) {
    Status st;
    if (f.kind == FaultKind::kDisk && f.disk == DiskFaultKind::kPowerCut) {
      // The power fails in the middle of the k-th disk write/truncate/sync
      // after start (k seeded in 1..16) — or at the window's midpoint if the
      // disk was idle — and comes back at end.
      sim::Disk* d = w_->disk(f.node);
      if (!d) return Status::Error("SCEN-DISK", f.node + " has no simulated disk");
      const std::string node = f.node;
      Rng pick = Rng::Stream(seed_, "power-cut:" + node + "@" + std::to_string(f.start));
      const std::uint64_t k = 1 + pick.Below(16);
      auto lost = std::make_shared<bool>(false);
      w.scheduler().At(f.start, [this, d, k, lost, node] {
        d->ArmPowerLoss(k, [this, lost, node] {
          // The disk is offline from now on (every store call fails, so
          // nothing more is acknowledged); the node crashes right after the
          // running handler (never re-entrantly).
          *lost = true;
          sim::World& world = w_->world();
          world.scheduler().At(world.Now(), [this, node] { CrashNode(node, -1); });
        });
      });
      w.scheduler().At(f.start + (f.end - f.start) / 2, [this, d, lost, node] {
        d->DisarmPowerLoss();
        if (!*lost) CrashNode(node, -1);
      });
      w.scheduler().At(f.end, [this, node] { RestartNode(node, -1); });
      continue;
    }
    if (f.kind == FaultKind::kCrash) {
      const std::string node = f.node;
      w.scheduler().At(f.start, [this, node] { CrashNode(node, -1); });
      w.scheduler().At(f.end, [this, node] { RestartNode(node, -1); });
      continue;
    }
    if (f.kind == FaultKind::kDisk) {
      sim::Disk* d = w_->disk(f.node);
      if (!d) return Status::Error("SCEN-DISK", f.node + " has no simulated disk");
      std::vector<sim::DiskFault> kinds;
      switch (f.disk) {
        case DiskFaultKind::kIoError:
          kinds = {sim::DiskFault::kReadError, sim::DiskFault::kWriteError, sim::DiskFault::kSyncError};
          break;
        case DiskFaultKind::kReadError: kinds = {sim::DiskFault::kReadError}; break;
        case DiskFaultKind::kWriteError: kinds = {sim::DiskFault::kWriteError}; break;
        case DiskFaultKind::kSyncError: kinds = {sim::DiskFault::kSyncError}; break;
        case DiskFaultKind::kFull: kinds = {sim::DiskFault::kFull}; break;
        default: break;
      }
      const double rate = f.rate;
      if (f.disk == DiskFaultKind::kSlowSync) {
        const TimeUs lat = f.latency;
        w.scheduler().At(f.start, [d, lat] { d->SetSyncLatency(lat); });
        w.scheduler().At(f.end, [d] { d->SetSyncLatency(0); });
      } else {
        w.scheduler().At(f.start, [d, kinds, rate] {
          for (sim::DiskFault k : kinds) d->SetFault(k, rate);
        });
        w.scheduler().At(f.end, [d, kinds] {
          for (sim::DiskFault k : kinds) d->SetFault(k, 0);
        });
      }
      continue;
    }
    if (f.kind == FaultKind::kPartition) {
      auto a = Nodes(f.a), b = Nodes(f.b);
      if (!a.ok()) return a.status();
      if (!b.ok()) return b.status();
      st = w.Partition(*a, *b, f.start, f.end, f.two_way);
    } else if (f.kind == FaultKind::kClogNode) {
      auto n = w_->node(f.node);
      if (!n.ok()) return n.status();
      st = w.ClogNode(*n, f.start, f.end);
    } else {
      auto from = Nodes({f.from}), to = Nodes({f.to});
      if (!from.ok()) return from.status();
      if (!to.ok()) return to.status();
      for (sim::NodeId a : *from) {
        for (sim::NodeId b : *to) {
          if (a == b || !st.ok()) continue;
          for (int dir = 0; dir < (f.both ? 2 : 1) && st.ok(); ++dir) {
            const sim::NodeId x = dir ? b : a, y = dir ? a : b;
            if (f.kind == FaultKind::kClog) st = w.Clog(x, y, f.start, f.end);
            if (f.kind == FaultKind::kLinkDown) st = w.LinkDown(x, y, f.start, f.end);
            if (f.kind == FaultKind::kLinkChange) {
              const sim::LinkConfig cfg = f.link;
              w.scheduler().At(f.start, [&w, x, y, cfg] { (void)w.SetLink(x, y, cfg); });
            }
          }
        }
      }
    }
    if (!st.ok()) return st;
  }
  return Status();
}

void Execution::CrashNode(const std::string& name, int step) {
  Collect();
  if (Status st = w_->Crash(name); !st.ok()) {
    notes_.push_back((step < 0 ? std::string("crash window") : "step " + std::to_string(step + 1)) + ": " +
                     st.ToString());
    return;
  }
  if (name.rfind("mc-", 0) != 0) return;
  const int c = std::stoi(name.substr(3));
  for (OpRecord& r : ops_) {
    if (r.client != c || r.event) continue;
    McEvent e;
    e.op = r.op;
    e.outcome = Outcome::kRefused;
    e.detail = "lost in the crash of " + name;
    e.at = w_->Now();
    r.event = std::move(e);
    r.lost_in_crash = true;
    --open_;
  }
  // The next incarnation numbers its ops from 1 again.
  for (auto it = by_op_.begin(); it != by_op_.end();) it = it->first.first == c ? by_op_.erase(it) : std::next(it);
  if (static_cast<std::size_t>(c) < call_.size()) call_[static_cast<std::size_t>(c)] = 0;
  offers_.erase(std::remove_if(offers_.begin(), offers_.end(), [c](const auto& o) { return o.first == c; }),
                offers_.end());
}

void Execution::RestartNode(const std::string& name, int step) {
  if (Status st = w_->Restart(name); !st.ok()) {
    notes_.push_back((step < 0 ? std::string("crash window") : "step " + std::to_string(step + 1)) + ": " +
                     st.ToString());
  }
}

}  // namespace mcpsim::scenarios
