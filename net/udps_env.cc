#include "net/udps_env.h"

#include <memory>

namespace mcpsim::net {

namespace enc = reference::enc;

UdpsEnv::UdpsEnv(Env& inner, UdpsOptions options)
    : inner_(inner), opt_(std::move(options)), sealer_(enc::NewSenderId(inner.Random())),
      opener_(opt_.keys, enc::Opener::Limits{opt_.peer_idle, 65536}) {}

std::uint16_t UdpsEnv::ChannelOf(std::uint8_t key_id) const {
  if (opt_.test_key_blind) return 0;
  return !opt_.plain && key_id == opt_.default_key_id ? 0 : Endpoint::KeyChannel(key_id);
}

Result<Endpoint> UdpsEnv::BindDatagram(std::uint16_t port,
                                       std::function<void(const Endpoint&, Bytes)> on_datagram) {
  if (opt_.plain && !ports_.empty()) return Status::Error("NET-1", "a plain + encrypted UdpsEnv serves one datagram port");
  auto cb = std::make_shared<std::function<void(const Endpoint&, Bytes)>>(std::move(on_datagram));
  auto on_envelope = [this, cb](const Endpoint& from, Bytes b) {
    const TimeUs now = inner_.Now();
    auto o = opener_.Open(now, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    if (!o) return;  // ENC-4/5: silent drop
    if (opt_.test_key_blind) blind_peers_[from] = Peer{o->key_id, now};
    Expire(now);
    Endpoint sender = from;
    sender.channel = ChannelOf(o->key_id);  // the key id is part of the sender endpoint (G-87)
    (*cb)(sender, Bytes(reinterpret_cast<const std::uint8_t*>(o->plain.data()), o->plain.size()));
  };
  Endpoint outer;
  Port p;
  if (opt_.plain) {
    auto plain = inner_.BindDatagram(port, [this, cb](const Endpoint& from, Bytes b) {
      if (opt_.test_key_blind) blind_peers_.erase(from);  // this peer speaks plain now
      (*cb)(from, b);
    });
    if (!plain.ok()) return plain.status();
    p.plain = plain->port;
    outer = *plain;
    if (opt_.encrypted_port) {
      auto e = inner_.BindDatagram(*opt_.encrypted_port, on_envelope);
      if (!e.ok()) return e.status();
      p.enc = e->port;
      enc_ep_ = *e;
    }
  } else {
    auto e = inner_.BindDatagram(port, on_envelope);
    if (!e.ok()) return e.status();
    p.enc = e->port;
    if (ports_.empty()) enc_ep_ = *e;
    outer = *e;
  }
  ports_[outer.port] = p;
  return outer;
}

Status UdpsEnv::SendDatagram(std::uint16_t from_port, const Endpoint& to, Bytes payload) {
  const auto it = ports_.find(from_port);
  if (from_port == 0 || it == ports_.end()) return inner_.SendDatagram(from_port, to, payload);
  const Port& p = it->second;
  const Endpoint wire = to.Transport();
  if (to.channel != 0) {
    const int key_id = to.channel_key_id();
    if (key_id < 0) return Status::Error("NET-2", "no key id on channel " + std::to_string(to.channel));
    return SealAndSend(p, static_cast<std::uint8_t>(key_id), wire, payload);  // ENC-2: the sender's key
  }
  if (opt_.test_key_blind) {
    if (auto peer = blind_peers_.find(wire); peer != blind_peers_.end()) {
      return SealAndSend(p, peer->second.key_id, wire, payload);
    }
  }
  if (p.plain) return inner_.SendDatagram(*p.plain, wire, payload);
  return SealAndSend(p, opt_.default_key_id, wire, payload);
}

Status UdpsEnv::SealAndSend(const Port& p, std::uint8_t key_id, const Endpoint& to, Bytes payload) {
  if (p.enc == 0) return Status::Error("NET-2", "no encrypted port bound");
  auto key = opt_.keys.find(key_id);
  if (key == opt_.keys.end()) {
    ++seal_failures_;
    return Status::Error("ENC-2", "no key with id " + std::to_string(key_id));
  }
  auto sealed = sealer_.Seal(key_id, key->second,
                             std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
  if (!sealed.ok()) {
    ++seal_failures_;
    return sealed.status();
  }
  return inner_.SendDatagram(p.enc, to,
                             Bytes(reinterpret_cast<const std::uint8_t*>(sealed->data()), sealed->size()));
}

void UdpsEnv::CloseDatagram(std::uint16_t port) {
  const auto it = ports_.find(port);
  if (port == 0 || it == ports_.end()) return inner_.CloseDatagram(port);
  if (it->second.plain) inner_.CloseDatagram(*it->second.plain);
  if (it->second.enc != 0) inner_.CloseDatagram(it->second.enc);
  ports_.erase(it);
}

void UdpsEnv::Expire(TimeUs now) {
  if (now < next_expire_) return;
  next_expire_ = now + opt_.peer_idle / 10 + 1;
  opener_.Expire(now);
  for (auto it = blind_peers_.begin(); it != blind_peers_.end();) {
    it = now - it->second.last >= opt_.peer_idle ? blind_peers_.erase(it) : std::next(it);
  }
}

}  // namespace mcpsim::net
