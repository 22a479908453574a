#include "scenarios/runner.h"

#include <algorithm>
#include <cctype>
#include <memory>

#include <spdlog/spdlog.h>

#include "reference/media/captcha.h"
#include "reference/roles/uri.h"
#include "scenarios/execution.h"
#include "scenarios/swarm.h"

namespace mcpsim::scenarios {

using reference::McEvent;
using reference::McOp;
using Outcome = McEvent::Outcome;


namespace {

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

}  // namespace

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

std::string Execution::Run() {
  accounts_.clear();
  for (int c = 0; c < s_.clients; ++c) accounts_.push_back("user" + std::to_string(c) + "@live.cn");
  RefWorldOptions wo;
  if (std::string err = Configure(wo); !err.empty() || !unimplemented_.empty()) return err;
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
  if (sim_stage_) {
    // Through the protocol, in virtual time, before the steps (a failure
    // makes the run N/A, as against an external target).
    if (std::string err = ProvisionExternal(); !err.empty()) {
      unimplemented_ = "provisioning through the protocol: " + err;
      return "";
    }
  } else if (!external()) {
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

RunResult RunScenario(const Scenario& given, const RunOptions& o) {
  RunResult r;
  r.scenario = given.name;
  r.file = given.file;
  r.seed = o.seed.value_or(given.seed);
  r.swarm = o.swarm;
  r.external = o.external != nullptr;
  if (o.external) r.target_flags = o.external->Flags();
  // A scenario's own `nodes.external` target, unless flags name one.
  RunOptions with_target = o;
  SimTarget from_scenario;
  if (!o.external && !o.sim_target && !given.external_cmd.empty()) {
    from_scenario.command = ExpandTargetCommand(given.external_cmd, given.file);
    from_scenario.roles = given.external_roles;
    from_scenario.from_scenario = true;
    if (Status v = from_scenario.Validate(); !v.ok()) {
      r.checks.push_back({"harness", false, v.ToString()});
      return r;
    }
    with_target.sim_target = &from_scenario;
  }
  if (with_target.sim_target) r.target_flags = with_target.sim_target->Flags();
  if (!o.external && !o.sg_transport.empty() && o.sg_transport != "udp" && o.sg_transport != "auto") {
    r.target_flags += " --sg-transport " + o.sg_transport;
  }
  Scenario s = given;
  // (a target's roles are not crashed: neither a real server nor one inside the simulation)
  if (o.swarm) {
    r.swarm_mix = ApplySwarm(s, r.seed, /*crash_servers=*/o.external == nullptr && with_target.sim_target == nullptr);
  }
  // The fault points: as given, else a swarm run's own draw, else none.
  RunOptions eff = with_target;
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
    // (an N/A run builds no world: no hash)
    if (std::string err = first.Run(); err.empty() && first.unimplemented().empty()) rerun_hash = first.hash();
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

}  // namespace mcpsim::scenarios
