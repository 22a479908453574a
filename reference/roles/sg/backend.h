// The "Messenger back end" (PROTOCOL.md G-9, the seed's "MSP 服务器") shared by
// every SgRole of one process or simulated world: the account directory (the
// Store), which SG holds each logged-in account's session, the state that
// spans users (conversations, file transfers, voice clips and their relays,
// with their SG-wide counters), and the non-MCP Messenger users a scenario
// plays (presence, nudges, offline messages).
//
// Routing between SG instances is synchronous and deterministic: an event on
// one SG calls straight into the SG holding the target session; outputs stay
// queued in that SG until its Drain(). All containers whose iteration order
// reaches output are ordered.
//
// Threading: none; every call runs to completion. A Backend must outlive the
// SgRoles registered with it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/flat_hash.h"
#include "core/status.h"
#include "reference/roles/sg/call_table.h"
#include "reference/roles/sg/relay.h"
#include "reference/roles/sg/state.h"
#include "reference/store/store.h"

namespace mcpsim::reference {

// Where the SG-wide counters of G-41 (callId, transferId, voiceId) come
// from when the SGs of a deployment run in several processes (CLU-9): one
// shared sequence per counter, so an id is never handed out twice across
// processes or restarts. Without one, a Backend counts in its own memory.
class SharedIds {
 public:
  enum class Counter : std::uint8_t { kCall, kTransfer, kVoice };
  virtual ~SharedIds() = default;
  // The next value of `counter` (>= 1), or STORE-1 when the shared source
  // cannot be reached (the request that needed it is then answered 501).
  virtual Result<std::uint64_t> Next(Counter counter) = 0;
};

class Backend {
 public:
  // `store` is not owned; it must be the store every SgRole of this back end
  // was constructed with.
  explicit Backend(Store& store) : store_(store) {}
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  Store& store() { return store_; }
  // CLU-9: take callId/transferId/voiceId from `ids` (not owned; must outlive
  // the Backend, or be reset with nullptr) instead of this Backend's memory.
  void SetSharedIds(SharedIds* ids) { shared_ids_ = ids; }

  // ---- non-MCP Messenger users (G-9) ----
  // Sets the presence of a back-end user: an existing account that is not
  // logged in through MCP. `presence` is an SG-PRES-1 token; "offline" takes
  // the user offline (removing it from its conversations). Watchers are
  // notified per SG-PRES-6. Returns STORE-3 for an unknown account and
  // SG-PRES-1 for a bad token or an account with an MCP session.
  Status SetPresence(TimeUs now, std::string_view account, std::string_view presence,
                     std::uint32_t caps = 0);
  // SG-NUDGE-1/2: back-end user `from` nudges MCP user `to`. Delivered only if
  // `to` has an ACTIVE, nudge-capable session (silently dropped otherwise);
  // when the two share no conversation one is created first (RRI, then RRN).
  // Returns whether the RRN was queued.
  bool InjectNudge(TimeUs now, std::string_view from, std::string_view to);
  // SG-OFF-7: a back-end user leaves `to` an offline message (stored, and
  // delivered at once by RPN if `to` is ACTIVE). Returns the msgId.
  Result<std::uint64_t> InjectOfflineMessage(TimeUs now, std::string_view from,
                                             std::string_view to, std::string_view text);

  // CLU-8: an offline message for `recipient` was committed, possibly by
  // another SG process sharing the store. If `recipient` has an ACTIVE
  // session on an SG of this back end, its queued messages it has not been
  // offered yet go out now (RPN, SG-OFF-2/4). Idempotent.
  void OfflineQueued(TimeUs now, std::string_view recipient);
  // The same for every ACTIVE session (after wake-ups may have been missed).
  void RecheckOffline(TimeUs now);

  // ---- several SG processes (PROTOCOL.md CLU-10..18; relay.h) ----
  // This back end is SG process `self_sg` (1..2^31-1) of a deployment whose
  // other SGs run elsewhere: what concerns their users is emitted as Relays
  // (TakeRelays) and theirs arrive through OnRelay/RemoteSnapshot/SgGone.
  // Off (0, the default): every SG of the deployment is in this back end.
  void EnableRelays(std::uint32_t self_sg) { self_sg_ = self_sg; }
  std::uint32_t self_sg() const { return self_sg_; }
  // The relays emitted since the last call, in emission order (the order a
  // receiver must apply those addressed to it in).
  std::vector<Relay> TakeRelays();
  bool has_relays() const { return !outbox_.empty(); }
  // Applies a relay of another SG process (ignored: own, or for another SG).
  void OnRelay(TimeUs now, const Relay& r);
  // Replaces what this process knows of other processes' ACTIVE users with
  // `presences` (kPresence relays: after notifications may have been missed).
  void RemoteSnapshot(TimeUs now, const std::vector<Relay>& presences);
  // SG process `sg` died (its lease ended, CLU-6): its users go offline here
  // and leave this process's conversations ("offline", SG-CHAT-13).
  void SgGone(TimeUs now, std::uint32_t sg);
  // A relay queued for SG process `r.to_sg` that died before taking it
  // (taken by this process instead): an RRM becomes an offline message for
  // its recipient (CLU-13); the rest concerned sessions that died with it.
  void OnOrphanRelay(TimeUs now, const Relay& r);
  // The SG process holding `account`'s ACTIVE session elsewhere, or 0.
  std::uint32_t RemoteSgOf(std::string_view account) const;
  // Relayed messages stored as offline messages (CLU-13), and those that
  // could not be (LIM-16 queue full, or the store failed).
  std::uint64_t relays_kept_offline() const { return kept_offline_; }
  std::uint64_t relays_lost() const { return lost_relays_; }

