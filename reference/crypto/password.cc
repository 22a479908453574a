#include "reference/crypto/password.h"

#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace mcpsim::reference {
namespace {

constexpr std::size_t kSaltBytes = crypto_pwhash_SALTBYTES;  // 16
constexpr std::size_t kHashBytes = 32;

std::string B64(const unsigned char* p, std::size_t n) {
  std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), p, n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool UnB64(std::string_view s, std::vector<unsigned char>& out, std::size_t want) {
  out.assign(want, 0);
  std::size_t len = 0;
  const std::string str(s);
  return sodium_base642bin(out.data(), want, str.data(), str.size(), nullptr, &len, nullptr,
                           sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0 &&
         len == want;
}

bool Derive(std::string_view password, const unsigned char* salt, std::uint64_t t,
            std::uint64_t m_kib, unsigned char* out) {
  return crypto_pwhash(out, kHashBytes, password.data(), password.size(), salt, t,
                       static_cast<std::size_t>(m_kib) * 1024, crypto_pwhash_ALG_ARGON2ID13) == 0;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password, Rng& rng, PasswordCost cost) {
  unsigned char salt[kSaltBytes];
  rng.Fill(salt, sizeof salt);
  return HashPasswordWithSalt(password, std::string_view(reinterpret_cast<const char*>(salt), sizeof salt),
                              cost);
}

std::optional<PasswordCost> EncodedCost(std::string_view encoded) {
  unsigned long long m = 0, t = 0;
  int consumed = 0;
  const std::string enc(encoded.substr(0, 64));
  if (std::sscanf(enc.c_str(), "$argon2id$v=19$m=%llu,t=%llu,p=1$%n", &m, &t, &consumed) != 2 ||
      consumed == 0) {
    return std::nullopt;
  }
  return PasswordCost{t, m};
}

Result<std::string> HashPasswordWithSalt(std::string_view password, std::string_view salt_bytes,
                                         PasswordCost cost) {
  if (sodium_init() < 0) return Status::Error("STORE-3", "libsodium failed to initialise");
  if (salt_bytes.size() != kSaltBytes) return Status::Error("STORE-3", "argon2id salt must be 16 bytes");
  const auto* salt = reinterpret_cast<const unsigned char*>(salt_bytes.data());
  unsigned char hash[kHashBytes];
  if (!Derive(password, salt, cost.passes, cost.memory_kib, hash)) {
    return Status::Error("STORE-3", "argon2id hashing failed (cost too high or too low)");
  }
  char head[96];
  std::snprintf(head, sizeof head, "$argon2id$v=19$m=%llu,t=%llu,p=1$",
                static_cast<unsigned long long>(cost.memory_kib),
                static_cast<unsigned long long>(cost.passes));
  return std::string(head) + B64(salt, kSaltBytes) + "$" + B64(hash, sizeof hash);
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  if (sodium_init() < 0) return false;
  unsigned long long m = 0, t = 0;
  int consumed = 0;
  const std::string enc(encoded);
  if (std::sscanf(enc.c_str(), "$argon2id$v=19$m=%llu,t=%llu,p=1$%n", &m, &t, &consumed) != 2 ||
      consumed == 0) {
    return false;
  }
  const std::string_view rest = encoded.substr(static_cast<std::size_t>(consumed));
  const auto dollar = rest.find('$');
  if (dollar == std::string_view::npos || m > (1u << 22) || t > 64) return false;
  std::vector<unsigned char> salt, want;
  if (!UnB64(rest.substr(0, dollar), salt, kSaltBytes) ||
      !UnB64(rest.substr(dollar + 1), want, kHashBytes)) {
    return false;
  }
  unsigned char got[kHashBytes];
  if (!Derive(password, salt.data(), t, m, got)) return false;
  return sodium_memcmp(got, want.data(), kHashBytes) == 0;
}

}  // namespace mcpsim::reference
