// Rate limits and login back-off (PROTOCOL.md §6.8, RATE-1..9): token buckets
// keyed by a source address, an account or a MID, and exponential back-off
// after repeated failures. Sans-I/O and deterministic: integer arithmetic
// (micro-tokens), `now` from the caller, no clock.
//
// Memory is bounded: each table keeps at most `max_keys` keys and evicts the
// least recently used one first (an evicted key starts again as new: a full
// bucket, no back-off), so a flood of distinct keys costs O(max_keys).
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <string_view>

#include "core/env.h"

namespace mcpsim::reference {

// A token bucket: `per_s` tokens per second, at most `burst` held; a new key
// starts full (RATE-1). per_s == 0 turns the limit off.
struct RateSpec {
  std::uint32_t per_s = 0;
  std::uint32_t burst = 0;
  bool on() const { return per_s > 0; }
};

// "5/20" -> {5, 20}; "off" or "0" -> off. Clause RATE-1 on bad text.
bool ParseRateSpec(std::string_view text, RateSpec& out);
std::string FormatRateSpec(const RateSpec& s);  // "5/20" or "off"

// The key of a source address: the IP address without the port (RATE-2).
// `with_port` is a TEST-ONLY defect (ServerConfig::test_rate_key_port):
// the port is part of the key, so every connection is its own source.
std::string AddressKey(const Endpoint& e, bool with_port = false);

class RateLimiter {
 public:
  explicit RateLimiter(RateSpec spec = {}, std::size_t max_keys = 65536);

  // Takes one token of `key` at `now`: false (refuse, RATE-3) if none is
  // left. Always true when the spec is off. REQUIRES: `now` never decreases.
  bool Take(TimeUs now, std::string_view key);
  const RateSpec& spec() const { return spec_; }
  std::size_t size() const { return entries_.size(); }
  std::uint64_t refused() const { return refused_; }

 private:
  struct Entry {
    std::int64_t micro = 0;  // tokens x 1e6
    TimeUs at = 0;
    std::list<std::string>::iterator lru;
  };
  RateSpec spec_;
  std::size_t max_keys_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::list<std::string> lru_;  // least recently used first
  std::uint64_t refused_ = 0;
};

// Exponential back-off after consecutive failures of one key (RATE-5): the
// first `free_failures` failures cost nothing; the n-th failure beyond them
// blocks the key for min(max, base * 2^(n-1)). A success forgets the key.
struct BackoffSpec {
  std::uint32_t free_failures = 3;
  TimeUs base = 1 * kSeconds;
  TimeUs max = 60 * kSeconds;
  bool on() const { return base > 0; }
};

class FailureBackoff {
 public:
  explicit FailureBackoff(BackoffSpec spec = {}, std::size_t max_keys = 65536);

  // False while `key` is blocked at `now`.
  bool Allowed(TimeUs now, std::string_view key) const;
  void Failure(TimeUs now, std::string_view key);
  void Success(std::string_view key);
  const BackoffSpec& spec() const { return spec_; }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint32_t failures = 0;
    TimeUs until = 0;
    std::list<std::string>::iterator lru;
  };
  BackoffSpec spec_;
  std::size_t max_keys_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::list<std::string> lru_;
};

}  // namespace mcpsim::reference
