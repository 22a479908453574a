#include "reference/roles/validate.h"

namespace mcpsim::reference {
namespace {

bool AllOf(std::string_view v, bool (*ok)(char)) {
  for (char c : v) {
    if (!ok(c)) return false;
  }
  return true;
}
bool Lower(char c) { return c >= 'a' && c <= 'z'; }
bool Digit(char c) { return c >= '0' && c <= '9'; }
bool IdChar(char c) { return Lower(c) || Digit(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'; }
bool PlatformChar(char c) { return Lower(c) || Digit(c) || c == '_' || c == '-'; }
bool KindChar(char c) { return Lower(c) || Digit(c) || c == '_'; }
bool LocalChar(char c) { return Lower(c) || Digit(c) || c == '.' || c == '_' || c == '-'; }
bool DomainChar(char c) { return Lower(c) || Digit(c) || c == '.' || c == '-'; }
bool HexChar(char c) { return Digit(c) || (c >= 'a' && c <= 'f'); }

bool NoControls(std::string_view v) {
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

}  // namespace

std::optional<std::array<std::uint16_t, 3>> ParseClientVersion(std::string_view v) {
  std::array<std::uint16_t, 3> out{};
  for (int i = 0; i < 3; ++i) {
    const auto dot = v.find('.');
    const std::string_view part = i < 2 ? v.substr(0, dot) : v;
    if (i < 2 && dot == std::string_view::npos) return std::nullopt;
    if (part.empty() || part.size() > 5 || !AllOf(part, Digit)) return std::nullopt;
    if (part.size() > 1 && part[0] == '0') return std::nullopt;
    std::uint32_t n = 0;
    for (char c : part) n = n * 10 + static_cast<std::uint32_t>(c - '0');
    if (n > 65535) return std::nullopt;
    out[static_cast<std::size_t>(i)] = static_cast<std::uint16_t>(n);
    if (i < 2) v.remove_prefix(dot + 1);
  }
  return out;
}

bool IsDeviceId(std::string_view v) { return !v.empty() && v.size() <= 64 && AllOf(v, IdChar); }
bool IsPlatform(std::string_view v) { return !v.empty() && v.size() <= 32 && AllOf(v, PlatformChar); }
bool IsMediaId(std::string_view v) { return !v.empty() && v.size() <= 64 && AllOf(v, IdChar); }
bool IsEventKind(std::string_view v) { return !v.empty() && v.size() <= 32 && AllOf(v, KindChar); }
bool IsHex32(std::string_view v) { return v.size() == 32 && AllOf(v, HexChar); }

bool IsAccountName(std::string_view v) {
  if (v.size() < 5 || v.size() > 64) return false;
  const auto at = v.find('@');
  if (at == std::string_view::npos || v.find('@', at + 1) != std::string_view::npos) return false;
  const std::string_view local = v.substr(0, at), domain = v.substr(at + 1);
  if (local.empty() || local.size() > 32 || !AllOf(local, LocalChar)) return false;
  if (!(Lower(local[0]) || Digit(local[0]))) return false;
  if (domain.empty() || domain.size() > 31 || !AllOf(domain, DomainChar)) return false;
  if (domain.find('.') == std::string_view::npos) return false;
  for (char edge : {domain.front(), domain.back()}) {
    if (edge == '.' || edge == '-') return false;
  }
  return true;
}

bool IsPassword(std::string_view v) { return v.size() >= 8 && v.size() <= 64 && NoControls(v); }
bool IsNickname(std::string_view v) { return !v.empty() && v.size() <= 128 && NoControls(v); }
bool IsPersonalMessage(std::string_view v) { return v.size() <= 128 && NoControls(v); }

std::optional<std::uint32_t> ParseDec(std::string_view v) {
  if (v.empty() || v.size() > 10 || !AllOf(v, Digit) || (v.size() > 1 && v[0] == '0')) {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  for (char c : v) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  if (n > 4294967295ULL) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

std::optional<std::uint64_t> ParseDec64(std::string_view v) {
  if (v.empty() || v.size() > 18 || !AllOf(v, Digit) || (v.size() > 1 && v[0] == '0')) {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  for (char c : v) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  return n;
}

}  // namespace mcpsim::reference
