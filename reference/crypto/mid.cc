#include "reference/crypto/mid.h"

#include <sodium.h>

namespace mcpsim::reference {
namespace {
bool Digits(std::string_view s, std::size_t lo, std::size_t hi) {
  if (s.size() < lo || s.size() > hi) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
}  // namespace

Result<std::string> ComputeMid(std::string_view imsi, std::string_view imei) {
  if (!Digits(imsi, 6, 15)) return Status::Error("MID-2", "IMSI must be 6..15 digits");
  if (!Digits(imei, 14, 16)) return Status::Error("MID-2", "IMEI must be 14..16 digits");
  if (sodium_init() < 0) return Status::Error("MID-1", "libsodium failed to initialise");
  std::string input = "MCP-MID-v1";
  input.append(imsi);
  input.push_back('\0');
  input.append(imei);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

}  // namespace mcpsim::reference
