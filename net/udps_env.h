// UdpsEnv: encrypted UDP (PROTOCOL.md §6.5) as an Env decorator, so roles
// and RoleHost stay unchanged: datagrams arriving on the encrypted port are
// opened (reference/transport/enc.h) before the role sees them, and datagrams
// the role sends to an encrypted sender are sealed under that sender's key id
// (ENC-2) and leave from the encrypted port. Everything else (timers,
// streams, Rng) passes through to the inner Env.
//
// The key id is part of the sender endpoint (PROTOCOL.md §6.2, TIMER-5,
// ENC-8; G-87): a datagram opened under key id k from address A:p reaches the
// role as from A:p on channel Endpoint::KeyChannel(k), so every table a role
// keys by endpoint (answer cache, AMP validation, UDP-3 session binding)
// keeps apart two keys behind one address, and an encrypted sender apart
// from a plain one. A send to an endpoint on KeyChannel(k) is sealed under
// key id k — the key of the datagram being answered, not the one last heard
// from the address — and leaves for A:p (the channel never reaches the wire).
// A send to channel 0 is plain when plain is served, else sealed under
// default_key_id; so on an encrypted-only Env (a client) datagrams under
// default_key_id arrive on channel 0, and a role sees its peer at the very
// endpoint it addressed.
//
//   server (plain + encrypted side by side): plain = true, encrypted_port = P
//     BindDatagram(U) binds U (plain) and P (envelopes); both feed the role.
//   client, or encrypted-only server: plain = false
//     BindDatagram(U) binds U for envelopes; sends to channel 0 are sealed
//     with default_key_id.
//
// Failures to open are silent drops (ENC-4/5), counted in opener().stats().
// A server (plain + encrypted) binds one port per UdpsEnv; a client Env
// (encrypted only) binds any number (`mcpsim load`: one per simulated phone),
// all sealing with one sender id and counter (ENC-3).
#pragma once

#include <map>
#include <optional>

#include "core/env.h"
#include "reference/transport/enc.h"

namespace mcpsim::net {

struct UdpsOptions {
  reference::enc::KeyTable keys;                // ENC-2
  bool plain = true;                            // also serve the requested port in plain
  std::optional<std::uint16_t> encrypted_port;  // with plain: the envelope port (0 = any)
  std::uint8_t default_key_id = 0;              // channel 0 when !plain (file comment)
  TimeUs peer_idle = 600 * kSeconds;            // ENC-7: idle replay windows are discarded
  // TEST-ONLY defect (mutant "udps-key-blind", conformance/mutants.h): the
  // behaviour before G-87 — every datagram reaches the role on channel 0
  // (one sender per address whatever the key id), and a send is sealed under
  // the key id last heard from that address. Violates TIMER-5/ENC-2.
  bool test_key_blind = false;
};

class UdpsEnv final : public Env {
 public:
  // `inner` is not owned and must outlive this object. The sender id is drawn
  // once from inner.Random() (ENC-3).
  UdpsEnv(Env& inner, UdpsOptions options);

  // The bound envelope endpoint (valid after BindDatagram).
  const Endpoint& encrypted_endpoint() const { return enc_ep_; }
  const reference::enc::Opener& opener() const { return opener_; }
  std::uint64_t seal_failures() const { return seal_failures_; }

  TimeUs Now() const override { return inner_.Now(); }
  TimerId StartTimer(TimeUs at, std::function<void()> fn) override { return inner_.StartTimer(at, std::move(fn)); }
  void CancelTimer(TimerId id) override { inner_.CancelTimer(id); }
  Endpoint LocalAddress() const override { return inner_.LocalAddress(); }
  Result<Endpoint> BindDatagram(std::uint16_t port,
                                std::function<void(const Endpoint&, Bytes)> on_datagram) override;
  Status SendDatagram(std::uint16_t from_port, const Endpoint& to, Bytes payload) override;
  void CloseDatagram(std::uint16_t port) override;
  Result<Endpoint> Listen(std::uint16_t port,
                          std::function<StreamHandlers(StreamId, const Endpoint&)> on_accept) override {
    return inner_.Listen(port, std::move(on_accept));
  }
  Result<StreamId> Connect(const Endpoint& to, StreamHandlers h) override { return inner_.Connect(to, std::move(h)); }
  Status StreamSend(StreamId id, Bytes data) override { return inner_.StreamSend(id, data); }
  Status StreamShutdownWrite(StreamId id) override { return inner_.StreamShutdownWrite(id); }
  void StreamReset(StreamId id) override { inner_.StreamReset(id); }
  Rng& Random() override { return inner_.Random(); }
  void Offload(TimeUs cost, std::function<void()> work, std::function<void()> done) override {
    inner_.Offload(cost, std::move(work), std::move(done));
  }

 private:
  struct Peer {  // test_key_blind only
    std::uint8_t key_id = 0;
    TimeUs last = 0;
  };
  void Expire(TimeUs now);
  // The channel on which a datagram opened under `key_id` reaches the role.
  std::uint16_t ChannelOf(std::uint8_t key_id) const;
  struct Port {
    std::optional<std::uint16_t> plain;  // inner port for plain datagrams
    std::uint16_t enc = 0;               // inner port for envelopes
  };
  Status SealAndSend(const Port& p, std::uint8_t key_id, const Endpoint& to, Bytes payload);

  Env& inner_;
  UdpsOptions opt_;
  reference::enc::Sealer sealer_;
  reference::enc::Opener opener_;
  std::map<std::uint16_t, Port> ports_;  // by the port the role knows
  Endpoint enc_ep_;                      // the first bound port's envelope endpoint
  std::map<Endpoint, Peer> blind_peers_;     // test_key_blind: address -> key id last heard
  TimeUs next_expire_ = 0;
  std::uint64_t seal_failures_ = 0;
};

}  // namespace mcpsim::net
