#include "sim/world.h"

#include "sim/node.h"
#include "sim/stream.h"

namespace mcpsim::sim {
namespace {

std::string IpString(std::uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

}  // namespace

World::World(std::uint64_t seed, WorldOptions options)
    : seed_(seed),
      opts_(std::move(options)),
      trace_(sched_.now_ptr()),
      buggify_(seed, &trace_, opts_.buggify_sites, opts_.buggify_fire) {
  sched_.set_max_events(opts_.max_events);
  if (!opts_.buggify_only.empty()) buggify_.EnableOnly(opts_.buggify_only);
  trace_.set_capture(opts_.capture_trace);
}

World::~World() = default;

NodeId World::AddNode(std::string name) {
  const auto id = static_cast<NodeId>(nodes_.size());
  if (name.empty() || by_name_.count(name) != 0) {
    name += '#';
    name += std::to_string(id);
  }
  const std::uint32_t ip = kFirstIp + id;  // 10.0.0.1, 10.0.0.2, ...: the id is ip - kFirstIp
  nodes_.push_back(std::make_unique<SimNode>(this, id, name, ip));
  by_name_[name] = id;
  trace_.Event(name, "node", TraceFields().Int("id", id).Str("ip", IpString(ip)).str());
  return id;
}

Env& World::env(NodeId id) { return *nodes_.at(id); }
const std::string& World::node_name(NodeId id) const { return nodes_.at(id)->name(); }
std::uint32_t World::node_ip(NodeId id) const { return nodes_.at(id)->ip(); }

std::optional<NodeId> World::NodeByIp(std::uint32_t ip) const {
  if (ip < kFirstIp || ip - kFirstIp >= nodes_.size()) return std::nullopt;
  return static_cast<NodeId>(ip - kFirstIp);
}

bool World::Route(const Endpoint& to, NodeId* out) const {
  if (to.v6) return false;
  const auto id = NodeByIp(to.v4());
  if (!id) return false;
  *out = *id;
  return true;
}

void World::TraceEvent(NodeId node, std::string_view kind, std::string_view detail) {
  trace_.Event(ValidNode(node) ? std::string_view(nodes_[node]->name()) : "?", kind, detail);
}

// ---- links ----

World::Link& World::GetLink(NodeId from, NodeId to) {
  const std::uint64_t key = (std::uint64_t{from} << 32) | to;
  auto it = links_.find(key);
  if (it != links_.end()) return *it->second;
  const std::string name = "link:" + nodes_[from]->name() + "->" + nodes_[to]->name();
  auto link = std::make_unique<Link>(&opts_.default_link, seed_, name);
  Link& ref = *link;
  links_.emplace(key, std::move(link));
  return ref;
}

void World::SetDefaultLink(const LinkConfig& cfg) {
  opts_.default_link = cfg;  // links without an override point at it
}

Status World::SetLink(NodeId from, NodeId to, const LinkConfig& cfg) {
  if (!ValidNode(from) || !ValidNode(to)) return Status::Error("SIM-3", "unknown node id");
  Link& l = GetLink(from, to);
  l.own = std::make_unique<LinkConfig>(cfg);
  l.cfg = l.own.get();
  return Status();
}

Status World::SetLinkBoth(NodeId a, NodeId b, const LinkConfig& cfg) {
  Status s = SetLink(a, b, cfg);
  return s.ok() ? SetLink(b, a, cfg) : s;
}

Status World::ClearLink(NodeId from, NodeId to) {
  if (!ValidNode(from) || !ValidNode(to)) return Status::Error("SIM-3", "unknown node id");
  Link& l = GetLink(from, to);
  l.cfg = &opts_.default_link;
  l.own.reset();
  return Status();
}

const LinkConfig& World::link_config(NodeId from, NodeId to) const {
  auto it = links_.find((std::uint64_t{from} << 32) | to);
  return it == links_.end() ? opts_.default_link : *it->second->cfg;
}

// ---- windows ----

bool World::Window::Covers(NodeId from, NodeId to, TimeUs t) const {
  if (t < start || t >= end) return false;
  auto in = [](const std::vector<bool>& set, NodeId n) { return n < set.size() && set[n]; };
  return (in(a, from) && in(b, to)) || (two_way && in(b, from) && in(a, to));
}

Status World::AddWindow(WindowKind kind, const std::vector<NodeId>& a,
                        const std::vector<NodeId>& b, TimeUs start, TimeUs end, bool two_way) {
  Window w{kind, start, end, std::vector<bool>(nodes_.size()), std::vector<bool>(nodes_.size()),
           two_way};
  for (NodeId n : a) {
    if (!ValidNode(n)) return Status::Error("SIM-3", "unknown node id " + std::to_string(n));
    w.a[n] = true;
  }
  for (NodeId n : b) {
    if (!ValidNode(n)) return Status::Error("SIM-3", "unknown node id " + std::to_string(n));
    w.b[n] = true;
  }
  static constexpr const char* kKinds[] = {"link_down", "partition", "clog"};
  std::string sa, sb;
  for (NodeId n : a) sa += (sa.empty() ? "" : ",") + nodes_[n]->name();
  for (NodeId n : b) sb += (sb.empty() ? "" : ",") + nodes_[n]->name();
  trace_.Event("sim", "window",
               TraceFields()
                   .Str("kind", kKinds[static_cast<int>(kind)])
                   .Str("a", sa)
                   .Str("b", sb)
                   .Int("start", start)
                   .Int("end", end)
                   .Bool("two_way", two_way)
                   .str());
  windows_.push_back(std::move(w));
  return Status();
}

Status World::LinkDown(NodeId from, NodeId to, TimeUs start, TimeUs end) {
  return AddWindow(WindowKind::kDown, {from}, {to}, start, end, false);
}
Status World::Partition(const std::vector<NodeId>& a, const std::vector<NodeId>& b, TimeUs start,
                        TimeUs end, bool two_way) {
  return AddWindow(WindowKind::kPartition, a, b, start, end, two_way);
}
Status World::Clog(NodeId from, NodeId to, TimeUs start, TimeUs end) {
  return AddWindow(WindowKind::kClog, {from}, {to}, start, end, false);
}
Status World::ClogNode(NodeId node, TimeUs start, TimeUs end) {
  if (!ValidNode(node)) return Status::Error("SIM-3", "unknown node id");
  std::vector<NodeId> all(nodes_.size());
  for (NodeId i = 0; i < all.size(); ++i) all[i] = i;
  return AddWindow(WindowKind::kClog, {node}, all, start, end, true);
}

DropReason World::Blocked(NodeId from, NodeId to, TimeUs t) const {
  for (const Window& w : windows_) {
    if (w.kind != WindowKind::kClog && w.Covers(from, to, t)) {
      return w.kind == WindowKind::kDown ? DropReason::kLinkDown : DropReason::kPartition;
    }
  }
  return DropReason::kNone;
}

TimeUs World::ClogEnd(NodeId from, NodeId to, TimeUs t) const {
  TimeUs until = t;
  for (const Window& w : windows_) {
    if (w.kind == WindowKind::kClog && w.Covers(from, to, t) && w.end > until) until = w.end;
  }
  return until;
}

TimeUs World::PathClearAt(NodeId from, NodeId to, TimeUs t) const {
  // Each pass moves t to the end of a window covering it; windows are finite
  // in number, so this terminates (at kNever for an endless window).
  for (std::size_t pass = 0; pass <= windows_.size(); ++pass) {
    bool moved = false;
    for (const Window& w : windows_) {
      if (w.Covers(from, to, t)) {
        t = w.end;
        moved = true;
      }
    }
    if (!moved || t == kNever) return t;
  }
  return t;
}

// ---- datagrams ----

std::uint32_t World::AllocPacket() {
  if (free_packet_ != 0xffffffffu) {
    const std::uint32_t i = free_packet_;
    free_packet_ = packets_[i].next_free;
    return i;
  }
  packets_.emplace_back();
  return static_cast<std::uint32_t>(packets_.size() - 1);
}

void World::Drop(NodeId at, std::uint64_t pkt, DropReason why) {
  ++stats_.dropped;
  ++stats_.drops[static_cast<int>(why)];
  trace_.Begin(nodes_[at]->name(), "drop");
  trace_.Int("pkt", static_cast<std::int64_t>(pkt));
  trace_.Str("reason", DropReasonName(why));
  trace_.End();
}

void World::SendDatagram(NodeId from, std::uint16_t sport, const Endpoint& to, Bytes payload) {
  const TimeUs now = sched_.now();
  const std::uint64_t pkt = next_packet_id_++;
  ++stats_.sent;
  NodeId dst = 0;
  const bool routed = Route(to, &dst);
  trace_.Begin(nodes_[from]->name(), "send");
  trace_.Int("pkt", static_cast<std::int64_t>(pkt));
  trace_.Int("sp", sport);
  if (routed) {
    trace_.Str("dst", nodes_[dst]->name());
  } else {
    trace_.Str("dst", to.ToString());
  }
  trace_.Int("dp", to.port);
  trace_.Int("len", static_cast<std::int64_t>(payload.size()));
  trace_.End();
  pcap_.WriteUdp(now, nodes_[from]->ip(), sport, to.v4(), to.port, payload);
  if (!routed) return Drop(from, pkt, DropReason::kNoRoute);
  const DropReason blocked = Blocked(from, dst, now);
  if (blocked != DropReason::kNone) return Drop(from, pkt, blocked);
  Link& link = GetLink(from, dst);
  const LinkDecision d = DecideLink(*link.cfg, link.state, link.rngs, now, payload.size());
  if (d.drop != DropReason::kNone) return Drop(from, pkt, d.drop);
  if (d.reordered) ++stats_.reordered;
  const TimeUs clog_end = ClogEnd(from, dst, now);
  for (std::uint8_t i = 0; i < d.copies; ++i) {
    const std::uint32_t idx = AllocPacket();
    Packet& p = packets_[idx];
    p.from = from;
    p.to = dst;
    p.sport = sport;
    p.dport = to.port;
    p.id = pkt;
    p.from_epoch = nodes_[from]->epoch_;
    p.to_epoch = nodes_[dst]->epoch_;
    p.copy = d.copy[i];
    p.data.assign(payload.begin(), payload.end());
    const TimeUs at = d.copy[i].arrival > clog_end ? d.copy[i].arrival : clog_end;
    if (i == 1) {
      ++stats_.duplicated;
      trace_.Begin(nodes_[from]->name(), "dup");
      trace_.Int("pkt", static_cast<std::int64_t>(pkt));
      trace_.Int("at", at);
      trace_.End();
    }
    if (d.copy[i].flips != 0) {
      ++stats_.corrupted;
      trace_.Begin(nodes_[from]->name(), "corrupt");
      trace_.Int("pkt", static_cast<std::int64_t>(pkt));
      trace_.Int("copy", i);
      trace_.Int("bits", d.copy[i].flips);
      trace_.End();
    }
    sched_.At(at, [this, idx] { Deliver(idx); });
  }
}

void World::Deliver(std::uint32_t idx) {
  // Copy what we need: the handler may send, growing packets_.
  const Packet& p = packets_[idx];
  const NodeId to = p.to;
  const std::uint64_t pkt = p.id;
  const Endpoint from = Endpoint::V4(nodes_[p.from]->ip(), p.sport);
  std::vector<std::uint8_t> data = std::move(packets_[idx].data);
  ApplyFlips(p.copy, data);
  SimNode& node = *nodes_[to];
  auto it = node.udp_.find(p.dport);
  if (node.down_ || node.epoch_ != p.to_epoch || nodes_[p.from]->epoch_ != p.from_epoch) {
    Drop(to, pkt, DropReason::kNodeDown);  // in flight across a crash
  } else if (it == node.udp_.end() || node.udp_closing_.count(p.dport) != 0) {
    Drop(to, pkt, DropReason::kPortUnreachable);
  } else {
    ++stats_.delivered;
    trace_.Begin(node.name(), "deliver");
    trace_.Int("pkt", static_cast<std::int64_t>(pkt));
    trace_.Int("len", static_cast<std::int64_t>(data.size()));
    trace_.End();
    // Bindings are only erased by an event (SimNode::CloseDatagram, a
    // crash) and std::map nodes are stable, so `it` survives what the handler does.
    it->second(from, Bytes(data.data(), data.size()));
  }
  Packet& q = packets_[idx];
  q.data = std::move(data);  // keep the buffer's capacity for reuse
  q.data.clear();
  q.next_free = free_packet_;
  free_packet_ = idx;
}

// ---- crash and restart ----

bool World::node_up(NodeId node) const { return ValidNode(node) && !nodes_[node]->down_; }

Status World::CrashNode(NodeId node) {
  if (!ValidNode(node)) return Status::Error("SIM-3", "unknown node id");
  SimNode& n = *nodes_[node];
  if (n.down_) return Status::Error("SIM-28", n.name() + " is already down");
  n.down_ = true;
  ++n.epoch_;
  // Its pending timers (cancelling traces nothing, so the count can be taken
  // by cancelling them first).
  const std::size_t timers = sched_.CancelOwned(node + 1);
  trace_.Begin(n.name(), "crash");
  trace_.Int("timers", static_cast<std::int64_t>(timers));
  trace_.End();
  n.udp_.clear();
  n.udp_closing_.clear();
  n.listeners_.clear();
  CrashConns(node);
  return Status();
}

Status World::RestartNode(NodeId node) {
  if (!ValidNode(node)) return Status::Error("SIM-3", "unknown node id");
  SimNode& n = *nodes_[node];
  if (!n.down_) return Status::Error("SIM-28", n.name() + " is not down");
  n.down_ = false;
  trace_.Begin(n.name(), "restart");
  trace_.End();
  return Status();
}

}  // namespace mcpsim::sim
