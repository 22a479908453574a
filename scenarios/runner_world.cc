// The world a run builds (Execution, execution.h): RefWorldOptions from the
// scenario and the run options, and the set-up of an external target or of a
// target inside the simulation.
#include <algorithm>
#include <memory>

#include "scenarios/execution.h"

namespace mcpsim::scenarios {

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

// A target playing several roles (sim_stage.h): the scenario must leave
// those roles as they are (no removal, configuration, crash or simulated
// disk); the target starts after every node exists, on a node of its own,
// and the role nodes relay to it.
std::string Execution::SimStageSetup(RefWorldOptions& wo) {
  const std::vector<std::string>& roles = o_.sim_target->roles;
  auto plays = [&](const std::string& r) { return std::find(roles.begin(), roles.end(), r) != roles.end(); };
  for (const std::string& r : roles) {
    const bool present = r == "sg" ? s_.sg > 0 : std::find(s_.servers.begin(), s_.servers.end(), r) != s_.servers.end();
    if (!present && r != "sg") return "the scenario removes the " + r + " role (nodes.servers), which the target plays";
  }
  if (plays("cs") && (s_.cs_rate_per_s != 0 || s_.cs_burst != 0)) {
    return "the scenario configures the CS (nodes.cs_rate_per_s/cs_burst), which a target does not follow";
  }
  if (plays("dp") && (s_.min_version != "1.0.0" || s_.latest_version != "1.3.0")) {
    return "the scenario configures the DP (nodes.min_version/latest_version), which a target does not follow";
  }
  // The clients learn the RS and SG addresses from the DP: a DP target that
  // does not play them cannot name the in-process ones (the relays drop the
  // addresses it hands out for roles nobody relays to it).
  for (const Step& st : s_.steps) {
    const bool rs = st.op == StepOp::kCaptcha || st.op == StepOp::kRegister;
    const char* other = rs && !plays("rs") ? "rs" : IsSgStep(st.op) && !plays("sg") ? "sg" : nullptr;
    if (plays("dp") && other) {
      return std::string("the scenario reaches ") + other + " through the dp the target plays, which cannot name the " +
             "in-process " + other + " (play both, or neither)";
    }
  }
  for (const std::string& d : s_.disks) {
    if (plays(d)) return "the scenario puts the " + d + " store on a simulated disk, which the target does not use";
  }
  if (s_.disk_all) return "the scenario puts the server stores on simulated disks, which the target does not use";
  for (const Fault& f : s_.faults) {
    if (f.kind == FaultKind::kDisk && plays(f.node)) {
      return "the scenario faults the " + f.node + " disk, which the target does not use";
    }
    if (f.kind == FaultKind::kCrash && plays(f.node)) {
      return "the scenario crashes the " + f.node + " node, which the target plays (not yet supported)";
    }
  }
  for (const Step& st : s_.steps) {
    if ((st.op == StepOp::kCrash || st.op == StepOp::kRestart) && plays(st.node)) {
      return "the scenario crashes or restarts the " + st.node + " node, which the target plays (not yet supported)";
    }
  }
  wo.after_build = [this](RefWorld& w) {
    auto st = SimStage::Start(*o_.sim_target, w, seed_);
    if (!st.ok()) return st.status();
    sim_stage_ = st->get();
    stage_ = std::move(*st);
    return Status();
  };
  return "";
}

std::string Execution::Configure(RefWorldOptions& wo) {
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
    ext_ = st->get();
    stage_ = std::move(*st);
    if (std::string err = ProvisionExternal(); !err.empty()) {
      unimplemented_ = err;
      return "";
    }
    wo.sg_transport = o_.external->sg_transport;
    ext_->StartClock();
    wo.relay_servers = [this](RefWorld& w) { return ext_->Install(w); };
    wo.wrap_client_env = [this](const std::string& node, Env& env) { return ext_->WrapClient(node, env); };
  }
  if (o_.sim_target && o_.sim_target->Relayed()) {
    if (std::string na = SimStageSetup(wo); !na.empty()) {
      unimplemented_ = na;
      return "";
    }
  } else if (o_.sim_target) {
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
  if (o_.sim_target) {  // the target is these roles
    for (const std::string& r : o_.sim_target->roles) {
      if (r == "dp") wo.host_dp = false;
      if (r == "rs") wo.host_rs = false;
      if (r == "cs") wo.host_cs = false;
      if (r == "ms") wo.host_ms = false;
      if (r == "sg") wo.host_sg = false;
    }
  }
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
  return "";
}

}  // namespace mcpsim::scenarios
