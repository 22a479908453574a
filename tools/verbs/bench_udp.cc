// `mcpsim bench udp`: request throughput of the CS role on AsioEnv over
// loopback UDP, against a bare recvmmsg/sendmmsg echo server measured with
// the same load generator (a separate thread with its own socket keeping
// --outstanding RUP requests in flight). Prints
//   udp.req_per_s: <n>   udp.baseline_req_per_s: <n>   udp.ratio: <r>
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

#include <atomic>
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

// The CS role on AsioEnv on its own thread; returns the measured rate.
double MeasureCs(int outstanding, double seconds, const std::string& db) {
  net::Runtime rt;  // one thread: no locking inside Asio's scheduler
  net::AsioEnv& env = rt.env();
  auto store = reference::OpenSqliteStore(db);
  if (!store.ok()) return 0;
  reference::CsRole cs({}, **store);
  host::RoleHost host(env, cs);
  host.SetBatchStore(store->get());
  if (!host.Start({0, std::nullopt, std::nullopt}).ok()) return 0;
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  server.sin_port = htons(host.udp_endpoint().port);
  rt.StartBackground();
  const double rate = LoadGenerator(server, outstanding, seconds);
  rt.StopBackground();
  spdlog::info("bench udp: {} datagrams in {} receive calls, {} committed batches ({} failed)",
               host.stats().datagrams_received, env.stats().receive_batches, host.stats().batches_committed,
               host.stats().batches_failed);
  return rate;
}

// A bare echo server (recvmmsg a batch, sendmmsg it back) with the same generator.
double MeasureBaseline(int outstanding, double seconds) {
  udpbench::BareServer echo(udpbench::BareServer::Mode::kEcho);
  if (!echo.ok()) return 0;
  return udpbench::LoadGenerator(echo.addr(), outstanding, seconds);
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
                      const double cs = MeasureCs(*outstanding, *seconds, *db);
                      const double base = MeasureBaseline(*outstanding, *seconds);
                      if (cs <= 0 || base <= 0) return 3;
                      std::printf("udp.req_per_s: %.0f\nudp.baseline_req_per_s: %.0f\nudp.ratio: %.2f\n", cs, base,
                                  cs / base);
                      return 0;
                    };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
