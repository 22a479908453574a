// RapidCheck stateful test of the client transport engine (UdpLink) against a
// model, over the simulated network with random loss, duplication and
// reordering: every request ends exactly once — answered (executed exactly
// once by the server) or gave up (executed at most once) — and the server
// never executes a request twice.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <map>

#include "host/host.h"
#include "reference/roles/mc/udp_link.h"
#include "reference/transport/server.h"
#include "sim/world.h"

namespace mcpsim {
namespace {

using namespace reference;

// Server: answers RWORK with its param, counting executions per (trid).
class CountingServer final : public Role, private CommandHandler {
 public:
  CountingServer() : server_(*this) {}
  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view b) override {
    server_.OnDatagram(now, from, b, out_);
  }
  void OnTimer(TimeUs now) override { server_.Expire(now); }
  TimeUs NextDeadline() const override { return server_.NextDeadline(); }
  void Drain(std::vector<Output>& out) override {
    for (auto& o : out_) out.push_back(std::move(o));
    out_.clear();
  }
  void OnHttp(TimeUs, std::uint64_t exchange, const HttpRequest&) override {
    out_.push_back(NoHttpBinding(exchange));
  }
  std::string_view name() const override { return "server"; }
  std::map<std::string, int> executed;  // param -> count
  bool IsValidated(const PeerKey&) const override { return true; }

 private:
  void HandleRequest(const RequestContext&, const wire::CommandView& c, Reply& r) override {
    const std::string p = c.param_count() ? c.DecodeParam(0) : "";
    ++executed[p];
    r.Ok({p});
  }
  CommandServer server_;
  std::vector<Output> out_;
};

// Client: a UdpLink; records the outcome of every request by tag.
class LinkClient final : public Role, private LinkHandler {
 public:
  LinkClient(Endpoint server, std::uint32_t first_trid) : link_(server, first_trid) {}
  void Send(TimeUs now, std::uint64_t tag) {
    auto t = link_.Send(now, "RWORK", [&](wire::LineWriter& w) { w.Param("w" + std::to_string(tag)); }, tag);
    RC_ASSERT(t.ok());
  }
  void OnDatagram(TimeUs now, const Endpoint&, std::string_view b) override {
    link_.OnDatagram(now, b, *this);
  }
  void OnTimer(TimeUs now) override { link_.OnTimer(now, *this); }
  TimeUs NextDeadline() const override { return link_.NextDeadline(); }
  void Drain(std::vector<Output>& out) override {
    for (auto& o : own_) out.push_back(std::move(o));
    own_.clear();
    link_.Drain(out);
  }
  void OnHttp(TimeUs, std::uint64_t exchange, const HttpRequest&) override {
    own_.push_back(NoHttpBinding(exchange));
  }
  std::string_view name() const override { return "client"; }
  std::map<std::uint64_t, int> answered, gave_up;
  std::map<std::uint64_t, std::string> answer_param;

 private:
  void OnAnswer(TimeUs, std::uint64_t tag, const wire::CommandView& a) override {
    ++answered[tag];
    answer_param[tag] = a.param_count() ? a.DecodeParam(0) : "";
  }
  void OnGaveUp(TimeUs, std::uint64_t tag) override { ++gave_up[tag]; }
  UdpLink link_;
  std::vector<Output> own_;
};

struct Harness {
  sim::World world;
  sim::NodeId cn, sn;
  CountingServer server;
  std::unique_ptr<LinkClient> client;
  std::unique_ptr<host::RoleHost> sh, ch;
  explicit Harness(std::uint64_t seed) : world(seed) {
    cn = world.AddNode("client");
    sn = world.AddNode("server");
    sh = std::make_unique<host::RoleHost>(world.env(sn), server);
    RC_ASSERT(sh->Start({9000, std::nullopt, std::nullopt}).ok());
    client = std::make_unique<LinkClient>(Endpoint::V4(world.node_ip(sn), 9000), 4294967290u);
    ch = std::make_unique<host::RoleHost>(world.env(cn), *client);
    RC_ASSERT(ch->Start({0, std::nullopt, std::nullopt}).ok());
  }
};

struct Model {
  std::uint64_t sent = 0;
};
using Cmd = rc::state::Command<Model, Harness>;

struct SendBatch : Cmd {
  int n = *rc::gen::inRange(1, 6);
  void apply(Model& m) const override { m.sent += static_cast<std::uint64_t>(n); }
  void run(const Model& m, Harness& h) const override {
    for (int i = 0; i < n; ++i) h.client->Send(h.world.Now(), m.sent + static_cast<std::uint64_t>(i));
    h.ch->Pump();  // several requests leave in one datagram
  }
  void show(std::ostream& os) const override { os << "SendBatch(" << n << ")"; }
};

struct Advance : Cmd {
  TimeUs span = *rc::gen::inRange<TimeUs>(1, 5000) * kMillis;
  void run(const Model&, Harness& h) const override {
    RC_ASSERT(h.world.RunUntil(h.world.Now() + span).ok());
  }
  void show(std::ostream& os) const override { os << "Advance(" << span / kMillis << "ms)"; }
};

struct SetFaults : Cmd {
  int loss = *rc::gen::inRange(0, 60), dup = *rc::gen::inRange(0, 40), reorder = *rc::gen::inRange(0, 50);
  void run(const Model&, Harness& h) const override {
    sim::LinkConfig l;
    l.base_delay = 30 * kMillis;
    l.jitter_dist = sim::JitterDist::kExponential;
    l.jitter = 20 * kMillis;
    l.loss = loss / 100.0;
    l.duplicate = dup / 100.0;
    l.reorder = reorder / 100.0;
    l.reorder_delay = 800 * kMillis;
    h.world.SetDefaultLink(l);
  }
  void show(std::ostream& os) const override {
    os << "SetFaults(loss=" << loss << "% dup=" << dup << "% reorder=" << reorder << "%)";
  }
};

RC_GTEST_PROP(ClientEngine, EveryRequestEndsOnceAndExecutesAtMostOnce, ()) {
  Harness h(*rc::gen::arbitrary<std::uint64_t>());
  Model m;
  rc::state::check(m, h, rc::state::gen::execOneOfWithArgs<SendBatch, Advance, SetFaults>());
  // Let every outstanding request finish (give-up bound: 31 s; dedup: 60 s).
  RC_ASSERT(h.world.RunUntil(h.world.Now() + 120 * kSeconds).ok());
  std::uint64_t total = 0;
  for (std::uint64_t tag = 0;; ++tag) {
    const int a = h.client->answered.count(tag) ? h.client->answered.at(tag) : 0;
    const int g = h.client->gave_up.count(tag) ? h.client->gave_up.at(tag) : 0;
    const std::string p = "w" + std::to_string(tag);
    const int x = h.server.executed.count(p) ? h.server.executed.at(p) : 0;
    if (a + g == 0 && x == 0) break;
    ++total;
    RC_ASSERT(a + g == 1);  // ended exactly once
    RC_ASSERT(x <= 1);      // never executed twice
    if (a == 1) {
      RC_ASSERT(x == 1);    // an answer means it ran
      RC_ASSERT(h.client->answer_param.at(tag) == p);  // matched by trid and word
    }
  }
  RC_ASSERT(total == h.client->answered.size() + h.client->gave_up.size());
}

}  // namespace
}  // namespace mcpsim
