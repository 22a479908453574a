// The conformance harness on core::Env, in virtual time: a Ctx on a
// simulated node against small simulated servers. Waits cost no wall time,
// so the blocking-style API's timing contract is checked exactly.
#include <gtest/gtest.h>

#include "conformance/harness.h"
#include "conformance/runner.h"
#include "conformance/selftest.h"
#include "reference/http/http1.h"
#include "sim/world.h"
#include "sim/world_loop.h"

namespace mcpsim::conformance {
namespace {

Bytes B(std::string_view s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }
std::string S(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

// A world with a server node: UDP 7000 answers a one-line request with its
// A-word, trid and status 0 after 5 ms
// (dropping the first `drop_first` copies of each distinct datagram); TCP
// 1864 echoes and closes on "BYE"; HTTP 8080 answers every request 200 "hi".
struct Fixture {
  sim::World w{1};
  sim::NodeId srv = w.AddNode("srv");
  sim::NodeId runner = w.AddNode("runner");
  sim::WorldLoop loop{w};
  int drop_first = 0;
  std::map<std::string, int> seen;
  std::map<StreamId, reference::http::RequestParser> http;

  Fixture() {
    Env& e = w.env(srv);
    (void)e.BindDatagram(7000, [this, &e](const Endpoint& from, Bytes b) {
      const std::string d = S(b);
      if (++seen[d] <= drop_first) return;
      // "RPOL 7\r\n" -> "APOL 7 0\r\n"
      const std::string answer = "A" + d.substr(1, d.size() - 3) + " 0\r\n";
      e.StartTimer(e.Now() + 5 * kMillis, [&e, from, answer] { (void)e.SendDatagram(7000, from, B(answer)); });
    });
    (void)e.Listen(1864, [&e](StreamId id, const Endpoint&) {
      StreamHandlers h;
      h.on_data = [&e, id](Bytes b) {
        (void)e.StreamSend(id, b);
        if (S(b).find("BYE") != std::string::npos) (void)e.StreamShutdownWrite(id);
      };
      return h;
    });
    (void)e.Listen(8080, [this, &e](StreamId id, const Endpoint&) {
      http.emplace(id, reference::http::RequestParser(1 << 16));
      StreamHandlers h;
      h.on_data = [this, &e, id](Bytes b) {
        auto& p = http.at(id);
        (void)p.Append(S(b));
        if (auto req = p.Next()) {
          reference::HttpResponse resp;
          resp.body = "hi " + req->target;
          (void)e.StreamSend(id, B(reference::http::SerializeResponse(resp)));
          (void)e.StreamShutdownWrite(id);
        }
      };
      return h;
    });
  }
  Target Make() {
    Target t;
    const std::string ip = Endpoint::V4(w.node_ip(srv), 0).ToString();
    const std::string host = ip.substr(0, ip.rfind(':'));
    t.udp = HostPort{host, 7000};
    t.tcp = HostPort{host, 1864};
    t.http = HostPort{host, 8080};
    t.env = &w.env(runner);
    t.loop = &loop;
    return t;
  }
};

TEST(Harness, UdpReceiveWaitsForTheFirstThenForQuiet) {
  Fixture f;
  Ctx c(f.Make(), 600, 6000, 1);
  const TimeUs t0 = f.w.Now();
  ASSERT_TRUE(c.UdpSend("RPOL 1\r\n").ok());
  auto got = c.UdpRecv(600, 40);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "APOL 1 0\r\n");
  // 5 ms until the answer, then 40 ms of quiet: virtual time, exactly.
  EXPECT_EQ(f.w.Now() - t0, 45 * kMillis);
  // Silence: the whole first wait passes, nothing comes.
  const TimeUs t1 = f.w.Now();
  EXPECT_TRUE(c.UdpRecv(300, 40).empty());
  EXPECT_EQ(f.w.Now() - t1, 300 * kMillis);
  // The transcript has the send and the arrival, in time order.
  ASSERT_EQ(c.wire().size(), 2u);
  EXPECT_EQ(c.wire()[0].dir, "send");
  EXPECT_EQ(c.wire()[1].dir, "recv");
  EXPECT_EQ(c.wire()[1].t_us - c.wire()[0].t_us, 5 * kMillis);
}

TEST(Harness, TheCaseBudgetBoundsEveryWait) {
  Fixture f;
  Ctx c(f.Make(), 600, 1000, 1);
  const TimeUs t0 = f.w.Now();
  EXPECT_TRUE(c.UdpRecv(5000, 40).empty());  // no endpoint yet: returns at once
  ASSERT_TRUE(c.UdpNewEndpoint().ok());
  EXPECT_TRUE(c.UdpRecv(5000, 40).empty());
  EXPECT_EQ(f.w.Now() - t0, 1000 * kMillis);
  EXPECT_TRUE(c.Expired());
}

TEST(Harness, ResendModeUsesTheRequestTracker) {
  Fixture f;
  f.drop_first = 2;  // the first two copies of every datagram are lost
  Target t = f.Make();
  t.resend_ms = 300;
  Ctx c(t, 600, 6000, 1);
  ASSERT_TRUE(c.UdpSend("RPOL 7\r\n").ok());
  auto got = c.UdpRecv(600, 40);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "APOL 7 0\r\n");
  int sends = 0;
  for (const auto& e : c.wire()) sends += e.dir == "send";
  EXPECT_EQ(sends, 3) << "resent every 300 ms until answered";
}

TEST(Harness, TcpStreamsAndPeerClose) {
  Fixture f;
  Ctx c(f.Make(), 600, 6000, 1);
  auto h = c.Open("tcp", "alice");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_TRUE(c.Send(*h, "hello ").ok());
  ASSERT_TRUE(c.Send(*h, "BYE\r\n").ok());
  std::string back;
  for (const std::string& chunk : c.Recv(*h, 600, 40)) back += chunk;
  EXPECT_EQ(back, "hello BYE\r\n");
  EXPECT_TRUE(c.PeerClosed(*h));
  // A second connection is independent.
  auto h2 = c.Open("tcp", "bob");
  ASSERT_TRUE(h2.ok());
  EXPECT_NE(*h, *h2);
  EXPECT_FALSE(c.PeerClosed(*h2));
  EXPECT_EQ(c.Open("sctp").status().clause(), "CONF-2");
}

TEST(Harness, HttpExchangeAndRefusedConnect) {
  Fixture f;
  Ctx c(f.Make(), 600, 6000, 1);
  reference::HttpRequest req;
  req.method = "GET";
  req.target = "/mcp?q=x";
  auto r = c.Http(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hi /mcp?q=x");
  Target t = f.Make();
  t.http->port = 9;  // nobody listens
  Ctx d(t, 600, 6000, 1);
  auto bad = d.Http(req);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().clause(), "CONF-3");
}

TEST(Harness, ClosingTheCtxFreesItsEndpoints) {
  Fixture f;
  std::uint64_t unreachable_before = 0;
  {
    Ctx c(f.Make(), 600, 6000, 1);
    ASSERT_TRUE(c.UdpSend("RPOL 1\r\n").ok());
    // The answer is due in 5 ms; the Ctx is gone by then.
    unreachable_before = f.w.stats().drops[static_cast<int>(sim::DropReason::kPortUnreachable)];
  }
  f.loop.RunFor(50 * kMillis);
  EXPECT_EQ(f.w.stats().drops[static_cast<int>(sim::DropReason::kPortUnreachable)], unreachable_before + 1);
}

TEST(Harness, FreshValuesDependOnSeedNonceAndCase) {
  Fixture f;
  Target t = f.Make();
  Ctx a(t, 600, 6000, 1, "x"), b(t, 600, 6000, 1, "x"), c(t, 600, 6000, 1, "y");
  t.nonce = 5;
  Ctx d(t, 600, 6000, 1, "x");
  const auto va = a.Fresh(), vb = b.Fresh(), vc = c.Fresh(), vd = d.Fresh();
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  EXPECT_NE(va, vd);
}


// A hostile target (issue 15): every datagram is answered with 400 datagrams
// of 60000 bytes (24 MB). The case stops waiting, keeps at most 1 MiB of it
// in its transcript (marked), queues at most kInboxCapBytes, and is FAILED.
struct Flooder {
  sim::World w{1};
  sim::NodeId srv = w.AddNode("srv");
  sim::NodeId runner = w.AddNode("runner");
  sim::WorldLoop loop{w};
  Flooder() {
    Env& e = w.env(srv);
    (void)e.BindDatagram(7000, [&e](const Endpoint& from, Bytes) {
      const std::string big(60000, 'x');
      for (int i = 0; i < 400; ++i) (void)e.SendDatagram(7000, from, B(big));
    });
  }
  Target Make() {
    Target t;
    const std::string ip = Endpoint::V4(w.node_ip(srv), 0).ToString();
    t.udp = HostPort{ip.substr(0, ip.rfind(':')), 7000};
    t.env = &w.env(runner);
    t.loop = &loop;
    return t;
  }
};

TEST(Harness, AFloodingTargetIsBoundedAndMarked) {
  Flooder f;
  Ctx c(f.Make(), 600, 6000, 1);
  ASSERT_TRUE(c.UdpSend("RPOL 1\r\n").ok());
  std::size_t taken = 0;
  for (int i = 0; i < 100 && !c.Expired(); ++i) {
    for (const std::string& d : c.UdpRecv(600, 40, 1 << 20)) taken += d.size();
  }
  ASSERT_TRUE(c.Flooded().has_value());
  EXPECT_NE(c.Flooded()->find("flooded"), std::string::npos);
  EXPECT_TRUE(c.Truncated());
  EXPECT_TRUE(c.Expired());  // a flooded case stops waiting
  EXPECT_LE(taken, kFloodBytes + kInboxCapBytes);
  std::size_t kept = 0;
  bool marked = false;
  for (const reports::WireEvent& e : c.wire()) {
    if (e.dir == "recv") kept += e.bytes.size();
    if (e.dir == "note" && e.bytes.find("transcript truncated") != std::string::npos) marked = true;
  }
  EXPECT_EQ(kept, kTranscriptCapBytes);
  EXPECT_TRUE(marked);
}

// Through the runner: the case fails (here it meets undecodable answers
// before the flood threshold; a case still waiting at 16 MiB is FAILED with
// the flood as its reason) and its transcript stays within the cap.
TEST(Harness, TheRunnerFailsAFloodingTargetAndBoundsTheTranscript) {
  Flooder f;
  RunOptions o;
  o.target = f.Make();
  o.cases = "cs.rup.ok";
  o.timeout_ms = 600;
  const reports::Report rep = RunCatalog(o, [](const reports::CaseResult&) {});
  const reports::CaseResult* rup = nullptr;
  for (const reports::CaseResult& r : rep.cases) {
    if (r.id == "cs.rup.ok") rup = &r;
  }
  ASSERT_NE(rup, nullptr);
  EXPECT_EQ(rup->verdict, reports::Verdict::kFailed);
  std::size_t kept = 0;
  for (const reports::WireEvent& e : rup->wire) kept += e.bytes.size();
  EXPECT_LE(kept, kTranscriptCapBytes + 4096);
}


// A stateless echo (issue 15): every request line `R<word> <trid> ...` is
// answered `A<word> <trid> 0`, over UDP and in POST /mcp bodies. It passes
// answer-shape checks but executes nothing, so every case that checks an
// effect of executing a request once fails.
struct Echo {
  sim::World w{1};
  sim::NodeId srv = w.AddNode("srv");
  sim::NodeId runner = w.AddNode("runner");
  sim::WorldLoop loop{w};
  std::map<StreamId, reference::http::RequestParser> http;
  static std::string Answer(const std::string& body) {
    std::string out;
    std::size_t pos = 0;
    while (pos < body.size()) {
      std::size_t end = body.find("\r\n", pos);
      if (end == std::string::npos) end = body.size();
      const std::string line = body.substr(pos, end - pos);
      pos = end + 2;
      const std::size_t sp1 = line.find(' ');
      if (line.size() < 2 || line[0] != 'R' || sp1 == std::string::npos) continue;
      const std::size_t sp2 = line.find(' ', sp1 + 1);
      out += "A" + line.substr(1, sp1 - 1) + " " + line.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1) + " 0\r\n";
    }
    return out;
  }
  Echo() {
    Env& e = w.env(srv);
    (void)e.BindDatagram(7000, [&e](const Endpoint& from, Bytes b) {
      const std::string a = Answer(S(b));
      if (!a.empty()) (void)e.SendDatagram(7000, from, B(a));
    });
    (void)e.Listen(8080, [this, &e](StreamId id, const Endpoint&) {
      http.emplace(id, reference::http::RequestParser(1 << 16));
      StreamHandlers h;
      h.on_data = [this, &e, id](Bytes b) {
        auto& p = http.at(id);
        (void)p.Append(S(b));
        if (auto req = p.Next()) {
          reference::HttpResponse resp;
          resp.body = Answer(req->body);
          (void)e.StreamSend(id, B(reference::http::SerializeResponse(resp)));
          (void)e.StreamShutdownWrite(id);
        }
      };
      return h;
    });
  }
  Target Make() {
    Target t;
    const std::string ip = Endpoint::V4(w.node_ip(srv), 0).ToString();
    const std::string host = ip.substr(0, ip.rfind(':'));
    t.udp = HostPort{host, 7000};
    t.http = HostPort{host, 8080};
    t.env = &w.env(runner);
    t.loop = &loop;
    return t;
  }
};

