// `mcpsim bench interpose`: the cost of running a real server inside the
// simulation. By default a library chat scenario (sg-chat-two-party: two
// phones dispatch, log in, chat, log out over 40 ms links, 35 s settle) runs
// with `mcpsim serve` (this binary, --limit workers=0, minimal password cost)
// playing every server role under the interposer (scenarios/sim_stage.h),
// then the same scenario with the in-process reference, both in virtual time.
// `--catalog` runs the SG chat/login conformance cases against serve instead
// (tools/verbs/conform_sim.cc) and prints the round trips per operation.
//
// Printed figures (stdout):
//   interpose.scenario     file, seed and verdict of the run (scenario mode)
//   interpose.calls        round trips over the channel (interposed calls the simulator answered)
//   interpose.local_calls  calls the shim answered without a round trip (clock reads, EAGAIN: wire.h)
//   interpose.wall_s       wall-clock seconds of the run (target start and provisioning included)
//   interpose.virtual_s    virtual seconds the run covered
//   interpose.calls_per_s  calls / wall_s
//   interpose.speedup      virtual_s / wall_s (> 1: faster than real time; the target: >= 20)
//   interpose.target_wait_s  wall seconds the simulator waited for the target's next request
//                          (the target's own CPU time plus two context switches per round trip; --catalog)
//   interpose.reference_wall_s  the same scenario with the in-process reference (scenario mode)
//   interpose.round_trips.<op>  round trips per operation, most frequent first (--catalog)
//   interpose.cases        cases run; interpose.ok cases with verdict OK (--catalog)
// --real-hash keeps serve's real Argon2id cost (wall time, no virtual time).
// Exit 1 when the target did not start, the run failed or a case was not OK.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>
#include <vector>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "interpose/wire.h"
#include "scenarios/runner.h"
#include "tools/verb.h"
#include "tools/verbs/conform_sim.h"

namespace {

using namespace mcpsim;

struct Options {
  std::uint64_t seed = 1;
  std::string cases = "sg.chat.*,sg.login.*";
  std::string command;  // default: this binary's serve
  std::string scenario;  // default: the library's sg-chat-two-party.yaml
  bool real_hash = false, catalog = false;
};

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The library scenario next to this binary: the source tree's (build/<flavour>/tools/mcpsim)
// or the installed one (bin/mcpsim -> share/mcpsim).
std::string DefaultScenario() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const std::string name = "scenarios/library/sg-chat-two-party.yaml";
  for (const auto& p : {exe.parent_path() / "../../.." / name, exe.parent_path() / "../share/mcpsim" / name}) {
    if (std::filesystem::exists(p, ec)) return std::filesystem::canonical(p, ec).string();
  }
  return "";
}

int RunScenarioBench(const Options& o, const std::string& command) {
  const std::string file = o.scenario.empty() ? DefaultScenario() : o.scenario;
  if (file.empty()) {
    std::cerr << "mcpsim: error: scenarios/library/sg-chat-two-party.yaml not found next to this binary; "
                 "name one with --scenario\n";
    return 2;
  }
  auto s = scenarios::ParseScenarioFile(file);
  if (!s.ok()) {
    std::cerr << "mcpsim: error: " << s.status().message() << "\n";
    return 2;
  }
  scenarios::SimTarget t{command, {"dp", "rs", "sg", "cs", "ms"}};
  scenarios::RunOptions ro;
  ro.seed = o.seed;
  ro.sim_target = &t;
  // One run (the determinism checker would run the target twice).
  for (const auto& c : s->checkers) {
    if (c != "determinism") ro.only_checkers.push_back(c);
  }
  auto t0 = std::chrono::steady_clock::now();
  const scenarios::RunResult r = scenarios::RunScenario(*s, ro);
  const double wall = Seconds(t0);
  scenarios::RunOptions plain = ro;
  plain.sim_target = nullptr;
  t0 = std::chrono::steady_clock::now();
  const scenarios::RunResult ref = scenarios::RunScenario(*s, plain);
  const double ref_wall = Seconds(t0);
  auto c = [&](const char* k) { return r.counters.count(k) ? r.counters.at(k) : 0; };
  const double virt = static_cast<double>(r.end_time) / 1e6;
  const std::string verdict = !r.unimplemented.empty() ? "N/A" : r.pass ? "PASS" : "FAIL";
  std::printf("interpose.scenario: %s seed=%llu %s (reference: %s)\n", file.c_str(),
              static_cast<unsigned long long>(o.seed), verdict.c_str(), ref.pass ? "PASS" : "FAIL");
  std::printf("interpose.calls: %lld\n", static_cast<long long>(c("interpose_calls")));
  std::printf("interpose.local_calls: %lld\n", static_cast<long long>(c("interpose_local")));
  std::printf("interpose.wall_s: %.3f\n", wall);
  std::printf("interpose.virtual_s: %.3f\n", virt);
  std::printf("interpose.calls_per_s: %.0f\n", wall > 0 ? static_cast<double>(c("interpose_calls")) / wall : 0.0);
  std::printf("interpose.speedup: %.2f\n", wall > 0 ? virt / wall : 0.0);
  std::printf("interpose.reference_wall_s: %.3f\n", ref_wall);
  if (const auto* f = r.first_failure()) std::fprintf(stderr, "bench interpose: %s: %s\n", f->checker.c_str(), f->reason.c_str());
  return verdict == "PASS" ? 0 : 1;
}

