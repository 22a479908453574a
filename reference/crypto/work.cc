#include "reference/crypto/work.h"

#include <algorithm>

namespace mcpsim::reference {

WorkResult RunWork(const Work& work) {
  WorkResult r;
  switch (work.kind) {
    case Work::Kind::kHashPassword: {
      auto h = HashPasswordWithSalt(work.password, work.salt, work.cost);
      if (h.ok()) {
        r.ok = true;
        r.encoded = std::move(*h);
      }
      break;
    }
    case Work::Kind::kVerifyPassword:
      r.ok = VerifyPassword(work.password, work.encoded);
      break;
  }
  return r;
}

TimeUs ModelledCost(const Work& work) {
  PasswordCost c = work.cost;
  if (work.kind == Work::Kind::kVerifyPassword) c = EncodedCost(work.encoded).value_or(PasswordCost::Minimal());
  // Saturate: a stored cost is bounded by VerifyPassword (m <= 2^22, t <= 64).
  const std::uint64_t units = std::min<std::uint64_t>(c.memory_kib, 1u << 22) * std::min<std::uint64_t>(c.passes, 64);
  return static_cast<TimeUs>(units) + 20;
}

std::string DummyPasswordHash(PasswordCost cost) {
  // A well-formed PHC string whose hash is a fixed 32-byte value, not the hash
  // of any known password: verifying against it costs exactly what verifying
  // against a real hash of this cost does (VerifyPassword derives, then
  // compares), and no password can be expected to match it.
  return "$argon2id$v=19$m=" + std::to_string(cost.memory_kib) + ",t=" + std::to_string(cost.passes) +
         ",p=1$bWNwc2ltLWR1bW15LXNsdA$bWNwc2ltOiBub3RoaW5nIGhhc2hlcyB0byB0aGlzISE";
}

}  // namespace mcpsim::reference