// Every case that judges TIMER-5 (or another execute-once rule) on the
// server: each checks an effect of executing once, so the echo fails them all.
constexpr const char* kIdempotencyCases =
    "udp.resend.idempotent,udp.cache.per_endpoint,udp.cache.word,udp.cache.login_once,sg.rom.resend,"
    "sg.rsm.resend,rs.reg.duplicate";

TEST(Harness, AStatelessEchoFailsEveryIdempotencyCase) {
  Echo f;
  RunOptions o;
  o.target = f.Make();
  o.cases = kIdempotencyCases;
  o.timeout_ms = 600;
  const reports::Report rep = RunCatalog(o, [](const reports::CaseResult&) {});
  std::map<std::string, const reports::CaseResult*> v;
  for (const reports::CaseResult& r : rep.cases) v[r.id] = &r;
  for (const char* id : {"udp.resend.idempotent", "udp.cache.per_endpoint", "udp.cache.word", "udp.cache.login_once",
                         "sg.rom.resend", "sg.rsm.resend", "rs.reg.duplicate"}) {
    ASSERT_TRUE(v.count(id)) << id;
    EXPECT_EQ(v[id]->verdict, reports::Verdict::kFailed) << id << ": " << v[id]->reason;
  }
  // The two CS cases fail on the effect itself (no MID bucket was charged),
  // not on an answer's shape: the echo's AUP answers are well-formed.
  EXPECT_NE(v["udp.resend.idempotent"]->reason.find("no AUP 403"), std::string::npos) << v["udp.resend.idempotent"]->reason;
  EXPECT_NE(v["udp.cache.per_endpoint"]->reason.find("never 403"), std::string::npos) << v["udp.cache.per_endpoint"]->reason;
}

