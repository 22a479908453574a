// AsioEnv on loopback: datagrams, streams, timers, HTTP through RoleHost,
// and the robustness limits.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include "host/host.h"
#include "net/asio_env.h"
#include "reference/roles/mc/client.h"
#include "reference/roles/ms.h"
#include "reference/store/store.h"
#include "tests/net/net_util.h"

namespace mcpsim::net {
namespace {

using testing::B;
using testing::RunFor;
using testing::RunUntil;
using testing::S;

TEST(AsioEnv, UdpEcho) {
  boost::asio::io_context io;
  AsioEnv b(io);
  std::uint16_t sport = 0;
  AsioEnv echo(io);
  auto ep = echo.BindDatagram(0, [&](const Endpoint& from, Bytes p) { (void)echo.SendDatagram(sport, from, p); });
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  sport = ep->port;
  std::vector<std::string> got;
  auto cl = b.BindDatagram(0, [&](const Endpoint& from, Bytes p) {
    EXPECT_EQ(from, *ep);
    got.push_back(S(p));
  });
  ASSERT_TRUE(cl.ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(b.SendDatagram(cl->port, *ep, B("ping " + std::to_string(i))).ok());
  ASSERT_TRUE(RunUntil(io, [&] { return got.size() == 100; }));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got.front(), "ping 0");
  EXPECT_GT(echo.stats().receive_batches, 0u);
  EXPECT_FALSE(b.SendDatagram(1, *ep, B("x")).ok());  // not a bound port
}

TEST(AsioEnv, BindTakenPortFails) {
  boost::asio::io_context io;
  AsioEnv a(io), b(io);
  auto ep = a.BindDatagram(0, [](const Endpoint&, Bytes) {});
  ASSERT_TRUE(ep.ok());
  EXPECT_FALSE(b.BindDatagram(ep->port, [](const Endpoint&, Bytes) {}).ok());
  EXPECT_FALSE(a.SetBindAddress("not-an-ip").ok());
}

TEST(AsioEnv, TimersFireInOrderAndNeverInline) {
  boost::asio::io_context io;
  AsioEnv env(io);
  std::vector<int> order;
  const TimeUs now = env.Now();
  env.StartTimer(now + 30 * kMillis, [&] { order.push_back(3); });
  env.StartTimer(now + 10 * kMillis, [&] { order.push_back(1); });
  env.StartTimer(now + 10 * kMillis, [&] { order.push_back(2); });  // same time: start order
  const TimerId cancelled = env.StartTimer(now + 20 * kMillis, [&] { order.push_back(99); });
  env.StartTimer(0, [&] { order.push_back(0); });  // in the past: soon, but not inside StartTimer
  EXPECT_TRUE(order.empty());
  env.CancelTimer(cancelled);
  ASSERT_TRUE(RunUntil(io, [&] { return order.size() == 4; }));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_GE(env.Now(), now + 30 * kMillis);
}

TEST(AsioEnv, TcpConnectSendHalfClose) {
  boost::asio::io_context io;
  AsioEnv srv(io), cli(io);
  std::string server_got, client_got;
  bool server_eof = false, server_closed = false, client_closed = false, connected = false;
  StreamId server_id = 0;
  auto ep = srv.Listen(0, [&](StreamId id, const Endpoint&) {
    server_id = id;
    StreamHandlers h;
    h.on_data = [&](Bytes b) { server_got += S(b); };
    h.on_eof = [&] {
      server_eof = true;
      // Answer after the client's FIN, then close our side too.
      EXPECT_TRUE(srv.StreamSend(server_id, B("pong:" + server_got)).ok());
      EXPECT_TRUE(srv.StreamShutdownWrite(server_id).ok());
    };
    h.on_closed = [&](const Status& s) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      server_closed = true;
    };
    return h;
  });
  ASSERT_TRUE(ep.ok());
  StreamHandlers h;
  StreamId cid = 0;
  h.on_connected = [&] { connected = true; };
  h.on_data = [&](Bytes b) { client_got += S(b); };
  h.on_closed = [&](const Status& s) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    client_closed = true;
  };
  auto id = cli.Connect(*ep, h);
  ASSERT_TRUE(id.ok());
  cid = *id;
  // Bytes sent before the connection completes are queued, not lost.
  ASSERT_TRUE(cli.StreamSend(cid, B("hello ")).ok());
  ASSERT_TRUE(cli.StreamSend(cid, B("world")).ok());
  ASSERT_TRUE(cli.StreamShutdownWrite(cid).ok());
  EXPECT_FALSE(cli.StreamSend(cid, B("late")).ok());
  ASSERT_TRUE(RunUntil(io, [&] { return server_closed && client_closed; }));
  EXPECT_TRUE(connected);
  EXPECT_TRUE(server_eof);
  EXPECT_EQ(server_got, "hello world");
  EXPECT_EQ(client_got, "pong:hello world");
  EXPECT_EQ(srv.open_streams(), 0u);
  EXPECT_EQ(cli.open_streams(), 0u);
}

