// sim: internal state of one simulated stream connection (used by World).
//
// Sequence accounting follows TCP so the pcap export is plausible: SYN and
// FIN each consume one sequence number; `snd` counts what this end has sent
// (SYN + data + FIN) and `rcv` what it has received in order.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/env.h"
#include "core/rng.h"
#include "sim/scheduler.h"

namespace mcpsim::sim {

struct StreamEnd {
  StreamId id = 0;  // 0 until this end exists (server: until accepted)
  std::uint32_t node = 0;
  std::uint16_t port = 0;
  StreamHandlers h;
  bool open = false;       // API calls allowed, handlers may still run
  bool connected = false;  // handshake completed at this end
  bool wrote_fin = false;  // StreamShutdownWrite called
  bool got_fin = false;    // peer's FIN delivered
  std::uint32_t isn = 0;
  std::uint32_t snd = 0;
  std::uint32_t rcv = 0;
  TimeUs horizon = 0;  // FIFO: latest arrival of a segment sent by this end
  // Data/FIN segments the connecting end issued before the handshake
  // completed; sent, in order, when the SYN-ACK arrives (as TCP would).
  std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>> pre_connect;
  // StreamOptions::coalesce: bytes of sends held back to leave with the
  // next send (or at the hold timer `hold_event`).
  std::vector<std::uint8_t> held;
  EventId hold_event = 0;
};

// end[0] is the connecting side, end[1] the accepting side.
struct Conn {
  explicit Conn(Rng r) : rng(r) {}
  StreamEnd end[2];
  Rng rng;             // delays, split points and ISNs of this connection
  bool routed = false;  // the destination address belongs to a node
  bool dead = false;    // refused, timed out or reset: in-flight segments are ignored
  bool reset_due = false;  // StreamOptions::reset fired: a reset is scheduled, sends are swallowed
};

}  // namespace mcpsim::sim
