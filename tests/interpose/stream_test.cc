// Stream (TCP) sockets under the interposer: an independent Python target
// (tests/interpose/tcp_echo.py, stdlib only: selectors/epoll, accept4,
// non-blocking and blocking connect, SO_ERROR, shutdown) runs as a node of a
// sim::World and talks to the World's streams on another node. Nothing of the
// target touches a real socket. Each target call is bounded by 10 s of wall time.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "interpose/process.h"
#include "sim/world.h"

namespace mcpsim::interpose {
namespace {

const std::string kSrc = MCPSIM_SOURCE_DIR;
const std::string kPython = "/usr/bin/python3";
const std::string kEcho = kPython + " " + kSrc + "/tests/interpose/tcp_echo.py";

std::string Text(Bytes b) { return std::string(b.begin(), b.end()); }
Bytes B(const std::string& s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

ProcessOptions Opts(const std::string& cmd) {
  ProcessOptions o;
  o.command = cmd;
  auto lib = FindPreload();
  if (lib.ok()) o.preload = *lib;
  return o;
}

struct Client {
  std::string got;
  bool connected = false, eof = false, closed = false;
  Status why;
  StreamHandlers H() {
    StreamHandlers h;
    h.on_connected = [this] { connected = true; };
    h.on_data = [this](Bytes b) { got += Text(b); };
    h.on_eof = [this] { eof = true; };
    h.on_closed = [this](const Status& s) { closed = true, why = s; };
    return h;
  }
};

class InterposeStream : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kPython.c_str(), X_OK) != 0) GTEST_SKIP() << kPython << " is not installed";
    setenv("MCPSIM_INTERPOSE_LIB", MCPSIM_PRELOAD, 1);
    ASSERT_TRUE(FindPreload().ok());
  }
};

// The echo server on node "srv" answers two concurrent simulated clients;
// half-close reaches it as EOF and it closes in turn; "bye" closes at once.
// Returns the World's trace hash (the run must replay bit for bit).
std::string RunEchoServer(std::uint64_t seed) {
  sim::World w(seed);
  const sim::NodeId srv = w.AddNode("srv"), cli = w.AddNode("cli");
  Process p(w.env(srv), Opts(kEcho + " --listen 127.0.0.1:7000"));
  Status st = p.Start();
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(p.tcp_ports(), std::vector<std::uint16_t>{7000});
  Env& c = w.env(cli);
  const Endpoint to = Endpoint::V4(w.node_ip(srv), 7000);
  Client a, b, z;
  auto ida = c.Connect(to, a.H()), idb = c.Connect(to, b.H()), idz = c.Connect(to, z.H());
  EXPECT_TRUE(ida.ok() && idb.ok() && idz.ok());
  EXPECT_TRUE(c.StreamSend(*ida, B("hello ")).ok());
  EXPECT_TRUE(c.StreamSend(*idb, B("other")).ok());
  EXPECT_TRUE(w.RunUntil(50 * kMillis).ok());
  EXPECT_TRUE(c.StreamSend(*ida, B("world")).ok());
  EXPECT_TRUE(c.StreamShutdownWrite(*ida).ok());
  EXPECT_TRUE(c.StreamSend(*idz, B("bye")).ok());
  EXPECT_TRUE(w.RunUntil(2 * kSeconds).ok());
  EXPECT_EQ(a.got, "hello world");
  EXPECT_TRUE(a.eof);
  EXPECT_TRUE(a.closed && a.why.ok()) << a.why.message();  // both sides closed: a clean close
  EXPECT_EQ(b.got, "other");
  EXPECT_FALSE(b.eof);
  EXPECT_TRUE(z.eof);  // the target closed the "bye" connection: EOF, no data
  EXPECT_EQ(z.got, "");
  EXPECT_TRUE(p.alive()) << p.failure();
  EXPECT_TRUE(p.refusals().empty());
  EXPECT_EQ(p.stats().accepted, 3u);
  return w.trace().HashHex();
}

TEST_F(InterposeStream, PythonEchoServerAcceptsEchoesAndCloses) {
  const std::string h = RunEchoServer(1);
  EXPECT_EQ(RunEchoServer(1), h);  // same seed + target: same trace
}

TEST_F(InterposeStream, PythonClientConnectsSeesRefusalAndHalfCloses) {
  sim::World w(2);
  const sim::NodeId tgt = w.AddNode("tgt"), peer = w.AddNode("peer");
  Env& e = w.env(peer);
  std::string got;
  bool eof = false;
  StreamId sid = 0;
  auto l = e.Listen(9000, [&](StreamId id, const Endpoint&) {
    sid = id;
    StreamHandlers h;
    h.on_data = [&](Bytes b) {
      got += Text(b);
      if (got.find(";ping") != std::string::npos && got.find("PING;") == std::string::npos) {
        (void)e.StreamSend(sid, B("PING;"));
        got += "|";  // marks that the reply left
      }
    };
    h.on_eof = [&] {
      eof = true;
      (void)e.StreamShutdownWrite(sid);
    };
    return h;
  });
  ASSERT_TRUE(l.ok());
  const std::string peer_ip = Endpoint::V4(w.node_ip(peer), 0).ToString();
  const std::string host = peer_ip.substr(0, peer_ip.rfind(':'));
  Process p(w.env(tgt), Opts(kEcho + " --connect " + host + ":9000"));
  ASSERT_TRUE(p.Start().ok()) << p.failure();
  ASSERT_TRUE(w.RunUntil(5 * kSeconds).ok());
  EXPECT_EQ(got, "refused:ECONNREFUSED;ping|got:PING;");
  EXPECT_TRUE(eof);
  EXPECT_EQ(p.failure(), "exited with status 0");  // the client finished on its own
  EXPECT_EQ(p.stats().connects, 2u);
}

TEST_F(InterposeStream, ResetByThePeerReachesTheTarget) {
  sim::World w(3);
  const sim::NodeId srv = w.AddNode("srv"), cli = w.AddNode("cli");
  Process p(w.env(srv), Opts(kEcho + " --listen 0.0.0.0:0"));
  ASSERT_TRUE(p.Start().ok()) << p.failure();
  ASSERT_EQ(p.tcp_ports().size(), 1u);
  Env& c = w.env(cli);
  Client a;
  auto id = c.Connect(Endpoint::V4(w.node_ip(srv), p.tcp_ports()[0]), a.H());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(c.StreamSend(*id, B("x")).ok());
  ASSERT_TRUE(w.RunUntil(100 * kMillis).ok());
  EXPECT_EQ(a.got, "x");
  c.StreamReset(*id);  // the target's recv sees ECONNRESET and closes; it keeps serving
  ASSERT_TRUE(w.RunUntil(200 * kMillis).ok());
  Client b;
  auto id2 = c.Connect(Endpoint::V4(w.node_ip(srv), p.tcp_ports()[0]), b.H());
  ASSERT_TRUE(id2.ok());
  ASSERT_TRUE(c.StreamSend(*id2, B("y")).ok());
  ASSERT_TRUE(w.RunUntil(400 * kMillis).ok());
  EXPECT_EQ(b.got, "y");
  EXPECT_TRUE(p.alive()) << p.failure();
}

}  // namespace
}  // namespace mcpsim::interpose
