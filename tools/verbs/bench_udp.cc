// `mcpsim bench udp`: request throughput of the CS role on AsioEnv over
// loopback UDP, against a bare recvmmsg/sendmmsg echo server measured with
// the same load generator (a separate thread with its own socket keeping
// --outstanding RUP requests in flight). Prints
//   udp.req_per_s: <n>   udp.baseline_req_per_s: <n>   udp.ratio: <r>
//   udp.server_cpu_ns_per_req / udp.baseline_cpu_ns_per_req: CPU time of the
//   server's threads (every thread but the generator's, from
//   /proc/self/task/*/stat) per answered request, and their quotient
//   udp.cpu_ratio = baseline / server: what the server costs per request,
//   which other work on the cores changes far less than the rates.
// The server is hosted like `mcpsim serve` hosts it: group commit on (each
// receive burst is one store transaction, answers sent after its commit).
// --db FILE uses a SQLite file (WAL, synchronous=FULL: one fsync per burst)
// instead of the default in-memory store.
// Wall-clock measurement; figures only, nothing asserted.
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/syscall.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <string>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "host/host.h"
#include "net/asio_env.h"
#include "net/runtime.h"
#include "reference/roles/cs.h"
#include "reference/store/store.h"
#include "tools/verb.h"
#include "tools/verbs/udp_bench_util.h"

namespace mcpsim::cli {
namespace {

using udpbench::Clock;
using udpbench::LoadGenerator;

// CPU seconds (user + system) of this process's threads other than the
// calling one, from /proc/self/task/<tid>/stat (0 if unreadable).
double OtherThreadsCpu() {
  const long self = static_cast<long>(syscall(SYS_gettid));
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  DIR* d = opendir("/proc/self/task");
  if (d == nullptr) return 0;
  while (dirent* e = readdir(d)) {
    const long tid = std::atol(e->d_name);
    if (tid <= 0 || tid == self) continue;
    std::ifstream in("/proc/self/task/" + std::string(e->d_name) + "/stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    const auto close = line.rfind(')');  // the name may contain spaces
    if (close == std::string::npos || close + 2 > line.size()) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
      if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    total += static_cast<double>(utime + stime) / tick;
  }
  closedir(d);
  return total;
}

struct Measured {
  double rate = 0;            // answered requests per second
  double cpu_ns_per_req = 0;  // the server threads' CPU per answered request
};

// The CS role on AsioEnv on its own thread; returns the measured rate.
Measured MeasureCs(int outstanding, double seconds, const std::string& db) {
  net::Runtime rt;  // one thread: no locking inside Asio's scheduler
  net::AsioEnv& env = rt.env();
  auto store = reference::OpenSqliteStore(db);
  if (!store.ok()) return {};
  reference::CsRole cs({}, **store);
  host::RoleHost host(env, cs);
  host.SetBatchStore(store->get());
  if (!host.Start({0, std::nullopt, std::nullopt}).ok()) return {};
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  server.sin_port = htons(host.udp_endpoint().port);
  rt.StartBackground();
  const double cpu0 = OtherThreadsCpu();
  const double rate = LoadGenerator(server, outstanding, seconds);
  const double cpu1 = OtherThreadsCpu();
  rt.StopBackground();
  spdlog::info("bench udp: {} datagrams in {} receive calls, {} committed batches ({} failed)",
               host.stats().datagrams_received, env.stats().receive_batches, host.stats().batches_committed,
               host.stats().batches_failed);
  // The generator's warm-up (0.3 s) is served but not counted: per request
  // over the whole window, the figure errs high by that share (both servers alike).
  const double answered = rate * seconds;
  return {rate, answered > 0 ? (cpu1 - cpu0) * 1e9 / answered : 0};
}

// A bare echo server (recvmmsg a batch, sendmmsg it back) with the same generator.
Measured MeasureBaseline(int outstanding, double seconds) {
  udpbench::BareServer echo(udpbench::BareServer::Mode::kEcho);
  if (!echo.ok()) return {};
  const double cpu0 = OtherThreadsCpu();
  const double rate = udpbench::LoadGenerator(echo.addr(), outstanding, seconds);
  const double cpu1 = OtherThreadsCpu();
  const double answered = rate * seconds;
  return {rate, answered > 0 ? (cpu1 - cpu0) * 1e9 / answered : 0};
}

RegisterVerb reg{{"bench", "udp", "CS on AsioEnv vs a bare recvmmsg/sendmmsg echo over loopback UDP",
                  [](CLI::App& cmd) -> Runner {
                    auto outstanding = std::make_shared<int>(64);
                    auto seconds = std::make_shared<double>(2.0);
                    auto db = std::make_shared<std::string>(":memory:");
                    cmd.add_option("--outstanding", *outstanding, "Requests kept in flight")->capture_default_str();
                    cmd.add_option("--seconds", *seconds, "Measured seconds per server")->capture_default_str();
                    cmd.add_option("--db", *db, "CS store: a SQLite file (created), or :memory:")
                        ->capture_default_str();
                    return [outstanding, seconds, db] {
                      if (*outstanding < 1 || *seconds <= 0) return 2;
                      const Measured cs = MeasureCs(*outstanding, *seconds, *db);
                      const Measured base = MeasureBaseline(*outstanding, *seconds);
                      if (cs.rate <= 0 || base.rate <= 0) return 3;
                      std::printf("udp.req_per_s: %.0f\nudp.baseline_req_per_s: %.0f\nudp.ratio: %.2f\n", cs.rate,
                                  base.rate, cs.rate / base.rate);
                      std::printf("udp.server_cpu_ns_per_req: %.0f\nudp.baseline_cpu_ns_per_req: %.0f\n",
                                  cs.cpu_ns_per_req, base.cpu_ns_per_req);
                      if (cs.cpu_ns_per_req > 0) {
                        std::printf("udp.cpu_ratio: %.2f\n", base.cpu_ns_per_req / cs.cpu_ns_per_req);
                      }
                      return 0;
                    };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
