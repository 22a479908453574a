// Internal state of the SG role (PROTOCOL.md §7.3–§7.8): sessions, contact
// sync runs, conversations, file transfers and voice clips. Not part of the
// public API; included by the SG implementation files and backend.cc only.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/transport/push.h"
#include "reference/transport/server.h"

namespace mcpsim::reference {

class SgRole;

enum class SessionState : std::uint8_t { kConnected, kAuthed, kOnline, kActive, kClosed };

// One contact record of an RCR page (§7.4, 7 params).
struct ContactRecord {
  char op = 'A';  // 'A', 'M', 'D'
  std::string account, nickname, psm, avatar_id;
  std::uint32_t profile_version = 0;
  std::uint32_t flags = 0;
};

// SG-PRES-1 presence tokens.
inline bool IsPresenceToken(std::string_view p) {
  return p == "online" || p == "busy" || p == "away" || p == "idle" || p == "brb" ||
         p == "phone" || p == "lunch" || p == "hidden" || p == "offline";
}

// PAY-5 for a chunk of an object of `total` bytes.
inline bool ChunkOk(std::uint64_t offset, std::uint64_t total, std::size_t length) {
  return total >= 1 && offset % 1024 == 0 && offset < total &&
         length == (total - offset < 1024 ? total - offset : 1024);
}

// Caps bits (RSII/RLI).
inline constexpr std::uint32_t kCapFile = 1, kCapVoice = 2, kCapNudge = 4;

// Push tags: the push's word says what it is; the tag carries its object id.
// Push groups (PAY-8 windows) of relayed objects, disjoint per kind.
inline constexpr std::uint64_t kFileGroup = std::uint64_t{1} << 40;
inline constexpr std::uint64_t kVoiceGroup = std::uint64_t{2} << 40;

struct Session {
  // `first_trid`: the session's first server-initiated trid (TRID-4).
  Session(std::uint64_t id_, Via via_, const RetryPolicy& retry, const PushLimits& limits,
          std::uint32_t first_trid)
      : id(id_), via(via_),
        push(via_ == Via::kUdp ? PushTransport::kUdp
                               : via_ == Via::kTcp ? PushTransport::kTcp : PushTransport::kHttp,
             retry, limits, first_trid) {}

  std::uint64_t id;
  Via via;
  SgRole* home = nullptr;  // the SG holding this session
  Endpoint endpoint;      // UDP binding (UDP-3) and TCP peer
  std::uint64_t conn = 0; // TCP binding (TCP-2)
  std::string token;      // AAT token; the HTTP binding (HTTP-7)
  SessionState state = SessionState::kAuthed;
  std::string account;
  std::string presence = "online";
  std::uint32_t caps = 0;
  bool validated = false;  // AMP: after ASII 0
  TimeUs last_activity = 0;
  PushChannel push;

  // Contact sync (SG-SYNC-*): one run at a time, stop-and-wait pages.
  bool initial_sync_done = false;
  // SG-SYNC-13: the store failed when the initial sync was due; it is
  // started again (from `initial_base`) after the session's next request,
  // or at `store_retry_at`, whichever comes first.
  bool initial_sync_failed = false;
  std::uint32_t initial_base = 0;
  // SG-OFF-3 (G-78): the store failed when offline messages were due; they
  // are delivered after the session's next request or at `store_retry_at`.
  bool offline_failed = false;
  // SG-SYNC-13: the store failed when a later sync (SG-SYNC-9) was due; it
  // is started again (from client_version) like the initial one.
  bool sync_failed = false;
  TimeUs store_retry_at = kNever;  // SgConfig::store_retry after a failure
  bool sync_running = false;
  bool sync_again = false;          // a change arrived while a run was going
  std::uint32_t client_version = 0; // list version the client has after the last queued RCS
  std::vector<ContactRecord> records;
  std::uint32_t pages = 0;
  // The RCS (count 0) or last RCR of the running sync once queued: an RPS
  // while it is in flight stands for its answer 0 (SG-SYNC-12). 0 = not yet.
  std::uint32_t sync_final_trid = 0;

  // SG-PRES-4: the last (presence, caps) sent to this session per account.
  std::map<std::string, std::pair<std::string, std::uint32_t>, std::less<>> rnp_sent;
  // SG-OFF-5: msgIds already offered in this session.
  std::set<std::uint64_t> rpn_offered;

  // The SG's deadline index (DeadlineHeap) and its touched list.
  std::uint32_t heap_pos = 0xffffffffu;
  bool touched = false;
};

// A ROUT sender kept after its session was closed (SG-LOGIN-8).
struct Detached {
  Detached(Via via_, PushChannel ch) : via(via_), push(std::move(ch)) {}
  Via via;
  Endpoint endpoint;
  std::uint64_t conn = 0;
  std::string token;
  PushChannel push;
};

struct Call {
  std::uint64_t id = 0;
  std::vector<std::string> members;  // join order
};

enum class TransferState : std::uint8_t {
  kOffered, kAccepted, kUploading, kUploaded, kDone, kRejected, kCancelled, kFailed
};

struct Transfer {
  std::uint64_t id = 0, call_id = 0;
  std::string sender, receiver, name;
  std::uint32_t size = 0;
  TransferState state = TransferState::kOffered;
  bool roa_sent = false;
  std::string data;           // store-and-forward buffer
  std::vector<bool> have;     // per 1024-byte chunk
  std::uint32_t have_count = 0, relay_acked = 0;
  TimeUs last_progress = 0;   // TIMER-12
  SgRole* home = nullptr;     // the SG that runs its timer (the sender's)
  // Across SG processes (CLU-17): the sender's process keeps the transfer and
  // the receiver's keeps a `mirror` of it; `peer_sg` is the other one's SG id
  // (0: both parties are sessions of this process).
  std::uint32_t peer_sg = 0;
  bool mirror = false;

  bool open() const {
    return state == TransferState::kOffered || state == TransferState::kAccepted ||
           state == TransferState::kUploading || state == TransferState::kUploaded;
  }
  // TIMER-12 runs where the transfer makes progress: once the file has gone
  // to the receiver's process, its mirror times it, not the sender's side.
  bool timed_here() const { return open() && !(peer_sg != 0 && !mirror && state == TransferState::kUploaded); }
  std::uint32_t chunks() const { return (size + 1023) / 1024; }
};

// An incoming voice clip being collected (SG-VOICE-2), keyed (sender, voiceId).
struct Clip {
  std::uint64_t call_id = 0;
  std::uint32_t total = 0;
  std::string data;
  std::vector<bool> have;
  std::uint32_t have_count = 0;
  TimeUs last_progress = 0;
  SgRole* home = nullptr;
};

// One RRV relay of a clip to one member (SG-VOICE-3/4).
struct VoiceRelay {
  std::uint64_t call_id = 0;
  std::string recipient;
  std::uint32_t chunks = 0, acked = 0;
};

}  // namespace mcpsim::reference
