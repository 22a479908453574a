// `mcpsim run PATH... [--seed N | --seeds A..B] [--out DIR] [--trace FILE] [--pcap FILE]`:
// runs scenario files (a folder: every *.yaml in it, sorted) on simulated time
// and prints one verdict line per run (scenarios/run_summary.h). Exit 0 all pass,
// 1 any failed, 2 usage or scenario-file error.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <filesystem>

#include "reference/fault_sites.h"
#include "scenarios/external.h"
#include "sim/pcap.h"
#include "scenarios/inputs.h"
#include "scenarios/run_summary.h"
#include "scenarios/runner.h"
#include "scenarios/scenario.h"
#include "scenarios/swarm.h"
#include "tools/scenario_out.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

using namespace mcpsim::scenarios;

struct RunArgs {
  std::vector<std::string> paths;
  std::string seed, seeds, out, trace, pcap;
  bool swarm = false, broken_dedup = false, failures_only = false, list_fault_points = false;
  std::string fault_points;  // --fault-points all|none|seeded|a,b ("" = not given)
  // An external target (scenarios/external.h).
  std::string udp, tcp, http, launch, accounts;
  // A third-party server inside the simulation (scenarios/sim_target.h).
  std::string sim_launch, sim_roles = "cs";
  std::string sg_transport = "auto";
};

}  // namespace

// tools/verbs/run_external.cc
std::optional<scenarios::ExternalTarget> ExternalFromFlags(const std::string& udp, const std::string& tcp,
                                                          const std::string& http, const std::string& launch,
                                                          const std::string& accounts, std::string& err);
Status WriteTargetReport(const std::string& dir, const std::vector<scenarios::Scenario>& scenarios,
                         const std::vector<std::pair<std::size_t, scenarios::RunResult>>& runs,
                         const scenarios::ExternalTarget& t, std::uint64_t seed);