  // What back-end users were sent (RRI, RRR, RAC, RRM, RRB, RPN…) with the
  // request's params, in order. For scenarios and tests.
  struct Delivery {
    std::string to;
    std::string word;
    std::vector<std::string> params;
  };
  const std::vector<Delivery>& deliveries() const { return deliveries_; }

  // ---- introspection ----
  // The SG holding `account`'s session (any state but CONNECTED), or nullptr.
  const SgRole* HolderOf(std::string_view account) const;
  // Members of conversation `call_id` in join order (empty if none).
  std::vector<std::string> Members(std::uint64_t call_id) const;
  std::size_t call_count() const { return calls_.size(); }
  // The state of transfer `id`, if it exists.
  const Transfer* FindTransfer(std::uint64_t id) const;

 private:
  friend class SgRole;
  struct Location {
    SgRole* sg = nullptr;
    std::uint64_t session = 0;
  };
  struct BackendUser {
    std::string presence;
    std::uint32_t caps = 0;
  };

  struct RemoteUser {
    std::uint32_t sg = 0;
    std::string presence;
    std::uint32_t caps = 0;
  };

  void Register(SgRole* sg) { roles_.push_back(sg); }
  // Relays (relay.cc): queued unless relaying is off or muted.
  void Emit(Relay r);
  void PublishPresence(std::string_view account, std::string_view presence, std::uint32_t caps);
  // Conversation `id` changed from `before` (its current members, or none if
  // it ended, go to every other SG process holding a member of either list).
  void CallChanged(std::uint64_t id, const std::vector<std::string>& before);
  void KeepAsOffline(TimeUs now, const Relay& r);
  // `account` (ACTIVE at another process) is gone: offline for this
  // process's watchers, out of its conversations here (nothing relayed).
  void DropRemote(TimeUs now, const std::string& account);
  static std::uint64_t ParseCallId(std::string_view s);
  void Unregister(SgRole* sg);
  // Flushes every registered SG's pending pushes (registration order).
  void FlushAll(TimeUs now);
  // Some SG: the logic entry point for back-end events (the first registered).
  SgRole* AnyRole() const { return roles_.empty() ? nullptr : roles_.front(); }
  // The next callId / transferId / voiceId (G-41; CLU-9 with SharedIds).
  // STORE-1 only from a SharedIds source; voiceIds wrap within 1..2^32-1.
  Result<std::uint64_t> NextCallId() { return NextId(SharedIds::Counter::kCall, next_call_); }
  Result<std::uint64_t> NextTransferId() { return NextId(SharedIds::Counter::kTransfer, next_transfer_); }
  Result<std::uint32_t> NextVoiceId();
  Result<std::uint64_t> NextId(SharedIds::Counter counter, std::uint64_t& local);

  Store& store_;
  std::vector<SgRole*> roles_;
  // Lookup only (transparent: found by string_view without a copy); a flat
  // table (core/flat_hash.h): Locate runs per push and per message.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  FlatHashMap<std::string, Location, NameHash, std::equal_to<>> online_;
  std::map<std::string, BackendUser, std::less<>> backend_users_;
  CallTable calls_;
  std::map<std::uint64_t, Transfer> transfers_;
  std::map<std::pair<std::string, std::uint32_t>, Clip> clips_;
  std::map<std::uint64_t, VoiceRelay> relays_;
  std::uint64_t next_call_ = 1, next_transfer_ = 1, next_voice_ = 1;
  SharedIds* shared_ids_ = nullptr;
  std::vector<Delivery> deliveries_;
  std::uint32_t self_sg_ = 0;
  bool muted_ = false;
  std::map<std::string, RemoteUser, std::less<>> remote_;  // ACTIVE elsewhere
  std::vector<Relay> outbox_;
  std::uint64_t kept_offline_ = 0, lost_relays_ = 0;
};

}  // namespace mcpsim::reference