int Run(const Options& o) {
  cli::ConformSimArgs a;
  a.seed = o.seed;
  a.cases = o.cases;
  a.command = o.command;
  std::string config;
  if (a.command.empty()) {
    std::error_code ec;
    const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    a.command = self + " serve --udp 127.0.0.1:7000 --tcp 127.0.0.1:1864 --http 127.0.0.1:80 --db :memory: " +
                "--limit workers=0 --seed " + std::to_string(o.seed);
    if (!o.catalog) a.command += " --test-hooks";
    if (!o.real_hash) {
      char path[] = "/tmp/mcpsim-bench-interpose-XXXXXX";
      const int fd = mkstemp(path);
      if (fd < 0) {
        std::cerr << "mcpsim: error: cannot create a temporary config\n";
        return 1;
      }
      // As the in-process reference world is configured (scenarios/ref_world.h).
      const std::string text = "rs: {password_cost: minimal}\ndp: {min_version: 1.0.0, latest_version: 1.3.0}\n";
      const bool wrote = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      close(fd);
      config = path;
      if (!wrote) {
        std::remove(path);
        std::cerr << "mcpsim: error: cannot write a temporary config\n";
        return 1;
      }
      a.command += " --config " + config;
    }
  }
  if (!o.catalog) {
    const int rc = RunScenarioBench(o, a.command);
    if (!config.empty()) std::remove(config.c_str());
    return rc;
  }
  const cli::SimCatalogRun r = cli::RunSimCatalog(a);
  if (!config.empty()) std::remove(config.c_str());
  if (!r.error.empty()) {
    std::cerr << "mcpsim: error: " << r.error << "\n";
    return 1;
  }
  std::size_t ok = 0;
  for (const auto& c : r.rep.cases) ok += c.verdict == reports::Verdict::kOk ? 1 : 0;
  const double virt = static_cast<double>(r.virtual_us) / 1e6;
  std::printf("interpose.calls: %llu\n", static_cast<unsigned long long>(r.calls));
  std::printf("interpose.wall_s: %.3f\n", r.wall_s);
  std::printf("interpose.virtual_s: %.3f\n", virt);
  std::printf("interpose.calls_per_s: %.0f\n", r.wall_s > 0 ? static_cast<double>(r.calls) / r.wall_s : 0.0);
  std::printf("interpose.speedup: %.2f\n", r.wall_s > 0 ? virt / r.wall_s : 0.0);
  std::printf("interpose.local_calls: %llu\n", static_cast<unsigned long long>(r.stats.local));
  std::printf("interpose.target_wait_s: %.3f\n", r.stats.wall_wait_s);
  std::vector<std::pair<std::uint64_t, std::uint32_t>> ops;
  for (std::uint32_t i = 0; i < 64; ++i) {
    if (r.stats.by_op[i]) ops.emplace_back(r.stats.by_op[i], i);
  }
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  for (const auto& [n, op] : ops) {
    std::printf("interpose.round_trips.%s: %llu\n", interpose::OpName(op), static_cast<unsigned long long>(n));
  }
  std::printf("interpose.cases: %zu\n", r.rep.cases.size());
  std::printf("interpose.ok: %zu\n", ok);
  return ok == r.rep.cases.size() && !r.rep.cases.empty() && r.gone.empty() ? 0 : 1;
}

mcpsim::cli::RegisterVerb reg{{"bench", "interpose",
                               "mcpsim serve inside the simulation (interposer): calls/s and virtual/wall speedup "
                               "of a library chat scenario",
                               [](CLI::App& cmd) -> mcpsim::cli::Runner {
                                 auto o = std::make_shared<Options>();
                                 cmd.add_option("--seed", o->seed, "Seed (default 1)");
                                 cmd.add_option("--cases", o->cases,
                                                "Conformance cases with --catalog (default sg.chat.*,sg.login.*)");
                                 cmd.add_option("--scenario", o->scenario,
                                                "Scenario to run (default: the library's sg-chat-two-party.yaml)");
                                 cmd.add_flag("--catalog", o->catalog,
                                              "Run the conformance cases (--cases) instead of a scenario; prints "
                                              "round trips per operation");
                                 cmd.add_flag("--real-hash", o->real_hash,
                                              "serve hashes passwords at its real Argon2id cost (default: minimal)");
                                 cmd.add_option("--target", o->command,
                                                "Target command (default: this binary's `serve`, workers=0)");
                                 return [o] { return Run(*o); };
                               }}};

}  // namespace