namespace {

std::vector<std::string> SplitRoles(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

int Run(const RunArgs& a) {
  if (a.list_fault_points) {
    // One line per registered fault point: name, group, clause, what it does.
    for (const reference::FaultSite& f : reference::FaultSites()) {
      std::cout << f.name << "\t" << f.group << "\t" << f.clause << "\t" << f.what << "\n";
    }
    return 0;
  }
  if (a.paths.empty()) {
    std::cerr << "mcpsim: error: PATH is required\n";
    return 2;
  }
  std::optional<FaultPointChoice> fault_points;
  if (!a.fault_points.empty()) {
    auto c = ParseFaultPoints(a.fault_points);
    if (!c.ok()) {
      std::cerr << "mcpsim: error: " << c.status().message() << "\n";
      return 2;
    }
    fault_points = *c;
  }
  if (!a.seed.empty() && !a.seeds.empty()) {
    std::cerr << "mcpsim: error: give --seed or --seeds, not both\n";
    return 2;
  }
  std::optional<std::pair<std::uint64_t, std::uint64_t>> range;
  if (!a.seed.empty() || !a.seeds.empty()) {
    range = ParseSeedRange(a.seed.empty() ? a.seeds : a.seed);
    if (!range || (!a.seed.empty() && range->first != range->second)) {
      std::cerr << "mcpsim: error: bad seed '" << (a.seed.empty() ? a.seeds : a.seed)
                << "' (use --seed N or --seeds A..B)\n";
      return 2;
    }
  }
  std::string err;
  auto external = ExternalFromFlags(a.udp, a.tcp, a.http, a.launch, a.accounts, err);
  if (!err.empty()) {
    std::cerr << "mcpsim: error: " << err << "\n";
    return 2;
  }
  if (a.sg_transport != "auto" && a.sg_transport != "udp" && a.sg_transport != "tcp") {
    std::cerr << "mcpsim: error: --sg-transport must be auto, udp or tcp\n";
    return 2;
  }
  if (external) external->sg_transport = a.sg_transport;
  if (external && fault_points && fault_points->on()) {
    std::cerr << "mcpsim: error: --fault-points changes the reference servers; it has no meaning against a target\n";
    return 2;
  }
  if (external && a.broken_dedup) {
    std::cerr << "mcpsim: error: --broken-dedup changes the reference servers; it has no meaning against a target\n";
    return 2;
  }
  std::optional<SimTarget> sim_target;
  if (!a.sim_launch.empty()) {
    if (external) {
      std::cerr << "mcpsim: error: --sim-launch runs the target inside the simulation; it excludes "
                   "--launch/--udp/--tcp/--http\n";
      return 2;
    }
    if (a.broken_dedup) {
      std::cerr << "mcpsim: error: --broken-dedup changes the reference servers; it has no meaning against a target\n";
      return 2;
    }
    sim_target = SimTarget{a.sim_launch, SplitRoles(a.sim_roles)};
    if (Status st = sim_target->Validate(); !st.ok()) {
      std::cerr << "mcpsim: error: " << st.message() << "\n";
      return 2;
    }
  }
  auto loaded = LoadScenarios(a.paths);
  if (!loaded.ok()) {
    std::cerr << "mcpsim: error: " << loaded.status().message() << "\n";
    return 2;
  }
  std::vector<Scenario> scenarios = std::move(*loaded);
  const std::size_t seeds_per = range ? range->second - range->first + 1 : 1;
  const bool single = scenarios.size() == 1 && seeds_per == 1;
  if ((!a.trace.empty() || !a.pcap.empty()) && !single) {
    std::cerr << "mcpsim: error: --trace and --pcap need exactly one scenario and one seed\n";
    return 2;
  }
  std::vector<nlohmann::ordered_json> results;
  bool failed = false;
  std::size_t runs = 0, failures = 0, not_applicable = 0;
  std::string last_hash;
  // External runs with --out: one report set (report.json, junit.xml,
  // index.html with the transcripts, summary.md, run.pcap).
  sim::PcapngWriter pcap;
  std::vector<std::pair<std::size_t, RunResult>> target_runs;
  if (external && !a.out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.out, ec);
    if (pcap.Open(a.out + "/run.pcap").ok()) external->pcap = &pcap;
  }
  for (const Scenario& s : scenarios) {
    const std::uint64_t lo = range ? range->first : s.seed, hi = range ? range->second : s.seed;
    for (std::uint64_t seed = lo;; ++seed) {
      RunOptions o;
      o.seed = seed;
      o.trace_path = a.trace;
      o.pcap_path = a.pcap;
      o.swarm = a.swarm;
      o.broken_dedup = a.broken_dedup;
      o.fault_points = fault_points;
      if (external) o.external = &*external;
      if (sim_target) o.sim_target = &*sim_target;
      if (!external && a.sg_transport != "auto") o.sg_transport = a.sg_transport;
      const RunResult r = RunScenario(s, o);
      std::cout << VerdictLine(r) << "\n";
      ++runs;
      if (!r.unimplemented.empty()) ++not_applicable;  // reported N/A, never counted as passed
      if (!r.pass) {
        ++failures;
        failed = true;
        std::cout << ReplayLine(r) << (a.broken_dedup ? " --broken-dedup" : "") << "\n";
      }
      std::cout.flush();
      last_hash = r.trace_hash;
      if (!a.out.empty()) results.push_back(ResultJson(r));
      if (external && !a.out.empty()) target_runs.emplace_back(static_cast<std::size_t>(&s - scenarios.data()), r);
      if (seed == hi) break;
    }
  }
  if (!a.out.empty()) {
    if (Status st = WriteScenarioOut(a.out, std::move(results), scenarios,
                                     {!a.failures_only, a.swarm, a.broken_dedup});
        !st.ok()) {
      std::cerr << "mcpsim: error: " << st.message() << "\n";
      return 3;
    }
    if (external) {
      pcap.Close();
      const std::uint64_t seed = range ? range->first : (scenarios.empty() ? 0 : scenarios.front().seed);
      if (Status st = WriteTargetReport(a.out, scenarios, target_runs, *external, seed); !st.ok()) {
        std::cerr << "mcpsim: error: " << st.message() << "\n";
        return 3;
      }
    }
    std::cerr << "run: report in " << std::filesystem::absolute(std::filesystem::path(a.out) / "index.html").string()
              << "\n";
  }
  // A run against a real server does not replay bit for bit: no trace hash.
  if (single && !external) {
    std::cout << "trace-hash: " << last_hash << "\n";
  } else {
    std::cout << "total: " << runs << " runs, " << runs - failures - not_applicable << " passed, " << failures
              << " failed";
    if (not_applicable > 0) std::cout << ", " << not_applicable << " n/a";
    std::cout << "\n";
  }
  return failed ? 1 : 0;
}

RegisterVerb reg{{"", "run",
                  "Run scenario files (a folder: every *.yaml in it or below it, sorted). One line per run: PASS/FAIL "
                  "<scenario> seed=<N> ...; a failure adds a replay line. One scenario and one seed: the "
                  "last line is `trace-hash: <16 hex>`. Exit 0 all pass, 1 any fail, 2 usage/file error.",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<RunArgs>();
                    cmd.add_option("PATH", a->paths, "Scenario files or folders");
                    cmd.add_option("--seed", a->seed, "Run with this seed (default: the file's seed)");
                    cmd.add_option("--seeds", a->seeds, "Run every seed in A..B (inclusive)");
                    cmd.add_option("--out", a->out,
                                   "Write summary.json, index.html and per run a JSON result, a drill-down page "
                                   "(sequence diagram, checkers, counters, replay) and its pcap here");
                    cmd.add_flag("--failures-only", a->failures_only,
                                 "--out: per-run files for the failing runs only (summary and index cover all)");
                    cmd.add_option("--trace", a->trace, "Write the JSON Lines trace (one run only)");
                    cmd.add_option("--pcap", a->pcap, "Write a pcap of all traffic (one run only)");
                    cmd.add_flag("--swarm", a->swarm,
                                 "Replace the network with the fault mix drawn from the seed (see sweep)");
                    cmd.add_option("--fault-points", a->fault_points,
                                   "Fault points of the protocol code: all, none, seeded (a seed-chosen subset, "
                                   "what --swarm uses for 3 seeds in 4) or a,b,... (names from "
                                   "--list-fault-points). Default: none, or the swarm's draw with --swarm. "
                                   "Step expectations are not checked while fault points are on");
                    cmd.add_flag("--list-fault-points", a->list_fault_points,
                                 "Print every registered fault point (name, group, clause, effect) and exit");
                    cmd.add_option("--udp", a->udp, "External target: UDP address HOST:PORT (CS, SG)");
                    cmd.add_option("--tcp", a->tcp, "External target: TCP address HOST:PORT (RS, SG)");
                    cmd.add_option("--http", a->http, "External target: HTTP URL or HOST:PORT (DP, RS, MS, SG)");
                    cmd.add_option("--launch", a->launch,
                                   "External target: shell command starting it (its `listening` lines give the "
                                   "addresses); one fresh target per run. The scenario's clients talk to it through "
                                   "the scenario's simulated network, paced by the wall clock");
                    cmd.add_option("--accounts", a->accounts,
                                   "External target: existing accounts, one `account password` per line (used "
                                   "before registering new ones)");
                    cmd.add_option("--sim-launch", a->sim_launch,
                                   "Third-party server inside the simulation: the same command line as --launch, run "
                                   "with libmcpsim_interpose.so preloaded on the node of --sim-roles; its sockets, "
                                   "clocks and randomness are simulated, so a run replays bit for bit");
                    cmd.add_option("--sim-roles", a->sim_roles, "Roles the --sim-launch target plays, comma-separated (dp,rs,sg,cs,ms; default cs)");
                    cmd.add_option("--sg-transport", a->sg_transport,
                                   "The clients' SG transport: auto (UDP when DP lists it, else TCP), udp or tcp "
                                   "(simulated runs: auto = udp)")
                        ->capture_default_str();
                    cmd.add_flag("--broken-dedup", a->broken_dedup,
                                 "TEST-ONLY: run a broken reference whose servers do not suppress "
                                 "duplicate requests (checkers must catch it)");
                    return [a] { return Run(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
