// The listeners defend themselves (PROTOCOL.md TCP-10/11, HTTP-13..17) and
// password hashing runs off the event loop (WIRE-24, Env::Offload). Loopback
// only; no timing asserts (orderings and counts only).
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "net/asio_env.h"
#include "net/server.h"
#include "tests/net/net_util.h"
#include "tests/net/phone.h"

namespace mcpsim::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using testing::B;
using testing::RunFor;
using testing::RunUntil;

tcp::endpoint Tcp(const Endpoint& e) { return tcp::endpoint(asio::ip::make_address_v4(e.v4()), e.port); }

// A blocking client socket bound to `from` (127.0.0.x: its own source address).
struct Raw {
  asio::io_context io;
  tcp::socket s{io};
  Raw(const Endpoint& to, const char* from = "127.0.0.1") {
    s.open(tcp::v4());
    s.bind(tcp::endpoint(asio::ip::make_address_v4(from), 0));
    s.connect(Tcp(to));
  }
  void Send(const std::string& bytes) {
    boost::system::error_code ec;
    asio::write(s, asio::buffer(bytes), ec);  // a reset connection is the test's to judge
  }
  // Everything until the server closes (bounded by the server's own deadlines).
  std::string ReadAll() {
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
      const std::size_t n = s.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) return out;
    }
  }
};

