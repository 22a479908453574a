// Encrypted UDP envelope (PROTOCOL.md §6.5, ENC-1..7), sans-I/O:
//
//   envelope = 0xA5 key_id(1) nonce(24) ciphertext(n + 16)
//   nonce    = sender_id(16) counter(8, big-endian);  AD = the 2 header bytes
//
// XChaCha20-Poly1305-IETF (libsodium) under pre-shared 32-byte keys. The
// Sealer is one sender (its id drawn once from a seeded Rng, a counter that
// never repeats); the Opener is one receiver with a 64-entry replay window per
// (key id, sender id). Every failure on the receive side is a silent drop
// (ENC-4/5): Open returns nullopt and counts the reason. No clocks: the idle
// discard of ENC-7 takes `now` from the caller.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/env.h"
#include "core/rng.h"
#include "core/status.h"

namespace mcpsim::reference::enc {

inline constexpr std::uint8_t kMagic = 0xA5;
inline constexpr std::size_t kHeaderBytes = 2;
inline constexpr std::size_t kSenderIdBytes = 16;
inline constexpr std::size_t kNonceBytes = 24;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kOverhead = kHeaderBytes + kNonceBytes + kTagBytes;  // 42 (ENC-4)
inline constexpr std::size_t kWindow = 64;                                        // ENC-5

using Key = std::array<std::uint8_t, 32>;
using SenderId = std::array<std::uint8_t, kSenderIdBytes>;
using KeyTable = std::map<std::uint8_t, Key>;  // ENC-2: key id -> key

// A fresh sender id (ENC-3), drawn from `rng`.
SenderId NewSenderId(Rng& rng);

// Parses a key file: one key per line, `<key id 0..255> <64 hex digits>`;
// blank lines and lines starting with '#' are ignored. Errors: clause ENC-2
// with the 1-based line number in the message.
Result<KeyTable> ParseKeyTable(std::string_view text);

class Sealer {
 public:
  explicit Sealer(SenderId id);
  // Encrypts one plain datagram under (key_id, key); consumes one counter
  // value. Fails (clause ENC-3) only when the counter space is exhausted.
  Result<std::string> Seal(std::uint8_t key_id, const Key& key, std::string_view plain);
  const SenderId& sender_id() const { return id_; }
  std::uint64_t next_counter() const { return counter_; }

 private:
  SenderId id_;
  std::uint64_t counter_ = 0;
};

struct Opened {
  std::uint8_t key_id = 0;
  SenderId sender{};
  std::uint64_t counter = 0;
  std::string plain;
};

struct OpenerStats {
  std::uint64_t accepted = 0, too_short = 0, bad_magic = 0, unknown_key = 0;
  std::uint64_t auth_failed = 0, replayed = 0, too_old = 0;
};

class Opener {
 public:
  struct Limits {
    TimeUs idle = 600 * kSeconds;    // ENC-7: window state of an idle sender is discarded
    std::size_t max_senders = 65536; // beyond this the longest-idle window is discarded
  };
  explicit Opener(KeyTable keys) : Opener(std::move(keys), Limits{}) {}
  Opener(KeyTable keys, Limits limits);

  // Authenticates and decrypts one envelope received at `now`; nullopt means
  // "drop silently". The replay window is updated only after the tag verified.
  std::optional<Opened> Open(TimeUs now, std::string_view envelope);
  // Discards the windows of senders idle for `limits.idle` (ENC-7).
  void Expire(TimeUs now);

  const KeyTable& keys() const { return keys_; }
  const OpenerStats& stats() const { return stats_; }
  std::size_t senders() const { return windows_.size(); }

 private:
  struct Window {
    std::uint64_t top = 0;   // highest accepted counter
    std::uint64_t seen = 0;  // bit i: counter top - i was accepted
    TimeUs last = 0;
  };
  KeyTable keys_;
  Limits limits_;
  std::map<std::pair<std::uint8_t, SenderId>, Window> windows_;
  OpenerStats stats_;
};

}  // namespace mcpsim::reference::enc
