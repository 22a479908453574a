#include "conformance/capture.h"

namespace mcpsim::conformance {
namespace {

std::uint32_t Ip4(const Endpoint& e) {
  if (!e.v6) return e.v4();
  bool loopback = e.addr[15] == 1;
  for (int i = 0; i < 15; ++i) loopback = loopback && e.addr[static_cast<std::size_t>(i)] == 0;
  if (loopback) return 0x7f000001;
  bool mapped = e.addr[10] == 0xff && e.addr[11] == 0xff;
  for (int i = 0; i < 10; ++i) mapped = mapped && e.addr[static_cast<std::size_t>(i)] == 0;
  if (mapped) {
    return (std::uint32_t{e.addr[12]} << 24) | (std::uint32_t{e.addr[13]} << 16) | (std::uint32_t{e.addr[14]} << 8) |
           e.addr[15];
  }
  return 0;
}

constexpr std::size_t kMss = 1460;

}  // namespace

void CaptureEnv::Note(const char* dir, const char* transport, Bytes data) {
  if (!transcript_) return;
  transcript_->push_back({inner_.Now() - t0_, dir, std::string(transport) + "#" + party_,
                          std::string(reinterpret_cast<const char*>(data.data()), data.size())});
}

Status CaptureEnv::Open(const std::string& path) {
  Status s = w_->Open(path);
  if (!s.ok()) return s;
  const std::uint32_t self = Ip4(inner_.LocalAddress());
  for (const auto& [ep, name] : peers_) {
    if (Ip4(ep) != self && Ip4(ep) != 0) w_->NameHost(Ip4(ep), name);
  }
  return s;
}

void CaptureEnv::NamePeer(const Endpoint& ep, std::string name) {
  const std::uint32_t ip = Ip4(ep);
  if (w_->is_open() && ip != Ip4(inner_.LocalAddress()) && ip != 0) w_->NameHost(ip, name.substr(0, name.find(' ')));
  peers_[ep] = std::move(name);
}

std::string CaptureEnv::PeerName(const Endpoint& ep) const {
  auto it = peers_.find(ep);
  return it != peers_.end() ? it->second : ep.ToString();
}

std::string CaptureEnv::PortLabel(std::uint16_t port) const {
  auto it = port_labels_.find(port);
  if (it != port_labels_.end()) return it->second;
  return party_.empty() ? "port " + std::to_string(port) : party_;
}

void CaptureEnv::LabelStream(StreamId id, std::string label) {
  auto it = streams_.find(id);
  if (it != streams_.end()) it->second.label = std::move(label);
}

Result<Endpoint> CaptureEnv::BindDatagram(std::uint16_t port, std::function<void(const Endpoint&, Bytes)> on_datagram) {
  auto self = std::make_shared<std::uint16_t>(0);
  auto r = inner_.BindDatagram(port, [this, self, fn = std::move(on_datagram)](const Endpoint& from, Bytes b) {
    if (w_->is_open()) {
      const Endpoint local = bound_.count(*self) ? bound_[*self] : inner_.LocalAddress();
      w_->WriteUdp(Stamp(), Ip4(from), from.port, Ip4(local), *self, b,
                       PeerName(from) + " -> " + PortLabel(*self));
    }
    Note("recv", "udp", b);
    fn(from, b);
  });
  if (r.ok()) {
    *self = r->port;
    bound_[r->port] = *r;
  }
  return r;
}

Status CaptureEnv::SendDatagram(std::uint16_t from_port, const Endpoint& to, Bytes payload) {
  if (w_->is_open()) {
    const Endpoint local = bound_.count(from_port) ? bound_[from_port] : inner_.LocalAddress();
    w_->WriteUdp(Stamp(), Ip4(local), from_port, Ip4(to), to.port, payload,
                     PortLabel(from_port) + " -> " + PeerName(to));
  }
  Note("send", "udp", payload);
  return inner_.SendDatagram(from_port, to, payload);
}

void CaptureEnv::Segment(Stream& s, bool ours, std::uint8_t flags, Bytes data) {
  if (!w_->is_open()) {
    return;
  }
  const std::string comment = ours ? s.label + " -> " + s.peer_name : s.peer_name + " -> " + s.label;
  std::size_t off = 0;
  do {
    const std::size_t n = std::min(kMss, data.size() - off);
    const Bytes part = data.subspan(off, n);
    const bool last = off + n >= data.size();
    const std::uint8_t f = last ? flags : static_cast<std::uint8_t>(sim::kTcpAck | sim::kTcpPsh);
    if (ours) {
      w_->WriteTcp(Stamp(), s.local_ip, s.local_port, s.peer_ip, s.peer_port, s.local_seq, s.peer_seq, f, part,
                       comment);
      s.local_seq += static_cast<std::uint32_t>(n) + ((f & (sim::kTcpSyn | sim::kTcpFin)) ? 1 : 0);
    } else {
      w_->WriteTcp(Stamp(), s.peer_ip, s.peer_port, s.local_ip, s.local_port, s.peer_seq, s.local_seq, f, part,
                       comment);
      s.peer_seq += static_cast<std::uint32_t>(n) + ((f & (sim::kTcpSyn | sim::kTcpFin)) ? 1 : 0);
    }
    off += n;
  } while (off < data.size());
}

StreamHandlers CaptureEnv::Wrap(StreamId id, StreamHandlers h) {
  StreamHandlers w;
  w.on_connected = [this, id, fn = std::move(h.on_connected)] {
    if (auto it = streams_.find(id); it != streams_.end()) {
      Segment(it->second, true, sim::kTcpSyn);
      Segment(it->second, false, sim::kTcpSyn | sim::kTcpAck);
      Segment(it->second, true, sim::kTcpAck);
    }
    if (fn) fn();
  };
  w.on_data = [this, id, fn = std::move(h.on_data)](Bytes b) {
    const char* kind = "tcp";
    if (auto it = streams_.find(id); it != streams_.end()) {
      Segment(it->second, false, sim::kTcpAck | sim::kTcpPsh, b);
      if (it->second.peer_name.find("http") != std::string::npos) kind = "http";
    }
    Note("recv", kind, b);
    if (fn) fn(b);
  };
  w.on_eof = [this, id, fn = std::move(h.on_eof)] {
    if (auto it = streams_.find(id); it != streams_.end()) Segment(it->second, false, sim::kTcpFin | sim::kTcpAck);
    if (fn) fn();
  };
  w.on_closed = [this, id, fn = std::move(h.on_closed)](const Status& why) {
    if (auto it = streams_.find(id); it != streams_.end()) {
      if (!why.ok() && !it->second.ended) Segment(it->second, false, sim::kTcpRst | sim::kTcpAck);
      streams_.erase(it);
    }
    if (fn) fn(why);
  };
  return w;
}

Result<Endpoint> CaptureEnv::Listen(std::uint16_t port,
                                    std::function<StreamHandlers(StreamId, const Endpoint&)> on_accept) {
  auto self = std::make_shared<Endpoint>();
  auto r = inner_.Listen(port, [this, self, fn = std::move(on_accept)](StreamId id, const Endpoint& peer) {
    Stream s;
    s.local_ip = Ip4(*self);
    s.local_port = self->port;
    s.peer_ip = Ip4(peer);
    s.peer_port = peer.port;
    s.label = PortLabel(self->port);
    s.peer_name = PeerName(peer);
    Stream& rec = streams_[id] = s;
    Segment(rec, false, sim::kTcpSyn);
    Segment(rec, true, sim::kTcpSyn | sim::kTcpAck);
    Segment(rec, false, sim::kTcpAck);
    return Wrap(id, fn(id, peer));
  });
  if (r.ok()) *self = *r;
  return r;
}

Result<StreamId> CaptureEnv::Connect(const Endpoint& to, StreamHandlers handlers) {
  // The id is known only after the call: the inner Env gets forwarding
  // handlers, completed below (it never calls them inside Connect).
  StreamHandlers inner_h;
  auto real = std::make_shared<StreamHandlers>();
  inner_h.on_connected = [real] {
    if (real->on_connected) real->on_connected();
  };
  inner_h.on_data = [real](Bytes b) {
    if (real->on_data) real->on_data(b);
  };
  inner_h.on_eof = [real] {
    if (real->on_eof) real->on_eof();
  };
  inner_h.on_closed = [real](const Status& why) {
    if (real->on_closed) real->on_closed(why);
  };
  auto r = inner_.Connect(to, std::move(inner_h));
  if (!r.ok()) return r;
  Stream s;
  const Endpoint local = inner_.LocalAddress();
  s.local_ip = Ip4(local);
  s.local_port = static_cast<std::uint16_t>(49152 + *r % 16384);
  s.peer_ip = Ip4(to);
  s.peer_port = to.port;
  s.label = party_.empty() ? "runner" : party_;
  s.peer_name = PeerName(to);
  streams_[*r] = s;
  *real = Wrap(*r, std::move(handlers));
  return r;
}

Status CaptureEnv::StreamSend(StreamId id, Bytes data) {
  const char* kind = "tcp";
  if (auto it = streams_.find(id); it != streams_.end()) {
    Segment(it->second, true, sim::kTcpAck | sim::kTcpPsh, data);
    if (it->second.peer_name.find("http") != std::string::npos) kind = "http";
  }
  Note("send", kind, data);
  return inner_.StreamSend(id, data);
}

Status CaptureEnv::StreamShutdownWrite(StreamId id) {
  if (auto it = streams_.find(id); it != streams_.end()) Segment(it->second, true, sim::kTcpFin | sim::kTcpAck);
  return inner_.StreamShutdownWrite(id);
}

void CaptureEnv::StreamReset(StreamId id) {
  if (auto it = streams_.find(id); it != streams_.end()) {
    Segment(it->second, true, sim::kTcpRst | sim::kTcpAck);
    it->second.ended = true;
  }
  inner_.StreamReset(id);
}

}  // namespace mcpsim::conformance
