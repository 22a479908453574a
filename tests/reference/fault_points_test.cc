// Fault points of the protocol code (reference/fault_sites.h) under a forced
// oracle: each site fires, and the component still obeys the clauses the site
// names (the faulty path is one the spec allows).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/buggify.h"
#include "reference/fault_sites.h"
#include "reference/roles/cs.h"
#include "reference/roles/dp.h"
#include "reference/roles/mc/udp_link.h"
#include "reference/store/faulty_store.h"
#include "reference/transport/push.h"
#include "reference/transport/server.h"

namespace mcpsim::reference {
namespace {

// Fires exactly the named sites (every time); counts every evaluation.
struct Forced : FaultPoints {
  explicit Forced(std::set<std::string> on) : sites(std::move(on)) {}
  bool Fire(std::string_view site) override {
    EXPECT_NE(FindFaultSite(site), nullptr) << "unregistered fault point " << site;
    ++asked[std::string(site)];
    if (!sites.count(std::string(site))) return false;
    ++fired[std::string(site)];
    return true;
  }
  std::set<std::string> sites;
  std::map<std::string, int> asked, fired;
};

const Endpoint kClient = Endpoint::V4(0x0A000002, 4000);

class Echo : public CommandHandler {
 public:
  void HandleRequest(const RequestContext&, const wire::CommandView& cmd, Reply& reply) override {
    ++executed[std::string(cmd.word()) + "#" + std::to_string(cmd.trid())];
    reply.Ok({std::string(cmd.word())});
  }
  bool IsValidated(const PeerKey&) const override { return validated; }
  std::map<std::string, int> executed;
  bool validated = true;
};

TEST(FaultSites, CatalogIsWellFormed) {
  std::set<std::string_view> names, groups;
  for (const FaultSite& s : FaultSites()) {
    EXPECT_TRUE(names.insert(s.name).second) << "duplicate " << s.name;
    EXPECT_FALSE(s.clause.empty()) << s.name;
    EXPECT_FALSE(s.what.empty()) << s.name;
    EXPECT_NE(s.name.find('.'), std::string_view::npos) << s.name;
    groups.insert(s.group);
  }
  EXPECT_GE(names.size(), 20u);
  for (const char* g : {"transport", "store", "sg", "rs", "cs", "dp", "ms", "mc"}) {
    EXPECT_TRUE(groups.count(g)) << "no fault point in group " << g;
  }
  EXPECT_EQ(FindFaultSite("push.window.shrink")->group, "transport");
  EXPECT_EQ(FindFaultSite("no.such.site"), nullptr);
  EXPECT_FALSE(FaultPoint(nullptr, "push.window.shrink"));  // production: never
}

// server.udp.*: TRID-9/UDP-7 — answers reordered or unpacked, each request
// still executed once, a resend still replayed from the cache (TIMER-5).
TEST(FaultPointsTransport, ServerReordersUnpacksAndDuplicatesLegally) {
  Echo h;
  Forced f({"server.udp.reorder", "server.udp.duplicate"});
  ServerConfig c;
  c.faults = &f;
  CommandServer s(h, c);
  std::vector<Output> out;
  s.OnDatagram(0, kClient, "RAA 1\r\nRBB 2\r\n", out);
  ASSERT_EQ(out.size(), 3u);  // two datagrams (reversed), then a copy of the first
  EXPECT_EQ(out[0].bytes, "ABB 2 0 RBB\r\n");
  EXPECT_EQ(out[1].bytes, "AAA 1 0 RAA\r\n");
  EXPECT_EQ(out[2].bytes, out[0].bytes);
  std::vector<Output> again;
  s.OnDatagram(kSeconds, kClient, "RAA 1\r\nRBB 2\r\n", again);
  EXPECT_EQ(h.executed["RAA#1"], 1);
  EXPECT_EQ(h.executed["RBB#2"], 1);
  EXPECT_EQ(f.fired["server.udp.reorder"], 2);

  Forced unpack({"server.udp.unpacked"});
  c.faults = &unpack;
  CommandServer s2(h, c);
  out.clear();
  s2.OnDatagram(0, kClient, "RAA 3\r\nRBB 4\r\n", out);
  ASSERT_EQ(out.size(), 2u);  // in order, one answer per datagram
  EXPECT_EQ(out[0].bytes, "AAA 3 0 RAA\r\n");
  EXPECT_EQ(out[1].bytes, "ABB 4 0 RBB\r\n");
  EXPECT_EQ(unpack.fired["server.udp.unpacked"], 1);
}

TEST(FaultPointsTransport, UnvalidatedPeerKeepsAmpLimits) {
  Echo h;
  h.validated = false;
  Forced f({"server.udp.reorder", "server.udp.duplicate"});
  ServerConfig c;
  c.faults = &f;
  CommandServer s(h, c);
  std::vector<Output> out;
  // Padded so that both answers fit the AMP-1 budget.
  s.OnDatagram(0, kClient, "RAA 1\r\nRBB 2\r\nRPAD 3 " + std::string(30, '0') + "\r\n", out);
  // AMP-1/AMP-2: no extra bytes, the order kept.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes, "AAA 1 0 RAA\r\nABB 2 0 RBB\r\n");
  EXPECT_EQ(f.fired["server.udp.duplicate"], 0);
  EXPECT_EQ(f.fired["server.udp.reorder"], 0);
}

// push.window.shrink: LIM-20 is a maximum; FIFO order and progress kept.
TEST(FaultPointsTransport, PushWindowShrinksButStaysFifoAndProgresses) {
  Forced f({"push.window.shrink"});
  PushLimits l;
  l.faults = &f;
  PushChannel ch(PushTransport::kTcp, {}, l);
  for (int i = 0; i < 5; ++i) {
    const auto t = ch.NextTrid();
    ch.Push(t, "RNP", "RNP " + std::to_string(t) + " x\r\n", t);
  }
  std::vector<std::string> out;
  ch.TakeSends(0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "RNP 1 x\r\n");
  ch.TakeSends(0, out);  // at most one more per admission while shrunk
  EXPECT_EQ(out.size(), 2u);
  std::uint32_t next = 1;
  while (!ch.idle()) {
    ASSERT_TRUE(ch.OnAnswer(next, "ANP").has_value());
    ++next;
    const std::size_t before = out.size();
    ch.TakeSends(0, out);
    EXPECT_LE(out.size() - before, 1u);
    EXPECT_LE(ch.in_flight(), 2u);
  }
  ASSERT_EQ(out.size(), 5u);
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], "RNP " + std::to_string(i + 1) + " x\r\n");
  EXPECT_GE(f.fired["push.window.shrink"], 5);
}

