// `mcpsim sweep PATH... --seeds A..B [--swarm] [--shard I/N] [--jobs J] [--out DIR]`:
// runs every scenario on every seed of the range (this shard's part), in J
// worker processes, re-running a sample to confirm determinism; prints a
// summary with the pass rate and one FAIL + replay line per failing seed.
// Exit 0 all pass, 1 any fail, 2 usage/file error, 3 a worker failed.
#include <map>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "conformance/runner.h"
#include "scenarios/external.h"
#include "scenarios/inputs.h"
#include "scenarios/run_summary.h"
#include "scenarios/sweep.h"
#include "tools/scenario_out.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

using namespace mcpsim::scenarios;
using json = nlohmann::ordered_json;

struct SweepArgs {
  std::vector<std::string> paths;
  std::string seeds, shard = "0/1", worker, out, fault_points;
  bool swarm = false, all_runs = false;
  int jobs = 1;
  std::uint64_t determinism_every = 10;
  std::string udp, tcp, http, launch, accounts;  // external target
  std::string sim_launch, sim_roles = "cs";      // target inside the simulation
  bool reuse_target = false;
  std::string sg_transport = "auto";
};

std::string SelfExe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "mcpsim";
}

}  // namespace

std::optional<scenarios::ExternalTarget> ExternalFromFlags(const std::string& udp, const std::string& tcp,
                                                          const std::string& http, const std::string& launch,
                                                          const std::string& accounts, std::string& err);

