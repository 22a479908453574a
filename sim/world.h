// sim: the simulated world — hosts with synthetic IPv4 addresses, each with
// its own mcpsim::Env, joined by a simulated datagram and stream network.
//
// Usage by hosting glue:
//   sim::World w(seed);                         // or World(seed, options)
//   sim::NodeId a = w.AddNode("client"), b = w.AddNode("server");
//   w.SetLink(a, b, cfg);                       // per directed link (else default)
//   w.Partition({a}, {b}, 5 * kSeconds, 8 * kSeconds);
//   Env& env = w.env(b);                        // hand to the role's glue
//   Status st = w.RunUntil(60 * kSeconds);      // or RunUntilQuiet / RunUntilCondition
//   std::string h = w.trace().HashHex();
//
// Determinism: every random choice comes from a named stream of the seed —
// "node:<name>" (Env::Random), "link:<from>-><to>/<fault>" (datagram faults),
// "stream:<n>" (per connection), "buggify:*" (fault points) — so adding a node
// or a link leaves the other streams' choices unchanged. Names must therefore
// be unique; AddNode makes them so by suffixing "#<id>" to a repeated name.
//
// Datagrams: SendDatagram -> (partition/link-down window check at send time)
// -> DecideLink (sim/link_model.h) -> delivery event(s) at the arrival times;
// a clogged link/node holds the packets until the clog ends and then releases
// them in send order. Nothing is ever delivered re-entrantly. Every send,
// delivery and drop (with its DropReason name) is traced.
//
// Streams (TCP-like, also under HTTP): reliable, in order, no loss; each
// segment takes base_delay + jitter of the directed link (FIFO per
// direction). Data and FIN issued by the connecting side before the
// handshake completes are held and sent when the SYN-ACK arrives. A blocked path (partition / link down / clog) at send time
// delays the segment until the path clears; if it stays blocked longer than
// StreamOptions::connect_timeout (SYN) or stall_reset_after (established),
// the connect fails ("SIM-21") or the stream is reset ("SIM-22"). Connecting
// to a port nobody listens on fails with "SIM-20" (refused). Windows are
// evaluated when a segment is sent, not while it is in flight.
//
// Clause ids of errors returned or passed to on_closed: see sim/README.md.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/buggify.h"
#include "core/env.h"
#include "core/flat_hash.h"
#include "core/status.h"
#include "sim/fault_points.h"
#include "sim/link_model.h"
#include "sim/pcap.h"
#include "sim/scheduler.h"
#include "sim/trace.h"

namespace mcpsim::sim {

using NodeId = std::uint32_t;

struct StreamOptions {
  TimeUs connect_timeout = 3 * kSeconds;     // SYN blocked longer -> SIM-21
  TimeUs stall_reset_after = 10 * kSeconds;  // segment blocked longer -> reset, SIM-22
  std::uint32_t segment_max = 1460;          // sends split into <= this many bytes (0 = whole)
  bool random_split = false;                 // split at random sizes in [1, segment_max]
  // Fault injection (off by default; each draws from the connection's rng
  // only when on, so turning one on changes no other choice):
  double reset = 0.0;      // per data segment: the network resets the stream instead (SIM-25)
  double coalesce = 0.0;   // per send: its bytes are held and leave with the next send
  TimeUs coalesce_hold = 5 * kMillis;  // ... or after this long
};

struct WorldOptions {
  LinkConfig default_link;  // for every directed link without an override
  StreamOptions streams;
  bool buggify = false;             // faults() returns the sim's FaultPoints (else nullptr)
  double buggify_sites = 0.25;      // fraction of sites enabled per run
  double buggify_fire = 0.05;       // firing probability of an enabled site
  // Non-empty: exactly these sites are enabled (buggify_sites is ignored),
  // e.g. to replay `mcpsim run --fault-points a,b`.
  std::vector<std::string> buggify_only;
  std::uint64_t max_events = 50'000'000;  // per Run* call (SIM-1 beyond)
  bool capture_trace = false;       // keep trace lines in memory (Trace::lines)
  std::uint32_t offload_workers = 2;  // per node, for Env::Offload (slow work)
};

// Network counters (all packets, all links).
struct NetStats {
  std::uint64_t sent = 0, delivered = 0, dropped = 0, duplicated = 0, corrupted = 0;
  std::uint64_t drops[10] = {};  // indexed by DropReason
  std::uint64_t reordered = 0;  // datagrams the link picked to reorder
  // Streams: data segments sent, resets injected (StreamOptions::reset),
  // sends held back to be coalesced (StreamOptions::coalesce).
  std::uint64_t segments = 0, stream_fault_resets = 0, coalesced = 0;
};

class SimNode;
struct Conn;

class World {
 public:
  explicit World(std::uint64_t seed, WorldOptions options = {});
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  std::uint64_t seed() const { return seed_; }
  const WorldOptions& options() const { return opts_; }

