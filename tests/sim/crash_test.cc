// World::CrashNode / RestartNode: timers, bindings, datagrams in flight and
// streams of a crashed node are gone; peers see resets; a restart binds again.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/world.h"

namespace mcpsim::sim {
namespace {

Bytes B(const std::string& s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

TEST(SimCrash, DatagramsInFlightAndTimersAreDropped) {
  WorldOptions o;
  o.default_link.base_delay = 10 * kMillis;
  World w(1, o);
  const NodeId a = w.AddNode("a"), b = w.AddNode("b");
  int got = 0, fired = 0;
  ASSERT_TRUE(w.env(b).BindDatagram(9, [&](const Endpoint&, Bytes) { ++got; }).ok());
  ASSERT_TRUE(w.env(a).BindDatagram(9, [&](const Endpoint&, Bytes) {}).ok());
  w.env(b).StartTimer(50 * kMillis, [&] { ++fired; });
  ASSERT_TRUE(w.env(a).SendDatagram(9, Endpoint::V4(w.node_ip(b), 9), B("x")).ok());
  ASSERT_TRUE(w.RunUntil(5 * kMillis).ok());
  ASSERT_TRUE(w.CrashNode(b).ok());
  EXPECT_FALSE(w.node_up(b));
  EXPECT_EQ(w.CrashNode(b).clause(), "SIM-28");
  // Restart before the datagram would have arrived: it is still dropped (sent
  // to the earlier incarnation), and the old timer never fires.
  ASSERT_TRUE(w.RestartNode(b).ok());
  ASSERT_TRUE(w.env(b).BindDatagram(9, [&](const Endpoint&, Bytes) { ++got; }).ok());
  ASSERT_TRUE(w.RunUntil(100 * kMillis).ok());
  EXPECT_EQ(got, 0);
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(w.stats().drops[static_cast<int>(DropReason::kNodeDown)], 1u);
  // The new incarnation receives what is sent now.
  ASSERT_TRUE(w.env(a).SendDatagram(9, Endpoint::V4(w.node_ip(b), 9), B("y")).ok());
  ASSERT_TRUE(w.RunUntil(200 * kMillis).ok());
  EXPECT_EQ(got, 1);
}

TEST(SimCrash, DownNodeRefusesEnvCallsAndDropsArrivals) {
  World w(2);
  const NodeId a = w.AddNode("a"), b = w.AddNode("b");
  ASSERT_TRUE(w.env(a).BindDatagram(9, [](const Endpoint&, Bytes) {}).ok());
  ASSERT_TRUE(w.CrashNode(b).ok());
  EXPECT_EQ(w.env(b).BindDatagram(9, [](const Endpoint&, Bytes) {}).status().clause(), "SIM-28");
  EXPECT_EQ(w.env(b).Listen(80, [](StreamId, const Endpoint&) { return StreamHandlers{}; }).status().clause(),
            "SIM-28");
  ASSERT_TRUE(w.env(a).SendDatagram(9, Endpoint::V4(w.node_ip(b), 9), B("x")).ok());
  ASSERT_TRUE(w.RunUntil(kSeconds).ok());
  EXPECT_EQ(w.stats().drops[static_cast<int>(DropReason::kNodeDown)], 1u);
  EXPECT_EQ(w.RestartNode(a).clause(), "SIM-28");
  EXPECT_EQ(w.CrashNode(99).clause(), "SIM-3");
}

TEST(SimCrash, StreamPeersAreResetAndTheCrashedEndIsSilent) {
  World w(3);
  const NodeId c = w.AddNode("client"), s = w.AddNode("server");
  std::vector<std::string> server_events, client_events;
  ASSERT_TRUE(w.env(s)
                  .Listen(80,
                          [&](StreamId, const Endpoint&) {
                            StreamHandlers h;
                            h.on_closed = [&](const Status& st) { server_events.push_back(std::string(st.clause())); };
                            return h;
                          })
                  .ok());
  StreamHandlers h;
  h.on_connected = [&] { client_events.push_back("connected"); };
  h.on_closed = [&](const Status& st) { client_events.push_back(std::string(st.ok() ? "ok" : st.clause())); };
  auto sid = w.env(c).Connect(Endpoint::V4(w.node_ip(s), 80), std::move(h));
  ASSERT_TRUE(sid.ok());
  ASSERT_TRUE(w.RunUntil(kSeconds).ok());
  ASSERT_EQ(client_events, std::vector<std::string>{"connected"});
  ASSERT_TRUE(w.CrashNode(s).ok());
  ASSERT_TRUE(w.RunUntil(2 * kSeconds).ok());
  EXPECT_EQ(client_events, (std::vector<std::string>{"connected", "SIM-27"}));
  EXPECT_TRUE(server_events.empty());  // no handler of the crashed node runs
  // While down, a connect is refused (nothing listens).
  std::vector<std::string> again;
  StreamHandlers h2;
  h2.on_closed = [&](const Status& st) { again.push_back(std::string(st.clause())); };
  ASSERT_TRUE(w.env(c).Connect(Endpoint::V4(w.node_ip(s), 80), std::move(h2)).ok());
  ASSERT_TRUE(w.RunUntil(3 * kSeconds).ok());
  EXPECT_EQ(again, std::vector<std::string>{"SIM-20"});
}

}  // namespace
}  // namespace mcpsim::sim

namespace mcpsim::sim {
namespace {

// A crash cancels exactly the crashed node's pending timers (Scheduler::
// CancelOwned): not its fired or cancelled ones, not another node's, not
// the world's own events; the "crash" trace line counts them.
TEST(SimCrash, CrashCancelsOnlyThatNodesPendingTimers) {
  WorldOptions o;
  o.capture_trace = true;
  World w(3, o);
  const NodeId a = w.AddNode("a"), b = w.AddNode("b");
  int a_fired = 0, b_fired = 0, world_fired = 0;
  w.env(a).StartTimer(10 * kMillis, [&] { ++a_fired; });
  w.env(b).StartTimer(5 * kMillis, [&] { ++b_fired; });   // fires before the crash
  const TimerId gone = w.env(b).StartTimer(30 * kMillis, [&] { ++b_fired; });
  w.env(b).CancelTimer(gone);                            // cancelled before the crash
  for (int i = 0; i < 3; ++i) w.env(b).StartTimer((40 + i) * kMillis, [&] { ++b_fired; });
  w.scheduler().At(50 * kMillis, [&] { ++world_fired; });
  ASSERT_TRUE(w.RunUntil(7 * kMillis).ok());
  ASSERT_TRUE(w.CrashNode(b).ok());
  ASSERT_TRUE(w.RunUntil(100 * kMillis).ok());
  EXPECT_EQ(a_fired, 1);
  EXPECT_EQ(b_fired, 1);
  EXPECT_EQ(world_fired, 1);
  int crash_lines = 0;
  for (const std::string& l : w.trace().lines()) {
    if (l.find("\"ev\":\"crash\"") == std::string::npos) continue;
    ++crash_lines;
    EXPECT_NE(l.find("\"timers\":3"), std::string::npos) << l;
  }
  EXPECT_EQ(crash_lines, 1);
  // Timers started after a restart run normally.
  ASSERT_TRUE(w.RestartNode(b).ok());
  w.env(b).StartTimer(w.Now() + kMillis, [&] { ++b_fired; });
  ASSERT_TRUE(w.RunUntil(200 * kMillis).ok());
  EXPECT_EQ(b_fired, 2);
}

}  // namespace
}  // namespace mcpsim::sim
