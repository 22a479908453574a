// Deferred requests in the CommandServer (WIRE-24, TIMER-7, LIM-23, TCP-9):
// a handler asks for slow work; the rest of the message waits; other peers
// are served meanwhile; answers leave together, in order.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "reference/transport/server.h"

namespace mcpsim::reference {
namespace {

// RSLOW defers (verify its param as a password against a fixed hash); the
// result decides its answer: 0 "yes" or 201. RECHO answers at once.
class SlowHandler : public CommandHandler {
 public:
  void HandleRequest(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply) override {
    order.push_back(std::string(cmd.word()) + std::to_string(cmd.trid()));
    if (cmd.word() == "RECHO") return reply.Ok({cmd.param_count() ? cmd.DecodeParam(0) : ""});
    if (cmd.word() == "RSLOW") {
      if (!reply.can_defer()) return reply.Fail(reply.busy_status());
      Work w;
      w.kind = Work::Kind::kVerifyPassword;
      w.password = cmd.DecodeParam(0);
      w.encoded = "not-a-hash";
      if (ctx.via == Via::kHttp) ctx.issued_session = "s-" + std::to_string(cmd.trid());
      return reply.Defer(std::move(w));
    }
    reply.Fail(StatusCode::kUnknownCommand);
  }
  void ResumeRequest(const RequestContext&, const wire::CommandView& cmd, const WorkResult& r,
                     Reply& reply) override {
    order.push_back("done" + std::to_string(cmd.trid()));
    if (r.ok) return reply.Ok({"yes"});
    reply.Fail(StatusCode::kAuthFailed);
  }
  bool IsValidated(const PeerKey&) const override { return true; }
  std::vector<std::string> order;
};

const Endpoint kA = Endpoint::V4(0x0A000002, 4000);
const Endpoint kB = Endpoint::V4(0x0A000003, 4000);

std::vector<std::uint64_t> Works(const std::vector<Output>& out) {
  std::vector<std::uint64_t> ids;
  for (const Output& o : out) {
    if (o.kind == Output::Kind::kWork) ids.push_back(o.conn);
  }
  return ids;
}

std::string Bytes(const std::vector<Output>& out) {
  std::string s;
  for (const Output& o : out) {
    if (o.kind == Output::Kind::kDatagram || o.kind == Output::Kind::kStream) s += o.bytes;
  }
  return s;
}

WorkResult Match(bool ok) {
  WorkResult r;
  r.ok = ok;
  return r;
}

TEST(Defer, DatagramWaitsInOrderWhileOthersAreServed) {
  SlowHandler h;
  CommandServer s(h);
  std::vector<Output> out;
  s.OnDatagram(0, kA, "RECHO 1 a\r\nRSLOW 2 pw\r\nRECHO 3 c\r\n", out);
  // Nothing leaves yet: the whole datagram's answers wait for RSLOW (WIRE-24).
  ASSERT_EQ(Works(out).size(), 1u);
  EXPECT_EQ(Bytes(out), "");
  EXPECT_EQ(s.parked(), 1u);
  const std::uint64_t id = Works(out)[0];
  // Another peer is served meanwhile.
  out.clear();
  s.OnDatagram(1, kB, "RECHO 9 b\r\n", out);
  EXPECT_EQ(Bytes(out), "AECHO 9 0 b\r\n");
  // A resend of the parked request is dropped unanswered (TIMER-7).
  out.clear();
  s.OnDatagram(2, kA, "RSLOW 2 pw\r\n", out);
  EXPECT_EQ(Bytes(out), "");
  EXPECT_TRUE(Works(out).empty());
  EXPECT_EQ(s.stats().inflight_dropped, 1u);
  // The work finishes: RECHO 3 executes after RSLOW, and the three answers
  // leave in one datagram, in order (WIRE-17).
  out.clear();
  EXPECT_TRUE(s.OnWorkDone(5, id, Match(true), out));
  EXPECT_EQ(Bytes(out), "AECHO 1 0 a\r\nASLOW 2 0 yes\r\nAECHO 3 0 c\r\n");
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ((std::vector<std::string>{"RECHO1", "RSLOW2", "RECHO9", "done2", "RECHO3"}), h.order);
  // Unknown or finished ids are ignored.
  EXPECT_FALSE(s.OnWorkDone(6, id, Match(true), out));
  // Now the resend replays the cached answer, never executing again.
  out.clear();
  s.OnDatagram(7, kA, "RSLOW 2 pw\r\n", out);
  EXPECT_EQ(Bytes(out), "ASLOW 2 0 yes\r\n");
  EXPECT_EQ(s.parked(), 0u);
}

TEST(Defer, StreamPausesUntilTheWorkIsDone) {
  SlowHandler h;
  CommandServer s(h);
  std::vector<Output> out;
  s.OnStreamData(0, 7, kA, "RSLOW 1 x\r\nREC", out);
  ASSERT_EQ(Works(out).size(), 1u);
  const std::uint64_t id = Works(out)[0];
  out.clear();
  s.OnStreamData(1, 7, kA, "HO 2 b\r\n", out);  // buffered behind RSLOW
  EXPECT_TRUE(out.empty());
  s.OnWorkDone(2, id, Match(false), out);
  EXPECT_EQ(Bytes(out), "ASLOW 1 201\r\nAECHO 2 0 b\r\n");
  EXPECT_EQ(out.size(), 2u);  // one write per answer
}

TEST(Defer, ClosedStreamDropsItsParkedRequest) {
  SlowHandler h;
  CommandServer s(h);
  std::vector<Output> out;
  s.OnStreamData(0, 7, kA, "RSLOW 1 x\r\nRECHO 2 b\r\n", out);
  const std::uint64_t id = Works(out).at(0);
  s.OnStreamClosed(7);
  out.clear();
  EXPECT_FALSE(s.OnWorkDone(1, id, Match(true), out));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.parked(), 0u);
}

TEST(Defer, StreamBacklogBehindAParkedRequestIsBounded) {
  SlowHandler h;
  ServerConfig c;
  c.max_stream_backlog = 1000;
  CommandServer s(h, c);
  std::vector<Output> out;
  s.OnStreamData(0, 7, kA, "RSLOW 1 x\r\n", out);
  out.clear();
  for (int i = 0; i < 200 && out.empty(); ++i) s.OnStreamData(1, 7, kA, "RECHO 2 b\r\n", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Output::Kind::kCloseStream);  // TCP-9
  EXPECT_EQ(s.stats().backlog_closed, 1u);
  EXPECT_EQ(s.parked(), 0u);
}

TEST(Defer, HttpAnswerWaitsAndCarriesTheIssuedSession) {
  SlowHandler h;
  CommandServer s(h);
  HttpRequest req;
  req.method = "POST";
  req.target = "/mcp";
  req.body = "RSLOW 4 pw\r\nRECHO 5 e\r\n";
  std::vector<Output> out;
  s.OnHttpBody(0, 42, req, out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].kind, Output::Kind::kWork);
  const std::uint64_t id = out[0].conn;
  out.clear();
  s.OnWorkDone(1, id, Match(true), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Output::Kind::kHttpResponse);
  EXPECT_EQ(out[0].conn, 42u);
  EXPECT_EQ(out[0].response.status, 200);
  EXPECT_EQ(out[0].response.body, "ASLOW 4 0 yes\r\nAECHO 5 0 e\r\n");
  EXPECT_EQ(out[0].response.headers.at("sessionid"), "s-4");  // HTTP-7
}

