// `mcpsim conform --self-test`: the glue between the conform verb and
// conformance/selftest.h. Prints one line per run, the survivors and
// `mutation-score: K/N`; exit 0 only when the clean run is OK and every
// mutant is killed (1 otherwise, 2 usage, 3 the clean server did not start).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "conformance/selftest.h"
#include "core/hash.h"
#include "core/rng.h"

namespace mcpsim::cli {

namespace fs = std::filesystem;

namespace {
int Usage(const std::string& msg) {
  std::cerr << "mcpsim: error: " << msg << "\n";
  return 2;
}
}  // namespace

// --self-test: prints `killed <name> by <cases>` / `survived <name>`,
// `self-test-hash: <16 hex>` (virtual runs) and `mutation-score: K/N`
// (conformance/selftest.h has the kill rule).
int ConformSelfTest(conformance::SelfTestOptions o, std::uint64_t seed) {
  if (o.jobs < 1) return Usage("--jobs must be >= 1");
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) o.self_exe = exe.string();
  fs::path config, keys;  // removed at the end when we wrote them
  struct Remove {
    fs::path& p;
    ~Remove() {
      std::error_code e;
      if (!p.empty()) fs::remove(p, e);
    }
  } remove{config}, remove_keys{keys};
  if (o.real && o.launch_cmd.empty()) {
    if (o.self_exe.empty()) return Usage("cannot find the mcpsim binary; give --launch-cmd");
    // Cheapest password hashing (PasswordCost::Minimal): every case registers
    // and logs in accounts, and 40+ servers run in turn on a shared machine.
    // A latest version with a two-digit component lets dp.version.numeric
    // tell numeric from string comparison (DP-1).
    const fs::path cfg = fs::temp_directory_path(ec) / ("mcpsim-selftest-" + std::to_string(getpid()) + ".yaml");
    std::ofstream(cfg) << "rs:\n  password_cost: minimal\ndp:\n  latest_version: 1.10.0\n";
    config = cfg;
    // Encrypted UDP under two throwaway key ids (drawn from the seed), so
    // that the ENC cases, enc.cache.per_key among them, are judged.
    const fs::path kf = fs::temp_directory_path(ec) / ("mcpsim-selftest-" + std::to_string(getpid()) + ".keys");
    {
      Rng rng = Rng::Stream(seed, "selftest/real-keys");
      std::ofstream out(kf);
      for (int id : {1, 2}) {
        out << id << ' ' << Hex64(rng.Next()) << Hex64(rng.Next()) << Hex64(rng.Next()) << Hex64(rng.Next()) << '\n';
      }
    }
    keys = kf;
    o.launch_cmd = o.self_exe + " serve --udp 127.0.0.1:0 --udps 127.0.0.1:0 --key-file " + kf.string() +
                   " --tcp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory: --config " + cfg.string();
  }
  o.seed = seed;
  const auto r = conformance::RunSelfTest(o, [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
  if (!r.launch_error.empty()) {
    std::cerr << "mcpsim: error: clean run: " << r.launch_error << "\n";
    return 3;
  }
  for (const std::string& p : r.clean_problems) std::printf("clean: %s\n", p.c_str());
  for (const auto& m : r.mutants) {
    if (!m.killed) std::printf("survivor: %s (%s)\n", m.name.c_str(), m.clause.c_str());
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  if (!r.hash.empty()) std::printf("self-test-hash: %s\n", r.hash.c_str());
  std::printf("mutation-score: %zu/%zu (clean run %s, %s, %lld ms)\n", r.Killed(), r.mutants.size(),
              r.clean_ok ? "OK" : "FAILED", o.real ? "real sockets" : "virtual time", static_cast<long long>(ms));
  return conformance::SelfTestExitCode(r);
}

// --self-test-worker --mutants a,b,clean: one share of a virtual self-test.
int ConformSelfTestWorker(conformance::SelfTestOptions o, std::uint64_t seed) {
  o.seed = seed;
  return conformance::SelfTestWorker(o, o.mutants);
}

}  // namespace mcpsim::cli