// Runs the server's io_context on a thread while blocking clients talk to it.
struct Served {
  asio::io_context io;
  std::unique_ptr<AsioEnv> env;
  std::unique_ptr<Server> server;
  std::thread t;
  std::atomic<bool> stop{false};
  explicit Served(ServerOptions o) {
    env = std::make_unique<AsioEnv>(io);
    auto s = Server::Start(*env, std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    server = std::move(*s);
    t = std::thread([this] {
      while (!stop) io.run_one_for(std::chrono::milliseconds(5));
    });
  }
  ~Served() {
    stop = true;
    t.join();
    server.reset();
    env->Close();
  }
  Endpoint Of(const char* scheme) { return ListenerOf(*server, scheme); }
};

std::string StatusLine(const std::string& resp) { return resp.substr(0, resp.find("\r\n")); }

TEST(NetDefend, OffloadRunsWorkOffTheLoopAndCompletesOnIt) {
  asio::io_context io;
  AsioEnv env(io);
  const auto loop = std::this_thread::get_id();
  std::vector<int> done;
  std::vector<bool> off_loop(5, false);
  for (int i = 0; i < 5; ++i) {
    env.Offload(0, [&off_loop, i, loop] { off_loop[i] = std::this_thread::get_id() != loop; },
                [&done, i, loop] {
                  EXPECT_EQ(std::this_thread::get_id(), loop);
                  done.push_back(i);
                });
  }
  EXPECT_TRUE(done.empty());  // never inside Offload
  ASSERT_TRUE(RunUntil(io, [&] { return done.size() == 5; }));
  for (bool b : off_loop) EXPECT_TRUE(b);
  EXPECT_EQ(env.stats().work_completed, 5u);
  env.Offload(0, [] {}, [] { ADD_FAILURE() << "done after Close"; });
  env.Close();
  RunFor(io, 50);
}

TEST(NetDefend, ContentLengthOverTheLimitIs413AndConflictingIs400) {
  Served s(Loopback());
  {
    Raw r(s.Of("http"));
    r.Send("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n");
    EXPECT_EQ(StatusLine(r.ReadAll()), "HTTP/1.1 413 Content Too Large");  // HTTP-13
  }
  {
    Raw r(s.Of("http"));
    r.Send("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n");
    EXPECT_EQ(StatusLine(r.ReadAll()), "HTTP/1.1 413 Content Too Large");
  }
  {
    Raw r(s.Of("http"));
    r.Send("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\nContent-Length: 9\r\n\r\nRPOL 1\r\n");
    EXPECT_EQ(StatusLine(r.ReadAll()), "HTTP/1.1 400 Bad Request");  // HTTP-14
  }
  {
    Raw r(s.Of("http"));
    r.Send("GET /mcp?q=x HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n");
    EXPECT_EQ(StatusLine(r.ReadAll()), "HTTP/1.1 431 Request Header Fields Too Large");  // HTTP-15
  }
  {
    // Equal duplicates are one length: served.
    Raw r(s.Of("http"));
    r.Send("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\nContent-Length: 8\r\n\r\nRPOL 1\r\n");
    EXPECT_EQ(StatusLine(r.ReadAll()), "HTTP/1.1 200 OK");
  }
}

TEST(NetDefend, SlowHeadersGet408) {
  ServerOptions o = Loopback();
  o.limits.http_header = 300 * kMillis;
  Served s(o);
  Raw r(s.Of("http"));
  r.Send("GET /mcp?q=x HTTP/1.1\r\n");  // and nothing more
  EXPECT_EQ(StatusLine(r.ReadAll()), "HTTP/1.1 408 Request Timeout");  // HTTP-16
}

TEST(NetDefend, SilentTcpConnectionIsResetAfterTheFirstAnswerDeadline) {
  ServerOptions o = Loopback();
  o.limits.tcp_first_answer = 300 * kMillis;
  Served s(o);
  Raw r(s.Of("tcp"));
  r.Send("RA");  // never a complete command
  EXPECT_EQ(r.ReadAll(), "");  // TCP-10: reset, nothing answered
}

TEST(NetDefend, ClosedHttpConnectionsAreReclaimedAtOnce) {
  asio::io_context io;
  AsioEnv senv(io);
  auto server = Server::Start(senv, Loopback());
  ASSERT_TRUE(server.ok());
  const Endpoint http = ListenerOf(**server, "http");
  const std::size_t base = senv.open_streams();
  asio::io_context cio;
  for (int i = 0; i < 200; ++i) {  // connect and close, no request (HTTP-17)
    tcp::socket s(cio);
    s.connect(Tcp(http));
    s.close();
    io.poll();
  }
  // The idle timeout is 120 s: only prompt reclaiming passes this.
  ASSERT_TRUE(RunUntil(io, [&] { return senv.open_streams() == base; }, 5000)) << senv.open_streams();
}

TEST(NetDefend, PerAddressCapKeepsOtherAddressesServed) {
  ServerOptions o = Loopback();
  o.limits.conns_per_address = 8;
  Served s(o);
  std::vector<std::unique_ptr<Raw>> hogs;
  for (int i = 0; i < 20; ++i) hogs.push_back(std::make_unique<Raw>(s.Of("tcp"), "127.0.0.1"));
  // Another source address still gets its answer (TCP-11).
  Raw ok(s.Of("tcp"), "127.0.0.2");
  ok.Send("RPOL 7\r\n");
  char buf[64];
  boost::system::error_code ec;
  const std::size_t n = ok.s.read_some(asio::buffer(buf), ec);
  EXPECT_EQ(std::string(buf, n), "APOL 7 0 60\r\n");
  // 12 of the hogs were closed at once (the newest from that address).
  int closed = 0;
  for (auto& h : hogs) {
    h->Send("RPOL 1\r\n");
    const std::size_t k = h->s.read_some(asio::buffer(buf), ec);
    closed += (k == 0 || ec) ? 1 : 0;
  }
  EXPECT_EQ(closed, 12);
  EXPECT_EQ(s.env->stats().streams_address_capped, 12u);
}

TEST(NetDefend, ListenerCapEvictsTheIdlest) {
  ServerOptions o = Loopback();
  o.limits.tcp_conns = 4;
  Served s(o);
  // `early` is accepted first but reads after `idle` was accepted: the
  // idlest is the least recently read, not the oldest.
  Raw early(s.Of("tcp"), "127.0.0.5");
  Raw idle(s.Of("tcp"), "127.0.0.3");
  std::vector<std::unique_ptr<Raw>> busy;
  char buf[64];
  boost::system::error_code ec;
  early.Send("RPOL 9\r\n");
  (void)early.s.read_some(asio::buffer(buf), ec);
  for (int i = 0; i < 3; ++i) {
    busy.push_back(std::make_unique<Raw>(s.Of("tcp"), "127.0.0.4"));
    busy.back()->Send("RPOL 1\r\n");
    (void)busy.back()->s.read_some(asio::buffer(buf), ec);
  }
  // The 5th connection evicted the idlest one: `idle`, which never sent a byte.
  EXPECT_EQ(idle.ReadAll(), "");
  EXPECT_EQ(s.env->stats().streams_evicted, 1u);
  busy.back()->Send("RPOL 2\r\n");
  const std::size_t n = busy.back()->s.read_some(asio::buffer(buf), ec);
  EXPECT_EQ(std::string(buf, n), "APOL 2 0 60\r\n");
  early.Send("RPOL 3\r\n");
  const std::size_t m = early.s.read_some(asio::buffer(buf), ec);
  EXPECT_EQ(std::string(buf, m), "APOL 3 0 60\r\n");
}

TEST(NetDefend, DispatchIsAnsweredWhileRatsAreVerified) {
  ServerOptions o = Loopback();
  o.password_cost = {3, 32768};  // a costly Argon2id (~0.1 s per verification) …
  o.limits.workers = 1;          // … on one worker: the 10 RATs take > 1 s
  Served s(o);
  // One datagram, 10 RATs for unknown accounts (each verified against the
  // dummy hash, SG-LOGIN-16) from 127.0.0.1 …
  asio::io_context cio;
  asio::ip::udp::socket u(cio, asio::ip::udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  std::string d;
  for (int i = 0; i < 10; ++i) d += "RAT " + std::to_string(i + 1) + " v" + std::to_string(i) + "@live.cn wrongpass12 d 1.0.0 1\r\n";
  const Endpoint udp = s.Of("udp");
  u.send_to(asio::buffer(d), asio::ip::udp::endpoint(asio::ip::make_address_v4(udp.v4()), udp.port));
  // … while a DP GET from 127.0.0.2 is answered before them (WIRE-24).
  Raw get(s.Of("http"), "127.0.0.2");
  get.Send("GET /mcp?q=RQQW%201%201.0.0%20s60%20dev-1%0D%0A HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusLine(get.ReadAll()), "HTTP/1.1 200 OK");
  u.non_blocking(true);
  char buf[9000];
  boost::system::error_code ec;
  u.receive(asio::buffer(buf), 0, ec);
  EXPECT_EQ(ec, asio::error::would_block);  // the RATs are still being verified
  u.non_blocking(false);
  const std::size_t n = u.receive(asio::buffer(buf));
  std::string got(buf, n);
  EXPECT_EQ(got.rfind("AAT 1 201\r\n", 0), 0u) << got;
  EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), 10);  // all answered, in one datagram
}

// README's "Limits" table is the one place that says what limits exist and
// how to change them (issue 15): every `--limit` name must be in it.
TEST(NetLimits, ReadmeLimitsTableNamesEveryLimitOption) {
  std::ifstream f(std::string(MCPSIM_SOURCE_DIR) + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto start = readme.find("### Limits\n");
  ASSERT_NE(start, std::string::npos) << "README.md has no Limits section";
  const std::string section = readme.substr(start, readme.find("\n## ", start) - start);
  std::istringstream lines(DescribeLimits(ServerLimits{}));
  std::size_t names = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto b = line.find_first_not_of(' '), eq = line.find('=');
    ASSERT_NE(eq, std::string::npos) << line;
    const std::string name = line.substr(b, eq - b);
    ++names;
    EXPECT_NE(section.find("`--limit " + name + "="), std::string::npos) << name << " is not in README's Limits table";
  }
  EXPECT_GE(names, 17u);
  EXPECT_NE(section.find("`--idle-timeout-ms N`"), std::string::npos);
}

}  // namespace
}  // namespace mcpsim::net