  // ---- nodes ----
  // Adds a host with address 10.0.0.1 + id (10.0.1.0 after 10.0.0.255, ...).
  NodeId AddNode(std::string name);
  std::size_t node_count() const { return nodes_.size(); }
  // The node's Env; valid as long as the World. REQUIRES: id < node_count().
  Env& env(NodeId id);
  const std::string& node_name(NodeId id) const;
  std::uint32_t node_ip(NodeId id) const;
  std::optional<NodeId> NodeByIp(std::uint32_t ip) const;

  // ---- crash and restart ----
  // Crashes `node` now: its timers are cancelled, its datagram bindings and
  // listeners vanish, every datagram in flight to or from it is dropped on
  // arrival (kNodeDown), and each of its stream connections is gone: its own
  // ends close silently (no handler of the crashed node runs again), the
  // peers' ends are reset ("SIM-27") after the link delay. While down,
  // nothing is delivered to it and connects to it are refused. The hosting
  // glue destroys what ran there (it must not use the node's Env until
  // RestartNode). Traced as "crash". "SIM-3" unknown node, "SIM-28" already down.
  Status CrashNode(NodeId node);
  // Brings a crashed node back (same name, address, random stream); the glue
  // then binds and listens again. Traced as "restart". "SIM-28" if not down.
  Status RestartNode(NodeId node);
  bool node_up(NodeId node) const;

  // ---- time ----
  TimeUs Now() const { return sched_.now(); }
  Scheduler& scheduler() { return sched_; }
  Status RunUntil(TimeUs t) { return sched_.RunUntil(t); }
  Status RunUntilQuiet() { return sched_.RunUntilQuiet(); }
  Status RunUntilCondition(const std::function<bool()>& done, TimeUs deadline = kNever) {
    return sched_.RunUntilCondition(done, deadline);
  }

  // ---- links and faults (all return "SIM-3" for an unknown node id) ----
  void SetDefaultLink(const LinkConfig& cfg);
  Status SetLink(NodeId from, NodeId to, const LinkConfig& cfg);  // directed
  Status SetLinkBoth(NodeId a, NodeId b, const LinkConfig& cfg);
  Status ClearLink(NodeId from, NodeId to);  // back to the default
  // The configuration in force for from->to.
  const LinkConfig& link_config(NodeId from, NodeId to) const;
  // from->to is down during [start, end): packets sent then are dropped
  // (kLinkDown). Use twice for both directions.
  Status LinkDown(NodeId from, NodeId to, TimeUs start, TimeUs end);
  // Traffic from any node of `a` to any node of `b` (and b->a if two_way)
  // sent during [start, end) is dropped (kPartition).
  Status Partition(const std::vector<NodeId>& a, const std::vector<NodeId>& b, TimeUs start,
                   TimeUs end, bool two_way = true);
  // Packets on from->to sent during [start, end) are held and released at
  // `end` in send order.
  Status Clog(NodeId from, NodeId to, TimeUs start, TimeUs end);
  // Clogs every link from and to `node` during [start, end).
  Status ClogNode(NodeId node, TimeUs start, TimeUs end);

  // ---- observation ----
  Trace& trace() { return trace_; }
  // A hosting-glue protocol event on `node`'s trace (detail: TraceFields).
  void TraceEvent(NodeId node, std::string_view kind, std::string_view detail = {});
  // Writes all subsequent traffic to a pcap file (error "SIM-11").
  Status OpenPcap(const std::string& path) { return pcap_.Open(path); }
  PcapWriter& pcap() { return pcap_; }
  // The run's fault points: nullptr unless options.buggify.
  FaultPoints* faults() { return opts_.buggify ? &buggify_ : nullptr; }
  SimFaultPoints& sim_faults() { return buggify_; }
  const NetStats& stats() const { return stats_; }

