// World's stream half: connection setup, in-order segments, FIN/RST, stalls.
#include "sim/stream.h"

#include "sim/node.h"
#include "sim/world.h"

namespace mcpsim::sim {
namespace {

std::string_view ClauseOf(const Status& s) { return s.ok() ? std::string_view("ok") : s.clause(); }

std::string StreamName(const std::string& node, std::uint64_t k) {
  std::string s = "stream:";
  s += node;
  s += '#';
  s += std::to_string(k);
  return s;
}

}  // namespace

Conn* World::FindEnd(NodeId node, StreamId id, int* side) {
  auto it = stream_ends_.find(id);
  if (it == stream_ends_.end()) return nullptr;
  Conn* c = it->second.first;
  *side = it->second.second;
  if (c->end[*side].node != node) return nullptr;
  return c;
}

Result<StreamId> World::Connect(NodeId from, const Endpoint& to, StreamHandlers h) {
  SimNode& n = *nodes_[from];
  std::uint16_t port = 0;
  for (int tries = 0; tries < 4 && port == 0; ++tries) {
    port = SimNode::FreePort(n.stream_ports_, n.tcp_hint_);
    if (n.listeners_.count(port) != 0) port = 0;
  }
  if (port == 0) return Status::Error("SIM-6", "no free stream port on " + n.name());
  ++n.stream_ports_[port];
  Conn& c = conns_.emplace_back(
      Rng::Stream(seed_, StreamName(n.name(), n.conn_count_++)));
  StreamEnd& e = c.end[0];
  e.id = next_stream_id_++;
  e.node = from;
  e.port = port;
  e.h = std::move(h);
  e.open = true;
  e.isn = static_cast<std::uint32_t>(c.rng.Next());
  stream_ends_[e.id] = {&c, 0};
  NodeId dst = from;
  c.routed = Route(to, &dst);
  c.end[1].node = dst;
  c.end[1].port = to.port;
  trace_.Begin(n.name(), "connect");
  trace_.Int("sid", static_cast<std::int64_t>(e.id));
  trace_.Int("sp", port);
  trace_.Str("dst", c.routed ? nodes_[dst]->name() : to.ToString());
  trace_.Int("dp", to.port);
  trace_.End();
  if (!c.routed) {
    Conn* cp = &c;
    sched_.After(opts_.streams.connect_timeout, [this, cp] {
      cp->dead = true;
      CloseEnd(*cp, 0, Status::Error("SIM-21", "connect timed out: no route"));
    });
  } else {
    SendSegment(c, 0, kTcpSyn, {});
  }
  return e.id;
}

void World::SendSegment(Conn& c, int side, std::uint8_t flags, std::vector<std::uint8_t> data) {
  StreamEnd& e = c.end[side];
  StreamEnd& peer = c.end[1 - side];
  if (!e.connected && !(flags & (kTcpSyn | kTcpRst))) {
    e.pre_connect.emplace_back(flags, std::move(data));
    return;
  }
  const TimeUs now = sched_.now();
  const bool syn_only = (flags & kTcpSyn) && !(flags & kTcpAck);
  const std::uint32_t ack = peer.isn + e.rcv;
  pcap_.WriteTcp(now, nodes_[e.node]->ip(), e.port, nodes_[peer.node]->ip(), peer.port,
                 e.isn + e.snd, ack, flags,
                 Bytes(data.data(), data.size()));
  e.snd += static_cast<std::uint32_t>(data.size()) + ((flags & kTcpSyn) ? 1 : 0) +
           ((flags & kTcpFin) ? 1 : 0);
  const TimeUs clear = PathClearAt(e.node, peer.node, now);
  const TimeUs limit = syn_only ? opts_.streams.connect_timeout : opts_.streams.stall_reset_after;
  if (clear == kNever || clear - now > limit) {
    trace_.Begin(nodes_[e.node]->name(), "stream_stall");
    trace_.Int("sid", static_cast<std::int64_t>(e.id));
    trace_.Int("fail_at", limit > kNever - now ? kNever : now + limit);
    trace_.End();
    if (flags & kTcpRst) return;  // nobody waits for a lost RST
    Conn* cp = &c;
    sched_.After(limit, [this, cp, syn_only] {
      if (syn_only) {
        if (cp->end[0].connected) return;
        cp->dead = true;
        CloseEnd(*cp, 0, Status::Error("SIM-21", "connect timed out: path blocked"));
      } else {
        ResetConn(*cp, Status::Error("SIM-22", "stream reset: path blocked too long"));
      }
    });
    return;
  }
  TimeUs arrival = clear + SampleDelay(link_config(e.node, peer.node), c.rng);
  if (arrival < e.horizon) arrival = e.horizon;
  e.horizon = arrival;
  Conn* cp = &c;
  const int to_side = 1 - side;
  sched_.At(arrival, [this, cp, to_side, flags, data = std::move(data)]() mutable {
    OnSegment(*cp, to_side, flags, data);
  });
}

void World::OnSegment(Conn& c, int to_side, std::uint8_t flags, std::vector<std::uint8_t>& data) {
  if (c.dead) return;
  StreamEnd& e = c.end[to_side];
  StreamEnd& peer = c.end[1 - to_side];
  SimNode& n = *nodes_[e.node];
  if ((flags & kTcpSyn) && !(flags & kTcpAck)) {
    auto it = n.listeners_.find(e.port);
    if (it == n.listeners_.end()) {
      c.dead = true;
      trace_.Begin(n.name(), "refuse");
      trace_.Int("dp", e.port);
      trace_.End();
      pcap_.WriteTcp(sched_.now(), n.ip(), e.port, nodes_[peer.node]->ip(), peer.port, 0,
                     peer.isn + 1, kTcpRst | kTcpAck, {});
      Conn* cp = &c;
      sched_.After(SampleDelay(link_config(e.node, peer.node), c.rng), [this, cp] {
        CloseEnd(*cp, 0, Status::Error("SIM-20", "connection refused"));
      });
      return;
    }
    e.id = next_stream_id_++;
    e.open = e.connected = true;
    e.isn = static_cast<std::uint32_t>(c.rng.Next());
    e.rcv = 1;
    stream_ends_[e.id] = {&c, to_side};
    trace_.Begin(n.name(), "accept");
    trace_.Int("sid", static_cast<std::int64_t>(e.id));
    trace_.Int("dp", e.port);
    trace_.Str("peer", nodes_[peer.node]->name());
    trace_.Int("peer_sid", static_cast<std::int64_t>(peer.id));
    trace_.End();
    e.h = it->second(e.id, Endpoint::V4(nodes_[peer.node]->ip(), peer.port));
    SendSegment(c, to_side, kTcpSyn | kTcpAck, {});
    return;
  }
  if (!e.open) return;
  if (flags & kTcpRst) {
    c.dead = true;
    CloseEnd(c, to_side, Status::Error("SIM-23", "stream reset by peer"));
    return;
  }
  if (flags & kTcpSyn) {  // SYN-ACK at the connecting end
    e.connected = true;
    e.rcv = 1;
    pcap_.WriteTcp(sched_.now(), n.ip(), e.port, nodes_[peer.node]->ip(), peer.port,
                   e.isn + e.snd, peer.isn + e.rcv, kTcpAck, {});
    trace_.Begin(n.name(), "connected");
    trace_.Int("sid", static_cast<std::int64_t>(e.id));
    trace_.End();
    auto queued = std::move(e.pre_connect);
    e.pre_connect.clear();
    for (auto& [f, bytes] : queued) SendSegment(c, to_side, f, std::move(bytes));
    if (e.h.on_connected) e.h.on_connected();
    if (!e.open) return;
  }
  if (!data.empty()) {
    e.rcv += static_cast<std::uint32_t>(data.size());
    trace_.Begin(n.name(), "stream_data");
    trace_.Int("sid", static_cast<std::int64_t>(e.id));
    trace_.Int("len", static_cast<std::int64_t>(data.size()));
    trace_.End();
    if (e.h.on_data) e.h.on_data(Bytes(data.data(), data.size()));
    if (!e.open) return;
  }
  if (flags & kTcpFin) {
    e.rcv += 1;
    e.got_fin = true;
    trace_.Begin(n.name(), "eof");
    trace_.Int("sid", static_cast<std::int64_t>(e.id));
    trace_.End();
    if (e.h.on_eof) e.h.on_eof();
    if (e.open && e.wrote_fin) CloseEnd(c, to_side, Status());
  }
}

void World::CloseEnd(Conn& c, int side, Status why) {
  StreamEnd& e = c.end[side];
  if (!e.open) return;
  e.open = false;
  SimNode& n = *nodes_[e.node];
  if (side == 0) {
    auto it = n.stream_ports_.find(e.port);
    if (it != n.stream_ports_.end() && --it->second == 0) n.stream_ports_.erase(it);
  }
  trace_.Begin(n.name(), "closed");
  trace_.Int("sid", static_cast<std::int64_t>(e.id));
  trace_.Str("status", ClauseOf(why));
  trace_.End();
  if (e.h.on_closed) e.h.on_closed(why);
}

void World::ResetConn(Conn& c, Status why) {
  c.dead = true;
  CloseEnd(c, 0, why);
  CloseEnd(c, 1, why);
}

void World::CrashConns(NodeId node) {
  for (Conn& c : conns_) {  // a deque: creation order, deterministic
    if (c.dead) continue;
    int crashed = -1;
    for (int side = 0; side < 2; ++side) {
      if (c.end[side].node == node && (c.end[side].open || (side == 1 && c.routed))) crashed = side;
    }
    if (crashed < 0) continue;
    c.dead = true;  // segments in flight either way are ignored
    StreamEnd& gone = c.end[crashed];
    gone.h = {};
    if (gone.open) {
      gone.open = false;
      if (crashed == 0) {
        SimNode& n = *nodes_[node];
        auto it = n.stream_ports_.find(gone.port);
        if (it != n.stream_ports_.end() && --it->second == 0) n.stream_ports_.erase(it);
      }
    }
    const int peer = 1 - crashed;
    if (!c.end[peer].open || c.end[peer].node == node) continue;
    // The peer learns when the next segment would have arrived (its RST).
    Conn* cp = &c;
    sched_.After(SampleDelay(link_config(node, c.end[peer].node), c.rng), [this, cp, peer] {
      CloseEnd(*cp, peer, Status::Error("SIM-27", "stream reset: peer crashed"));
    });
  }
}

Status World::StreamSend(NodeId node, StreamId id, Bytes data) {
  int side = 0;
  Conn* c = FindEnd(node, id, &side);
  if (c == nullptr || !c->end[side].open) {
    return Status::Error("SIM-7", "unknown or closed stream " + std::to_string(id));
  }
  StreamEnd& e = c->end[side];
  if (e.wrote_fin) return Status::Error("SIM-8", "stream " + std::to_string(id) + " is shut down for writing");
  if (data.empty()) return Status();
  if (c->reset_due) return Status();  // the network is resetting this stream
  trace_.Begin(nodes_[node]->name(), "stream_send");
  trace_.Int("sid", static_cast<std::int64_t>(id));
  trace_.Int("len", static_cast<std::int64_t>(data.size()));
  trace_.End();
  std::vector<std::uint8_t> bytes(data.begin(), data.end());
  if (opts_.streams.coalesce > 0 && c->rng.Chance(opts_.streams.coalesce)) {
    ++stats_.coalesced;
    e.held.insert(e.held.end(), bytes.begin(), bytes.end());
    if (e.hold_event == 0) {
      Conn* cp = c;
      e.hold_event = sched_.After(opts_.streams.coalesce_hold, [this, cp, side] {
        cp->end[side].hold_event = 0;
        if (cp->end[side].open && !cp->dead) FlushHeld(*cp, side);
      });
    }
    return Status();
  }
  if (!e.held.empty()) {
    bytes.insert(bytes.begin(), e.held.begin(), e.held.end());
    e.held.clear();
    sched_.Cancel(e.hold_event);
    e.hold_event = 0;
  }
  SendData(*c, side, std::move(bytes));
  return Status();
}

void World::FlushHeld(Conn& c, int side) {
  StreamEnd& e = c.end[side];
  if (e.hold_event != 0) sched_.Cancel(e.hold_event);
  e.hold_event = 0;
  if (e.held.empty()) return;
  std::vector<std::uint8_t> bytes = std::move(e.held);
  e.held.clear();
  SendData(c, side, std::move(bytes));
}

void World::SendData(Conn& c, int side, std::vector<std::uint8_t> data) {
  const std::uint32_t max = opts_.streams.segment_max;
  std::size_t off = 0;
  while (off < data.size()) {
    std::size_t n = data.size() - off;
    if (max != 0) {
      std::size_t cap = max;
      if (opts_.streams.random_split) cap = static_cast<std::size_t>(c.rng.Range(1, max));
      if (n > cap) n = cap;
    }
    if (opts_.streams.reset > 0 && c.rng.Chance(opts_.streams.reset)) {
      // The network resets the connection instead of carrying this segment:
      // both ends see on_closed (SIM-25) from an event, never inside this call.
      c.reset_due = true;
      ++stats_.stream_fault_resets;
      trace_.Begin(nodes_[c.end[side].node]->name(), "stream_fault_reset");
      trace_.Int("sid", static_cast<std::int64_t>(c.end[side].id));
      trace_.End();
      Conn* cp = &c;
      sched_.After(0, [this, cp] {
        if (!cp->dead) ResetConn(*cp, Status::Error("SIM-25", "stream reset by the network (fault injection)"));
      });
      return;
    }
    ++stats_.segments;
    SendSegment(c, side, kTcpPsh | kTcpAck,
                std::vector<std::uint8_t>(data.begin() + static_cast<std::ptrdiff_t>(off),
                                          data.begin() + static_cast<std::ptrdiff_t>(off + n)));
    off += n;
  }
}

Status World::StreamShutdownWrite(NodeId node, StreamId id) {
  int side = 0;
  Conn* c = FindEnd(node, id, &side);
  if (c == nullptr || !c->end[side].open) {
    return Status::Error("SIM-7", "unknown or closed stream " + std::to_string(id));
  }
  StreamEnd& e = c->end[side];
  if (e.wrote_fin) return Status();
  FlushHeld(*c, side);  // held bytes leave before the FIN
  e.wrote_fin = true;
  trace_.Begin(nodes_[node]->name(), "fin");
  trace_.Int("sid", static_cast<std::int64_t>(id));
  trace_.End();
  SendSegment(*c, side, kTcpFin | kTcpAck, {});
  if (e.got_fin) {
    // Closing completes now, but on_closed must not run inside this call.
    sched_.After(0, [this, c, side] { CloseEnd(*c, side, Status()); });
  }
  return Status();
}

void World::StreamReset(NodeId node, StreamId id) {
  int side = 0;
  Conn* c = FindEnd(node, id, &side);
  if (c == nullptr || !c->end[side].open) return;
  trace_.Begin(nodes_[node]->name(), "rst");
  trace_.Int("sid", static_cast<std::int64_t>(id));
  trace_.End();
  // Further API calls on this end fail at once; on_closed follows as an event
  // (scheduled before the RST leaves, so it runs first even on a 0-delay link).
  StreamEnd& e = c->end[side];
  StreamHandlers h = std::move(e.h);
  e.h = {};
  CloseEnd(*c, side, Status::Error("SIM-24", "stream reset locally"));
  sched_.After(0, [h = std::move(h)] {
    if (h.on_closed) h.on_closed(Status::Error("SIM-24", "stream reset locally"));
  });
  SendSegment(*c, side, kTcpRst | kTcpAck, {});
}

}  // namespace mcpsim::sim
