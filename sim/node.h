// sim: one simulated host's Env (created by World::AddNode, owned by World).
//
// Ports: datagram and stream ports are separate namespaces, as in IP. Port 0
// picks the next free port of 49152..65535, rotating ("SIM-6" if none). Binding a taken port
// is "SIM-4". SendDatagram from a port that is not bound is "SIM-5". Stream
// calls on an unknown or closed stream id are "SIM-7"; StreamSend after
// StreamShutdownWrite is "SIM-8". TimerIds are scheduler EventIds (never 0);
// Cancel with an id of another node's timer is not detected. On a crashed
// node (World::CrashNode) StartTimer does nothing (returns a dead id) and
// Bind/Listen/Connect/Send fail with "SIM-28".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/rng.h"

namespace mcpsim::sim {

class World;

class SimNode final : public Env {
 public:
  SimNode(World* world, std::uint32_t id, std::string name, std::uint32_t ip);

  TimeUs Now() const override;
  TimerId StartTimer(TimeUs at, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override;

  Endpoint LocalAddress() const override { return Endpoint::V4(ip_, 0); }
  Result<Endpoint> BindDatagram(
      std::uint16_t port,
      std::function<void(const Endpoint& from, Bytes payload)> on_datagram) override;
  Status SendDatagram(std::uint16_t from_port, const Endpoint& to, Bytes payload) override;
  // The port stops receiving at once (later deliveries are port_unreachable
  // drops); its binding is erased by an event at now(), after the running
  // handler returned, so a handler may close its own port.
  void CloseDatagram(std::uint16_t port) override;

  Result<Endpoint> Listen(
      std::uint16_t port,
      std::function<StreamHandlers(StreamId id, const Endpoint& peer)> on_accept) override;
  Result<StreamId> Connect(const Endpoint& to, StreamHandlers handlers) override;
  Status StreamSend(StreamId id, Bytes data) override;
  Status StreamShutdownWrite(StreamId id) override;
  void StreamReset(StreamId id) override;

  Rng& Random() override { return rng_; }
  // WorldOptions::offload_workers virtual workers; jobs start in submission
  // order on the earliest free worker (lowest index on ties) and complete
  // `cost` later (at least 1 us), traced as "work_start"/"work_done".
  void Offload(TimeUs cost, std::function<void()> work, std::function<void()> done) override;

  const std::string& name() const { return name_; }
  std::uint32_t ip() const { return ip_; }
  bool down() const { return down_; }

 private:
  friend class World;
  using DatagramFn = std::function<void(const Endpoint&, Bytes)>;
  using AcceptFn = std::function<StreamHandlers(StreamId, const Endpoint&)>;
  // Next port of 49152..65535 from `hint` not in `used`, or 0 if none.
  template <typename M>
  static std::uint16_t FreePort(const M& used, std::uint16_t& hint);

  World* world_;
  std::uint32_t id_;
  std::string name_;
  std::uint32_t ip_;
  Rng rng_;
  std::map<std::uint16_t, DatagramFn> udp_;
  std::map<std::uint16_t, bool> udp_closing_;  // closed, binding not yet erased
  std::map<std::uint16_t, AcceptFn> listeners_;
  std::map<std::uint16_t, int> stream_ports_;  // local ports of open connections (refcount)
  std::uint16_t udp_hint_ = 49152;
  std::uint16_t tcp_hint_ = 49152;
  std::uint64_t conn_count_ = 0;  // connections opened (names their rng streams)
  std::vector<TimeUs> worker_free_at_;  // Offload: when each virtual worker is free
  std::uint64_t jobs_ = 0;              // Offload: jobs submitted (trace ids)
  // Crash state: down between World::CrashNode and RestartNode; epoch counts
  // crashes (a datagram sent in an earlier epoch of either end is dropped).
  bool down_ = false;
  std::uint32_t epoch_ = 0;
  // Live timers are the scheduler's events tagged id + 1 (AtOwned), cancelled
  // by a crash (Scheduler::CancelOwned): no per-timer bookkeeping here.
};

template <typename M>
inline std::uint16_t SimNode::FreePort(const M& used, std::uint16_t& hint) {
  constexpr std::uint32_t kLo = 49152, kCount = 65536 - kLo;
  for (std::uint32_t k = 0; k < kCount; ++k) {
    const auto p = static_cast<std::uint16_t>(kLo + (hint - kLo + k) % kCount);
    if (used.find(p) == used.end()) {
      hint = static_cast<std::uint16_t>(kLo + (p - kLo + 1) % kCount);
      return p;
    }
  }
  return 0;
}

}  // namespace mcpsim::sim
