#include "net/bridge.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>

namespace mcpsim::net {
namespace {

Bytes B(std::string_view s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

// Bytes a simulated client may push before the real connection is up.
constexpr std::size_t kMaxPending = 4 << 20;
// Simulated senders per bridged UDP port (each gets a real socket).
constexpr std::size_t kMaxUdpSenders = 4096;

}  // namespace

WallPacer::WallPacer(AsioEnv& env) : env_(env), origin_(env.Now()) {}

TimeUs WallPacer::Wait(TimeUs now, TimeUs t) {
  boost::asio::io_context& io = env_.io();
  auto guard = boost::asio::make_work_guard(io);
  bool polled = false;
  for (;;) {
    if (!mail_.empty()) {
      const TimeUs u = std::max(now, mail_.front().first);
      if (u < t) {
        delivering_ = u;
        return u;
      }
    }
    const TimeUs v = VirtualNow();
    if (io.stopped()) io.restart();
    if (v >= t) {
      // Behind the wall clock: still let real input in once per step.
      if (polled) return t;
      polled = true;
      io.poll();
      continue;
    }
    io.run_one_for(std::chrono::microseconds(std::min<TimeUs>(t - v, 10 * kMillis)));
  }
}

void WallPacer::Deliver() {
  while (!mail_.empty() && mail_.front().first <= delivering_) {
    auto fn = std::move(mail_.front().second);
    mail_.pop_front();
    fn();
  }
}

void WallPacer::Post(std::function<void()> fn) { mail_.emplace_back(VirtualNow(), std::move(fn)); }

struct Bridge::Udp {
  std::uint16_t sim_port = 0;
  Endpoint to;
  Rewrite rewrite;
  std::map<Endpoint, std::uint16_t> real_port;  // simulated sender -> its real port
};

struct Bridge::Pipe {
  StreamId sim_sid = 0, real_sid = 0;
  bool real_connected = false, real_closed = false, sim_closed = false, sim_eof = false;
  std::string pending;  // simulated -> real bytes before the real connection is up
  Rewrite rewrite;
};

Bridge::Bridge(sim::World& world, sim::NodeId node, AsioEnv& real, WallPacer& pacer)
    : world_(world), node_(node), real_(real), pacer_(pacer) {}

Bridge::~Bridge() {
  alive_.reset();
  for (auto& [port, u] : udp_) {
    for (const auto& [from, real_port] : u->real_port) real_.CloseDatagram(real_port);
  }
  for (auto& [id, p] : pipes_) {
    if (p->real_sid != 0 && !p->real_closed) real_.StreamReset(p->real_sid);
  }
}

Status Bridge::AddUdp(std::uint16_t sim_port, const Endpoint& to, Rewrite rewrite) {
  auto u = std::make_unique<Udp>();
  u->sim_port = sim_port;
  u->to = to;
  u->rewrite = std::move(rewrite);
  Udp* up = u.get();
  std::weak_ptr<bool> alive = alive_;
  auto bound = world_.env(node_).BindDatagram(sim_port, [this, up, alive](const Endpoint& from, Bytes b) {
    auto it = up->real_port.find(from);
    if (it == up->real_port.end()) {
      if (up->real_port.size() >= kMaxUdpSenders) return;
      auto r = real_.BindDatagram(0, [this, up, from, alive](const Endpoint& src, Bytes in) {
        if (alive.expired() || src != up->to) return;
        pacer_.Post([this, up, from, alive, d = std::string(reinterpret_cast<const char*>(in.data()), in.size())] {
          if (alive.expired()) return;
          const std::string out = up->rewrite ? up->rewrite(d) : d;
          ++stats_.datagrams_in;
          (void)world_.env(node_).SendDatagram(up->sim_port, from, B(out));
        });
      });
      if (!r.ok()) return;
      ++stats_.real_ports;
      it = up->real_port.emplace(from, r->port).first;
    }
    ++stats_.datagrams_out;
    (void)real_.SendDatagram(it->second, up->to, b);
  });
  if (!bound.ok()) return bound.status();
  udp_[sim_port] = std::move(u);
  return Status();
}

Status Bridge::AddTcp(std::uint16_t sim_port, const Endpoint& to, FilterFactory filter) {
  std::weak_ptr<bool> alive = alive_;
  auto listening = world_.env(node_).Listen(sim_port, [this, to, filter, alive](StreamId sid, const Endpoint& peer) {
    auto p = std::make_shared<Pipe>();
    p->sim_sid = sid;
    if (filter) p->rewrite = filter(peer);
    const std::uint64_t id = next_pipe_++;
    pipes_[id] = p;
    ++stats_.streams;
    Env& sim = world_.env(node_);
    auto forget = [this, id] {
      auto it = pipes_.find(id);
      if (it != pipes_.end() && it->second->sim_closed && it->second->real_closed) pipes_.erase(it);
    };
    // The real side: what it delivers enters the simulation through the pacer.
    StreamHandlers rh;
    rh.on_connected = [this, p, alive] {
      if (alive.expired() || p->real_closed) return;
      p->real_connected = true;
      if (!p->pending.empty()) (void)real_.StreamSend(p->real_sid, B(p->pending));
      p->pending.clear();
      if (p->sim_eof) (void)real_.StreamShutdownWrite(p->real_sid);
    };
    rh.on_data = [this, p, alive, &sim](Bytes b) {
      if (alive.expired()) return;
      pacer_.Post([this, p, alive, &sim, d = std::string(reinterpret_cast<const char*>(b.data()), b.size())] {
        if (alive.expired() || p->sim_closed) return;
        const std::string out = p->rewrite ? p->rewrite(d) : d;
        stats_.stream_bytes_in += out.size();
        if (!out.empty()) (void)sim.StreamSend(p->sim_sid, B(out));
      });
    };
    rh.on_eof = [this, p, alive, &sim] {
      if (alive.expired()) return;
      pacer_.Post([p, alive, &sim] {
        if (alive.expired() || p->sim_closed) return;
        // A filter holding an incomplete tail lets it go as it is.
        if (p->rewrite) {
          const std::string rest = p->rewrite({});
          if (!rest.empty()) (void)sim.StreamSend(p->sim_sid, B(rest));
        }
        (void)sim.StreamShutdownWrite(p->sim_sid);
      });
    };
    rh.on_closed = [this, p, alive, &sim, forget](const Status& why) {
      if (alive.expired()) return;
      pacer_.Post([this, p, alive, &sim, why, forget] {
        if (alive.expired()) return;
        p->real_closed = true;
        p->real_sid = 0;
        if (!why.ok()) {
          if (!p->real_connected) ++stats_.connect_failures;
          ++stats_.resets_from_real;
          if (!p->sim_closed) sim.StreamReset(p->sim_sid);
        }
        forget();
      });
    };
    auto r = real_.Connect(to, std::move(rh));
    if (!r.ok()) {
      ++stats_.connect_failures;
      p->real_closed = true;
      // Not inside on_accept: the simulated client sees a reset right after.
      world_.scheduler().After(0, [p, alive, &sim] {
        if (!alive.expired() && !p->sim_closed) sim.StreamReset(p->sim_sid);
      });
    } else {
      p->real_sid = *r;
    }
    // The simulated side.
    StreamHandlers sh;
    sh.on_data = [this, p](Bytes b) {
      if (p->real_closed) return;
      stats_.stream_bytes_out += b.size();
      if (p->real_connected) {
        (void)real_.StreamSend(p->real_sid, b);
      } else if (p->pending.size() + b.size() <= kMaxPending) {
        p->pending.append(reinterpret_cast<const char*>(b.data()), b.size());
      } else {
        ++stats_.resets_to_real;
        real_.StreamReset(p->real_sid);
      }
    };
    sh.on_eof = [this, p] {
      p->sim_eof = true;
      if (p->real_connected && !p->real_closed) (void)real_.StreamShutdownWrite(p->real_sid);
    };
    sh.on_closed = [this, p, forget](const Status& why) {
      p->sim_closed = true;
      if (!why.ok() && p->real_sid != 0 && !p->real_closed) {
        ++stats_.resets_to_real;
        real_.StreamReset(p->real_sid);
      }
      forget();
    };
    return sh;
  });
  return listening.ok() ? Status() : listening.status();
}

}  // namespace mcpsim::net
