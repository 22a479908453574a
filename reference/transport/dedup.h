// Receiver-side duplicate suppression [UDP-*]: a request resent by the same
// sender with the same trid and command word is answered from this cache and
// never executed twice. Used by every server role and by the MC for
// server-initiated requests. Sans-I/O: all methods take `now`.
//
// Memory is bounded: at most `per_peer_max` entries per peer (the oldest of
// that peer is evicted first) and `global_max` overall (the globally oldest is
// evicted first); entries also expire `ttl` after insertion. The TTL must
// exceed the senders' RetryPolicy::GiveUpAfter() for the guarantee to hold.
// REQUIRES: `now` never decreases across calls (insertion order is then
// expiry order, which the layout relies on).
//
// Layout (compact and allocation-light; every MC and server holds one, a
// server one entry per recent request of every peer):
//   - one vector of 64-byte entries in insertion order (word and answer bytes
//     in one string, the expiry, the trid, the peer, the next entry of the
//     same peer); removed entries become tombstones, compacted away once they
//     outnumber the live ones (amortized O(1) per removal);
//   - an open-addressing hash index (key hash -> entry position, linear
//     probing, rebuilt on compaction or when tombstones fill it); the full key
//     is compared on lookup, so a hash collision never returns a foreign
//     answer;
//   - per peer, a count and an intrusive FIFO list of its live entries (for
//     the per-peer bound), in a hash map keyed by PeerKey.
// An empty cache owns no heap memory. No iteration order of a hash container
// reaches output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/env.h"

namespace mcpsim::reference {

// Who sent a request: the UDP source endpoint, or a stream connection id
// (conn != 0) for TCP/HTTP peers.
struct PeerKey {
  Endpoint endpoint;
  std::uint64_t conn = 0;
  auto operator<=>(const PeerKey&) const = default;
};

struct PeerKeyHash {
  std::size_t operator()(const PeerKey& k) const noexcept;
};

class DedupCache {
 public:
  struct Limits {
    TimeUs ttl = 60 * kSeconds;
    std::size_t per_peer_max = 256;
    std::size_t global_max = 65536;
  };

  DedupCache() : DedupCache(Limits{}) {}
  explicit DedupCache(Limits limits) : limits_(limits) {}

  // The cached answer bytes for (peer, trid, word), or nullopt. The view is
  // valid until the next non-const call. Expired entries are never returned.
  std::optional<std::string_view> Find(TimeUs now, const PeerKey& peer, std::uint32_t trid,
                                       std::string_view word) const;

  // Remembers the answer to (peer, trid, word), evicting per the limits. A
  // previous entry for the same key is replaced (and counts as new).
  void Insert(TimeUs now, const PeerKey& peer, std::uint32_t trid, std::string_view word,
              std::string_view answer);

  // Forgets the entry for (peer, trid, word), if any (a group-commit batch
  // whose writes were rolled back: the resend must execute again).
  void Forget(const PeerKey& peer, std::uint32_t trid, std::string_view word);

  // Drops entries whose TTL has passed.
  void Expire(TimeUs now);
  TimeUs NextDeadline() const;

  std::size_t size() const { return live_; }
  std::size_t evictions() const { return evictions_; }

 private:
  static constexpr std::uint32_t kNil = 0xffffffffu;
  struct PeerState {
    std::uint32_t count = 0;
    std::uint32_t oldest = kNil, newest = kNil;  // positions in fifo_
  };
  using Peers = std::unordered_map<PeerKey, PeerState, PeerKeyHash>;
  struct Entry {
    TimeUs expires = 0;
    std::string data;  // word bytes, then answer bytes
    Peers::value_type* peer = nullptr;  // nullptr = tombstone
    std::uint32_t trid = 0;
    std::uint32_t next = kNil;  // next live entry of the same peer
    std::uint32_t word_len = 0;
    std::string_view word() const { return std::string_view(data).substr(0, word_len); }
    std::string_view answer() const { return std::string_view(data).substr(word_len); }
  };
  // Hash index slots: 0 = empty, kDeleted = tombstone, else position + 1.
  static constexpr std::uint32_t kDeleted = 0xffffffffu;

  static std::uint64_t Hash(const PeerKey& peer, std::uint32_t trid, std::string_view word);
  // Position in fifo_ of the live entry for the key, or kNil.
  std::uint32_t Lookup(std::uint64_t hash, const PeerKey& peer, std::uint32_t trid,
                       std::string_view word) const;
  void Kill(std::uint32_t pos);
  void Compact();
  void Rebuild(std::size_t capacity);  // index and peer lists from fifo_
  void IndexAdd(std::uint64_t hash, std::uint32_t pos);

  Limits limits_;
  std::vector<Entry> fifo_;  // insertion order; entries before head_ are tombstones
  std::size_t head_ = 0;     // first live entry (== fifo_.size() if none)
  std::vector<std::uint32_t> slots_;  // power-of-two open-addressing table
  std::size_t used_slots_ = 0;        // live + deleted slots
  Peers peers_;
  // Buffers of killed entries, reused by Insert (a cache at its limits or
  // expiring as fast as it fills allocates nothing per answer); bounded,
  // and dropped with everything else when the cache empties.
  std::vector<std::string> spare_;
  std::size_t live_ = 0;
  std::size_t evictions_ = 0;
};

}  // namespace mcpsim::reference
