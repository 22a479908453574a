#include "scenarios/runner.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "reference/media/captcha.h"
#include "reference/roles/uri.h"
#include "scenarios/execution.h"
#include "reference/fault_sites.h"
#include "scenarios/swarm.h"

namespace mcpsim::scenarios {

using reference::McEvent;
using reference::McOp;
using Outcome = McEvent::Outcome;

const CheckResult* RunResult::first_failure() const {
  for (const CheckResult& c : checks) {
    if (!c.pass) return &c;
  }
  return nullptr;
}

namespace {

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

}  // namespace

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

OpRecord& Execution::Record(int client, int step, McOp op, std::uint64_t id, std::string upload) {
  OpRecord r;
  r.client = client;
  r.step = step;
  r.op = op;
  r.op_id = id;
  r.issued = w_->Now();
  r.upload_data = std::move(upload);
  by_op_[{client, id}] = ops_.size();
  spdlog::debug("run {} t={}us: mc-{} step {} issues {} (op {})", s_.name, w_->Now(), client, step,
                reference::McOpName(op), id);
  ops_.push_back(std::move(r));
  ++open_;
  return ops_.back();
}

std::string Execution::MediaUrl(int client, const std::string& tmpl) {
  const auto ms_ip = w_->node_ip("ms");  // every world has the node "ms"
  const std::string ms = reference::FormatUri("http", Endpoint::V4(ms_ip.ok() ? *ms_ip : 0, 80));
  std::string ad = last_ad_image_[static_cast<std::size_t>(client)];
  if (ad.empty()) ad = ms + "/media/banner-1";
  return ReplaceAll(ReplaceAll(tmpl, "${ad.image}", ad), "${ms}", ms);
}

namespace {
std::optional<McOp> McOpOfStep(StepOp op) {
  switch (op) {
    case StepOp::kDispatch: return McOp::kDispatch;
    case StepOp::kCaptcha: return McOp::kCaptcha;
    case StepOp::kRegister: return McOp::kRegister;
    case StepOp::kUpload: return McOp::kUpload;
    case StepOp::kAd: return McOp::kAd;
    case StepOp::kMedia: return McOp::kMedia;
    case StepOp::kLogin: return McOp::kLogin;
    case StepOp::kLogout: return McOp::kLogout;
    case StepOp::kContact: return McOp::kEditContact;
    case StepOp::kPresence: return McOp::kSetPresence;
    case StepOp::kProfile: return McOp::kSetProfile;
    case StepOp::kInvite: return McOp::kInvite;
    case StepOp::kAddMember: return McOp::kAddMember;
    case StepOp::kMessage: return McOp::kSendMessage;
    case StepOp::kLeave: return McOp::kLeave;
    case StepOp::kOffline: return McOp::kSendOffline;
    case StepOp::kFile: return McOp::kOfferFile;
    case StepOp::kVoice: return McOp::kSendVoice;
    case StepOp::kNudge: return McOp::kSendNudge;
    default: return std::nullopt;
  }
}
}  // namespace

void Execution::RefuseDown(const Step& st, int step, int c) {
  const auto op = McOpOfStep(st.op);
  if (!op) return;  // accept_privacy, a back-end nudge: nothing the phone does
  OpRecord& r = Record(c, step, *op, (std::uint64_t{1} << 63) + ++down_op_);
  McEvent e;
  e.op = *op;
  e.outcome = Outcome::kRefused;
  e.detail = "mc-" + std::to_string(c) + " is down (crashed, not restarted)";
  e.at = w_->Now();
  r.event = std::move(e);
  --open_;
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

void Execution::Issue(const Step& st, int step, int c, int rep) {
  if (!w_->mc_up(c)) return RefuseDown(st, step, c);
  auto expand = [&](const std::string& t) {
    return ReplaceAll(ReplaceAll(t, "{i}", std::to_string(rep)), "{c}", std::to_string(c));
  };
  switch (st.op) {
    case StepOp::kAcceptPrivacy:
      w_->mc(c).AcceptPrivacyAgreement();
      return;
    case StepOp::kDispatch:
      Record(c, step, McOp::kDispatch, w_->Act(c, [](auto& mc, TimeUs now) { return mc.QueryDispatch(now); }));
      return;
    case StepOp::kCaptcha:
      Record(c, step, McOp::kCaptcha, w_->Act(c, [](auto& mc, TimeUs now) { return mc.RequestCaptcha(now); }));
      return;
    case StepOp::kRegister: {
      std::string typed = st.captcha_text;
      if (st.captcha == CaptchaMode::kWrong) typed = "zzzzz";
      if (st.captcha == CaptchaMode::kRead) {
        // The simulated user reads the image; RS-9 makes case irrelevant. On
        // an external target in test mode the TEST-1 hook tells the text.
        const auto ip = w_->node_ip("mc-" + std::to_string(c));
        const std::string hook = external() && ip.ok() ? stage_->HookCaptchaFor(*ip) : "";
        typed = !hook.empty() ? hook : reference::ReadCaptcha(last_captcha_[static_cast<std::size_t>(c)]).value_or("?");
        for (char& ch : typed) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      const std::string account = external() ? Map(expand(st.account)).name : expand(st.account);
      const std::string pw = expand(st.password);
      const std::string again = st.password_again ? expand(*st.password_again) : pw;
      const std::string nick = expand(st.nickname);
      accounts_[static_cast<std::size_t>(c)] = account;
      Record(c, step, McOp::kRegister, w_->Act(c, [&](auto& mc, TimeUs now) {
               return mc.Register(now, typed, account, pw, again, nick);
             }));
      return;
    }
    case StepOp::kUpload: {
      // A unique suffix lets exactly_once_uploads tell every upload apart.
      const std::string data = expand(st.data) + " #" + std::to_string(c) + "." + std::to_string(++upload_seq_);
      const std::string kind = expand(st.kind);
      const std::uint64_t ts = 1700000000000ULL + static_cast<std::uint64_t>(w_->Now() / kMillis);
      Record(c, step, McOp::kUpload, w_->Act(c, [&](auto& mc, TimeUs now) { return mc.Upload(now, kind, data, ts); }),
             data);
      return;
    }
    case StepOp::kAd: {
      const std::string slot = expand(st.slot);
      Record(c, step, McOp::kAd, w_->Act(c, [&](auto& mc, TimeUs now) { return mc.QueryAd(now, slot); }));
      return;
    }
    case StepOp::kMedia: {
      const std::string url = MediaUrl(c, expand(st.url));
      Record(c, step, McOp::kMedia, w_->Act(c, [&](auto& mc, TimeUs now) { return mc.FetchMedia(now, url); }));
      return;
    }
    case StepOp::kWait:
    case StepOp::kAwait:
      return;
    default:
      return IssueSg(st, step, c, rep);
  }
}

void Execution::IssueWorkload(int c, Rng& rng) {
  const Workload& wl = *s_.workload;
  const int total = wl.upload + wl.ad + wl.media + wl.dispatch + wl.message + wl.offline;
  int pick = static_cast<int>(rng.Below(static_cast<std::uint64_t>(total)));
  Step st;
  if ((pick -= wl.upload) < 0) {
    st.op = StepOp::kUpload;
    st.data = "workload {c}";
  } else if ((pick -= wl.ad) < 0) {
    st.op = StepOp::kAd;
  } else if ((pick -= wl.media) < 0) {
    st.op = StepOp::kMedia;
  } else if ((pick -= wl.dispatch) < 0) {
    st.op = StepOp::kDispatch;
  } else if ((pick -= wl.message) < 0) {
    // Only inside a conversation and an active session; else nothing happens.
    const auto* sg = w_->mc(c).sg();
    if (call_[static_cast<std::size_t>(c)] == 0 || !sg || !sg->active()) return;
    st.op = StepOp::kMessage;
    st.text = "workload {c}";
  } else {
    const auto* sg = w_->mc(c).sg();
    if (s_.clients < 2 || !sg || !sg->active()) return;
    st.op = StepOp::kOffline;
    int to = static_cast<int>(rng.Below(static_cast<std::uint64_t>(s_.clients - 1)));
    st.to_clients = {to >= c ? to + 1 : to};
    st.text = "workload offline {c}";
  }
  Issue(st, -1, c, 0);
}

void Execution::ScheduleWorkload(int c, std::shared_ptr<Rng> rng, TimeUs at) {
  const double mean_us = 1e6 / s_.workload->rate_per_s;
  const TimeUs next = at + 1 + static_cast<TimeUs>(rng->Exponential(mean_us));
  if (next >= workload_end_ || next >= s_.time_limit) return;
  w_->world().scheduler().At(next, [this, c, rng, next] {
    IssueWorkload(c, *rng);
    ScheduleWorkload(c, rng, next);
  });
}

void Execution::Collect() {
  for (int c = 0; c < w_->clients(); ++c) {
    if (!w_->mc_up(c)) continue;
    for (McEvent& e : w_->mc(c).TakeEvents()) {
      if (e.outcome == Outcome::kOk && e.op == McOp::kCaptcha) last_captcha_[static_cast<std::size_t>(c)] = e.data;
      if (e.outcome == Outcome::kOk && e.op == McOp::kAd && e.params.size() >= 2 && !e.params[1].empty()) {
        last_ad_image_[static_cast<std::size_t>(c)] = e.params[1];
      }
      if (e.op_id == 0) {
        if (o_.hide_first_notice == e.op && !hidden_[static_cast<std::size_t>(c)]) {
          hidden_[static_cast<std::size_t>(c)] = true;
          continue;
        }
        OnNotice(c, e);
        notices_.push_back({c, std::move(e)});
        continue;
      }
      auto it = by_op_.find({c, e.op_id});
      if (it == by_op_.end()) continue;  // cannot happen: every op is recorded when issued
      OpRecord& r = ops_[it->second];
      if (!r.event) --open_;
      spdlog::debug("run {} t={}us: mc-{} {} (op {}) ended: outcome {} status {} after {}us", s_.name, w_->Now(), c,
                    reference::McOpName(r.op), r.op_id, static_cast<int>(e.outcome), e.status, w_->Now() - r.issued);
      r.event = std::move(e);
      OnOpEvent(c, r);
    }
  }
  React();
}

bool Execution::StepDone(int step) const {
  for (const OpRecord& r : ops_) {
    if (r.step == step && !r.event) return false;
  }
  for (const Followup& f : followups_) {
    if (f.step == step && w_->Now() < f.deadline && !f.done()) return false;
  }
  return true;
}

Status Execution::RunTo(TimeUs t) {
  Status st = w_->world().RunUntilCondition(
      [&] {
        Collect();
        return false;
      },
      t);
  Collect();
  if (!st.ok() && st.clause() == "SIM-2") return Status();  // reached t
  return st;
}

// Runs until `done()` or the time limit. An empty queue or reaching the limit
// is not an error here (the checkers judge what is left open).
Status Execution::RunUntilDone(const std::function<bool()>& done) {
  Status st = w_->world().RunUntilCondition(
      [&] {
        Collect();
        return done();
      },
      s_.time_limit);
  Collect();
  if (!st.ok() && st.clause() == "SIM-2") return Status();
  return st;
}

// A scenario that removes CS or configures it cannot be followed by a target
// that is what it is; otherwise the target is started on the cs node before
// the roles are built, so the DP hands out the port it bound.
std::string Execution::SimTargetSetup(RefWorldOptions& wo) {
  if (std::find(s_.servers.begin(), s_.servers.end(), "cs") == s_.servers.end()) {
    return "the scenario has no cs node (nodes.servers), which the target plays";
  }
  if (s_.cs_rate_per_s != 0 || s_.cs_burst != 0) {
    return "the scenario configures the CS (nodes.cs_rate_per_s/cs_burst), which a target does not follow";
  }
  // Crashing the target's node would need killing and restarting the child
  // with its state: not yet.
  for (const Step& st : s_.steps) {
    if ((st.op == StepOp::kCrash || st.op == StepOp::kRestart) && st.node == "cs") {
      return "the scenario crashes or restarts the cs node, which the target plays (not yet supported)";
    }
  }
  for (const Fault& f : s_.faults) {
    if (f.kind == FaultKind::kCrash && f.node == "cs") {
      return "the scenario crashes the cs node, which the target plays (not yet supported)";
    }
  }
  wo.before_roles = [this](RefWorld& w, RefWorldOptions& o) {
    std::uint16_t port = 0;
    auto cs = w.node("cs");
    if (!cs.ok()) return cs.status();
    auto p = StartSimTarget(*o_.sim_target, w.world().env(*cs), port);
    if (!p.ok()) return p.status();
    target_ = std::move(*p);
    o.cs_port = port;
    return Status();
  };
  return "";
}

std::string Execution::Run() {
  accounts_.clear();
  for (int c = 0; c < s_.clients; ++c) accounts_.push_back("user" + std::to_string(c) + "@live.cn");
  RefWorldOptions wo;
  if (o_.external) {
    // The real side first: the target (launched), then accounts through the
    // protocol, then relays on the server nodes (virtual time 0 = now).
    // A scenario that removes or configures server roles cannot be followed
    // by a target that is what it is.
    const std::vector<std::string> all_roles{"dp", "rs", "cs", "ms"};
    std::string configured;
    if (s_.servers != all_roles) configured = "servers: a subset of the roles";
    if (s_.cs_rate_per_s != 0 || s_.cs_burst != 0) configured = "cs_rate_per_s/cs_burst";
    if (s_.min_version != "1.0.0" || s_.latest_version != "1.3.0") configured = "min_version/latest_version";
    if (!configured.empty()) {
      unimplemented_ = "the scenario configures the servers (nodes." + configured +
                       "), which an external target does not follow";
      return "";
    }
    // Nor can the harness crash and restart the target's server roles.
    std::string crashed;
    for (const Step& st : s_.steps) {
      if (st.op == StepOp::kCrash && st.node.rfind("mc-", 0) != 0) crashed = st.node;
    }
    for (const Fault& f : s_.faults) {
      if (f.kind == FaultKind::kCrash && f.node.rfind("mc-", 0) != 0) crashed = f.node;
    }
    if (!s_.disks.empty() || s_.disk_all) {
      unimplemented_ = "the scenario puts a server store on a simulated disk, which an external target does not use";
      return "";
    }
    if (!crashed.empty()) {
      unimplemented_ = "the scenario crashes the server role " + crashed +
                       ", which the harness cannot do to an external target";
      return "";
    }
    auto st = ExternalStage::Open(*o_.external, seed_);
    if (!st.ok()) return "target: " + st.status().ToString();
    stage_ = std::move(*st);
    if (std::string err = ProvisionExternal(); !err.empty()) {
      unimplemented_ = err;
      return "";
    }
    wo.sg_transport = o_.external->sg_transport;
    stage_->StartClock();
    wo.relay_servers = [this](RefWorld& w) { return stage_->Install(w); };
    wo.wrap_client_env = [this](const std::string& node, Env& env) { return stage_->WrapClient(node, env); };
  }
  if (o_.sim_target) {
    if (std::string na = SimTargetSetup(wo); !na.empty()) {
      unimplemented_ = na;
      return "";
    }
  }
  wo.seed = seed_;
  if (o_.fault_points && o_.fault_points->on() && !o_.external) {
    wo.world.buggify = true;
    if (o_.fault_points->mode == FaultPointChoice::Mode::kAll) wo.world.buggify_sites = 1.0;
    if (o_.fault_points->mode == FaultPointChoice::Mode::kList) wo.world.buggify_only = o_.fault_points->sites;
    if (o_.fault_fire) wo.world.buggify_fire = *o_.fault_fire;
  }
  wo.clients = s_.clients;
  wo.world.default_link = s_.default_link;
  wo.min_version = s_.min_version;
  wo.latest_version = s_.latest_version;
  wo.client_version = s_.client_version;
  wo.cs_rate_per_s = s_.cs_rate_per_s;
  wo.cs_burst = s_.cs_burst;
  auto hosted = [&](const char* r) { return std::find(s_.servers.begin(), s_.servers.end(), r) != s_.servers.end(); };
  wo.host_dp = hosted("dp"), wo.host_rs = hosted("rs"), wo.host_cs = hosted("cs"), wo.host_ms = hosted("ms");
  wo.host_sg = s_.sg > 0;
  if (o_.sim_target) wo.host_cs = false;  // the target is the CS
  wo.client_cache = s_.client_cache;
  wo.disks = s_.disks;
  for (const Fault& f : s_.faults) {  // a disk fault implies the disk (e.g. after shrinking)
    if (f.kind == FaultKind::kDisk && std::find(wo.disks.begin(), wo.disks.end(), f.node) == wo.disks.end()) {
      wo.disks.push_back(f.node);
    }
  }
  if (s_.disk_all) {
    for (const char* n : {"sg", "cs", "ms"}) {
      const bool on = std::string(n) == "sg" ? wo.host_sg : hosted(n);
      if (on && std::find(wo.disks.begin(), wo.disks.end(), n) == wo.disks.end()) wo.disks.push_back(n);
    }
  }
  wo.group_commit = s_.group_commit;
  for (const Step& st : s_.steps) {
    wo.nonconforming_send_nudge |= st.op == StepOp::kNudge && st.from_client;
    wo.nonconforming_unchecked_voice |= st.op == StepOp::kVoice && !st.client_check;
  }
  wo.server_dedup = !o_.broken_dedup;
  wo.broken_sync = o_.broken_sync;
  if (!o_.sg_transport.empty()) wo.sg_transport = o_.sg_transport;
  wo.trace_path = o_.trace_path;
  wo.pcap_path = o_.pcap_path;
  auto built = RefWorld::Create(wo);
  if (!built.ok()) {
    if (target_) target_->Abandon();  // its node's Env is gone with the world
    return "cannot build the world: " + built.status().ToString();
  }
  w_ = std::move(*built);
  last_captcha_.assign(static_cast<std::size_t>(s_.clients), "");
  last_ad_image_.assign(static_cast<std::size_t>(s_.clients), "");
  call_.assign(static_cast<std::size_t>(s_.clients), 0);
  hidden_.assign(static_cast<std::size_t>(s_.clients), false);
  if (!external()) {
    if (std::string err = Provision(); !err.empty()) return "provision: " + err;
  }
  if (Status st = ApplyNetwork(); !st.ok()) return "network: " + st.ToString();
  if (s_.workload) {
    workload_end_ = s_.workload->start + s_.workload->duration;
    std::vector<int> cl = s_.workload->clients;
    if (cl.empty()) {
      for (int c = 0; c < s_.clients; ++c) cl.push_back(c);
    }
    for (int c : cl) {
      auto rng = std::make_shared<Rng>(Rng::Stream(seed_, "workload:mc-" + std::to_string(c)));
      ScheduleWorkload(c, rng, s_.workload->start);
    }
  }
  for (std::size_t i = 0; i < s_.steps.size(); ++i) {
    const Step& st = s_.steps[i];
    const int idx = static_cast<int>(i);
    if (w_->Now() >= s_.time_limit) {
      notes_.push_back("step " + std::to_string(i + 1) + " (" + StepOpName(st.op) + ") not run: time limit reached");
      continue;
    }
    if (st.at && *st.at > w_->Now()) {
      if (Status r = RunTo(std::min(*st.at, s_.time_limit)); !r.ok()) return r.ToString();
      if (*st.at >= s_.time_limit) {
        notes_.push_back("step " + std::to_string(i + 1) + " not run: its time is past the time limit");
        continue;
      }
    }
    if (st.op == StepOp::kWait) {
      if (Status r = RunTo(std::min(w_->Now() + st.duration, s_.time_limit)); !r.ok()) return r.ToString();
      continue;
    }
    if (st.op == StepOp::kAwait) {
      if (Status r = RunUntilDone([&] { return open_ == 0; }); !r.ok()) return r.ToString();
      continue;
    }
    if (st.op == StepOp::kCrash || st.op == StepOp::kRestart) {
      if (st.op == StepOp::kCrash) CrashNode(st.node, idx);
      if (st.op == StepOp::kRestart) RestartNode(st.node, idx);
      continue;
    }
    for (int rep = 0; rep < st.count; ++rep) {
      if (rep > 0 && st.spacing > 0) {
        if (Status r = RunTo(std::min(w_->Now() + st.spacing, s_.time_limit)); !r.ok()) return r.ToString();
      }
      for (int c : st.clients) Issue(st, idx, c, rep);
    }
    if (st.wait) {
      if (Status r = RunUntilDone([&] { return StepDone(idx); }); !r.ok()) return r.ToString();
    }
  }
  // Finally every op ends and the workload runs out (or the time limit hits).
  if (Status r = RunUntilDone([&] { return open_ == 0 && w_->Now() >= workload_end_; }); !r.ok()) {
    return r.ToString();
  }
  if (Status r = RunTo(std::min(w_->Now() + s_.settle, s_.time_limit)); !r.ok()) return r.ToString();
  return "";
}

Counters Execution::MakeCounters() {
  Counters c;
  for (const auto& n : CounterNames()) c[n] = 0;
  std::vector<TimeUs> lat;
  for (const OpRecord& r : ops_) {
    ++c["ops"];
    // HTTP ops (refusals are immediate) each start one exchange; UDP requests are counted below.
    const bool refused = r.event && r.event->outcome == Outcome::kRefused;
    if (r.op != McOp::kUpload && r.op != McOp::kAd && !refused) ++c["sent"];
    if (!r.event) {
      ++c["pending"];
      continue;
    }
    switch (r.event->outcome) {
      case Outcome::kOk: ++c["ok"]; break;
      case Outcome::kStatus: ++c["status"]; break;
      case Outcome::kGaveUp: ++c["gave_up"]; break;
      case Outcome::kRefused: ++c["refused"]; break;
    }
    if (r.event->outcome == Outcome::kOk || r.event->outcome == Outcome::kStatus) lat.push_back(r.event->at - r.issued);

  }
  for (int i = 0; i < w_->clients(); ++i) {
    if (const auto* ls = w_->mc(i).cs_stats()) {
      c["sent"] += static_cast<std::int64_t>(ls->requests);
      c["resent"] += static_cast<std::int64_t>(ls->resends);
      c["late_answers"] += static_cast<std::int64_t>(ls->late_answers);
    }
    // SG requests resent by the client (TIMER-2) count too, not only CS uploads.
    c["resent"] += static_cast<std::int64_t>(w_->mc(i).sg_resends());
  }
  const sim::NetStats& ns = w_->world().stats();
  c["dropped"] = static_cast<std::int64_t>(ns.dropped);
  c["duplicated"] = static_cast<std::int64_t>(ns.duplicated);
  c["corrupted"] = static_cast<std::int64_t>(ns.corrupted);
  c["delivered"] = static_cast<std::int64_t>(ns.delivered);
  if (target_) {
    const auto& st = target_->stats();
    c["interpose_calls"] = static_cast<std::int64_t>(st.calls);
    c["interpose_waits"] = static_cast<std::int64_t>(st.waits);
    c["interpose_datagrams_in"] = static_cast<std::int64_t>(st.datagrams_in);
    c["interpose_datagrams_out"] = static_cast<std::int64_t>(st.datagrams_out);
    c["interpose_dropped_full"] = static_cast<std::int64_t>(st.dropped_full);
    c["interpose_netns"] = target_->network_isolated() ? 1 : 0;  // escaped sockets see no real network
  }
  if (external()) {
    // The servers' own counters are not observable: absent (checkers and
    // expect_counters report them as not applicable).
    for (const char* k : {"uploads_stored", "cs_executed", "cs_replayed", "rs_accounts"}) c.erase(k);
    for (const auto& [k, v] : stage_->counters()) c[k] = v;
  } else {
    auto stored = w_->cs_store().CountUploads();
    c["uploads_stored"] = stored.ok() ? static_cast<std::int64_t>(*stored) : -1;
    c["cs_executed"] = static_cast<std::int64_t>(w_->cs().server_stats().requests_executed);
    c["cs_replayed"] = static_cast<std::int64_t>(w_->cs().server_stats().duplicates_replayed);
    c["rs_accounts"] = static_cast<std::int64_t>(w_->rs().stats().accounts_created);
  }
  // A CS inside the simulation: its store is the target's secret.
  if (target_) {
    for (const char* k : {"uploads_stored", "cs_executed", "cs_replayed"}) c.erase(k);
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](int p) -> std::int64_t {
    if (lat.empty()) return 0;
    std::size_t rank = (lat.size() * static_cast<std::size_t>(p) + 99) / 100;  // nearest rank
    return lat[std::max<std::size_t>(rank, 1) - 1];
  };
  c["latency_p50_us"] = pct(50);
  c["latency_p90_us"] = pct(90);
  c["latency_p99_us"] = pct(99);
  c["latency_max_us"] = lat.empty() ? 0 : lat.back();
  SgCounters(c);
  return c;
}

void Execution::Fill(RunResult& r, const std::optional<std::string>& rerun_hash,
                     const std::vector<std::string>& checkers) {
  r.counters = MakeCounters();
  r.trace_hash = hash();
  r.trace_lines = w_->world().trace().count();
  r.end_time = w_->Now();
  // The checkers read the stores as the harness, not through the faulty
  // disk: every disk fault ends with the run.
  w_->HealDisks();
  RunView view{s_, *w_, ops_, r.counters, r.end_time, r.trace_hash, rerun_hash, notes_, o_.swarm, notices_, accounts_};
  view.external = external() || target_ != nullptr;
  view.sim_target = target_ != nullptr;
  view.fault_points = o_.fault_points && o_.fault_points->on() && !external();
  if (view.fault_points) {
    sim::SimFaultPoints& fp = w_->world().sim_faults();
    for (const reference::FaultSite& site : reference::FaultSites()) {
      if (fp.Enabled(site.name)) r.fault_points_enabled.emplace_back(site.name);
    }
    r.fault_points_fired = fp.FireCounts();
  }
  std::map<std::string, std::string> renamed;
  for (const auto& [from, to] : account_map_) renamed[from] = to.name;
  if (external()) view.renamed = &renamed;
  // G-70: step ops that ran without a session after a login allowed to fail.
  for (const OpRecord& op : ops_) {
    if (op.step < 0 || !s_.steps[static_cast<std::size_t>(op.step)].expect) continue;
    if (std::string why = NotLoggedIn(view, op); !why.empty()) {
      ++r.counters["skipped_not_logged_in"];
      spdlog::debug("run {}: {} skipped: {}", s_.name, DescribeOp(view, op), why);
    }
  }
  for (const std::string& name : checkers) {
    const CheckerDef* def = FindChecker(name);
    CheckResult cr;
    cr.checker = name;
    cr.reason = def ? def->check(view) : "unknown checker";
    cr.pass = cr.reason.empty();
    if (IsNotApplicable(cr.reason)) {
      cr.reason = cr.reason.substr(1);
      cr.pass = true;
      cr.applicable = false;
    } else if (!cr.pass && name == "expectations" && !not_applicable_.empty()) {
      // A step that could not be done here leaves expectations unjudgeable.
      cr.reason = "steps skipped on an external target (" + not_applicable_.front() + "), so: " + cr.reason;
      cr.pass = true;
      cr.applicable = false;
    }
    spdlog::debug("run {}: checker {} {}{}{}", s_.name, name, cr.pass ? "passed" : "FAILED", cr.pass ? "" : ": ",
                  cr.reason);
    r.checks.push_back(cr);
  }
  r.not_applicable = not_applicable_;
  if (target_) {
    if (std::string why = SimTargetFailure(*target_); !why.empty()) r.checks.push_back({"target", false, why});
  }
}

RunResult RunScenario(const Scenario& given, const RunOptions& o) {
  RunResult r;
  r.scenario = given.name;
  r.file = given.file;
  r.seed = o.seed.value_or(given.seed);
  r.swarm = o.swarm;
  r.external = o.external != nullptr;
  if (o.external) r.target_flags = o.external->Flags();
  if (o.sim_target) r.target_flags = o.sim_target->Flags();
  if (!o.external && !o.sg_transport.empty() && o.sg_transport != "udp" && o.sg_transport != "auto") {
    r.target_flags += " --sg-transport " + o.sg_transport;
  }
  Scenario s = given;
  if (o.swarm) r.swarm_mix = ApplySwarm(s, r.seed, /*crash_servers=*/o.external == nullptr);
  // The fault points: as given, else a swarm run's own draw, else none.
  RunOptions eff = o;
  r.fault_points_explicit = o.fault_points.has_value();
  if (!eff.fault_points) eff.fault_points = o.swarm ? SwarmFaultPoints(r.seed) : FaultPointChoice{};
  if (o.external) eff.fault_points = FaultPointChoice{};  // a real server has none
  r.fault_points = eff.fault_points->Spec();
  if (o.swarm && !r.fault_points_explicit && eff.fault_points->on()) r.swarm_mix += " fault-points";
  const std::vector<std::string>& checkers = o.only_checkers.empty() ? s.checkers : o.only_checkers;
  bool rerun = false;
  for (const auto& c : checkers) {
    if (const CheckerDef* d = FindChecker(c); d && d->needs_rerun) rerun = !o.external;  // a real server never replays
  }
  std::optional<std::string> rerun_hash;
  if (rerun) {
    RunOptions plain = eff;
    plain.trace_path.clear();
    plain.pcap_path.clear();
    Execution first(s, plain, r.seed);
    if (std::string err = first.Run(); err.empty()) rerun_hash = first.hash();
  }
  spdlog::info("run {} seed {}{}{}", s.name, r.seed, o.swarm ? " swarm " : "", r.swarm_mix);
  Execution ex(s, eff, r.seed);
  if (std::string err = ex.Run(); !err.empty()) {
    spdlog::warn("run {} seed {}: harness error: {}", s.name, r.seed, err);
    r.checks.push_back({"harness", false, err});
    r.pass = false;
    if (ex.stage()) r.target = ex.stage()->target_text();
    return r;
  }
  if (ex.stage()) r.target = ex.stage()->target_text();
  if (!ex.unimplemented().empty()) {
    r.unimplemented = ex.unimplemented();
    r.pass = true;  // not a failure; reported N/A, never PASS
    return r;
  }
  ex.Fill(r, rerun_hash, checkers);
  r.pass = r.first_failure() == nullptr;
  if (ex.stage()) r.wire = ex.stage()->Transcript();
  spdlog::info("run {} seed {}: {} at t={}us, trace-hash {} ({} lines)", s.name, r.seed, r.pass ? "PASS" : "FAIL",
               r.end_time, r.trace_hash, r.trace_lines);
  return r;
}

nlohmann::ordered_json ResultJson(const RunResult& r) {
  nlohmann::ordered_json j;
  j["scenario"] = r.scenario;
  j["file"] = r.file;
  j["seed"] = r.seed;
  j["verdict"] = r.pass ? "PASS" : "FAIL";
  if (!r.unimplemented.empty()) j["verdict"] = "N/A";
  j["swarm"] = r.swarm;
  if (r.swarm) j["swarm_mix"] = r.swarm_mix;
  j["fault_points"] = r.fault_points;
  if (r.fault_points_explicit) j["fault_points_given"] = true;
  if (r.fault_points != "none") {
    j["fault_points_enabled"] = r.fault_points_enabled;
    auto fired = nlohmann::ordered_json::object();
    for (const auto& [site, n] : r.fault_points_fired) {
      if (n > 0) fired[site] = n;
    }
    j["fault_points_fired"] = fired;
  }
  if (r.external) {
    j["external"] = true;
    j["target"] = r.target;
    j["target_flags"] = r.target_flags;
    if (!r.unimplemented.empty()) j["unimplemented"] = r.unimplemented;
    j["not_applicable"] = r.not_applicable;
  } else if (!r.target_flags.empty()) {  // a target inside the simulation (sim_target.h)
    j["sim_target"] = true;
    j["target_flags"] = r.target_flags;
    if (!r.unimplemented.empty()) j["unimplemented"] = r.unimplemented;
  }
  j["trace_hash"] = r.trace_hash;
  j["trace_lines"] = r.trace_lines;
  j["end_time_us"] = r.end_time;
  auto checks = nlohmann::ordered_json::array();
  for (const CheckResult& c : r.checks) {
    checks.push_back({{"checker", c.checker}, {"pass", c.pass}, {"reason", c.reason}, {"applicable", c.applicable}});
  }
  j["checkers"] = checks;
  j["counters"] = r.counters;
  return j;
}

}  // namespace mcpsim::scenarios
