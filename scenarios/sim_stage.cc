#include "scenarios/sim_stage.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "conformance/harness.h"
#include "conformance/provision.h"
#include "conformance/runner.h"
#include "scenarios/ref_world.h"
#include "scenarios/sim_relay.h"
#include "scenarios/target_addresses.h"
#include "sim/world_loop.h"

namespace mcpsim::scenarios {

struct SimStage::Impl {
  sim::World* world = nullptr;
  std::unique_ptr<interpose::Process> proc;
  std::unique_ptr<sim::WorldLoop> loop;
  std::vector<std::unique_ptr<SimRelay>> relays;
  TargetAddresses addrs;
  std::string stdout_text;  // what the target printed on stdout
  // The SG's pushes over UDP, per (client, trid, request word): sends, the
  // last one's time, answered (TargetStage::PushesGivenUp).
  struct Push {
    int sends = 0;
    TimeUs last = 0;
    std::optional<TimeUs> answered;  // when the first answer reached the target
  };
  std::map<std::tuple<Endpoint, std::uint32_t, std::string>, Push> pushes;
  void Observe(TimeUs now, bool to_target, const Endpoint& client, std::string_view bytes);
};

void SimStage::Impl::Observe(TimeUs now, bool to_target, const Endpoint& client, std::string_view bytes) {
  for (const wire::Command& c : conformance::Decode(bytes)) {
    if (c.word.size() < 2) continue;
    if (to_target && c.word[0] == 'A') {  // the client's answer reached the target
      std::string request = c.word;
      request[0] = 'R';
      Push& p = pushes[{client, c.trid, std::move(request)}];
      if (!p.answered) p.answered = now;
    } else if (!to_target && c.word[0] == 'R' && c.word != "RPAD") {
      Push& p = pushes[{client, c.trid, c.word}];
      ++p.sends;
      p.last = now;
    }
  }
}

std::vector<TargetStage::PushGiveUp> SimStage::PushesGivenUp() const {
  // TIMER-2: six sends; TIMER-1: the wait after the last one is 8 s.
  constexpr int kSends = 6;
  constexpr TimeUs kLastWait = 8 * kSeconds;
  std::vector<PushGiveUp> out;
  for (const auto& [key, p] : impl_->pushes) {
    // (an answer that arrives after the give-up is ignored, TRID-6)
    if (p.sends < kSends || (p.answered && *p.answered < p.last + kLastWait)) continue;
    out.push_back({p.last + kLastWait, std::get<0>(key), std::get<2>(key) + " " + std::to_string(std::get<1>(key))});
  }
  std::stable_sort(out.begin(), out.end(), [](const PushGiveUp& a, const PushGiveUp& b) { return a.at < b.at; });
  return out;
}

SimStage::SimStage() : impl_(std::make_unique<Impl>()) {}

SimStage::~SimStage() {
  // The relays and the target first (they hold the world's Envs), then the loop.
  impl_->relays.clear();
  ResetProvisioner();
  impl_->proc.reset();
}

const interpose::Process& SimStage::process() const { return *impl_->proc; }

Result<std::unique_ptr<SimStage>> SimStage::Start(const SimTarget& t, RefWorld& w, std::uint64_t seed) {
  if (Status s = interpose::CheckProgram(t.command); !s.ok()) return s;
  auto lib = interpose::FindPreload();
  if (!lib.ok()) return lib.status();
  auto st = std::unique_ptr<SimStage>(new SimStage());
  Impl& m = *st->impl_;
  st->text_ = t.command;
  sim::World& world = w.world();
  m.world = &world;
  const sim::NodeId target = world.AddNode("target");
  const sim::NodeId prov = world.AddNode("provision");
  // The hosting glue's own links are perfect; the scenario's faults live on
  // the links of the role nodes.
  if (Status s = world.SetLinkBoth(target, prov, sim::LinkConfig{}); !s.ok()) return s;
  for (const std::string& role : t.roles) {
    auto id = w.node(role);
    if (!id.ok()) return id.status();
    if (Status s = world.SetLinkBoth(target, *id, sim::LinkConfig{}); !s.ok()) return s;
  }
  interpose::ProcessOptions po;
  po.command = t.command;
  po.preload = *lib;
  po.capture_stdout = true;
  m.proc = std::make_unique<interpose::Process>(world.env(target), po);
  const Status started = m.proc->Start();
  m.stdout_text = m.proc->ReadStdout();
  if (std::string why = SimTargetFailure(*m.proc); !why.empty()) return Status::Error("INTERPOSE-4", why);
  if (!started.ok()) return started;
  const conformance::Target listening = conformance::ParseListening(m.stdout_text);
  auto ep = [](const std::optional<conformance::HostPort>& hp) -> std::optional<Endpoint> {
    if (!hp) return std::nullopt;
    auto e = conformance::ToEndpoint(*hp);
    return e.ok() ? std::optional<Endpoint>(*e) : std::nullopt;
  };
  m.addrs.udp = ep(listening.udp);
  m.addrs.tcp = ep(listening.tcp);
  m.addrs.http = ep(listening.http);
  if (!m.addrs.udp && !m.addrs.tcp && !m.addrs.http) {
    return Status::Error("INTERPOSE-4", "the target printed no `listening udp|tcp|http://HOST:PORT` line before it "
                                        "first waited");
  }
  for (const std::string& role : t.roles) {
    auto ip = w.node_ip(role);
    if (!ip.ok()) return ip.status();
    m.addrs.node_ip[role] = *ip;
  }
  Impl* mp = &m;
  for (const std::string& role : t.roles) {
    const RolePorts& r = PortsOf(role);
    auto id = w.node(role);
    if (!id.ok()) return id.status();
    auto relay = std::make_unique<SimRelay>(world, *id);
    // A role needs its datagram transport (CS, SG: udp) and its stream ones (RS: tcp; DP, RS, MS: http).
    const bool needs_udp = role == "cs" || role == "sg";
    const bool needs_http = role == "dp" || role == "ms" || role == "rs";
    if ((needs_udp && !m.addrs.udp) || (needs_http && !m.addrs.http)) {
      return Status::Error("INTERPOSE-6", "the target plays " + role + " but printed no `listening " +
                                              (needs_udp && !m.addrs.udp ? "udp" : "http") + "://…` line");
    }
    if (r.udp && m.addrs.udp) {
      SimRelay::Rewrite rw;
      SimRelay::Observe ob;
      if (role == "cs") rw = [mp](std::string_view d) { return mp->addrs.RewriteCommands(d); };
      if (role == "sg") {
        ob = [mp](TimeUs now, bool to_target, const Endpoint& c, std::string_view d) { mp->Observe(now, to_target, c, d); };
      }
      if (Status s = relay->AddUdp(*r.udp, *m.addrs.udp, rw, ob); !s.ok()) return s;
    }
    if (r.tcp && m.addrs.tcp) {
      if (Status s = relay->AddTcp(*r.tcp, *m.addrs.tcp); !s.ok()) return s;
    }
    if (r.http && m.addrs.http) {
      if (Status s = relay->AddTcp(*r.http, *m.addrs.http, st->HttpAnswerFilter(role, m.addrs)); !s.ok()) return s;
    }
    m.relays.push_back(std::move(relay));
  }
  m.loop = std::make_unique<sim::WorldLoop>(world);
  conformance::Target pt = listening;
  pt.env = &world.env(prov);
  pt.loop = m.loop.get();
  pt.nonce = seed;
  st->SetProvisioner(std::make_unique<conformance::Provisioner>(pt, std::vector<conformance::ProvisionAccount>{}));
  return st;
}

std::map<std::string, std::int64_t> SimStage::counters() const {
  std::map<std::string, std::int64_t> c;
  for (const auto& r : impl_->relays) {
    const RelayStats& s = r->stats();
    c["relay_datagrams_out"] += static_cast<std::int64_t>(s.datagrams_out);
    c["relay_datagrams_in"] += static_cast<std::int64_t>(s.datagrams_in);
    c["relay_streams"] += static_cast<std::int64_t>(s.streams);
    c["relay_connect_failures"] += static_cast<std::int64_t>(s.connect_failures);
    c["relay_resets_from_target"] += static_cast<std::int64_t>(s.resets_from_target);
  }
  ProvisionCounters(c, /*from_file=*/false);
  const interpose::ProcessStats& ps = impl_->proc->stats();
  c["interpose_calls"] = static_cast<std::int64_t>(ps.calls);
  c["interpose_waits"] = static_cast<std::int64_t>(ps.waits);
  c["interpose_datagrams_in"] = static_cast<std::int64_t>(ps.datagrams_in);
  c["interpose_datagrams_out"] = static_cast<std::int64_t>(ps.datagrams_out);
  c["interpose_dropped_full"] = static_cast<std::int64_t>(ps.dropped_full);
  c["interpose_accepted"] = static_cast<std::int64_t>(ps.accepted);
  c["interpose_local"] = static_cast<std::int64_t>(ps.local);
  c["interpose_netns"] = impl_->proc->network_isolated() ? 1 : 0;
  return c;
}

}  // namespace mcpsim::scenarios