TEST(Defer, FullQueueAnswers502AtOnce) {
  SlowHandler h;
  ServerConfig c;
  c.max_parked = 2;
  CommandServer s(h, c);
  std::vector<Output> out;
  for (std::uint32_t t = 1; t <= 3; ++t) {
    s.OnDatagram(0, Endpoint::V4(0x0A000010 + t, 4000), "RSLOW " + std::to_string(t) + " p\r\n", out);
  }
  EXPECT_EQ(Works(out).size(), 2u);
  EXPECT_EQ(Bytes(out), "ASLOW 3 502\r\n");  // LIM-23
  EXPECT_EQ(s.parked(), 2u);
}

TEST(Defer, SynchronousExecuteNeverParks) {
  SlowHandler h;
  CommandServer s(h);
  RequestContext ctx;
  ctx.via = Via::kHttp;
  auto answers = s.Execute(ctx, "RSLOW 1 p\r\n", wire::Limits::Stream());
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0], "ASLOW 1 502\r\n");  // the handler saw can_defer() false
  EXPECT_EQ(s.parked(), 0u);
}

TEST(Defer, FailedBatchDropsRequestsParkedInIt) {
  SlowHandler h;
  CommandServer s(h);
  std::vector<Output> out;
  s.BeginBatch();
  s.OnDatagram(0, kA, "RSLOW 1 p\r\n", out);
  const std::uint64_t id = Works(out).at(0);
  s.EndBatch(false);  // the host discards the kWork with the batch
  EXPECT_EQ(s.parked(), 0u);
  out.clear();
  EXPECT_FALSE(s.OnWorkDone(1, id, Match(true), out));
  // The resend executes again (no in-flight marker left behind).
  s.OnDatagram(2, kA, "RSLOW 1 p\r\n", out);
  EXPECT_EQ(Works(out).size(), 1u);
}

