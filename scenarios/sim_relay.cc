#include "scenarios/sim_relay.h"

#include <vector>

namespace mcpsim::scenarios {
namespace {

Bytes B(std::string_view s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }
std::string_view S(Bytes b) { return std::string_view(reinterpret_cast<const char*>(b.data()), b.size()); }

constexpr std::size_t kMaxPending = 4 << 20;  // bytes a client may push before the target accepted
constexpr std::size_t kMaxUdpSenders = 4096;  // per relayed UDP port

}  // namespace

struct SimRelay::Udp {
  std::uint16_t port = 0;
  Endpoint to;
  Rewrite rewrite;
  Observe observe;
  std::map<Endpoint, std::uint16_t> relay_port;  // sender -> its relay port
};

struct SimRelay::Pipe {
  StreamId client = 0, target = 0;
  bool target_connected = false, target_closed = false, client_closed = false, client_eof = false;
  std::string pending;  // client -> target bytes before the target connection is up
  Rewrite rewrite;
};

SimRelay::SimRelay(sim::World& world, sim::NodeId node) : world_(world), node_(node) {}

Env& SimRelay::env() { return world_.env(node_); }

SimRelay::~SimRelay() {
  *alive_ = false;
  if (!world_.node_up(node_)) return;
  for (auto& [port, u] : udp_) {
    for (const auto& [from, relay_port] : u->relay_port) env().CloseDatagram(relay_port);
    env().CloseDatagram(port);
  }
}

Status SimRelay::AddUdp(std::uint16_t port, const Endpoint& to, Rewrite rewrite, Observe observe) {
  auto u = std::make_unique<Udp>();
  u->port = port;
  u->to = to;
  u->rewrite = std::move(rewrite);
  u->observe = std::move(observe);
  Udp* up = u.get();
  std::shared_ptr<bool> alive = alive_;
  auto bound = env().BindDatagram(port, [this, up, alive](const Endpoint& from, Bytes b) {
    if (!*alive) return;
    auto it = up->relay_port.find(from);
    if (it == up->relay_port.end()) {
      if (up->relay_port.size() >= kMaxUdpSenders) return;
      auto r = env().BindDatagram(0, [this, up, from, alive](const Endpoint& src, Bytes in) {
        if (!*alive || src != up->to) return;
        ++stats_.datagrams_in;
        if (up->observe) up->observe(env().Now(), false, from, S(in));
        if (up->rewrite) {
          const std::string out = up->rewrite(S(in));
          (void)env().SendDatagram(up->port, from, B(out));
        } else {
          (void)env().SendDatagram(up->port, from, in);
        }
      });
      if (!r.ok()) return;
      it = up->relay_port.emplace(from, r->port).first;
    }
    ++stats_.datagrams_out;
    if (up->observe) up->observe(env().Now(), true, from, S(b));
    (void)env().SendDatagram(it->second, up->to, b);
  });
  if (!bound.ok()) return bound.status();
  udp_[port] = std::move(u);
  return Status();
}

Status SimRelay::AddTcp(std::uint16_t port, const Endpoint& to, FilterFactory filter) {
  std::shared_ptr<bool> alive = alive_;
  auto listening = env().Listen(port, [this, to, filter, alive](StreamId sid, const Endpoint& peer) -> StreamHandlers {
    auto p = std::make_shared<Pipe>();
    p->client = sid;
    if (filter) p->rewrite = filter(peer);
    const std::uint64_t id = next_pipe_++;
    pipes_[id] = p;
    ++stats_.streams;
    auto forget = [this, id] {
      auto it = pipes_.find(id);
      if (it != pipes_.end() && it->second->client_closed && it->second->target_closed) pipes_.erase(it);
    };
    // The target side.
    StreamHandlers th;
    th.on_connected = [this, p, alive] {
      if (!*alive || p->target_closed) return;
      p->target_connected = true;
      if (!p->pending.empty()) (void)env().StreamSend(p->target, B(p->pending));
      p->pending.clear();
      if (p->client_eof) (void)env().StreamShutdownWrite(p->target);
    };
    th.on_data = [this, p, alive](Bytes b) {
      if (!*alive || p->client_closed) return;
      if (p->rewrite) {
        const std::string out = p->rewrite(S(b));
        stats_.stream_bytes_in += out.size();
        if (!out.empty()) (void)env().StreamSend(p->client, B(out));
      } else {
        stats_.stream_bytes_in += b.size();
        (void)env().StreamSend(p->client, b);
      }
    };
    th.on_eof = [this, p, alive] {
      if (!*alive || p->client_closed) return;
      if (p->rewrite) {  // a filter holding an incomplete tail lets it go as it is
        const std::string rest = p->rewrite({});
        if (!rest.empty()) (void)env().StreamSend(p->client, B(rest));
      }
      (void)env().StreamShutdownWrite(p->client);
    };
    th.on_closed = [this, p, alive, forget](const Status& why) {
      if (!*alive) return;
      p->target_closed = true;
      if (!why.ok()) {
        if (!p->target_connected) ++stats_.connect_failures;
        ++stats_.resets_from_target;
        if (!p->client_closed) env().StreamReset(p->client);
      }
      forget();
    };
    auto r = env().Connect(to, std::move(th));
    if (!r.ok()) {
      ++stats_.connect_failures;
      p->target_closed = true;
      // Not inside on_accept: the client sees a reset right after.
      world_.scheduler().After(0, [this, p, alive] {
        if (*alive && !p->client_closed) env().StreamReset(p->client);
      });
    } else {
      p->target = *r;
    }
    // The client side.
    StreamHandlers ch;
    ch.on_data = [this, p, alive](Bytes b) {
      if (!*alive || p->target_closed) return;
      stats_.stream_bytes_out += b.size();
      if (p->target_connected) {
        (void)env().StreamSend(p->target, b);
      } else if (p->pending.size() + b.size() <= kMaxPending) {
        p->pending.append(S(b));
      } else {
        ++stats_.resets_to_target;
        env().StreamReset(p->target);
      }
    };
    ch.on_eof = [this, p, alive] {
      if (!*alive) return;
      p->client_eof = true;
      if (p->target_connected && !p->target_closed) (void)env().StreamShutdownWrite(p->target);
    };
    ch.on_closed = [this, p, alive, forget](const Status& why) {
      if (!*alive) return;
      p->client_closed = true;
      if (!why.ok() && p->target != 0 && !p->target_closed) {
        ++stats_.resets_to_target;
        env().StreamReset(p->target);
      }
      forget();
    };
    return ch;
  });
  return listening.ok() ? Status() : listening.status();
}

}  // namespace mcpsim::scenarios
