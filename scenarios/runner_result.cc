// What a run produced (Execution, execution.h): its counters, checker
// results and fault-point figures (RunResult), and the JSON of a result.
#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "reference/fault_sites.h"
#include "scenarios/execution.h"

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
  view.sim_target = target_ != nullptr || sim_stage_ != nullptr;
  // (a target inside the simulation shares the world: the clients' and remaining roles' sites fire)
  view.fault_points = o_.fault_points && o_.fault_points->on() && !o_.external;
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
  std::vector<RefWorld::SgClose> target_closes;
  if (stage_) {
    for (const TargetStage::PushGiveUp& g : stage_->PushesGivenUp()) {
      for (int c = 0; c < s_.clients; ++c) {
        auto ip = w_->node_ip("mc-" + std::to_string(c));
        if (!ip.ok() || *ip != g.client.v4() || static_cast<std::size_t>(c) >= accounts_.size()) continue;
        target_closes.push_back({g.at, accounts_[static_cast<std::size_t>(c)], reference::SgRole::CloseWhy::kGaveUp});
        spdlog::debug("run {}: the target gave up on {} to mc-{} at {} (TIMER-9)", s_.name, g.request, c, g.at);
      }
    }
    view.target_sg_closes = &target_closes;
  }
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
  if (sim_stage_) {
    if (std::string why = SimTargetFailure(sim_stage_->process()); !why.empty()) {
      r.checks.push_back({"target", false, why});
    }
  }
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
