// What crosses SG processes when the SGs of one deployment run in several
// processes sharing one database (PROTOCOL.md §3.1, CLU-10..17): a Relay is
// an effect one SG process's Backend emits (Backend::TakeRelays) and an input
// another's receives (Backend::OnRelay). The back end never does I/O for it:
// the host carries relays (net/: a PostgreSQL queue table with LISTEN/NOTIFY;
// tests: an in-memory bus). Inside one process (the simulator's several SGs
// over one Backend) nothing is relayed.
//
// EncodeRelay/DecodeRelay give a relay's bytes for a queue row: fields as
// "<decimal length>:<bytes>", so any bytes round-trip. Decoding rejects
// malformed input with clause CLU-10 and the byte offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mcpsim::reference {

struct Relay {
  enum class Kind : std::uint8_t {
    // CLU-11: `account`, an MCP user of SG `from_sg`, is ACTIVE with
    // `presence`/`caps` (raw, before SG-PRES-2's hiding), or "offline": its
    // session there ended. To every other SG (to_sg 0).
    kPresence = 1,
    // CLU-12: conversation `call_id` now has `members` (join order); fewer
    // than two members: it ended (SG-CHAT-14). To each SG holding a member
    // before or after the change; sent before the deliveries it explains.
    kCall = 2,
    // CLU-13: a server-initiated request `word params` (RRI, RRR, RAC, RRM,
    // RRB) for `account`'s ACTIVE session at SG `to_sg`; `tag` is the push tag
    // (the callId of RRI/RRR).
    kDeliver = 3,
    // CLU-14 (SG-LOGIN-8 across processes): `account` logged in at `from_sg`;
    // its session at `to_sg` is replaced (ROUT 208 there).
    kReplace = 4,
    // CLU-16: voice clip `data` (validated, SG-VOICE-6) of `params[0]` in
    // conversation `call_id`, for `account`'s ACTIVE session at `to_sg`,
    // which relays it (RRV) under a voiceId of its own drawing.
    kVoice = 5,
    // CLU-17: file transfer `tag` of conversation `call_id` between a sender
    // at one SG process and a receiver at `to_sg`. `word` is the event:
    // "offer" (to the receiver's process; params {sender, name, size}),
    // "accept"/"reject"/"done" (to the sender's), "data" (the whole file in
    // `data`, to the receiver's), "failed"/"cancel" (either way). `account`
    // is the party whose session is at `to_sg`.
    kFile = 6,
  };
  Kind kind = Kind::kDeliver;
  std::uint32_t from_sg = 0;
  std::uint32_t to_sg = 0;  // 0: every SG but from_sg
  std::string account;
  std::string presence;  // kPresence
  std::uint32_t caps = 0;
  std::string word;  // kDeliver
  std::vector<std::string> params;
  std::uint64_t tag = 0;
  std::uint64_t call_id = 0;  // kCall, kVoice
  std::vector<std::string> members;
  std::string data;  // kVoice, kFile "data"

  bool operator==(const Relay&) const = default;
};

std::string EncodeRelay(const Relay& r);
Result<Relay> DecodeRelay(std::string_view bytes);

}  // namespace mcpsim::reference