// The same cases against the reference server (the self-test's virtual run):
// all OK; the mutants that execute a resend again or share the cache across
// endpoints are FAILED by the CS cases.
TEST(Harness, TheReferencePassesEveryIdempotencyCaseAndTheMutantsFail) {
  SelfTestOptions so;
  so.cases = kIdempotencyCases;
  std::uint64_t hash = 0;
  const reports::Report clean = RunVirtual(so, "", &hash);
  std::size_t n = 0;
  for (const reports::CaseResult& r : clean.cases) {
    if (r.id.rfind("arch.", 0) == 0) continue;
    ++n;
    EXPECT_EQ(r.verdict, reports::Verdict::kOk) << r.id << ": " << r.reason;
  }
  EXPECT_EQ(n, 7u);
  for (const auto& [mutant, id] : {std::pair<std::string, std::string>{"dedup-off", "udp.resend.idempotent"},
                                   {"cache-without-endpoint", "udp.cache.per_endpoint"},
                                   {"cache-without-word", "udp.cache.word"}}) {
    const reports::Report bad = RunVirtual(so, mutant, &hash);
    const reports::CaseResult* got = nullptr;
    for (const reports::CaseResult& r : bad.cases) {
      if (r.id == id) got = &r;
    }
    ASSERT_NE(got, nullptr) << mutant;
    EXPECT_EQ(got->verdict, reports::Verdict::kFailed) << mutant << " " << id << ": " << got->reason;
  }
}

}  // namespace
}  // namespace mcpsim::conformance