TEST(AsioEnv, ConnectRefusedAndResetReportClosedWithError) {
  boost::asio::io_context io;
  AsioEnv env(io);
  Endpoint nowhere;
  {
    AsioEnv tmp(io);
    auto ep = tmp.Listen(0, [](StreamId, const Endpoint&) { return StreamHandlers{}; });
    ASSERT_TRUE(ep.ok());
    nowhere = *ep;
  }  // closed: connecting now is refused
  std::optional<Status> refused;
  StreamHandlers h;
  h.on_closed = [&](const Status& s) { refused = s; };
  ASSERT_TRUE(env.Connect(nowhere, h).ok());
  ASSERT_TRUE(RunUntil(io, [&] { return refused.has_value(); }));
  EXPECT_EQ(refused->clause(), "NET-5");

  std::optional<Status> local, remote;
  auto ep = env.Listen(0, [&](StreamId, const Endpoint&) {
    StreamHandlers sh;
    sh.on_closed = [&](const Status& s) { remote = s; };
    return sh;
  });
  StreamHandlers ch;
  ch.on_closed = [&](const Status& s) { local = s; };
  StreamId cid = 0;
  ch.on_connected = [&] { env.StreamReset(cid); };
  cid = *env.Connect(*ep, ch);
  ASSERT_TRUE(RunUntil(io, [&] { return local && remote; }));
  EXPECT_EQ(local->clause(), "NET-6");
  EXPECT_FALSE(remote->ok());
}

TEST(AsioEnv, HttpThroughRoleHost) {
  boost::asio::io_context io;
  AsioEnv srv(io), cli(io);
  auto store = reference::OpenSqliteStore(":memory:");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->PutMedia({"m1", "image/png", std::string(100000, 'x')}).ok());
  reference::MsRole ms(**store);
  host::RoleHost ms_host(srv, ms);
  ASSERT_TRUE(ms_host.Start({std::nullopt, std::nullopt, 0}).ok());
  reference::McClient mc({}, Rng(3));
  host::RoleHost mc_host(cli, mc);
  ASSERT_TRUE(mc_host.Start({0, std::nullopt, std::nullopt}).ok());
  const std::string base = "http://" + ms_host.http_endpoint().ToString();
  const auto ok_op = mc.FetchMedia(cli.Now(), base + "/media/m1");
  const auto missing_op = mc.FetchMedia(cli.Now(), base + "/media/nope");
  mc_host.Pump();
  std::map<std::uint64_t, reference::McEvent> ev;
  ASSERT_TRUE(RunUntil(io, [&] {
    for (auto& e : mc.TakeEvents()) ev[e.op_id] = e;
    return ev.size() == 2;
  }));
  EXPECT_EQ(ev[ok_op].outcome, reference::McEvent::Outcome::kOk);
  EXPECT_EQ(ev[ok_op].data.size(), 100000u);
  EXPECT_EQ(ev[missing_op].status, 404);
  EXPECT_EQ(ms.served(), 1u);
}

