// `mcpsim bench interpose`: the cost of running a real server inside the
// simulation. `mcpsim serve` (this binary, --limit workers=0) runs under the
// interposer on one node of a sim::World and the conformance runner drives
// the SG chat cases against it from another (tools/verbs/conform_sim.cc), all
// in virtual time.
//
// Printed figures (stdout):
//   interpose.calls        interposed calls the target made (one channel round trip each)
//   interpose.wall_s       wall-clock seconds of the run (target start included)
//   interpose.virtual_s    virtual seconds the run covered
//   interpose.calls_per_s  calls / wall_s
//   interpose.speedup      virtual_s / wall_s (> 1: faster than real time)
//   interpose.cases        cases run; interpose.ok cases with verdict OK
// By default serve hashes passwords at the minimal Argon2id cost (a temporary
// --config `rs: {password_cost: minimal}`), as the in-process reference of the
// self-test does, so the figures measure the interposer, not Argon2;
// --real-hash keeps serve's real cost (its wall time takes no virtual time).
// Exit 1 when the target did not start or a case was not OK.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "tools/verb.h"
#include "tools/verbs/conform_sim.h"

namespace {

using namespace mcpsim;

struct Options {
  std::uint64_t seed = 1;
  std::string cases = "sg.chat.*,sg.login.*";
  std::string command;  // default: this binary's serve
  bool real_hash = false;
};

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
    if (!o.real_hash) {
      char path[] = "/tmp/mcpsim-bench-interpose-XXXXXX";
      const int fd = mkstemp(path);
      if (fd < 0) {
        std::cerr << "mcpsim: error: cannot create a temporary config\n";
        return 1;
      }
      const std::string text = "rs: {password_cost: minimal}\n";
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
  std::printf("interpose.cases: %zu\n", r.rep.cases.size());
  std::printf("interpose.ok: %zu\n", ok);
  return ok == r.rep.cases.size() && !r.rep.cases.empty() && r.gone.empty() ? 0 : 1;
}

mcpsim::cli::RegisterVerb reg{{"bench", "interpose",
                               "mcpsim serve inside the simulation (interposer): calls/s and virtual/wall speedup",
                               [](CLI::App& cmd) -> mcpsim::cli::Runner {
                                 auto o = std::make_shared<Options>();
                                 cmd.add_option("--seed", o->seed, "Seed (default 1)");
                                 cmd.add_option("--cases", o->cases, "Conformance cases (default sg.chat.*,sg.login.*)");
                                 cmd.add_flag("--real-hash", o->real_hash,
                                              "serve hashes passwords at its real Argon2id cost (default: minimal)");
                                 cmd.add_option("--target", o->command,
                                                "Target command (default: this binary's `serve`, workers=0)");
                                 return [o] { return Run(*o); };
                               }}};

}  // namespace
