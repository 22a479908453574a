#include "scenarios/run_summary.h"

#include <algorithm>
#include <map>

#include "core/build_info.h"
#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {

using json = nlohmann::ordered_json;

std::string VerdictLine(const RunResult& r) {
  if (!r.unimplemented.empty()) return "N/A " + r.scenario + " seed=" + std::to_string(r.seed) + ": " + r.unimplemented;
  std::string s = std::string(r.pass ? "PASS " : "FAIL ") + r.scenario + " seed=" + std::to_string(r.seed);
  if (const CheckResult* f = r.first_failure()) return s + " " + f->checker + ": " + f->reason;
  auto c = [&](const char* k) { return r.counters.count(k) ? r.counters.at(k) : 0; };
  s += " ops=" + std::to_string(c("ops")) + " ok=" + std::to_string(c("ok")) + " gave_up=" +
       std::to_string(c("gave_up")) + " resent=" + std::to_string(c("resent")) + " dropped=" +
       std::to_string(c("dropped")) + " p50=" + yaml::FormatDuration(c("latency_p50_us")) + " p99=" +
       yaml::FormatDuration(c("latency_p99_us"));
  if (r.swarm) s += " swarm=[" + r.swarm_mix + "]";
  std::string fired;
  for (const auto& [site, n] : r.fault_points_fired) {
    if (n > 0) fired += (fired.empty() ? "" : " ") + site + ":" + std::to_string(n);
  }
  if (!fired.empty()) s += " fault-points=[" + fired + "]";
  std::string na;
  for (const CheckResult& c : r.checks) {
    if (!c.applicable) na += (na.empty() ? "" : ",") + c.checker;
  }
  if (!na.empty()) s += " n/a=" + na;
  if (!r.not_applicable.empty()) s += " skipped_steps=" + std::to_string(r.not_applicable.size());
  return s;
}

std::string ReplayLine(const RunResult& r) {
  return "replay: mcpsim run " + r.file + " --seed " + std::to_string(r.seed) + (r.swarm ? " --swarm" : "") +
         (r.fault_points_explicit ? " --fault-points " + r.fault_points : "") + r.target_flags;
}

json SummaryJson(const std::vector<json>& results, bool all_runs) {
  json s;
  const core::BuildInfo& b = core::GetBuildInfo();
  s["mcpsim"] = {{"version", b.version}, {"commit", b.commit}, {"build_type", b.build_type}};
  std::size_t passed = 0;
  json failing = json::array();
  json listed = json::array();
  // Per scenario, in order of first appearance: runs, passes, summed counters, median latencies.
  std::vector<std::string> order;
  std::map<std::string, json> per;
  std::map<std::string, std::vector<std::int64_t>> p50, p99;
  for (const json& r : results) {
    const std::string name = r["scenario"].get<std::string>();
    if (!per.count(name)) {
      order.push_back(name);
      per[name] = {{"scenario", name}, {"purpose", r.value("purpose", "")}, {"file", r.value("file", "")},
                   {"runs", 0}, {"passed", 0}, {"ops", 0}, {"gave_up", 0}, {"resent", 0}, {"dropped", 0}};
    }
    json& p = per[name];
    p["runs"] = p["runs"].get<int>() + 1;
    if (r.contains("counters")) {
      for (const char* k : {"ops", "gave_up", "resent", "dropped"}) {
        if (r["counters"].contains(k)) p[k] = p[k].get<std::int64_t>() + r["counters"][k].get<std::int64_t>();
      }
      // A run without answered operations has no latency ("—"), not 0.
      if (r["counters"].value("ok", 0) + r["counters"].value("status", 0) > 0) {
        p50[name].push_back(r["counters"].value("latency_p50_us", std::int64_t{0}));
        p99[name].push_back(r["counters"].value("latency_p99_us", std::int64_t{0}));
      }
    }
    if (all_runs) listed.push_back(r);
    if (r["verdict"] == "PASS") {
      ++passed;
      p["passed"] = p["passed"].get<int>() + 1;
      continue;
    }
    if (!all_runs) listed.push_back(r);
    json f;
    f["scenario"] = r["scenario"];
    f["seed"] = r["seed"];
    f["checker"] = "";
    f["reason"] = "";
    for (const json& c : r["checkers"]) {
      if (!c["pass"].get<bool>()) {
        f["checker"] = c["checker"];
        f["reason"] = c["reason"];
        break;
      }
    }
    f["replay"] = "mcpsim run " + r["file"].get<std::string>() + " --seed " + std::to_string(r["seed"].get<std::uint64_t>()) +
                  (r.value("swarm", false) ? " --swarm" : "") +
                  (r.value("fault_points_given", false) ? " --fault-points " + r.value("fault_points", std::string("none")) : "");
    failing.push_back(f);
  }
  auto median = [](std::vector<std::int64_t> v) {
    std::sort(v.begin(), v.end());
    return v[(v.size() - 1) / 2];
  };
  json scen = json::array();
  for (const std::string& name : order) {
    json p = per[name];
    if (!p50[name].empty()) {
      p["latency_p50_us"] = median(p50[name]);
      p["latency_p99_us"] = median(p99[name]);
    }
    scen.push_back(p);
  }
  s["runs"] = results.size();
  s["passed"] = passed;
  s["failed"] = results.size() - passed;
  s["pass_rate"] = results.empty() ? 1.0 : static_cast<double>(passed) / static_cast<double>(results.size());
  s["all_runs"] = all_runs;
  s["failing"] = failing;
  s["scenarios"] = scen;
  s["results"] = listed;
  return s;
}

}  // namespace mcpsim::scenarios