TEST(AsioEnv, OversizeAndRateLimitedDatagramsAreDropped) {
  boost::asio::io_context io;
  AsioEnvOptions o;
  o.udp_max_datagram = 1000;
  o.udp_rate_per_s = 1;  // effectively: the burst only
  o.udp_burst = 5;
  AsioEnv srv(io, o), cli(io);
  int got = 0;
  auto ep = srv.BindDatagram(0, [&](const Endpoint&, Bytes) { ++got; });
  auto c = cli.BindDatagram(0, [](const Endpoint&, Bytes) {});
  ASSERT_TRUE(cli.SendDatagram(c->port, *ep, B(std::string(5000, 'z'))).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(cli.SendDatagram(c->port, *ep, B("small")).ok());
  ASSERT_TRUE(RunUntil(io, [&] {
    return srv.stats().datagrams_oversize + srv.stats().datagrams_rate_limited + srv.stats().datagrams_received >= 21;
  }));
  EXPECT_EQ(got, 5);
  EXPECT_EQ(srv.stats().datagrams_oversize, 1u);
  EXPECT_EQ(srv.stats().datagrams_rate_limited, 15u);
}

// RATE-11's table is bounded: with room for 2 source addresses, a third
// makes the server forget the least recently seen one, whose bucket then
// starts full again (RATE-1); a remembered, emptied one stays empty.
TEST(AsioEnv, DatagramBucketsForgetTheLeastRecentlySeenAddress) {
  boost::asio::io_context io;
  AsioEnvOptions o;
  o.udp_rate_per_s = 0.001;  // no refill within the test
  o.udp_burst = 2;
  o.udp_rate_keys = 2;
  AsioEnv srv(io, o);
  std::map<std::string, int> got;
  auto ep = srv.BindDatagram(0, [&](const Endpoint& from, Bytes) { ++got[from.ToString().substr(0, 9)]; });
  ASSERT_TRUE(ep.ok());
  std::vector<std::unique_ptr<AsioEnv>> clients;
  auto send = [&](const char* addr, int n) {
    AsioEnvOptions co;
    co.bind_address = addr;
    clients.push_back(std::make_unique<AsioEnv>(io, co));
    auto c = clients.back()->BindDatagram(0, [](const Endpoint&, Bytes) {});
    ASSERT_TRUE(c.ok()) << addr;
    const std::uint64_t before = srv.stats().datagrams_received + srv.stats().datagrams_rate_limited;
    for (int i = 0; i < n; ++i) ASSERT_TRUE(clients.back()->SendDatagram(c->port, *ep, B("x")).ok());
    ASSERT_TRUE(RunUntil(io, [&] {
      return srv.stats().datagrams_received + srv.stats().datagrams_rate_limited >= before + n;
    }));
  };
  send("127.0.0.1", 3);  // 2 admitted, .1's bucket empty
  send("127.0.0.2", 3);  // 2 admitted
  send("127.0.0.2", 1);  // still remembered and empty: refused
  send("127.0.0.3", 1);  // the table is full: .1 (least recently seen) is forgotten
  send("127.0.0.1", 2);  // new again: a full bucket
  EXPECT_EQ(got["127.0.0.1"], 4);
  EXPECT_EQ(got["127.0.0.2"], 2);
  EXPECT_EQ(got["127.0.0.3"], 1);
  EXPECT_EQ(srv.stats().datagrams_rate_limited, 3u);
}

// Issue 15: a storm of connection events must not make a datagram wait
// behind all of it. 300 connections become readable, then one datagram
// arrives; the reactor's ready list holds the datagram socket last, but the
// loop reads the datagram sockets every `udp_poll_every` stream events, so
// the datagram is delivered before most of the stream bytes.
TEST(AsioEnv, DatagramsAreReadBetweenStreamEvents) {
  boost::asio::io_context io;
  AsioEnvOptions o;
  o.udp_poll_every = 16;
  AsioEnv srv(io, o);
  int data_events = 0;
  int datagram_at = -1;
  auto lep = srv.Listen(0, [&](StreamId, const Endpoint&) {
    StreamHandlers h;
    h.on_data = [&](Bytes) { ++data_events; };
    return h;
  });
  ASSERT_TRUE(lep.ok());
  auto uep = srv.BindDatagram(0, [&](const Endpoint&, Bytes) { datagram_at = data_events; });
  ASSERT_TRUE(uep.ok());
  constexpr int kConns = 300;
  boost::asio::io_context cio;
  std::vector<boost::asio::ip::tcp::socket> clients;
  const boost::asio::ip::tcp::endpoint to(boost::asio::ip::make_address("127.0.0.1"), lep->port);
  for (int i = 0; i < kConns; ++i) {
    clients.emplace_back(cio);
    boost::system::error_code ec;
    clients.back().connect(to, ec);
    ASSERT_FALSE(ec) << i << " " << ec.message();
  }
  ASSERT_TRUE(RunUntil(io, [&] { return srv.stats().streams_accepted >= kConns; }));
  RunFor(io, 50);  // every read armed
  for (auto& c : clients) ASSERT_EQ(c.send(boost::asio::buffer("x", 1)), 1u);
  AsioEnv cli(io);
  auto c = cli.BindDatagram(0, [](const Endpoint&, Bytes) {});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(cli.SendDatagram(c->port, *uep, B("late")).ok());
  ASSERT_TRUE(RunUntil(io, [&] { return data_events == kConns && datagram_at >= 0; }));
  EXPECT_LT(datagram_at, 64) << "the datagram waited behind " << datagram_at << " stream events";
  EXPECT_GT(srv.stats().datagram_polls, 0u);
}

TEST(AsioEnv, UnreadStreamOverflowsAndIdleStreamTimesOut) {
  boost::asio::io_context io;
  AsioEnvOptions o;
  o.stream_send_buffer = 64 * 1024;
  o.stream_idle_timeout = 200 * kMillis;
  AsioEnv srv(io, o);
  std::optional<Status> closed;
  auto ep = srv.Listen(0, [&](StreamId, const Endpoint&) {
    StreamHandlers h;
    h.on_closed = [&](const Status& s) { closed = s; };
    return h;
  });
  // A raw peer that connects and then never reads nor writes.
  boost::asio::ip::tcp::socket peer(io);
  peer.connect({boost::asio::ip::make_address("127.0.0.1"), ep->port});
  ASSERT_TRUE(RunUntil(io, [&] { return srv.open_streams() == 1; }));
  ASSERT_TRUE(RunUntil(io, [&] { return closed.has_value(); }, 5000));
  EXPECT_EQ(closed->clause(), "NET-4");
  EXPECT_EQ(srv.stats().streams_timed_out, 1u);

  // A peer that does not read what we send: the stream is reset, not buffered forever.
  o.stream_idle_timeout = 10 * kSeconds;
  AsioEnv srv2(io, o);
  StreamId sid = 0;
  closed.reset();
  auto ep2 = srv2.Listen(0, [&](StreamId id, const Endpoint&) {
    sid = id;
    StreamHandlers h;
    h.on_closed = [&](const Status& s) { closed = s; };
    return h;
  });
  boost::asio::ip::tcp::socket lazy(io);
  lazy.connect({boost::asio::ip::make_address("127.0.0.1"), ep2->port});
  ASSERT_TRUE(RunUntil(io, [&] { return sid != 0; }));
  Status last;
  for (int i = 0; i < 4000 && last.ok(); ++i) {
    last = srv2.StreamSend(sid, B(std::string(32 * 1024, 'y')));
    io.poll();
  }
  EXPECT_EQ(last.clause(), "NET-3");
  ASSERT_TRUE(RunUntil(io, [&] { return closed.has_value(); }));
  EXPECT_EQ(srv2.stats().streams_overflowed, 1u);
}

}  // namespace
}  // namespace mcpsim::net
