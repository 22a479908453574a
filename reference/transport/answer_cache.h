// Duplicate suppression for ONE peer [TIMER-8, UDP-*]: the answers a client
// gave to the server-initiated requests of the one server it talks to, so that
// a resent request (same trid and command word) is answered from here and
// never executed twice. The single-peer counterpart of DedupCache
// (reference/transport/dedup.h), for the MC's UdpLink: same observable
// contract as a DedupCache fed one PeerKey only — entries expire `ttl` after
// insertion, at most `max_entries` are kept (the oldest is evicted first), a
// second Insert of a key replaces the first (and counts as new) — with the
// memory of a phone in mind (100,000 of them in one simulation): one vector
// of 48-byte entries in insertion order, no hash index and no peer table.
// Lookups scan the live entries (a phone holds a handful; at most
// `max_entries`). An empty cache owns no heap memory; capacity is trimmed as
// the cache shrinks.
//
// Sans-I/O: every method takes `now`. REQUIRES: `now` never decreases across
// calls (insertion order is then expiry order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"

namespace mcpsim::reference {

class AnswerCache {
 public:
  struct Limits {
    TimeUs ttl = 60 * kSeconds;
    std::size_t max_entries = 256;
  };

  AnswerCache() : AnswerCache(Limits{}) {}
  explicit AnswerCache(Limits limits) : limits_(limits) {}

  // The cached answer bytes for (trid, word), or nullopt. The view is valid
  // until the next non-const call. Expired entries are never returned.
  std::optional<std::string_view> Find(TimeUs now, std::uint32_t trid, std::string_view word) const;

  // Remembers the answer to (trid, word): drops a previous entry for the same
  // key, then the expired ones, then the oldest while max_entries are held.
  void Insert(TimeUs now, std::uint32_t trid, std::string_view word, std::string_view answer);

  // Drops entries whose TTL has passed.
  void Expire(TimeUs now);
  // The earliest expiry, or kNever when empty.
  TimeUs NextDeadline() const { return entries_.empty() ? kNever : entries_.front().expires; }

  // Forgets everything (and releases the memory).
  void Clear() { std::vector<Entry>().swap(entries_); }

  std::size_t size() const { return entries_.size(); }
  std::size_t evictions() const { return evictions_; }
  // Heap bytes held by the entry vector (tests: an empty cache holds none).
  std::size_t capacity() const { return entries_.capacity(); }

 private:
  struct Entry {
    TimeUs expires = 0;
    std::uint32_t trid = 0;
    std::uint32_t word_len = 0;
    std::string data;  // word bytes, then answer bytes
    std::string_view word() const { return std::string_view(data).substr(0, word_len); }
    std::string_view answer() const { return std::string_view(data).substr(word_len); }
  };
  // Removes the first `n` entries (the oldest) and trims the capacity.
  void DropFront(std::size_t n);
  void Trim();

  Limits limits_;
  std::vector<Entry> entries_;  // insertion order = expiry order
  std::size_t evictions_ = 0;
};

}  // namespace mcpsim::reference
