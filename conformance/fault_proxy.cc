#include "conformance/fault_proxy.h"

namespace mcpsim::conformance {

Result<std::unique_ptr<FaultProxy>> FaultProxy::Start(net::AsioEnv& real, const Target& up,
                                                      const sim::FaultSpec& spec, std::uint64_t seed) {
  auto p = std::unique_ptr<FaultProxy>(new FaultProxy());
  p->pacer_ = std::make_unique<net::WallPacer>(real);
  sim::WorldOptions wo;
  wo.streams = spec.streams;
  wo.max_events = ~std::uint64_t{0} >> 1;  // real time bounds the run, not an event budget
  p->world_ = std::make_unique<sim::World>(seed, wo);
  p->world_->scheduler().set_pacer(p->pacer_.get());
  p->runner_ = p->world_->AddNode("runner");
  p->target_node_ = p->world_->AddNode("target");
  if (Status s = sim::ApplyFaultSpec(*p->world_, p->runner_, p->target_node_, spec); !s.ok()) {
    return Status::Error("CONF-3", "fault proxy: " + s.message());
  }
  p->loop_ = std::make_unique<sim::WorldLoop>(*p->world_);
  p->loop_->CatchUp();  // virtual time = wall time from here on
  p->bridge_ = std::make_unique<net::Bridge>(*p->world_, p->target_node_, real, *p->pacer_);
  p->target_ = up;
  const std::string sim_host = Endpoint::V4(p->world_->node_ip(p->target_node_), 0).ToString();
  const std::string sim_ip = sim_host.substr(0, sim_host.rfind(':'));
  auto bridge = [&](const std::optional<HostPort>& real_hp, std::optional<HostPort>& sim_hp, bool udp) -> Status {
    if (!real_hp) return Status();
    auto ep = ToEndpoint(*real_hp);
    if (!ep.ok()) return ep.status();
    Status s = udp ? p->bridge_->AddUdp(real_hp->port, *ep) : p->bridge_->AddTcp(real_hp->port, *ep);
    if (!s.ok()) return s;
    sim_hp = HostPort{sim_ip, real_hp->port};
    return Status();
  };
  for (Status s : {bridge(up.udp, p->target_.udp, true), bridge(up.udps, p->target_.udps, true),
                   bridge(up.tcp, p->target_.tcp, false), bridge(up.http, p->target_.http, false)}) {
    if (!s.ok()) return Status::Error("CONF-3", "fault proxy: " + s.message());
  }
  p->target_.env = &p->world_->env(p->runner_);
  p->target_.loop = p->loop_.get();
  p->target_.resend_ms = static_cast<int>(std::max<TimeUs>(300, 2 * sim::WorstDelay(spec.link) / 1000 + 100));
  p->target_.corrupting_network = spec.link.corrupt > 0;
  return p;
}

FaultProxy::~FaultProxy() {
  bridge_.reset();
  if (world_) world_->scheduler().set_pacer(nullptr);
}

Env& FaultProxy::runner_env() { return world_->env(runner_); }

std::map<std::string, std::int64_t> FaultProxy::counters() const {
  std::map<std::string, std::int64_t> c;
  const sim::NetStats& n = world_->stats();
  auto i = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  c["sent"] = i(n.sent);
  c["forwarded"] = i(n.delivered);
  c["dropped"] = i(n.dropped);
  for (int r = 1; r < 9; ++r) {
    if (n.drops[r] != 0) {
      c["dropped_" + std::string(sim::DropReasonName(static_cast<sim::DropReason>(r)))] = i(n.drops[r]);
    }
  }
  c["duplicated"] = i(n.duplicated);
  c["reordered"] = i(n.reordered);
  c["corrupted"] = i(n.corrupted);
  c["stream_segments"] = i(n.segments);
  c["stream_resets_injected"] = i(n.stream_fault_resets);
  c["stream_coalesced"] = i(n.coalesced);
  const net::BridgeStats& b = bridge_->stats();
  c["bridge_datagrams_out"] = i(b.datagrams_out);
  c["bridge_datagrams_in"] = i(b.datagrams_in);
  c["bridge_streams"] = i(b.streams);
  c["bridge_stream_bytes_out"] = i(b.stream_bytes_out);
  c["bridge_stream_bytes_in"] = i(b.stream_bytes_in);
  c["bridge_connect_failures"] = i(b.connect_failures);
  c["bridge_resets_from_target"] = i(b.resets_from_real);
  c["bridge_resets_to_target"] = i(b.resets_to_real);
  c["bridge_real_ports"] = i(b.real_ports);
  return c;
}

}  // namespace mcpsim::conformance
