#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "sim/world.h"

namespace mcpsim::sim {
namespace {

Bytes B(const std::string& s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

// A server that records everything and a client connection to it.
struct Fixture {
  World w;
  NodeId c, s;
  std::string server_got, client_got;
  std::vector<std::string> events;
  StreamId server_sid = 0;
  explicit Fixture(std::uint64_t seed, WorldOptions o = {}, bool listen = true) : w(seed, o) {
    c = w.AddNode("client");
    s = w.AddNode("server");
    if (!listen) return;
    auto l = w.env(s).Listen(80, [this](StreamId id, const Endpoint& peer) {
      server_sid = id;
      events.push_back("accept:" + peer.ToString().substr(0, 8));
      StreamHandlers h;
      h.on_data = [this](Bytes b) { server_got.append(b.begin(), b.end()); };
      h.on_eof = [this] {
        events.push_back("server_eof");
        EXPECT_TRUE(w.env(s).StreamSend(server_sid, B("bye")).ok());
        EXPECT_TRUE(w.env(s).StreamShutdownWrite(server_sid).ok());
      };
      h.on_closed = [this](const Status& st) { events.push_back("server_closed:" + (st.ok() ? std::string("ok") : st.clause())); };
      return h;
    });
    EXPECT_TRUE(l.ok());
  }
  StreamHandlers ClientHandlers() {
    StreamHandlers h;
    h.on_connected = [this] { events.push_back("connected"); };
    h.on_data = [this](Bytes b) { client_got.append(b.begin(), b.end()); };
    h.on_eof = [this] { events.push_back("client_eof"); };
    h.on_closed = [this](const Status& st) { events.push_back("client_closed:" + (st.ok() ? std::string("ok") : st.clause())); };
    return h;
  }
  Endpoint Server(std::uint16_t port = 80) { return Endpoint::V4(w.node_ip(s), port); }
};

TEST(SimStream, InOrderDeliveryUnderReorderProneLinkAndHalfClose) {
  WorldOptions o;
  o.default_link.base_delay = 2000;
  o.default_link.jitter_dist = JitterDist::kUniform;
  o.default_link.jitter = 5000;
  o.default_link.reorder = 0.5;  // affects datagrams only; streams keep order
  o.default_link.loss = 0.5;
  o.streams.segment_max = 7;
  o.streams.random_split = true;
  Fixture f(3, o);
  auto id = f.w.env(f.c).Connect(f.Server(), f.ClientHandlers());
  ASSERT_TRUE(id.ok());
  std::string sent;
  for (int i = 0; i < 200; ++i) {
    const std::string msg = "line " + std::to_string(i) + "\r\n";
    sent += msg;
    f.w.scheduler().At(i * 100, [&f, id, msg] { EXPECT_TRUE(f.w.env(f.c).StreamSend(*id, B(msg)).ok()); });
  }
  f.w.scheduler().At(200 * 100, [&f, id] { EXPECT_TRUE(f.w.env(f.c).StreamShutdownWrite(*id).ok()); });
  ASSERT_TRUE(f.w.RunUntilQuiet().ok());
  EXPECT_EQ(f.server_got, sent);
  EXPECT_EQ(f.client_got, "bye");
  // The server has sent its FIN before its on_eof returns, so it is fully
  // closed first; the client closes when that FIN arrives.
  EXPECT_EQ(f.events, (std::vector<std::string>{"accept:10.0.0.1", "connected", "server_eof", "server_closed:ok",
                                                "client_eof", "client_closed:ok"}));
  EXPECT_EQ(f.w.env(f.c).StreamSend(*id, B("x")).clause(), "SIM-7");
}

TEST(SimStream, SendAfterShutdownIsAnError) {
  Fixture f(1);
  auto id = f.w.env(f.c).Connect(f.Server(), f.ClientHandlers());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(f.w.env(f.c).StreamSend(*id, B("early")).ok());  // queued behind the SYN
  ASSERT_TRUE(f.w.env(f.c).StreamShutdownWrite(*id).ok());
  EXPECT_EQ(f.w.env(f.c).StreamSend(*id, B("late")).clause(), "SIM-8");
  ASSERT_TRUE(f.w.RunUntilQuiet().ok());
  EXPECT_EQ(f.server_got, "early");
}

TEST(SimStream, ConnectRefusedWithoutListener) {
  Fixture f(1, {}, /*listen=*/false);
  auto id = f.w.env(f.c).Connect(f.Server(81), f.ClientHandlers());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(f.w.RunUntilQuiet().ok());
  EXPECT_EQ(f.events, (std::vector<std::string>{"client_closed:SIM-20"}));
}

TEST(SimStream, ConnectToUnknownAddressTimesOut) {
  Fixture f(1);
  auto id = f.w.env(f.c).Connect(Endpoint::V4(0x0B000001, 80), f.ClientHandlers());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(f.w.RunUntilQuiet().ok());
  EXPECT_EQ(f.events, (std::vector<std::string>{"client_closed:SIM-21"}));
  EXPECT_EQ(f.w.Now(), f.w.options().streams.connect_timeout);
}

TEST(SimStream, ResetClosesBothSidesWithErrors) {
  Fixture f(1);
  auto id = f.w.env(f.c).Connect(f.Server(), f.ClientHandlers());
  ASSERT_TRUE(id.ok());
  f.w.scheduler().At(10'000, [&] {
    f.w.env(f.c).StreamReset(*id);
    EXPECT_EQ(f.w.env(f.c).StreamSend(*id, B("x")).clause(), "SIM-7");
    EXPECT_TRUE(f.events.back() == "connected");  // on_closed not called re-entrantly
  });
  ASSERT_TRUE(f.w.RunUntilQuiet().ok());
  EXPECT_EQ(f.events, (std::vector<std::string>{"accept:10.0.0.1", "connected", "client_closed:SIM-24",
                                                "server_closed:SIM-23"}));
}

TEST(SimStream, PartitionStallsThenResumesOrResets) {
  WorldOptions o;
  o.default_link.base_delay = 1000;
  o.streams.stall_reset_after = 5 * kSeconds;
  {
    Fixture f(1, o);
    auto id = f.w.env(f.c).Connect(f.Server(), f.ClientHandlers());
    ASSERT_TRUE(f.w.Partition({f.c}, {f.s}, 1 * kSeconds, 3 * kSeconds).ok());
    f.w.scheduler().At(2 * kSeconds, [&] { EXPECT_TRUE(f.w.env(f.c).StreamSend(*id, B("held")).ok()); });
    TimeUs got_at = -1;
    ASSERT_TRUE(f.w.RunUntilCondition([&] {
      if (got_at < 0 && !f.server_got.empty()) got_at = f.w.Now();
      return got_at >= 0;
    }, 60 * kSeconds).ok());
    EXPECT_EQ(got_at, 3 * kSeconds + 1000);  // stalled until the partition healed
  }
  {
    Fixture f(1, o);
    auto id = f.w.env(f.c).Connect(f.Server(), f.ClientHandlers());
    ASSERT_TRUE(f.w.Partition({f.c}, {f.s}, 1 * kSeconds, 20 * kSeconds).ok());
    f.w.scheduler().At(2 * kSeconds, [&] { EXPECT_TRUE(f.w.env(f.c).StreamSend(*id, B("lost")).ok()); });
    ASSERT_TRUE(f.w.RunUntilQuiet().ok());
    EXPECT_EQ(f.server_got, "");
    EXPECT_EQ(f.events, (std::vector<std::string>{"accept:10.0.0.1", "connected", "client_closed:SIM-22",
                                                  "server_closed:SIM-22"}));
  }
}

TEST(SimStream, ConnectDuringLongPartitionTimesOut) {
  Fixture f(1);
  ASSERT_TRUE(f.w.Partition({f.c}, {f.s}, 0, 60 * kSeconds).ok());
  ASSERT_TRUE(f.w.env(f.c).Connect(f.Server(), f.ClientHandlers()).ok());
  ASSERT_TRUE(f.w.RunUntilQuiet().ok());
  EXPECT_EQ(f.events, (std::vector<std::string>{"client_closed:SIM-21"}));
}

TEST(SimStream, UnknownStreamIdsAreErrors) {
  Fixture f(1);
  EXPECT_EQ(f.w.env(f.c).StreamSend(999, B("x")).clause(), "SIM-7");
  EXPECT_EQ(f.w.env(f.c).StreamShutdownWrite(999).clause(), "SIM-7");
  f.w.env(f.c).StreamReset(999);  // no-op
  EXPECT_EQ(f.w.env(f.s).Listen(80, nullptr).status().clause(), "SIM-4");
}

// Property: whatever the split and jitter, the byte stream arrives intact.
RC_GTEST_PROP(SimStream, BytesArriveIntactAndInOrder, (std::uint64_t seed)) {
  const auto chunks = *rc::gen::container<std::vector<std::string>>(rc::gen::string<std::string>());
  WorldOptions o;
  o.default_link.jitter_dist = JitterDist::kPareto;
  o.default_link.jitter = 300;
  o.streams.segment_max = *rc::gen::inRange<std::uint32_t>(0, 20);
  o.streams.random_split = *rc::gen::arbitrary<bool>();
  Fixture f(seed, o);
  auto id = f.w.env(f.c).Connect(f.Server(), f.ClientHandlers());
  RC_ASSERT(id.ok());
  std::string all;
  for (const auto& c : chunks) {
    all += c;
    RC_ASSERT(f.w.env(f.c).StreamSend(*id, B(c)).ok());
  }
  RC_ASSERT(f.w.RunUntilQuiet().ok());
  RC_ASSERT(f.server_got == all);
}

}  // namespace
}  // namespace mcpsim::sim
