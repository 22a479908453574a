// Password storage (PROTOCOL.md RS-*): Argon2id via libsodium, encoded as a
// PHC string "$argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt b64>$<hash b64>".
// The salt comes from the caller (a seeded Rng in simulation), so hashing is
// deterministic given the salt; plain passwords are never stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/rng.h"
#include "core/status.h"

namespace mcpsim::reference {

struct PasswordCost {
  std::uint64_t passes = 2;            // Argon2 t (libsodium opslimit)
  std::uint64_t memory_kib = 19 * 1024;  // Argon2 m; OWASP's 19 MiB minimum
  // The cheapest parameters libsodium accepts (t=1, m=8 KiB): for simulation,
  // where thousands of accounts are registered per second of wall time.
  static PasswordCost Minimal() { return {1, 8}; }
};

// Hashes `password` with a 16-byte salt drawn from `rng`.
Result<std::string> HashPassword(std::string_view password, Rng& rng, PasswordCost cost = {});
// The same with the salt given (REQUIRES: 16 bytes; anything else fails).
Result<std::string> HashPasswordWithSalt(std::string_view password, std::string_view salt,
                                         PasswordCost cost = {});
// The cost parameters encoded in a PHC string, if it is one of ours.
std::optional<PasswordCost> EncodedCost(std::string_view encoded);

// true iff `password` matches `encoded` (constant-time comparison of the hash).
// A malformed `encoded` string never matches.
bool VerifyPassword(std::string_view password, std::string_view encoded);

}  // namespace mcpsim::reference
