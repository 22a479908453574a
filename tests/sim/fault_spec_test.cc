// The fault-spec text form (sim/fault_spec.h), the stream fault injection
// (StreamOptions::reset / coalesce), CloseDatagram, WorldLoop and the
// scheduler's pacer hook.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sim/fault_spec.h"
#include "sim/world.h"
#include "sim/world_loop.h"

namespace mcpsim::sim {
namespace {

Bytes B(std::string_view s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

TEST(FaultSpec, ParsesLinkStreamAndWindowKeys) {
  auto f = ParseFaultSpec(
      "loss=0.1, dup=5%,reorder=0.1,delay=5ms,jitter=2ms,burst=0.01/0.5,mtu=1400,split=1,segment=100,"
      "coalesce=0.2,reset=1%,stall_reset=3s,partition=2s-4s,clog=500ms-1s,partition=10s-11.5s");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const LinkConfig& c = f->link;
  EXPECT_DOUBLE_EQ(c.loss, 0.1);
  EXPECT_DOUBLE_EQ(c.duplicate, 0.05);
  EXPECT_DOUBLE_EQ(c.reorder, 0.1);
  EXPECT_EQ(c.base_delay, 5000);
  EXPECT_EQ(c.jitter, 2000);
  EXPECT_EQ(c.jitter_dist, JitterDist::kUniform);
  EXPECT_TRUE(c.burst.enabled);
  EXPECT_DOUBLE_EQ(c.burst.p_good_bad, 0.01);
  EXPECT_EQ(c.mtu, 1400u);
  EXPECT_TRUE(f->streams.random_split);
  EXPECT_EQ(f->streams.segment_max, 100u);
  EXPECT_DOUBLE_EQ(f->streams.coalesce, 0.2);
  EXPECT_DOUBLE_EQ(f->streams.reset, 0.01);
  EXPECT_EQ(f->streams.stall_reset_after, 3 * kSeconds);
  ASSERT_EQ(f->windows.size(), 3u);
  EXPECT_EQ(f->windows[0].kind, FaultWindow::Kind::kPartition);
  EXPECT_EQ(f->windows[0].start, 2 * kSeconds);
  EXPECT_EQ(f->windows[1].kind, FaultWindow::Kind::kClog);
  EXPECT_EQ(f->windows[2].end, 11500 * kMillis);
  EXPECT_GE(WorstDelay(c), 5000 + 2000 + c.reorder_delay);
  for (const char* bad : {"loss", "loss=2", "nope=1", "delay=5parsecs", "loss=0.1,loss=0.2", "burst=0.1",
                          "partition=4s-2s", "segment=0", "split=maybe", "corrupt_max_bits=9", "=1"}) {
    auto r = ParseFaultSpec(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().clause(), "SIM-30") << bad;
    }
  }
  EXPECT_TRUE(ParseFaultSpec("").ok());
  EXPECT_TRUE(ParseFaultSpec("").value().empty);
  // Many fractional digits: rejected, not a signed overflow (faultspec_fuzz's
  // first find, 2026-12-04); six are still fine.
  EXPECT_FALSE(ParseDurationText("5.5555555555555555555555").has_value());
  EXPECT_FALSE(ParseFaultSpec("partition=2s-5.55555555555555555555s").ok());
  EXPECT_EQ(ParseDurationText("1.000001s"), std::optional<TimeUs>(1000001));
  EXPECT_EQ(ParseDurationText("0.5ms"), std::optional<TimeUs>(500));
}

RC_GTEST_PROP(FaultSpec, NeverCrashes, (const std::string& text)) { (void)ParseFaultSpec(text); }

// A two-node world with `streams`; node b echoes every stream chunk.
struct Echo {
  World w;
  NodeId a, b;
  std::string got;
  Status closed_with;
  bool closed = false;
  explicit Echo(StreamOptions streams, std::uint64_t seed = 3) : w(seed, [&] {
    WorldOptions o;
    o.streams = streams;
    return o;
  }()) {
    a = w.AddNode("a");
    b = w.AddNode("b");
    Env& e = w.env(b);
    (void)e.Listen(80, [&e](StreamId id, const Endpoint&) {
      StreamHandlers h;
      h.on_data = [&e, id](Bytes d) { (void)e.StreamSend(id, d); };
      return h;
    });
  }
  void Run(const std::vector<std::string>& sends) {
    StreamHandlers h;
    h.on_data = [this](Bytes d) { got.append(reinterpret_cast<const char*>(d.data()), d.size()); };
    h.on_closed = [this](const Status& s) {
      closed = true;
      closed_with = s;
    };
    auto sid = w.env(a).Connect(Endpoint::V4(w.node_ip(b), 80), std::move(h));
    ASSERT_TRUE(sid.ok());
    for (const std::string& s : sends) ASSERT_TRUE(w.env(a).StreamSend(*sid, B(s)).ok());
    ASSERT_TRUE(w.RunUntil(10 * kSeconds).ok());
  }
};

TEST(StreamFaults, CoalescingKeepsTheStreamIntact) {
  StreamOptions o;
  o.coalesce = 0.5;
  Echo e(o);
  std::vector<std::string> sends;
  std::string all;
  for (int i = 0; i < 40; ++i) {
    sends.push_back("msg" + std::to_string(i) + ";");
    all += sends.back();
  }
  e.Run(sends);
  EXPECT_EQ(e.got, all);
  EXPECT_GT(e.w.stats().coalesced, 0u);
  EXPECT_FALSE(e.closed);
}

TEST(StreamFaults, InjectedResetClosesBothEnds) {
  StreamOptions o;
  o.reset = 1.0;
  Echo e(o);
  e.Run({"hello"});
  EXPECT_TRUE(e.got.empty());
  EXPECT_TRUE(e.closed);
  EXPECT_EQ(e.closed_with.clause(), "SIM-25");
  EXPECT_EQ(e.w.stats().stream_fault_resets, 1u);
}

TEST(StreamFaults, OffByDefaultChangesNoTrace) {
  // Faults off must not draw from the connection's rng: the same trace as a
  // world without the fields touched.
  Echo x{StreamOptions{}}, y{StreamOptions{}};
  x.Run({"a", "bb", "ccc"});
  y.Run({"a", "bb", "ccc"});
  EXPECT_EQ(x.w.trace().HashHex(), y.w.trace().HashHex());
  EXPECT_EQ(x.got, "abbccc");
}

TEST(SimNode, CloseDatagramStopsDeliveryEvenFromItsOwnHandler) {
  World w(1);
  const NodeId a = w.AddNode("a"), b = w.AddNode("b");
  int got = 0;
  Env& eb = w.env(b);
  auto bound = eb.BindDatagram(0, [&](const Endpoint&, Bytes) {
    ++got;
    eb.CloseDatagram(9999);  // unknown: no-op
  });
  ASSERT_TRUE(bound.ok());
  const std::uint16_t port = bound->port;
  auto self_closing = eb.BindDatagram(0, [&](const Endpoint&, Bytes) { eb.CloseDatagram(port + 1); });
  ASSERT_TRUE(self_closing.ok());
  Env& ea = w.env(a);
  ASSERT_TRUE(ea.BindDatagram(5, [](const Endpoint&, Bytes) {}).ok());
  ASSERT_TRUE(ea.SendDatagram(5, *bound, B("x")).ok());
  ASSERT_TRUE(ea.SendDatagram(5, *self_closing, B("y")).ok());
  ASSERT_TRUE(w.RunUntil(kSeconds).ok());
  EXPECT_EQ(got, 1);
  eb.CloseDatagram(port);
  ASSERT_TRUE(ea.SendDatagram(5, *bound, B("z")).ok());
  ASSERT_TRUE(ea.SendDatagram(5, *self_closing, B("w")).ok());
  ASSERT_TRUE(w.RunUntil(2 * kSeconds).ok());
  EXPECT_EQ(got, 1);
  EXPECT_EQ(w.stats().drops[static_cast<int>(DropReason::kPortUnreachable)], 2u);
  EXPECT_FALSE(eb.SendDatagram(port, *bound, B("q")).ok()) << "a closed port cannot send";
}

TEST(WorldLoop, SilentWaitsJumpAndConditionsStopEarly) {
  World w(1);
  WorldLoop loop(w);
  EXPECT_FALSE(loop.RunUntil(5 * kSeconds, [] { return false; }));
  EXPECT_EQ(w.Now(), 5 * kSeconds);
  bool fired = false;
  w.env(w.AddNode("n")).StartTimer(6 * kSeconds, [&] { fired = true; });
  EXPECT_TRUE(loop.RunUntil(60 * kSeconds, [&] { return fired; }));
  EXPECT_EQ(w.Now(), 6 * kSeconds);
  EXPECT_EQ(w.scheduler().pending(), 0u) << "the deadline marker is cancelled";
  EXPECT_TRUE(loop.status().ok());
}

// A pacer that releases one outside input at a chosen time.
struct FakePacer : Pacer {
  TimeUs input_at = kNever;
  std::function<void()> input;
  std::vector<std::pair<TimeUs, TimeUs>> waits;
  TimeUs Wait(TimeUs now, TimeUs t) override {
    waits.emplace_back(now, t);
    return input && input_at < t ? std::max(now, input_at) : t;
  }
  void Deliver() override {
    auto fn = std::move(input);
    input = nullptr;
    if (fn) fn();
  }
  TimeUs Clock() const override { return 0; }
};

TEST(Pacer, OutsideInputRunsAtItsTimeBetweenEvents) {
  World w(1);
  FakePacer p;
  w.scheduler().set_pacer(&p);
  std::vector<std::pair<std::string, TimeUs>> log;
  w.scheduler().At(10 * kMillis, [&] { log.emplace_back("event", w.Now()); });
  p.input_at = 4 * kMillis;
  p.input = [&] {
    log.emplace_back("input", w.Now());
    w.scheduler().At(w.Now() + kMillis, [&] { log.emplace_back("reaction", w.Now()); });
  };
  ASSERT_TRUE(w.RunUntil(20 * kMillis).ok());
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], std::make_pair(std::string("input"), 4 * kMillis));
  EXPECT_EQ(log[1], std::make_pair(std::string("reaction"), 5 * kMillis));
  EXPECT_EQ(log[2], std::make_pair(std::string("event"), 10 * kMillis));
  EXPECT_EQ(w.Now(), 20 * kMillis);
  EXPECT_FALSE(p.waits.empty());
  for (auto [now, t] : p.waits) EXPECT_LT(now, t);
  w.scheduler().set_pacer(nullptr);
}

}  // namespace
}  // namespace mcpsim::sim
