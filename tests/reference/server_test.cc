#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "reference/roles/cs.h"
#include "reference/roles/dp.h"
#include "reference/transport/server.h"

namespace mcpsim::reference {
namespace {

// RECHO echoes its params; RBIG answers with a 600-byte param; counts executions.
class EchoHandler : public CommandHandler {
 public:
  void HandleRequest(const RequestContext&, const wire::CommandView& cmd, Reply& reply) override {
    ++executed[std::string(cmd.word()) + "#" + std::to_string(cmd.trid())];
    if (cmd.word() == "RECHO") {
      auto& w = reply.Begin();
      for (std::size_t i = 0; i < cmd.param_count(); ++i) w.Param(cmd.DecodeParam(i));
    } else if (cmd.word() == "RBIG") {
      reply.Ok({std::string(600, 'x')});
    } else {
      reply.Fail(StatusCode::kUnknownCommand);
    }
  }
  void HandleAnswer(const RequestContext&, const wire::CommandView& cmd) override {
    answers.push_back(std::string(cmd.word()));
  }
  bool IsValidated(const PeerKey&) const override { return validated; }
  std::map<std::string, int> executed;
  std::vector<std::string> answers;
  bool validated = true;
};

const Endpoint kClient = Endpoint::V4(0x0A000002, 4000);

std::string Sent(const std::vector<Output>& out) {
  std::string s;
  for (const auto& o : out) s += o.bytes;
  return s;
}

TEST(Server, ResentRequestIsReplayedNotReexecuted) {
  EchoHandler h;
  CommandServer s(h);
  std::vector<Output> out1, out2;
  s.OnDatagram(0, kClient, "RECHO 5 a%20b \r\n", out1);
  s.OnDatagram(2 * kSeconds, kClient, "RECHO 5 a%20b \r\n", out2);
  EXPECT_EQ(Sent(out1), "AECHO 5 0 a%20b \r\n");
  EXPECT_EQ(Sent(out2), Sent(out1));
  EXPECT_EQ(h.executed["RECHO#5"], 1);
  // Another sender with the same trid is a different request.
  std::vector<Output> out3;
  s.OnDatagram(3 * kSeconds, Endpoint::V4(0x0A000003, 4000), "RECHO 5 z\r\n", out3);
  EXPECT_EQ(h.executed["RECHO#5"], 2);
  // After the cache lifetime (60 s) the same key executes again.
  std::vector<Output> out4;
  s.OnDatagram(61 * kSeconds, kClient, "RECHO 5 a%20b \r\n", out4);
  EXPECT_EQ(h.executed["RECHO#5"], 3);
}

TEST(Server, SeveralCommandsAnsweredInOrderInOneDatagram) {
  EchoHandler h;
  CommandServer s(h);
  std::vector<Output> out;
  s.OnDatagram(0, kClient, "RECHO 1 a\r\nRNOPE 2\r\nRPAD 3 000\r\nAXX 9 0\r\nRECHO 4\r\n", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, kClient);
  EXPECT_EQ(out[0].bytes, "AECHO 1 0 a\r\nANOPE 2 100\r\nAECHO 4 0\r\n");
  EXPECT_EQ(h.answers, std::vector<std::string>{"AXX"});
}

TEST(Server, DecodeErrorExecutesNothingAndAnswersTheFailingCommand) {
  EchoHandler h;
  CommandServer s(h);
  std::vector<Output> out;
  s.OnDatagram(0, kClient, "RECHO 1 a\r\nRECHO 2 50%\r\nRECHO 3 c\r\n", out);
  EXPECT_EQ(Sent(out), "AECHO 2 101\r\n");
  EXPECT_TRUE(h.executed.empty());
  out.clear();
  s.OnDatagram(0, kClient, "rsm 1 x\r\n", out);  // no decodable word: silence
  EXPECT_TRUE(out.empty());
  s.OnDatagram(0, kClient, std::string(9000, 'x'), out);  // over LIM-3: silent drop
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.stats().dropped_oversize, 1u);
}

TEST(Server, UnvalidatedPeerNeverGetsMoreBytesThanItSent) {
  EchoHandler h;
  h.validated = false;
  CommandServer s(h);
  std::vector<Output> out;
  s.OnDatagram(0, kClient, "RBIG 7\r\n", out);
  EXPECT_TRUE(out.empty());  // not even the 405 line fits in 8 bytes
  const std::string req = "RBIG 7\r\nRPAD 8 000000000000\r\n";
  s.OnDatagram(0, kClient, req, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes, "ABIG 7 405 611\r\n");  // not cached: the next copy is answered too
  // AMP-3: the padded resend gets the cached full answer.
  std::string padded = req + "RPAD 8 " + std::string(620, '0') + "\r\n";
  out.clear();
  s.OnDatagram(1 * kSeconds, kClient, padded, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes.size(), 611u);
  EXPECT_EQ(h.executed["RBIG#7"], 1);
}

TEST(Server, TcpFramesAcrossSplitsAndClosesOnError) {
  EchoHandler h;
  CommandServer s(h);
  const std::string in = "RECHO 1 a\r\nRECHO 2 b\r\n";
  for (std::size_t cut = 0; cut <= in.size(); ++cut) {
    std::vector<Output> out;
    s.OnStreamData(0, 100 + cut, kClient, in.substr(0, cut), out);
    s.OnStreamData(0, 100 + cut, kClient, in.substr(cut), out);
    EXPECT_EQ(Sent(out), "AECHO 1 0 a\r\nAECHO 2 0 b\r\n") << cut;
  }
  std::vector<Output> out;
  s.OnStreamData(0, 7, kClient, "RECHO 3 %zz\r\nRECHO 4 ok\r\n", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes, "AECHO 3 101\r\n");
  EXPECT_EQ(out[1].kind, Output::Kind::kCloseStream);
}

TEST(Server, HttpBodyAnswersAndRejectsGarbage) {
  EchoHandler h;
  CommandServer s(h);
  HttpRequest req;
  req.method = "POST";
  req.target = "/mcp";
  req.body = "RECHO 1 a\r\nRECHO 2 b\r\n";
  auto body = [&s](const HttpRequest& q) {
    std::vector<Output> out;
    s.OnHttpBody(0, 9, q, out);
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(out.at(0).kind, Output::Kind::kHttpResponse);
    EXPECT_EQ(out.at(0).conn, 9u);
    return out.at(0).response;
  };
  HttpResponse r = body(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-mcp");
  EXPECT_EQ(r.body, "AECHO 1 0 a\r\nAECHO 2 0 b\r\n");
  req.body = "garbage";
  EXPECT_EQ(body(req).status, 400);
  req.body = std::string(200000, 'x');
  EXPECT_EQ(body(req).status, 413);
}

// Arbitrary datagrams never crash the front end and never produce more than
// one answer per decodable request.
RC_GTEST_PROP(Server, ArbitraryDatagramsAreSafe, (const std::string& bytes)) {
  EchoHandler h;
  h.validated = false;
  CommandServer s(h);
  std::vector<Output> out;
  s.OnDatagram(0, kClient, bytes, out);
  std::size_t total = 0;
  for (const auto& o : out) total += o.bytes.size();
  RC_ASSERT(total <= bytes.size());  // AMP-1
}

TEST(Server, ServerOnlyWordsAreAnswered310ByCs) {
  auto store = OpenSqliteStore(":memory:");
  ASSERT_TRUE(store.ok());
  CsRole cs(CsConfig{}, **store);
  std::vector<Output> out;
  cs.OnDatagram(0, kClient, "RNP 5 a@b.cn online 0\r\nRXYZ 6\r\n");
  cs.Drain(out);
  EXPECT_EQ(Sent(out), "ANP 5 310\r\nAXYZ 6 100\r\n");  // WIRE-21
  EXPECT_TRUE(IsServerOnlyWord("RBIN"));
  EXPECT_FALSE(IsServerOnlyWord("RSM"));
}

DpConfig Dp() {
  DpConfig c;
  c.min_version = "1.1.0";
  c.latest_version = "1.3.0";
  c.update_url = "http://dl.example/mc.sis";
  c.gateways = {{"udp://10.0.0.3:1863", "tcp://10.0.0.3:1864", true},
                {"udp://10.0.0.4:1863", "tcp://10.0.0.4:1864", true}};
  c.cs = "udp://10.0.0.5:7000";
  c.ms = "http://10.0.0.6:80";
  return c;
}

HttpRequest Get(std::string target) {
  HttpRequest r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

// One exchange with a role that answers at once (DP): its kHttpResponse.
HttpResponse Exchange(Role& role, const HttpRequest& req) {
  static std::uint64_t next = 1;
  const std::uint64_t id = next++;
  role.OnHttp(0, id, req);
  std::vector<Output> out;
  role.Drain(out);
  EXPECT_EQ(out.size(), 1u);
  for (Output& o : out) {
    if (o.kind == Output::Kind::kHttpResponse && o.conn == id) return std::move(o.response);
  }
  ADD_FAILURE() << "no HTTP answer";
  return HttpResponse{};
}

TEST(Dp, AssignsGatewayAndUpdateHint) {
  DpRole dp(Dp());
  auto r = Exchange(dp, Get("/mcp?q=RQQW%201%201.2.0%20s60%20dev-7f3a%0D%0A"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind("AQQW 1 0 recommended 1.3.0 http://dl.example/mc.sis udp://10.0.0.", 0), 0u)
      << r.body;
  // The same device always gets the same gateway (DP-3).
  EXPECT_EQ(Exchange(dp, Get("/mcp?q=RQQW%202%201.2.0%20s60%20dev-7f3a%0D%0A")).body.substr(9),
            r.body.substr(9));
  auto req = Exchange(dp, Get("/mcp?q=RQQW%203%201.0.9%20s60%20dev-1%0D%0A"));
  EXPECT_EQ(req.body, "AQQW 3 0 required 1.3.0 http://dl.example/mc.sis    http://10.0.0.6:80\r\n");
  auto none = Exchange(dp, Get("/mcp?q=RQQW%204%201.3.0%20s60%20dev-1%0D%0A"));
  EXPECT_EQ(none.body.rfind("AQQW 4 0 none 1.3.0  udp://", 0), 0u) << none.body;
}

TEST(Dp, SpreadsDevicesOverGateways) {
  DpRole dp(Dp());
  int first = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = Exchange(dp, Get("/mcp?q=RQQW%201%201.3.0%20s60%20dev-" + std::to_string(i) + "%0D%0A"));
    first += r.body.find("10.0.0.3:1863") != std::string::npos;
  }
  EXPECT_GT(first, 60);
  EXPECT_LT(first, 140);
}

TEST(Dp, HttpAndCommandErrors) {
  DpRole dp(Dp());
  EXPECT_EQ(Exchange(dp, Get("/other?q=x")).status, 404);
  HttpRequest post = Get("/mcp?q=x");
  post.method = "POST";
  EXPECT_EQ(Exchange(dp, post).status, 405);
  EXPECT_EQ(Exchange(dp, Get("/mcp")).status, 400);
  EXPECT_EQ(Exchange(dp, Get("/mcp?q=a&q=b")).status, 400);
  EXPECT_EQ(Exchange(dp, Get("/mcp?q=RXYZ%201%0D%0A")).body, "AXYZ 1 100\r\n");
  EXPECT_EQ(Exchange(dp, Get("/mcp?q=RQQW%201%201.2%20s60%20d%0D%0A")).body, "AQQW 1 103\r\n");
  EXPECT_EQ(Exchange(dp, Get("/mcp?q=RQQW%201%20x%0D%0A")).body, "AQQW 1 102\r\n");
  dp.SetAvailable(0, false);
  dp.SetAvailable(1, false);
  EXPECT_EQ(Exchange(dp, Get("/mcp?q=RQQW%201%201.3.0%20s60%20d%0D%0A")).body, "AQQW 1 502\r\n");
}

}  // namespace
}  // namespace mcpsim::reference
