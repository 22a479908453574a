// Receiver-side duplicate suppression [UDP-*]: a request resent by the same
// sender with the same trid and command word is answered from this cache and
// never executed twice. Used by every server role and by the MC for
// server-initiated requests. Sans-I/O: all methods take `now`.
//
// Memory is bounded: at most `per_peer_max` entries per peer (the oldest of
// that peer is evicted first) and `global_max` overall (the globally oldest is
// evicted first); entries also expire `ttl` after insertion. The TTL must
// exceed the senders' RetryPolicy::GiveUpAfter() for the guarantee to hold.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

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

  // Remembers the answer to (peer, trid, word), evicting per the limits.
  void Insert(TimeUs now, const PeerKey& peer, std::uint32_t trid, std::string_view word,
              std::string answer);

  // Forgets the entry for (peer, trid, word), if any (a group-commit batch
  // whose writes were rolled back: the resend must execute again).
  void Forget(const PeerKey& peer, std::uint32_t trid, std::string_view word);

  // Drops entries whose TTL has passed.
  void Expire(TimeUs now);
  TimeUs NextDeadline() const;

  std::size_t size() const { return entries_.size(); }
  std::size_t evictions() const { return evictions_; }

 private:
  using Key = std::tuple<PeerKey, std::uint32_t, std::string>;
  struct Value {
    std::string answer;
    TimeUs expires;
    std::uint64_t seq;
  };
  void Erase(std::map<Key, Value>::iterator it);

  Limits limits_;
  std::map<Key, Value> entries_;
  std::map<std::uint64_t, Key> by_age_;                      // insertion order
  std::map<PeerKey, std::map<std::uint64_t, Key>> by_peer_;  // per-peer insertion order
  std::uint64_t seq_ = 0;
  std::size_t evictions_ = 0;
};

}  // namespace mcpsim::reference
