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
// Layout (compact; every MC and server holds one): one vector of entries in
// insertion order (answer bytes + trid + word + expiry), a hash index
// (FNV-1a of the key -> sequence number; the full key is compared on lookup,
// so a hash collision never returns a foreign answer), and per peer the
// sequence numbers of its live entries. Removed entries become tombstones
// that are compacted away once they exceed half the live ones; an empty
// cache owns no heap memory. No iteration order of the hash index reaches output.
#pragma once

#include <cstdint>
#include <map>
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

class DedupCache {
 public:
  struct Limits {
    TimeUs ttl = 60 * kSeconds;
    std::size_t per_peer_max = 256;
    std::size_t global_max = 65536;
  };

  DedupCache() : DedupCache(Limits{}) {}
  explicit DedupCache(Limits limits) : limits_(limits) {}

  // The cached answer bytes for (peer, trid, word), or nullptr. The pointer is
  // valid until the next non-const call. Expired entries are never returned.
  const std::string* Find(TimeUs now, const PeerKey& peer, std::uint32_t trid,
                          std::string_view word) const;

  // Remembers the answer to (peer, trid, word), evicting per the limits. A
  // previous entry for the same key is replaced (and counts as new).
  void Insert(TimeUs now, const PeerKey& peer, std::uint32_t trid, std::string_view word,
              std::string answer);

  // Forgets the entry for (peer, trid, word), if any (a group-commit batch
  // whose writes were rolled back: the resend must execute again).
  void Forget(const PeerKey& peer, std::uint32_t trid, std::string_view word);

  // Drops entries whose TTL has passed.
  void Expire(TimeUs now);
  TimeUs NextDeadline() const;

  std::size_t size() const { return live_; }
  std::size_t evictions() const { return evictions_; }

 private:
  using Peers = std::map<PeerKey, std::vector<std::uint64_t>>;  // live seqs, oldest first
  struct Entry {
    std::uint64_t seq;
    TimeUs expires;
    Peers::iterator peer;  // value-initialized once dead
    std::uint32_t trid;
    bool live;
    std::string word;
    std::string answer;
  };

  static std::uint64_t Hash(const PeerKey& peer, std::uint32_t trid, std::string_view word);
  static constexpr std::size_t kNone = ~std::size_t{0};
  // Position in fifo_ of the live entry for the key, or kNone.
  std::size_t Lookup(std::uint64_t hash, const PeerKey& peer, std::uint32_t trid,
                     std::string_view word) const;
  // Position in fifo_ of a live seq.
  std::size_t IndexOf(std::uint64_t seq) const;
  void Kill(Entry& e);
  void Compact();

  Limits limits_;
  std::vector<Entry> fifo_;  // by seq; entries before head_ are tombstones
  std::size_t head_ = 0;     // first live entry (== fifo_.size() if none)
  std::unordered_multimap<std::uint64_t, std::uint64_t> index_;  // hash -> seq (live)
  Peers peers_;
  std::size_t live_ = 0;
  std::uint64_t seq_ = 0;
  std::size_t evictions_ = 0;
};

}  // namespace mcpsim::reference