// push.udp.duplicate: a copy on UDP only (TIMER-8: the client dedups); never
// on TCP, where a copy would be a second request.
TEST(FaultPointsTransport, PushDuplicatesOnUdpOnly) {
  Forced f({"push.udp.duplicate"});
  PushLimits l;
  l.faults = &f;
  for (PushTransport t : {PushTransport::kUdp, PushTransport::kTcp}) {
    PushChannel ch(t, {}, l);
    const auto trid = ch.NextTrid();
    ch.Push(trid, "RNP", "RNP 1 x\r\n", 1);
    std::vector<std::string> out;
    ch.TakeSends(0, out);
    EXPECT_EQ(out.size(), t == PushTransport::kUdp ? 2u : 1u);
    EXPECT_EQ(ch.in_flight(), 1u);  // one request, whatever the copies
  }
}

// mc.udp.*: the client's datagrams duplicated / unpacked; the server executes
// each request once (TIMER-5).
TEST(FaultPointsMc, LinkDuplicatesAndUnpacksDatagrams) {
  Forced f({"mc.udp.unpacked", "mc.udp.duplicate"});
  UdpLink link(kClient, 100, {}, &f);
  ASSERT_TRUE(link.Send(0, "RAA", nullptr, 1).ok());
  ASSERT_TRUE(link.Send(0, "RBB", nullptr, 2).ok());
  std::vector<Output> out;
  link.Drain(out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].bytes, "RAA 100\r\n");
  EXPECT_EQ(out[1].bytes, "RBB 101\r\n");
  EXPECT_EQ(out[2].bytes, out[0].bytes);
  Echo h;
  CommandServer s(h);
  std::vector<Output> answers;
  for (const Output& o : out) s.OnDatagram(0, kClient, o.bytes, answers);
  EXPECT_EQ(h.executed["RAA#100"], 1);
  EXPECT_EQ(h.executed["RBB#101"], 1);
  EXPECT_EQ(answers.size(), 3u);  // the copy is answered from the cache
}

