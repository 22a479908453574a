// End to end over real loopback sockets, in one process and one thread: the
// server roles (net::Server on an AsioEnv) and MC engines (each on its own
// AsioEnv) share one io_context.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <filesystem>

#include "host/host.h"
#include "net/asio_env.h"
#include "net/server.h"
#include "net/udps_env.h"
#include "reference/http/http1.h"
#include "reference/media/captcha.h"
#include "reference/roles/mc/client.h"
#include "reference/roles/uri.h"
#include "tests/net/net_util.h"
#include "tests/net/phone.h"

namespace mcpsim::net {
namespace {

using testing::B;
using testing::RunFor;
using testing::RunUntil;

TEST(NetE2E, DispatchRegisterUploadAdMedia) {
  boost::asio::io_context io;
  AsioEnv senv(io);
  auto server = Server::Start(senv, Loopback());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_EQ((*server)->listeners().size(), 3u);
  Phone p(io, ListenerOf(**server, "http"), "dev-e2e");

  McEvent dp = p.Do([](auto& mc, TimeUs now) { return mc.QueryDispatch(now); });
  ASSERT_EQ(dp.outcome, Outcome::kOk) << dp.detail;
  // The answers carry the real listener URIs.
  EXPECT_NE(dp.params[4].find(reference::FormatUri("tcp", ListenerOf(**server, "tcp"))), std::string::npos);
  EXPECT_EQ(dp.params[5], reference::FormatUri("udp", ListenerOf(**server, "udp")));
  EXPECT_EQ(dp.params[6], reference::FormatUri("http", ListenerOf(**server, "http")));

  EXPECT_EQ(p.Do([](auto& mc, TimeUs now) { return mc.RequestCaptcha(now); }).outcome, Outcome::kRefused);  // PRIV-1
  p.mc->AcceptPrivacyAgreement();
  McEvent cap = p.Do([](auto& mc, TimeUs now) { return mc.RequestCaptcha(now); });
  ASSERT_EQ(cap.outcome, Outcome::kOk) << cap.detail;
  auto text = reference::ReadCaptcha(cap.data);
  ASSERT_TRUE(text.has_value());
  std::string typed = *text;
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  McEvent reg = p.Do([&](auto& mc, TimeUs now) { return mc.Register(now, typed, "alice@live.cn", "pw-123456", "pw-123456", ""); });
  EXPECT_EQ(reg.outcome, Outcome::kOk) << reg.status << " " << reg.detail;
  auto acct = (*server)->store().GetAccount("alice@live.cn");
  ASSERT_TRUE(acct.ok());
  EXPECT_TRUE(acct->has_value());

  for (int i = 0; i < 5; ++i) {
    McEvent up = p.Do([&](auto& mc, TimeUs now) { return mc.Upload(now, "launch", "n=" + std::to_string(i), 1000 + i); });
    EXPECT_EQ(up.outcome, Outcome::kOk) << up.status;
  }
  EXPECT_EQ(*(*server)->store().CountUploads(), 5u);

  McEvent ad = p.Do([](auto& mc, TimeUs now) { return mc.QueryAd(now, "top"); });
  ASSERT_EQ(ad.outcome, Outcome::kOk) << ad.status;
  ASSERT_EQ(ad.params.size(), 5u);
  McEvent media = p.Do([&](auto& mc, TimeUs now) { return mc.FetchMedia(now, ad.params[1]); });
  ASSERT_EQ(media.outcome, Outcome::kOk) << media.status;
  auto stored = (*server)->store().GetMedia("banner-1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(media.data, (*stored)->bytes);
  EXPECT_EQ(media.data.substr(1, 3), "PNG");
}

UdpsOptions ClientUdps(std::uint8_t id, const reference::enc::Key& key) {
  UdpsOptions u;
  u.keys = {{id, key}};
  u.plain = false;
  u.default_key_id = id;
  return u;
}

TEST(NetE2E, EncryptedAndPlainClientsSideBySide) {
  boost::asio::io_context io;
  AsioEnv senv(io);
  reference::enc::Key k1, k2;
  k1.fill(0x41);
  k2.fill(0x42);
  ServerOptions o = Loopback();
  o.udps = ListenSpec{};
  o.keys = {{1, k1}, {2, k2}};
  auto server = Server::Start(senv, o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const Endpoint udps = ListenerOf(**server, "udps");
  const Endpoint http = ListenerOf(**server, "http");

  Phone plain(io, http, "dev-plain");
  const UdpsOptions u1 = ClientUdps(1, k1), u2 = ClientUdps(2, k2);
  Phone sealed1(io, http, "dev-enc-1", &u1), sealed2(io, http, "dev-enc-2", &u2);
  for (Phone* p : {&plain, &sealed1, &sealed2}) {
    McEvent dp = p->Do([](auto& mc, TimeUs now) { return mc.QueryDispatch(now); });
    ASSERT_EQ(dp.outcome, Outcome::kOk);
    EXPECT_NE(dp.params[5].find(reference::FormatUri("udps", udps)), std::string::npos);
  }
  sealed1.mc->SetCsEndpoint(udps);
  sealed2.mc->SetCsEndpoint(udps);
  for (Phone* p : {&plain, &sealed1, &sealed2}) {
    EXPECT_EQ(p->Do([](auto& mc, TimeUs now) { return mc.Upload(now, "launch", "x", 1); }).outcome, Outcome::kOk);
    McEvent ad = p->Do([](auto& mc, TimeUs now) { return mc.QueryAd(now, "top"); });
    EXPECT_EQ(ad.outcome, Outcome::kOk);
  }
  EXPECT_EQ(*(*server)->store().CountUploads(), 3u);
  EXPECT_GE(sealed1.enc->opener().stats().accepted, 2u);  // answers came back sealed
  EXPECT_GE(sealed2.enc->opener().stats().accepted, 2u);

  // A client with a key the server does not have is dropped silently: it gives up.
  reference::enc::Key wrong;
  wrong.fill(0x99);
  const UdpsOptions bad = ClientUdps(1, wrong);
  Phone stranger(io, http, "dev-stranger", &bad);
  stranger.mc->SetCsEndpoint(udps);
  const std::uint64_t op = stranger.mc->Upload(stranger.env.Now(), "launch", "x", 1);
  stranger.host->Pump();
  RunFor(io, 300);
  for (McEvent& e : stranger.mc->TakeEvents()) EXPECT_NE(e.op_id, op) << "answered despite a wrong key";
  EXPECT_EQ(*(*server)->store().CountUploads(), 3u);
}

// Random bytes to every port, huge datagrams, half-open and slow streams:
// the server keeps serving a well-behaved client.
TEST(NetE2E, GarbageAndFloodDoNotStopService) {
  boost::asio::io_context io;
  AsioEnvOptions so;
  so.stream_idle_timeout = 500 * kMillis;
  AsioEnv senv(io, so);
  auto server = Server::Start(senv, Loopback());
  ASSERT_TRUE(server.ok());
  const Endpoint udp = ListenerOf(**server, "udp"), tcp = ListenerOf(**server, "tcp"), http = ListenerOf(**server, "http");
  AsioEnv attacker(io);
  auto src = attacker.BindDatagram(0, [](const Endpoint&, Bytes) {});
  Rng rng(99);
  std::vector<StreamId> streams;
  for (int i = 0; i < 300; ++i) {
    std::string junk(static_cast<std::size_t>(rng.Range(0, i % 10 == 0 ? 65000 : 1500)), '\0');
    rng.Fill(junk.data(), junk.size());
    if (i % 3 == 0) junk = "RUP " + std::to_string(i) + " " + junk;  // plausible prefix
    (void)attacker.SendDatagram(src->port, udp, B(junk));
    if (i % 10 == 0) {
      for (const Endpoint& to : {tcp, http}) {
        StreamHandlers h;
        auto id = attacker.Connect(to, h);
        if (!id.ok()) continue;
        streams.push_back(*id);
        (void)attacker.StreamSend(*id, B(junk.substr(0, 4000)));
        if (i % 20 == 0) (void)attacker.StreamShutdownWrite(*id);  // half-open
      }
    }
    io.poll();
  }
  // A slow HTTP client: one header byte now and then, never finishing.
  StreamHandlers slow_h;
  auto slow = attacker.Connect(http, slow_h);
  ASSERT_TRUE(slow.ok());
  const std::string head = "GET /mcp?q=RQQW HTTP/1.1\r\nHost: x\r\n";
  std::size_t sent = 0;
  std::function<void()> drip = [&] {
    if (sent < head.size()) (void)attacker.StreamSend(*slow, B(head.substr(sent++, 1)));
    attacker.StartTimer(attacker.Now() + 20 * kMillis, drip);
  };
  drip();
  // An oversized HTTP request body.
  StreamHandlers big_h;
  auto big = attacker.Connect(http, big_h);
  ASSERT_TRUE(big.ok());
  (void)attacker.StreamSend(*big, B("POST /mcp HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n" + std::string(100000, 'a')));

  Phone p(io, http, "dev-good");
  ASSERT_EQ(p.Do([](auto& mc, TimeUs now) { return mc.QueryDispatch(now); }).outcome, Outcome::kOk);
  EXPECT_EQ(p.Do([](auto& mc, TimeUs now) { return mc.Upload(now, "launch", "ok", 1); }).outcome, Outcome::kOk);
  EXPECT_EQ(p.Do([](auto& mc, TimeUs now) { return mc.QueryAd(now, "top"); }).outcome, Outcome::kOk);
  RunFor(io, 800);  // idle/slow streams time out meanwhile
  EXPECT_GT(senv.stats().streams_timed_out, 0u);
  EXPECT_GT(senv.stats().datagrams_oversize + senv.stats().datagrams_received, 250u);
  EXPECT_EQ(p.Do([](auto& mc, TimeUs now) { return mc.Upload(now, "launch", "still", 2); }).outcome, Outcome::kOk);
  EXPECT_EQ(*(*server)->store().CountUploads(), 2u);
}

TEST(NetE2E, HttpsServesDispatchOverTls) {
  const auto dir = std::filesystem::temp_directory_path() / ("mcpsim-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout '" + key +
                          "' -out '" + cert + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl CLI not available";
  boost::asio::io_context io;
  AsioEnv senv(io);
  ServerOptions o = Loopback();
  o.https = ListenSpec{};
  o.cert_file = cert;
  o.key_file = key;
  auto server = Server::Start(senv, o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const Endpoint https = ListenerOf(**server, "https");

  // A TLS client on its own thread-free io: drive both through `io`.
  namespace ssl = boost::asio::ssl;
  ssl::context cctx(ssl::context::tls_client);
  cctx.set_verify_mode(ssl::verify_none);
  ssl::stream<boost::asio::ip::tcp::socket> s(io, cctx);
  bool done = false;
  std::string response;
  std::array<char, 4096> buf{};
  const std::string req = "GET /mcp?q=" + reference::http::UrlEncode("RQQW 1 1.3.0 s60 dev-tls\r\n") +
                          " HTTP/1.1\r\nHost: x\r\n\r\n";
  std::function<void()> read = [&] {
    s.async_read_some(boost::asio::buffer(buf), [&](const boost::system::error_code& ec, std::size_t n) {
      response.append(buf.data(), n);
      if (ec) {
        done = true;
        return;
      }
      read();
    });
  };
  s.next_layer().async_connect({boost::asio::ip::make_address("127.0.0.1"), https.port}, [&](const boost::system::error_code& ec) {
    ASSERT_FALSE(ec) << ec.message();
    s.async_handshake(ssl::stream_base::client, [&](const boost::system::error_code& hec) {
      ASSERT_FALSE(hec) << hec.message();
      boost::asio::async_write(s, boost::asio::buffer(req), [&](const boost::system::error_code&, std::size_t) { read(); });
    });
  });
  ASSERT_TRUE(RunUntil(io, [&] { return done; }, 10000));
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
  EXPECT_NE(response.find("AQQW 1 0"), std::string::npos) << response;
  // The DP advertises the https listener too.
  EXPECT_NE(response.find(reference::FormatUri("https", https, "/mcp")), std::string::npos) << response;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mcpsim::net
