// `mcpsim bench sim`: throughput of the simulation kernel.
//   sim.events    — scheduler only: 10k pending events, steady-state
//                   schedule-one/pop-one (M events/s of wall clock)
//   sim.datagrams — network path: SendDatagram -> link model (loss, dup,
//                   reorder, jitter on) -> delivery callback, trace hashing on
//                   (M datagrams sent/s)
// Wall clock is used here only (tools/), never inside sim/.
#include <chrono>
#include <cstdio>
#include <memory>

#include "sim/scheduler.h"
#include "sim/world.h"
#include "tools/verb.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct EventBench {
  mcpsim::sim::Scheduler s;
  mcpsim::Rng rng{1};
  std::uint64_t remaining = 0;
  // Each event reschedules one successor at a random future offset, keeping
  // the number pending constant.
  void Fire() {
    if (remaining == 0) return;
    --remaining;
    s.After(static_cast<mcpsim::TimeUs>(1 + rng.Below(20000)), [this] { Fire(); });
  }
};

double BenchEvents(std::uint64_t events) {
  EventBench b;
  b.s.set_max_events(events * 2 + 20000);
  for (int i = 0; i < 10000; ++i) {
    b.s.At(static_cast<mcpsim::TimeUs>(b.rng.Below(20000)), [&b] { b.Fire(); });
  }
  b.remaining = events;
  const auto t0 = Clock::now();
  const std::uint64_t before = b.s.executed();
  while (b.remaining > 0 && b.s.Step()) {
  }
  const auto t1 = Clock::now();
  return static_cast<double>(b.s.executed() - before) / Seconds(t0, t1) / 1e6;
}

double BenchDatagrams(std::uint64_t count) {
  using namespace mcpsim;
  sim::WorldOptions o;
  o.default_link.base_delay = 2000;
  o.default_link.jitter_dist = sim::JitterDist::kExponential;
  o.default_link.jitter = 500;
  o.default_link.loss = 0.05;
  o.default_link.duplicate = 0.02;
  o.default_link.reorder = 0.05;
  o.max_events = count * 4 + 1000;
  sim::World w(1, o);
  const sim::NodeId a = w.AddNode("a"), b = w.AddNode("b");
  std::uint64_t received = 0;
  (void)w.env(a).BindDatagram(1000, [](const Endpoint&, Bytes) {});
  (void)w.env(b).BindDatagram(2000, [&received](const Endpoint&, Bytes p) { received += p.size(); });
  const Endpoint to = Endpoint::V4(w.node_ip(b), 2000);
  std::uint8_t payload[64] = {};
  // Sends in batches from timer events so the pending set stays bounded.
  const std::uint64_t batch = 100;
  std::uint64_t sent = 0;
  std::function<void()> tick = [&] {
    for (std::uint64_t i = 0; i < batch && sent < count; ++i, ++sent) {
      payload[0] = static_cast<std::uint8_t>(sent);
      (void)w.env(a).SendDatagram(1000, to, Bytes(payload, sizeof payload));
    }
    if (sent < count) w.scheduler().After(100, [&] { tick(); });
  };
  w.scheduler().At(0, [&] { tick(); });
  const auto t0 = Clock::now();
  const Status st = w.RunUntilQuiet();
  const auto t1 = Clock::now();
  if (!st.ok() || received == 0) return 0.0;
  return static_cast<double>(sent) / Seconds(t0, t1) / 1e6;
}

mcpsim::cli::RegisterVerb reg{{"bench", "sim", "Simulation kernel throughput (events, datagrams)",
                               [](CLI::App& cmd) -> mcpsim::cli::Runner {
                                 auto events = std::make_shared<std::uint64_t>(5'000'000);
                                 auto datagrams = std::make_shared<std::uint64_t>(1'000'000);
                                 cmd.add_option("--events", *events, "Events to run (default 5000000)");
                                 cmd.add_option("--datagrams", *datagrams, "Datagrams to send (default 1000000)");
                                 return [events, datagrams] {
                                   const double ev = BenchEvents(*events);
                                   const double dg = BenchDatagrams(*datagrams);
                                   std::printf("sim.events: %.2f M/s\n", ev);
                                   std::printf("sim.datagrams: %.2f M/s\n", dg);
                                   return ev > 0 && dg > 0 ? 0 : 3;
                                 };
                               }}};

}  // namespace