// store.*: STORE-1 before the inner store is touched, so nothing changed.
TEST(FaultPointsStore, FailedCallsChangeNothing) {
  auto inner = OpenSqliteStore(":memory:");
  ASSERT_TRUE(inner.ok());
  Forced f({"store.account.create.fail", "store.offline.add.fail", "store.contact.edit.fail",
            "store.upload.add.fail", "store.offline.delete.fail", "store.media.get.fail",
            "store.account.get.fail", "store.profile.update.fail"});
  auto store = WithFaultPoints(**inner, &f);
  Account a;
  a.name = "a@live.cn";
  auto created = store->CreateAccount(a);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().clause(), "STORE-1");
  EXPECT_EQ(*(*inner)->CountAccounts(), 0u);
  ASSERT_TRUE(*(*inner)->CreateAccount(a));
  Account b;
  b.name = "b@live.cn";
  ASSERT_TRUE(*(*inner)->CreateAccount(b));
  EXPECT_FALSE(store->GetAccount("a@live.cn").ok());
  const auto before = *(*inner)->GetContactList("a@live.cn");
  EXPECT_FALSE(store->EditContact("a@live.cn", "b@live.cn", ContactEdit::kAdd).ok());
  const auto after = *(*inner)->GetContactList("a@live.cn");
  EXPECT_EQ(after.version, before.version);
  EXPECT_TRUE(after.entries.empty());
  EXPECT_FALSE(store->UpdateProfile("a@live.cn", Profile{"n", "", "", 0}).ok());
  EXPECT_EQ((*(*inner)->GetProfile("a@live.cn"))->version, 1u);
  OfflineMessage m;
  m.recipient = "a@live.cn";
  m.sender = "b@live.cn";
  m.text = "hi";
  EXPECT_FALSE(store->AddOfflineMessage(m).ok());
  EXPECT_EQ(*(*inner)->CountOfflineMessages("a@live.cn"), 0u);
  const auto id = (*inner)->AddOfflineMessage(m);
  ASSERT_TRUE(id.ok());
  EXPECT_FALSE(store->DeleteOfflineMessage(*id).ok());
  EXPECT_EQ(*(*inner)->CountOfflineMessages("a@live.cn"), 1u);  // SG-OFF-3: still queued
  Upload u;
  u.mid = std::string(32, 'a');
  u.kind = "launch";
  EXPECT_FALSE(store->AddUpload(u).ok());
  EXPECT_EQ(*(*inner)->CountUploads(), 0u);
  EXPECT_FALSE(store->GetMedia("banner-1").ok());
  // Calls without a site pass through.
  EXPECT_TRUE(store->CountAccounts().ok());
  for (const auto& s : f.sites) EXPECT_EQ(f.fired[s], 1) << s;
}

// cs.*: CS-3 403, nothing recorded (CS-1), the resend replayed (TIMER-5).
TEST(FaultPointsCs, RateLimitedUploadRecordsNothing) {
  auto store = OpenSqliteStore(":memory:");
  ASSERT_TRUE(store.ok());
  Forced f({"cs.upload.rate_limited", "cs.ad.rate_limited"});
  CsConfig c;
  c.server.faults = &f;
  CsRole cs(c, **store);
  const std::string rup = "RUP 7 " + std::string(32, 'a') + " launch 1000 x\r\n";
  cs.OnDatagram(0, kClient, rup);
  cs.OnDatagram(kSeconds, kClient, rup);
  cs.OnDatagram(2 * kSeconds, kClient, "RAD 8 " + std::string(32, 'a') + " top\r\n");
  std::vector<Output> out;
  cs.Drain(out);
  std::string all;
  for (const Output& o : out) all += o.bytes;
  EXPECT_EQ(all, "AUP 7 403\r\nAUP 7 403\r\nAAD 8 403\r\n");
  EXPECT_EQ(*(*store)->CountUploads(), 0u);
  EXPECT_EQ(f.fired["cs.upload.rate_limited"], 1);  // the resend was not executed
}

// dp.sg.unavailable: DP-3 502.
TEST(FaultPointsDp, NoSgAvailableAnswers502) {
  Forced f({"dp.sg.unavailable"});
  DpConfig c;
  c.gateways.push_back({"udp://10.0.0.5:1863", "tcp://10.0.0.6:1864", true});
  c.faults = &f;
  DpRole dp(c);
  HttpRequest req;
  req.method = "GET";
  req.target = "/mcp?q=RQQW%201%201.0.0%20s60%20dev-1%0D%0A";
  dp.OnHttp(0, /*exchange=*/7, req);
  std::vector<Output> out;
  dp.Drain(out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].kind, Output::Kind::kHttpResponse);
  EXPECT_EQ(out[0].conn, 7u);
  EXPECT_EQ(out[0].response.body, "AQQW 1 502\r\n");
  EXPECT_EQ(f.fired["dp.sg.unavailable"], 1);
}

}  // namespace
}  // namespace mcpsim::reference
