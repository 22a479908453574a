// MID: the mobile user id (PROTOCOL.md MID-1/2): the first 16 bytes of
// SHA-256("MCP-MID-v1" || IMSI || 0x00 || IMEI) as 32 lowercase hex digits.
// A one-way function: IMSI and IMEI never appear on the wire.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mcpsim::reference {

// REQUIRES nothing; returns clause MID-2 for an IMSI that is not 6..15 ASCII
// digits or an IMEI that is not 14..16 ASCII digits.
Result<std::string> ComputeMid(std::string_view imsi, std::string_view imei);

}  // namespace mcpsim::reference