// Whatever the interleaving of datagrams from several peers and work
// completions, every request is answered exactly once per execution, in the
// order of its datagram, and nothing stays parked once all work is done.
RC_GTEST_PROP(Defer, EveryParkedRequestIsAnsweredOnce, ()) {
  SlowHandler h;
  CommandServer s(h);
  std::vector<std::uint64_t> pending;
  std::map<std::uint32_t, int> answered;
  std::uint32_t trid = 1;
  TimeUs now = 0;
  const int steps = *rc::gen::inRange(1, 60);
  auto collect = [&](std::vector<Output>& out) {
    for (const Output& o : out) {
      if (o.kind == Output::Kind::kWork) pending.push_back(o.conn);
      if (o.kind != Output::Kind::kDatagram) continue;
      wire::DatagramParser p(o.bytes, wire::Limits::Datagram());
      wire::Outcome oc;
      std::uint32_t last = 0;
      while (p.Next(oc)) {
        RC_ASSERT(oc.is_command());
        RC_ASSERT(oc.command.trid() > last);  // in order within the datagram
        last = oc.command.trid();
        ++answered[oc.command.trid()];
      }
    }
    out.clear();
  };
  std::vector<Output> out;
  for (int i = 0; i < steps; ++i) {
    now += 1000;
    if (!pending.empty() && *rc::gen::arbitrary<bool>()) {
      const std::size_t k = *rc::gen::inRange<std::size_t>(0, pending.size());
      const std::uint64_t id = pending[k];
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(k));
      RC_ASSERT(s.OnWorkDone(now, id, Match(*rc::gen::arbitrary<bool>()), out));
    } else {
      std::string dgram;
      const int n = *rc::gen::inRange(1, 4);
      for (int c = 0; c < n; ++c) {
        dgram += (*rc::gen::arbitrary<bool>() ? "RSLOW " : "RECHO ") + std::to_string(trid++) + " p\r\n";
      }
      const Endpoint from = Endpoint::V4(0x0A000100 + *rc::gen::inRange(0, 3), 4000);
      s.OnDatagram(now, from, dgram, out);
    }
    collect(out);
  }
  while (!pending.empty()) {
    const std::uint64_t id = pending.back();
    pending.pop_back();
    RC_ASSERT(s.OnWorkDone(now, id, Match(true), out));
    collect(out);
  }
  RC_ASSERT(s.parked() == 0u);
  for (std::uint32_t t = 1; t < trid; ++t) RC_ASSERT(answered[t] == 1);
}

}  // namespace
}  // namespace mcpsim::reference

namespace mcpsim::reference {
namespace {

TEST(Defer, OneAddressHoldsAtMostItsShare) {
  SlowHandler h;
  CommandServer s(h);  // RATE-10 default: 4 per source address
  std::vector<Output> out;
  for (std::uint32_t t = 1; t <= 5; ++t) {
    s.OnDatagram(0, Endpoint::V4(0x0A000002, static_cast<std::uint16_t>(4000 + t)),
                 "RSLOW " + std::to_string(t) + " p\r\n", out);
  }
  EXPECT_EQ(Works(out).size(), 4u);
  EXPECT_EQ(Bytes(out), "ASLOW 5 403\r\n");
  out.clear();
  s.OnDatagram(0, kB, "RSLOW 6 p\r\n", out);  // another address still waits
  EXPECT_EQ(Works(out).size(), 1u);
}

}  // namespace
}  // namespace mcpsim::reference