 private:
  friend class SimNode;
  // A link without an override reads the world's default configuration
  // (opts_.default_link, shared: one copy in cache for every such link, and
  // SetDefaultLink needs no pass over the links); an overridden one owns its
  // copy.
  struct Link {
    const LinkConfig* cfg;
    std::unique_ptr<LinkConfig> own;  // set iff overridden
    LinkState state;
    LinkRngs rngs;
    Link(const LinkConfig* c, std::uint64_t seed, std::string_view name) : cfg(c), rngs(seed, name) {}
  };
  struct Packet {
    NodeId from = 0, to = 0;
    std::uint16_t sport = 0, dport = 0;
    std::uint64_t id = 0;
    PacketCopy copy;
    std::vector<std::uint8_t> data;
    std::uint32_t next_free = 0;
    std::uint32_t from_epoch = 0, to_epoch = 0;  // crash counts of both nodes at send time
  };
  enum class WindowKind : std::uint8_t { kDown, kPartition, kClog };
  struct Window {
    WindowKind kind;
    TimeUs start, end;
    std::vector<bool> a, b;  // membership by NodeId
    bool two_way;
    bool Covers(NodeId from, NodeId to, TimeUs t) const;
  };

  bool ValidNode(NodeId id) const { return id < nodes_.size(); }
  // The node owning `to`'s IPv4 address, if any.
  bool Route(const Endpoint& to, NodeId* out) const;
  Link& GetLink(NodeId from, NodeId to);
  Status AddWindow(WindowKind kind, const std::vector<NodeId>& a, const std::vector<NodeId>& b,
                   TimeUs start, TimeUs end, bool two_way);
  // kNone, kLinkDown or kPartition for a packet sent from->to at t.
  DropReason Blocked(NodeId from, NodeId to, TimeUs t) const;
  // The latest end of the clogs holding from->to at t, or t if none.
  TimeUs ClogEnd(NodeId from, NodeId to, TimeUs t) const;
  // The earliest time >= t at which from->to is neither blocked nor clogged.
  TimeUs PathClearAt(NodeId from, NodeId to, TimeUs t) const;

  // Datagram path (world.cc).
  void SendDatagram(NodeId from, std::uint16_t sport, const Endpoint& to, Bytes payload);
  void Drop(NodeId at, std::uint64_t pkt, DropReason why);
  std::uint32_t AllocPacket();
  void Deliver(std::uint32_t idx);

  // Streams (stream.cc).
  friend struct Conn;
  Result<StreamId> Connect(NodeId from, const Endpoint& to, StreamHandlers h);
  Status StreamSend(NodeId node, StreamId id, Bytes data);
  Status StreamShutdownWrite(NodeId node, StreamId id);
  void StreamReset(NodeId node, StreamId id);
  void SendSegment(Conn& c, int side, std::uint8_t flags, std::vector<std::uint8_t> data);
  // Splits `data` into segments per StreamOptions and sends them.
  void SendData(Conn& c, int side, std::vector<std::uint8_t> data);
  // Sends what StreamOptions::coalesce held back on this end.
  void FlushHeld(Conn& c, int side);
  void OnSegment(Conn& c, int to_side, std::uint8_t flags, std::vector<std::uint8_t>& data);
  void CloseEnd(Conn& c, int side, Status why);
  void ResetConn(Conn& c, Status why);
  // Crash: the ends on `node` vanish silently, the peers are reset.
  void CrashConns(NodeId node);
  Conn* FindEnd(NodeId node, StreamId id, int* side);

  std::uint64_t seed_;
  WorldOptions opts_;
  Scheduler sched_;
  Trace trace_;
  PcapWriter pcap_;
  SimFaultPoints buggify_;
  NetStats stats_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  static constexpr std::uint32_t kFirstIp = 0x0A000001u;  // node id n has 10.0.0.1 + n
  std::map<std::string, NodeId> by_name_;
  // Keyed by (from << 32 | to); looked up per datagram (a flat table: one
  // probe, no bucket/node chase at 100k links), iterated only to update
  // configs (order-free). Links live behind pointers: their address is stable.
  FlatHashMap<std::uint64_t, std::unique_ptr<Link>> links_;
  std::vector<Window> windows_;
  std::vector<Packet> packets_;
  std::uint32_t free_packet_ = 0xffffffffu;
  std::uint64_t next_packet_id_ = 1;
  std::deque<Conn> conns_;
  std::unordered_map<StreamId, std::pair<Conn*, int>> stream_ends_;  // lookup only
  StreamId next_stream_id_ = 1;
};

}  // namespace mcpsim::sim
