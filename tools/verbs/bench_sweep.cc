// `mcpsim bench sweep [--seconds S] [--jobs J]`: throughput of seed sweeps on
// this machine: the built-in standard scenario (one client: dispatch, 10 CS
// uploads and an ad query under 5% loss, 2% duplication, 5% reordering) run
// over consecutive seeds in J worker processes (default: all cores) for about
// S seconds of wall clock. Prints `sweep.seeds_per_hour: <N>` (and the
// per-seed cost). Wall clock is used here only (tools/), never in a run.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include "scenarios/scenario.h"
#include "scenarios/sweep.h"
#include "tools/verb.h"

namespace {

using namespace mcpsim::scenarios;
using Clock = std::chrono::steady_clock;

const char* kStandard = R"(name: bench-standard
purpose: standard sweep benchmark - dispatch, 10 uploads and an ad query over a mildly faulty link
seed: 1
time_limit: 60s
nodes: {clients: 1}
network:
  default: {base_delay: 20ms, jitter: 5ms, loss: 0.05, duplicate: 0.02, reorder: 0.05}
steps:
  - {do: dispatch, expect: ok}
  - {do: upload, count: 10, wait: false}
  - {do: ad, expect: [ok, gave_up]}
  - {do: await}
)";

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

int BenchSweep(double seconds, int jobs) {
  char path[] = "/tmp/mcpsim-bench-sweep-XXXXXX.yaml";
  const int fd = mkstemps(path, 5);
  if (fd < 0) return 3;
  close(fd);
  { std::ofstream(path) << kStandard; }
  auto s = ParseScenarioFile(path);
  if (!s.ok()) {
    std::fprintf(stderr, "mcpsim: internal error: %s\n", s.status().message().c_str());
    return 3;
  }
  std::vector<Scenario> v{*s};
  SweepOptions o;
  o.determinism_every = 0;
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  o.self_exe = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : "mcpsim";
  o.paths = {path};
  // Calibrate in-process on 20 seeds, then size the parallel sweep to ~`seconds`.
  o.seed_lo = 1, o.seed_hi = 20, o.jobs = 1;
  auto t0 = Clock::now();
  SweepOutcome cal = RunSweep(v, o);
  const double per_seed = Seconds(t0, Clock::now()) / 20.0;
  const std::uint64_t seeds = std::max<std::uint64_t>(
      static_cast<std::uint64_t>(seconds / per_seed * jobs), static_cast<std::uint64_t>(jobs) * 20);
  o.seed_lo = 1000, o.seed_hi = 1000 + seeds - 1, o.jobs = jobs;
  t0 = Clock::now();
  SweepOutcome r = RunSweep(v, o);
  const double wall = Seconds(t0, Clock::now());
  std::remove(path);
  if (!r.error.empty() || !cal.error.empty()) {
    std::fprintf(stderr, "mcpsim: error: %s\n", r.error.empty() ? cal.error.c_str() : r.error.c_str());
    return 3;
  }
  std::printf("sweep.jobs: %d\n", jobs);
  std::printf("sweep.seeds: %zu\n", r.total);
  std::printf("sweep.pass_rate: %.4f\n", r.total ? static_cast<double>(r.passed) / static_cast<double>(r.total) : 1.0);
  std::printf("sweep.ms_per_seed_one_core: %.2f\n", per_seed * 1000.0);
  std::printf("sweep.seeds_per_hour: %.0f\n", static_cast<double>(r.total) / wall * 3600.0);
  return 0;
}

mcpsim::cli::RegisterVerb reg{{"bench", "sweep",
                               "Seeds per hour of a sweep of the standard scenario on this machine's cores "
                               "(prints sweep.seeds_per_hour)",
                               [](CLI::App& cmd) -> mcpsim::cli::Runner {
                                 auto seconds = std::make_shared<double>(5.0);
                                 auto jobs = std::make_shared<int>(
                                     static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN))));
                                 cmd.add_option("--seconds", *seconds, "Approximate wall time (default 5)");
                                 cmd.add_option("--jobs", *jobs, "Worker processes (default: cores)");
                                 return [seconds, jobs] { return BenchSweep(*seconds, *jobs); };
                               }}};

}  // namespace
