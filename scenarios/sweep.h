// Seed sweeps: every (scenario, seed) of a range, optionally sharded across
// machines (--shard I/N: seeds s with s % N == I) and across J local worker
// processes (posix_spawn of the same binary in worker mode; one simulation
// per process at a time, never threads). A sample of runs (every
// `determinism_every`-th of each worker, and always its first) is run twice
// to confirm the same trace hash.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/external.h"
#include "scenarios/sim_target.h"
#include "scenarios/scenario.h"
#include "scenarios/swarm.h"

namespace mcpsim::scenarios {

struct SweepOptions {
  std::uint64_t seed_lo = 1, seed_hi = 1;
  bool swarm = false;
  // RunOptions::fault_points for every run (unset: the swarm's draw, or none).
  // Workers get it through worker_args (`--fault-points`).
  std::optional<FaultPointChoice> fault_points;
  std::uint64_t shard_i = 0, shard_n = 1;
  int jobs = 1;
  std::uint64_t determinism_every = 10;  // 0 = never re-run
  // For jobs > 1: the binary to spawn and the PATH arguments to give it (the
  // workers re-read the same files).
  std::string self_exe;
  std::vector<std::string> paths;
  // Against an external target (scenarios/external.h; determinism re-runs
  // are off: a real server does not replay). `worker_args` are the flags
  // that give the workers the same target. Not owned.
  const ExternalTarget* external = nullptr;
  // A third-party server inside the simulation (sim_target.h; runs replay,
  // so determinism re-runs stay on). Not owned.
  const SimTarget* sim_target = nullptr;
  std::vector<std::string> worker_args;
  // Called after each finished run (done, total, failed so far).
  std::function<void(std::size_t, std::size_t, std::size_t)> progress;
};

struct SweepOutcome {
  std::vector<nlohmann::ordered_json> results;  // ordered by (scenario, seed)
  std::size_t total = 0, passed = 0;
  std::size_t not_applicable = 0;  // N/A runs (external targets: no accounts, configured servers)
  std::size_t determinism_runs = 0, determinism_failures = 0;
  std::string error;  // a worker failed (harness error, exit 3)
};

// The (scenario index, seed) pairs of this shard, in order.
std::vector<std::pair<std::size_t, std::uint64_t>> SweepItems(std::size_t scenarios, const SweepOptions& o);

SweepOutcome RunSweep(const std::vector<Scenario>& scenarios, const SweepOptions& o);

// Worker mode: runs the items with position % workers == worker and writes
// one compact ResultJson line per run to `out`.
void RunSweepWorker(const std::vector<Scenario>& scenarios, const SweepOptions& o, std::uint64_t worker,
                    std::uint64_t workers, std::FILE* out);

}  // namespace mcpsim::scenarios
