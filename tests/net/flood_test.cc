// Robustness of the gateway (SG) ports: SG-shaped garbage (request and answer
// words with random, truncated, oversized or batched params) from several
// source ports on the shared UDP port (cs+sg), and on TCP streams whose first
// word routes them to the SG (half-open ones included). The server must keep
// serving two well-behaved clients through login, contacts and chat.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/net/net_util.h"
#include "tests/net/phone.h"

namespace mcpsim::net {
namespace {

using reference::McOp;
using testing::B;
using testing::RunUntil;

std::string Junk(Rng& rng, std::size_t n) {
  std::string s(n, '\0');
  rng.Fill(s.data(), s.size());
  return s;
}

TEST(NetFlood, SgGarbageOnUdpAndTcpDoesNotStopTheGateway) {
  boost::asio::io_context io;
  AsioEnvOptions so;
  so.stream_idle_timeout = 500 * kMillis;
  AsioEnv senv(io, so);
  auto server = Server::Start(senv, Loopback());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const Endpoint udp = ListenerOf(**server, "udp"), tcp = ListenerOf(**server, "tcp"), http = ListenerOf(**server, "http");
  Phone alice(io, http, "dev-flood-a"), bob(io, http, "dev-flood-b");
  ASSERT_TRUE(alice.Register("alice@live.cn", "pw-alice-1"));
  ASSERT_TRUE(bob.Register("bob@live.cn", "pw-bob-1"));

  AsioEnv attacker(io);
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < 8; ++i) ports.push_back(attacker.BindDatagram(0, [](const Endpoint&, Bytes) {})->port);
  static const char* kWords[] = {"RAT", "RSII", "RPOL", "RLI", "RPS", "RCE", "RSI", "RSR", "RCM", "RSM", "RSB",
                                 "ROM", "ROI", "ROR", "ROC", "ROT", "RSV", "RLO", "APN", "ARM", "ARI", "AOT"};
  Rng rng(1234);
  std::size_t sent = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string word = kWords[rng.Below(std::size(kWords))];
    std::string d = word + " " + std::to_string(rng.Below(100000)) + " ";
    switch (i % 5) {
      case 0: d += "alice@live.cn wrong-password 1 s60 1.3.0\r\n"; break;  // plausible, wrong
      case 1: d += Junk(rng, rng.Below(1400)); break;                        // random tail
      case 2: d += "1 2 3\r\n" + word + " 7 x\r\n" + word + " 8 " + Junk(rng, 40); break;  // batched
      case 3: d += std::string(i % 25 == 3 ? 66000 : 1200, 'A'); break;    // long / oversized
      default: d = Junk(rng, rng.Below(200)); break;                          // no word at all
    }
    if (attacker.SendDatagram(ports[i % ports.size()], udp, B(d)).ok()) ++sent;
    if (i % 20 == 0) {
      StreamHandlers h;
      if (auto id = attacker.Connect(tcp, h); id.ok()) {
        (void)attacker.StreamSend(*id, B(word + " 1 " + Junk(rng, 3000)));
        if (i % 40 == 0) (void)attacker.StreamShutdownWrite(*id);  // half-open
      }
    }
    io.poll();
  }
  EXPECT_GT(sent, 350u);

  for (Phone* p : {&alice, &bob}) {
    const std::string me = p == &alice ? "alice@live.cn" : "bob@live.cn";
    const std::string pw = p == &alice ? "pw-alice-1" : "pw-bob-1";
    McEvent login = p->Do([&](auto& mc, TimeUs now) { return mc.Login(now, me, pw); });
    ASSERT_EQ(login.outcome, Outcome::kOk) << login.status << " " << login.detail;
  }
  ASSERT_EQ(alice.Do([](auto& mc, TimeUs now) { return mc.EditContact(now, "add", "bob@live.cn"); }).outcome, Outcome::kOk);
  ASSERT_EQ(bob.Do([](auto& mc, TimeUs now) { return mc.EditContact(now, "add", "alice@live.cn"); }).outcome, Outcome::kOk);
  // Bob is visible once both lists hold each other (SG-PRES-4).
  ASSERT_TRUE(RunUntil(io, [&] { return alice.mc->sg()->presence().count("bob@live.cn") > 0; }));
  McEvent invite = alice.Do([](auto& mc, TimeUs now) { return mc.Invite(now, "bob@live.cn"); });
  ASSERT_EQ(invite.outcome, Outcome::kOk) << invite.status;
  EXPECT_EQ(alice.Do([&](auto& mc, TimeUs now) { return mc.SendMessage(now, invite.call_id, "still here"); }).outcome,
            Outcome::kOk);
  bool got = false;
  ASSERT_TRUE(RunUntil(io, [&] {
    for (const McEvent& e : bob.mc->TakeEvents()) got = got || (e.op == McOp::kMessage && e.text == "still here");
    return got;
  }));
  EXPECT_GT(senv.stats().datagrams_received + senv.stats().datagrams_oversize, 350u);
}

}  // namespace
}  // namespace mcpsim::net
