// Parameter format checks shared by roles (PROTOCOL.md §4 LIM-* and §7 types).
// Pure functions over decoded parameter values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mcpsim::reference {

// LIM-22: MAJOR.MINOR.PATCH, each 0..65535 without leading zeros.
std::optional<std::array<std::uint16_t, 3>> ParseClientVersion(std::string_view v);
// LIM-22: 1..64 bytes of [A-Za-z0-9_-].
bool IsDeviceId(std::string_view v);
// LIM-22: 1..32 bytes of [a-z0-9_-].
bool IsPlatform(std::string_view v);
// LIM-10: local@domain, lowercase, 5..64 bytes.
bool IsAccountName(std::string_view v);
// LIM-11: 8..64 bytes, no control characters (input is valid UTF-8).
bool IsPassword(std::string_view v);
// LIM-12: 1..128 bytes, no control characters.
bool IsNickname(std::string_view v);
// LIM-13: 0..128 bytes, no control characters.
bool IsPersonalMessage(std::string_view v);
// LIM-18: 1..64 bytes of [A-Za-z0-9_-].
bool IsMediaId(std::string_view v);
// LIM-19: event kind 1..32 bytes of [a-z0-9_].
bool IsEventKind(std::string_view v);
// 32 lowercase hex digits.
bool IsHex32(std::string_view v);
// Decimal with trid digit rules (WIRE-4), 0..4294967295.
std::optional<std::uint32_t> ParseDec(std::string_view v);
// Decimal 0..2^63-1 without leading zeros (timestamps in ms).
std::optional<std::uint64_t> ParseDec64(std::string_view v);

}  // namespace mcpsim::reference
