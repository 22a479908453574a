#include "scenarios/external.h"

#include <algorithm>


#include "conformance/capture.h"
#include "conformance/runner.h"
#include "net/asio_env.h"
#include "net/asio_loop.h"
#include "net/runtime.h"
#include "net/bridge.h"
#include "net/process.h"
#include "reference/http/http1.h"
#include "reference/roles/uri.h"
#include "scenarios/ref_world.h"
#include "scenarios/target_addresses.h"

namespace mcpsim::scenarios {
namespace {

using conformance::HostPort;

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string ExternalTarget::Flags() const {
  std::string f;
  if (!launch.empty()) f += " --launch " + Quote(launch);
  if (udp) f += " --udp " + udp->ToString();
  if (tcp) f += " --tcp " + tcp->ToString();
  if (http) f += " --http " + http->ToString();
  if (!accounts_file.empty()) f += " --accounts " + Quote(accounts_file);
  if (sg_transport != "auto") f += " --sg-transport " + sg_transport;
  return f;
}

struct ExternalStage::Impl {
  ExternalTarget t;
  std::unique_ptr<conformance::Launched> launched;
  std::unique_ptr<net::Runtime> rt;
  net::AsioEnv* real = nullptr;  // rt's
  std::unique_ptr<net::AsioLoop> loop;
  std::unique_ptr<net::WallPacer> pacer;
  std::vector<std::unique_ptr<net::Bridge>> bridges;
  sim::World* world = nullptr;
  std::optional<Endpoint> udp, tcp, http;  // the real listeners
  std::map<std::string, std::vector<reports::WireEvent>> transcripts;  // by client node
  std::vector<conformance::CaptureEnv*> captures;  // owned by RefWorld (wrap_client_env)
  TimeUs unix_offset = 0;  // Unix time (us) at virtual time 0

  TargetAddresses addrs;  // the real listeners (udp, tcp, http above) -> the relay nodes
};

ExternalStage::ExternalStage() : impl_(std::make_unique<Impl>()) {}
ExternalStage::~ExternalStage() {
  if (impl_ && impl_->world) impl_->world->scheduler().set_pacer(nullptr);
  if (impl_) impl_->bridges.clear();
  ResetProvisioner();  // before the loop and Env it uses
}

Result<std::unique_ptr<ExternalStage>> ExternalStage::Open(const ExternalTarget& target, std::uint64_t seed) {
  auto st = std::unique_ptr<ExternalStage>(new ExternalStage());
  Impl& m = *st->impl_;
  m.t = target;
  if (!target.launch.empty()) {
    auto l = conformance::Launched::Start(target.launch, target.launch_wait_ms);
    if (!l.ok()) return l.status();
    m.launched = std::move(*l);
    const conformance::Target& lt = m.launched->target();
    if (!m.t.udp) m.t.udp = lt.udp;
    if (!m.t.tcp) m.t.tcp = lt.tcp;
    if (!m.t.http) m.t.http = lt.http;
  }
  if (!m.t.udp && !m.t.tcp && !m.t.http) return Status::Error("CONF-3", "no target address (--udp/--tcp/--http/--launch)");
  bool loopback = true;
  for (std::optional<HostPort>* hp : {&m.t.udp, &m.t.tcp, &m.t.http}) {
    if (!*hp) continue;
    auto ip = net::ResolveHost((*hp)->host);
    if (!ip.ok()) return ip.status();
    (*hp)->host = *ip;
    loopback = loopback && (ip->rfind("127.", 0) == 0);
  }
  net::AsioEnvOptions eo;
  eo.seed = seed;
  eo.bind_address = loopback ? "127.0.0.1" : "0.0.0.0";
  m.rt = std::make_unique<net::Runtime>(eo);
  m.real = &m.rt->env();
  m.loop = std::make_unique<net::AsioLoop>(*m.real);
  auto ep = [](const std::optional<HostPort>& hp) -> std::optional<Endpoint> {
    if (!hp) return std::nullopt;
    auto e = conformance::ToEndpoint(*hp);
    return e.ok() ? std::optional<Endpoint>(*e) : std::nullopt;
  };
  m.udp = ep(m.t.udp);
  m.tcp = ep(m.t.tcp);
  m.http = ep(m.t.http);
  m.addrs.udp = m.udp, m.addrs.tcp = m.tcp, m.addrs.http = m.http;
  conformance::Target pt;
  pt.udp = m.t.udp;
  pt.tcp = m.t.tcp;
  pt.http = m.t.http;
  pt.env = m.real;
  pt.loop = m.loop.get();
  pt.nonce = target.nonce ^ seed;
  st->SetProvisioner(std::make_unique<conformance::Provisioner>(pt, target.accounts));
  for (std::optional<HostPort>* hp : {&m.t.udp, &m.t.tcp, &m.t.http}) {
    if (*hp) st->target_text_ += std::string(st->target_text_.empty() ? "" : " ") + (*hp)->ToString();
  }
  return st;
}

void ExternalStage::StartClock() {
  Impl& m = *impl_;
  m.pacer = std::make_unique<net::WallPacer>(*m.real);
  m.unix_offset = net::UnixMicros() - m.real->Now() + m.pacer->origin();
}

std::unique_ptr<Env> ExternalStage::WrapClient(const std::string& node, Env& env) {
  Impl& m = *impl_;
  auto cap = std::make_unique<conformance::CaptureEnv>(env, m.unix_offset);
  cap->ShareWriter(m.t.pcap);
  cap->SetTranscript(&m.transcripts[node], 0, node);
  m.captures.push_back(cap.get());
  return cap;
}

std::vector<reports::WireEvent> ExternalStage::Transcript() const {
  std::vector<reports::WireEvent> all;
  for (const auto& [node, events] : impl_->transcripts) all.insert(all.end(), events.begin(), events.end());
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.t_us < b.t_us; });
  return all;
}