namespace {

int Sweep(const SweepArgs& a) {
  const auto range = ParseSeedRange(a.seeds);
  if (!range) {
    std::cerr << "mcpsim: error: bad --seeds '" << a.seeds << "' (use A..B)\n";
    return 2;
  }
  const auto shard = ParseShard(a.shard);
  if (!shard) {
    std::cerr << "mcpsim: error: bad --shard '" << a.shard << "' (use I/N with I < N)\n";
    return 2;
  }
  if (a.jobs < 1 || a.jobs > 256) {
    std::cerr << "mcpsim: error: --jobs must be 1..256\n";
    return 2;
  }
  auto loaded = LoadScenarios(a.paths);
  if (!loaded.ok()) {
    std::cerr << "mcpsim: error: " << loaded.status().message() << "\n";
    return 2;
  }
  std::vector<Scenario> scenarios = std::move(*loaded);
  SweepOptions o;
  o.seed_lo = range->first;
  o.seed_hi = range->second;
  o.swarm = a.swarm;
  o.shard_i = shard->first;
  o.shard_n = shard->second;
  o.jobs = a.jobs;
  o.determinism_every = a.determinism_every;
  o.self_exe = SelfExe();
  o.paths = a.paths;
  if (!a.fault_points.empty()) {
    auto c = ParseFaultPoints(a.fault_points);
    if (!c.ok()) {
      std::cerr << "mcpsim: error: " << c.status().message() << "\n";
      return 2;
    }
    o.fault_points = *c;
    o.worker_args.insert(o.worker_args.end(), {"--fault-points", a.fault_points});
  }
  std::string err;
  auto external = ExternalFromFlags(a.udp, a.tcp, a.http, a.launch, a.accounts, err);
  if (!err.empty()) {
    std::cerr << "mcpsim: error: " << err << "\n";
    return 2;
  }
  if (a.reuse_target && a.launch.empty()) {
    std::cerr << "mcpsim: error: --reuse-target needs --launch\n";
    return 2;
  }
  std::unique_ptr<conformance::Launched> shared;
  if (external && a.reuse_target && a.worker.empty()) {
    // One target for every run: launch it here, give its addresses to all.
    auto l = conformance::Launched::Start(a.launch, 10000);
    if (!l.ok()) {
      std::cerr << "mcpsim: error: " << l.status().message() << "\n";
      return 3;
    }
    shared = std::move(*l);
    external->launch.clear();
    if (!external->udp) external->udp = shared->target().udp;
    if (!external->tcp) external->tcp = shared->target().tcp;
    if (!external->http) external->http = shared->target().http;
  }
  if (external && o.fault_points && o.fault_points->on()) {
    std::cerr << "mcpsim: error: --fault-points changes the reference servers; it has no meaning against a target\n";
    return 2;
  }
  if (external) {
    if (a.sg_transport != "auto" && a.sg_transport != "udp" && a.sg_transport != "tcp") {
      std::cerr << "mcpsim: error: --sg-transport must be auto, udp or tcp\n";
      return 2;
    }
    external->sg_transport = a.sg_transport;
    if (a.sg_transport != "auto") o.worker_args.insert(o.worker_args.end(), {"--sg-transport", a.sg_transport});
    o.external = &*external;
    o.determinism_every = 0;
    if (!external->launch.empty()) o.worker_args.insert(o.worker_args.end(), {"--launch", external->launch});
    for (auto [hp, flag] : {std::pair{&external->udp, "--udp"}, std::pair{&external->tcp, "--tcp"},
                            std::pair{&external->http, "--http"}}) {
      if (*hp) o.worker_args.insert(o.worker_args.end(), {flag, (*hp)->ToString()});
    }
    if (!external->accounts_file.empty()) o.worker_args.insert(o.worker_args.end(), {"--accounts", external->accounts_file});
  }
  std::optional<SimTarget> sim_target;
  if (!a.sim_launch.empty()) {
    if (external) {
      std::cerr << "mcpsim: error: --sim-launch excludes --launch/--udp/--tcp/--http\n";
      return 2;
    }
    sim_target = SimTarget{a.sim_launch, {}};
    std::string cur;
    for (char c : a.sim_roles + ",") {
      if (c != ',') {
        cur += c;
      } else if (!cur.empty()) {
        sim_target->roles.push_back(cur), cur.clear();
      }
    }
    if (Status st = sim_target->Validate(); !st.ok()) {
      std::cerr << "mcpsim: error: " << st.message() << "\n";
      return 2;
    }
    o.sim_target = &*sim_target;
    o.worker_args.insert(o.worker_args.end(), {"--sim-launch", a.sim_launch, "--sim-roles", a.sim_roles});
  }
  if (!a.worker.empty()) {  // internal: one worker of a parallel sweep
    const auto w = ParseShard(a.worker);
    if (!w) return 2;
    RunSweepWorker(scenarios, o, w->first, w->second, stdout);
    return 0;
  }
  const bool tty = isatty(STDERR_FILENO);
  if (tty) {
    o.progress = [](std::size_t done, std::size_t total, std::size_t failed) {
      std::fprintf(stderr, "\rsweep: %zu/%zu runs, %zu failing", done, total, failed);
      std::fflush(stderr);
    };
  }
  const SweepOutcome r = RunSweep(scenarios, o);
  if (tty) std::fprintf(stderr, "\n");
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.2f%%", r.total ? 100.0 * static_cast<double>(r.passed) / static_cast<double>(r.total) : 100.0);
  std::cout << "sweep: " << r.total << " runs, " << r.passed << " passed, "
            << r.total - r.passed - r.not_applicable << " failed (pass rate " << rate << "); determinism re-runs: "
            << r.determinism_runs << ", " << r.determinism_failures << " differed";
  if (r.not_applicable > 0) std::cout << "; " << r.not_applicable << " not applicable (N/A)";
  std::cout << "\n";
  // Fault points of the protocol code: how often each site fired, summed.
  std::map<std::string, std::uint64_t> fired;
  std::size_t fp_runs = 0;
  for (const json& j : r.results) {
    if (j.value("fault_points", std::string("none")) == "none") continue;
    ++fp_runs;
    if (!j.contains("fault_points_fired")) continue;
    for (const auto& [site, n] : j["fault_points_fired"].items()) fired[site] += n.get<std::uint64_t>();
  }
  if (fp_runs > 0) {
    std::cout << "fault-points: " << fired.size() << " sites fired in " << fp_runs << " runs with fault points on:";
    for (const auto& [site, n] : fired) std::cout << " " << site << "=" << n;
    std::cout << "\n";
  }
  for (const json& j : r.results) {
    if (j["verdict"] == "PASS") continue;
    if (j["verdict"] == "N/A") {
      std::cout << "N/A " << j["scenario"].get<std::string>() << " seed=" << j["seed"].get<std::uint64_t>() << ": "
                << j.value("unimplemented", std::string()) << "\n";
      continue;
    }
    std::string checker, reason;
    for (const json& c : j["checkers"]) {
      if (!c["pass"].get<bool>()) {
        checker = c["checker"];
        reason = c["reason"];
        break;
      }
    }
    std::cout << "FAIL " << j["scenario"].get<std::string>() << " seed=" << j["seed"].get<std::uint64_t>() << " "
              << checker << ": " << reason << "\n";
    std::cout << "replay: mcpsim run " << j["file"].get<std::string>() << " --seed " << j["seed"].get<std::uint64_t>()
              << (a.swarm ? " --swarm" : "") << (a.fault_points.empty() ? "" : " --fault-points " + a.fault_points)
              << j.value("target_flags", std::string()) << "\n";
  }
  if (!a.out.empty()) {
    if (Status st = WriteScenarioOut(a.out, r.results, scenarios, {a.all_runs, a.swarm, false}); !st.ok()) {
      std::cerr << "mcpsim: error: " << st.message() << "\n";
      return 3;
    }
    std::cerr << "sweep: report in " << std::filesystem::absolute(std::filesystem::path(a.out) / "index.html").string()
              << "\n";
  }
  if (!r.error.empty()) {
    std::cerr << "mcpsim: error: " << r.error << "\n";
    return 3;
  }
  return r.passed + r.not_applicable == r.total ? 0 : 1;
}

RegisterVerb reg{{"", "sweep",
                  "Run scenarios over a seed range in worker processes; prints the pass rate and a FAIL + "
                  "replay line per failing seed. Exit 0 all pass, 1 any fail, 2 usage/file error, 3 worker "
                  "failure.",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<SweepArgs>();
                    cmd.add_option("PATH", a->paths, "Scenario files or folders")->required();
                    cmd.add_option("--seeds", a->seeds, "Seed range A..B (inclusive)")->required();
                    cmd.add_flag("--swarm", a->swarm, "Each seed draws its own fault mix (swarm testing)");
                    cmd.add_option("--shard", a->shard, "Only seeds s with s % N == I (I/N)");
                    cmd.add_option("--fault-points", a->fault_points,
                                   "Fault points of the protocol code for every run: all, none, seeded or a,b,... "
                                   "(see run --list-fault-points; default: the swarm's draw with --swarm, else none)");
                    cmd.add_option("--jobs", a->jobs, "Worker processes (default 1: in this process)");
                    cmd.add_option("--out", a->out,
                                   "Write summary.json and index.html here, plus a JSON result, drill-down page and "
                                   "pcap per failing run");
                    cmd.add_flag("--all-runs", a->all_runs, "--out: per-run files for every run, not only the failing ones");
                    cmd.add_option("--determinism-every", a->determinism_every,
                                   "Re-run every Nth run of each worker to compare trace hashes (0 = never)");
                    cmd.add_option("--worker", a->worker, "Internal: run as worker K of J")->group("");
                    cmd.add_option("--udp", a->udp, "External target: UDP address HOST:PORT");
                    cmd.add_option("--tcp", a->tcp, "External target: TCP address HOST:PORT");
                    cmd.add_option("--http", a->http, "External target: HTTP URL or HOST:PORT");
                    cmd.add_option("--launch", a->launch,
                                   "External target: shell command starting it; one fresh target per run unless "
                                   "--reuse-target (real time; no determinism re-runs)");
                    cmd.add_option("--sim-launch", a->sim_launch,
                                   "Third-party server inside the simulation (as in `run --sim-launch`)");
                    cmd.add_option("--sim-roles", a->sim_roles, "Roles the --sim-launch target plays, comma-separated (dp,rs,sg,cs,ms; default cs)");
                    cmd.add_flag("--reuse-target", a->reuse_target, "With --launch: one target for all runs");
                    cmd.add_option("--sg-transport", a->sg_transport, "External target: the clients' SG transport (auto|udp|tcp)");
                    cmd.add_option("--accounts", a->accounts, "External target: existing accounts (`account password` lines)");
                    return [a] { return Sweep(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