namespace mcpsim::net {
namespace {

// `--limit NAME=VALUE` parsing and `--limit off` (load tests): every rate
// limit, the back-off and RATE-10's per-address share are lifted; LIM-23's
// total and the connection caps stay.
TEST(NetLimits, OffLiftsRateLimitsAndThePerAddressShareButNotTheTotals) {
  ServerLimits l;
  EXPECT_EQ(l.work_per_address, 4u);  // RATE-10 default
  ASSERT_TRUE(ApplyLimit("work-per-address=9", l).ok());
  EXPECT_EQ(l.work_per_address, 9u);
  EXPECT_NE(DescribeLimits(l).find("work-per-address=9"), std::string::npos);
  EXPECT_EQ(ApplyLimit("work-per-address=0", l).clause(), "NET-10");
  ServerLimits off;
  const std::size_t total = off.pending_work, conns = off.tcp_conns;
  ASSERT_TRUE(ApplyLimit("off", off).ok());
  EXPECT_GE(off.work_per_address, total);
  EXPECT_FALSE(off.login_backoff.on());
  EXPECT_EQ(off.pending_work, total);
  EXPECT_EQ(off.tcp_conns, conns);
  EXPECT_EQ(ApplyLimit("no-such-limit=1", off).clause(), "NET-10");
  // RATE-11: the datagram bucket before parsing is on by default, `off` lifts it.
  EXPECT_EQ(l.udp_address.per_s, 2000u);
  EXPECT_EQ(l.udp_address.burst, 4000u);
  EXPECT_FALSE(off.udp_address.on());
  ASSERT_TRUE(ApplyLimit("udp-address=100/300", l).ok());
  EXPECT_EQ(l.udp_address.per_s, 100u);
  EXPECT_NE(DescribeLimits(l).find("udp-address=100/300"), std::string::npos);
}

}  // namespace
}  // namespace mcpsim::net
