// `mcpsim bench load`: how fast the `mcpsim load` engine itself goes, so that
// the generator is never the bottleneck of a measurement. A bare server
// thread (raw recvmmsg/sendmmsg, answering each `Rxxx trid ...` with
// `Axxx trid 0`, no work) is driven twice over loopback UDP:
//   1. by bench udp's raw generator (--outstanding requests in flight):
//      load.raw_pairs_per_s — the ceiling of this machine's loopback path;
//   2. by the load engine (host::LoadDriver on AsioEnv, net/load_run.h):
//      --users MC engines, --window uploads (RUP/AUP through the real
//      McClient, UdpLink, RoleHost and AsioEnv) in flight each, offered open
//      loop at --rate: load.generator_pairs_per_s (answered pairs per second)
//      and its latency percentiles.
// Wall-clock figures only, nothing asserted.
#include <cstdio>

#include "net/load_run.h"
#include "tools/verb.h"
#include "tools/verbs/udp_bench_util.h"

namespace mcpsim::cli {
namespace {

struct BenchLoadArgs {
  int users = 64, window = 16, outstanding = 256;
  double rate = 1e6, seconds = 3;
};

int Run(const BenchLoadArgs& a) {
  if (a.users < 1 || a.window < 1 || a.window > 32 || a.outstanding < 1 || !(a.seconds > 0) || !(a.rate > 0)) {
    std::fprintf(stderr, "bench load: bad option value\n");
    return 2;
  }
  udpbench::BareServer server(udpbench::BareServer::Mode::kAnswer);
  if (!server.ok()) return 3;
  const double raw = udpbench::LoadGenerator(server.addr(), a.outstanding, a.seconds);

  net::LoadRunOptions o;
  o.load.sg = o.load.cs = Endpoint::V4(0x7f000001u, server.port());
  o.load.mix.weight[static_cast<std::size_t>(host::LoadOp::kUpload)] = 1;  // CS only: no login needed
  o.load.rate_per_s = a.rate;
  o.load.window = a.window;
  o.load.ramp_per_s = 1e9;
  for (int i = 0; i < a.users; ++i) o.load.accounts.push_back({"u" + std::to_string(i) + "@bench.test", "password"});
  o.duration_s = a.seconds;
  o.drain_s = 1;
  const net::LoadRunResult r = net::RunLoad(o);
  if (!r.status.ok()) {
    std::fprintf(stderr, "bench load: %s\n", r.status.ToString().c_str());
    return 3;
  }
  const host::LoadCounters& up = r.total[static_cast<std::size_t>(host::LoadOp::kUpload)];
  const double pairs = r.run_s > 0 ? static_cast<double>(up.completed) / r.run_s : 0;
  std::printf("load.raw_pairs_per_s: %.0f\n", raw);
  std::printf("load.generator_pairs_per_s: %.0f\n", pairs);
  std::printf("load.generator_ratio: %.2f\n", raw > 0 ? pairs / raw : 0.0);
  std::printf("load.generator_errors: %llu\n", static_cast<unsigned long long>(up.errors));
  std::printf("load.generator_skipped: %llu\n", static_cast<unsigned long long>(up.skipped));
  std::printf("load.generator_p50_ms: %.3f\n", static_cast<double>(up.latency_us.Percentile(0.5)) / 1000);
  std::printf("load.generator_p99_ms: %.3f\n", static_cast<double>(up.latency_us.Percentile(0.99)) / 1000);
  return 0;
}

RegisterVerb reg{{"bench", "load", "The load generator's own rate against a bare answering UDP server",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<BenchLoadArgs>();
                    cmd.add_option("--users", a->users, "MC engines")->capture_default_str();
                    cmd.add_option("--window", a->window, "Uploads in flight per MC (<= 32)")->capture_default_str();
                    cmd.add_option("--rate", a->rate, "Offered uploads per second")->capture_default_str();
                    cmd.add_option("--outstanding", a->outstanding, "Raw generator: requests in flight")
                        ->capture_default_str();
                    cmd.add_option("--seconds", a->seconds, "Measured seconds per generator")->capture_default_str();
                    return [a] { return Run(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