Status ExternalStage::Install(RefWorld& w) {
  Impl& m = *impl_;
  m.world = &w.world();
  for (const RolePorts& r : ServerRolePorts()) {
    auto ip = w.node_ip(r.role);
    if (!ip.ok()) return ip.status();
    m.addrs.node_ip[r.role] = *ip;
  }
  if (!m.pacer) StartClock();
  m.world->scheduler().set_pacer(m.pacer.get());
  // Party names of the relay endpoints in the capture.
  for (conformance::CaptureEnv* cap : m.captures) {
    for (const RolePorts& r : ServerRolePorts()) {
      const std::uint32_t ip = m.addrs.node_ip[r.role];
      if (r.udp && m.udp) cap->NamePeer(Endpoint::V4(ip, *r.udp), std::string(r.role) + " udp (target)");
      if (r.tcp && m.tcp) cap->NamePeer(Endpoint::V4(ip, *r.tcp), std::string(r.role) + " tcp (target)");
      if (r.http && m.http) cap->NamePeer(Endpoint::V4(ip, *r.http), std::string(r.role) + " http (target)");
    }
  }
  Impl* mp = &m;
  for (const RolePorts& r : ServerRolePorts()) {
    auto id = w.node(r.role);
    if (!id.ok()) return id.status();
    auto b = std::make_unique<net::Bridge>(*m.world, *id, *m.real, *m.pacer);
    const std::string role = r.role;
    if (r.udp && m.udp) {
      net::Bridge::Rewrite rw;
      if (role == "cs") rw = [mp](std::string_view d) { return mp->addrs.RewriteCommands(d); };
      if (Status s = b->AddUdp(*r.udp, *m.udp, rw); !s.ok()) return s;
    }
    if (r.tcp && m.tcp) {
      if (Status s = b->AddTcp(*r.tcp, *m.tcp); !s.ok()) return s;
    }
    if (r.http && m.http) {
      if (Status s = b->AddTcp(*r.http, *m.http, HttpAnswerFilter(role, m.addrs)); !s.ok()) return s;
    }
    m.bridges.push_back(std::move(b));
  }
  return Status();
}

std::map<std::string, std::int64_t> ExternalStage::counters() const {
  std::map<std::string, std::int64_t> c;
  for (const auto& b : impl_->bridges) {
    const net::BridgeStats& s = b->stats();
    c["bridge_datagrams_out"] += static_cast<std::int64_t>(s.datagrams_out);
    c["bridge_datagrams_in"] += static_cast<std::int64_t>(s.datagrams_in);
    c["bridge_streams"] += static_cast<std::int64_t>(s.streams);
    c["bridge_connect_failures"] += static_cast<std::int64_t>(s.connect_failures);
    c["bridge_resets_from_target"] += static_cast<std::int64_t>(s.resets_from_real);
  }
  ProvisionCounters(c, /*from_file=*/true);
  return c;
}

}  // namespace mcpsim::scenarios
