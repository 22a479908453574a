// CaptureEnv: an Env decorator that records every datagram and every stream
// segment passing through it into a pcapng file (`run.pcap` of `mcpsim
// conform`), whatever the transport (UDP, encrypted UDP, TCP, HTTP) and
// whichever party (the runner's endpoints and sessions, the fake servers of
// client conformance) sends it. Because all harness I/O goes through the Env,
// wrapping the Env is enough to see all of it.
//
// Each packet carries a pcapng comment naming both parties ("alice udp#1 ->
// target udp"), from the labels the harness gives (PartyLabels) and the
// peers named with NamePeer; hosts with a distinct address also get a Name
// Resolution Block. Streams are synthesized as TCP (SYN, SYN-ACK, ACK, data
// segments of at most 1460 bytes with consistent seq/ack, FIN or RST) so that
// Wireshark's "Follow TCP stream" works; the Env does not expose the local
// port of a connection, so outgoing connections get a synthesized source port
// (49152 + id % 16384). IPv6 endpoints are recorded as IPv4 (::1 as
// 127.0.0.1, others 0.0.0.0). Timestamps are the inner Env's Now() plus
// `clock_offset` (the caller passes the Unix time at Now() = 0 for real runs).
//
// Several CaptureEnvs (one per simulated client of a scenario run) can
// write into one shared writer (ShareWriter), and each can also keep a
// transcript of what its party sent and received (SetTranscript).
//
// Not thread-safe (one Env, one thread). Everything else passes through.
#pragma once

#include <map>
#include <string>

#include "conformance/harness.h"
#include "sim/pcap.h"

namespace mcpsim::conformance {

class CaptureEnv final : public Env, public PartyLabels {
 public:
  // `inner` is not owned and must outlive this object.
  CaptureEnv(Env& inner, TimeUs clock_offset) : inner_(inner), offset_(clock_offset) {}
  ~CaptureEnv() override { Close(); }

  Status Open(const std::string& path);  // error SIM-11
  void Close() { own_.Close(); }
  bool is_open() const { return w_->is_open(); }
  std::uint64_t packets() const { return w_->packets(); }
  // The writer in use (its own, or the shared one).
  sim::PcapngWriter* writer() { return w_; }
  // Writes into `shared` (not owned, outlives this) instead of an own file.
  void ShareWriter(sim::PcapngWriter* shared) { w_ = shared ? shared : &own_; }
  // Appends each datagram / stream chunk as a WireEvent to `sink` (not owned):
  // t_us = Now() - t0, dir send|recv, transport "<udp|tcp>#<party>".
  void SetTranscript(std::vector<reports::WireEvent>* sink, TimeUs t0, std::string party) {
    transcript_ = sink;
    t0_ = t0;
    party_ = std::move(party);
  }
  // The name used for `ep` in comments (and in an NRB record when its
  // address is not the local one), e.g. "target udp".
  void NamePeer(const Endpoint& ep, std::string name);

  // ---- PartyLabels ----
  void LabelDatagramPort(std::uint16_t port, std::string label) override { port_labels_[port] = std::move(label); }
  void LabelStream(StreamId id, std::string label) override;

  // ---- Env ----
  TimeUs Now() const override { return inner_.Now(); }
  TimerId StartTimer(TimeUs at, std::function<void()> fn) override { return inner_.StartTimer(at, std::move(fn)); }
  void CancelTimer(TimerId id) override { inner_.CancelTimer(id); }
  Endpoint LocalAddress() const override { return inner_.LocalAddress(); }
  Result<Endpoint> BindDatagram(std::uint16_t port, std::function<void(const Endpoint&, Bytes)> on_datagram) override;
  Status SendDatagram(std::uint16_t from_port, const Endpoint& to, Bytes payload) override;
  void CloseDatagram(std::uint16_t port) override { inner_.CloseDatagram(port); }
  Result<Endpoint> Listen(std::uint16_t port,
                          std::function<StreamHandlers(StreamId, const Endpoint&)> on_accept) override;
  Result<StreamId> Connect(const Endpoint& to, StreamHandlers handlers) override;
  Status StreamSend(StreamId id, Bytes data) override;
  Status StreamShutdownWrite(StreamId id) override;
  void StreamReset(StreamId id) override;
  Rng& Random() override { return inner_.Random(); }

 private:
  struct Stream {
    std::uint32_t local_ip = 0, peer_ip = 0;
    std::uint16_t local_port = 0, peer_port = 0;
    std::uint32_t local_seq = 1000, peer_seq = 5000;
    std::string label;      // our party
    std::string peer_name;  // theirs
    bool ended = false;
  };
  TimeUs Stamp() const { return inner_.Now() + offset_; }
  std::string PeerName(const Endpoint& ep) const;
  std::string PortLabel(std::uint16_t port) const;
  // Writes `flags` (+ data, split in segments) from our side (`ours`) or the peer's.
  void Segment(Stream& s, bool ours, std::uint8_t flags, Bytes data = {});
  StreamHandlers Wrap(StreamId id, StreamHandlers h);

  void Note(const char* dir, const char* transport, Bytes data);

  Env& inner_;
  TimeUs offset_;
  sim::PcapngWriter own_;
  sim::PcapngWriter* w_ = &own_;
  std::vector<reports::WireEvent>* transcript_ = nullptr;
  TimeUs t0_ = 0;
  std::string party_;
  std::map<std::uint16_t, std::string> port_labels_;
  std::map<std::uint16_t, Endpoint> bound_;  // our bound datagram ports
  std::map<Endpoint, std::string> peers_;
  std::map<StreamId, Stream> streams_;
};

}  // namespace mcpsim::conformance
