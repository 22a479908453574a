// What the fake servers of client conformance (client_servers.h,
// client_fake_sg.h) put on the wire: one encoded MCP line, and the random
// 32-hex-digit ids (session ids, tokens) they hand out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conformance/harness.h"  // Encode
#include "core/rng.h"

namespace mcpsim::conformance::fake {

// "WORD trid [status] params… [payload]\r\n" (WIRE-1); status absent for a request.
inline std::string Line(const std::string& word, std::uint32_t trid, std::optional<std::uint32_t> status,
                        std::vector<std::string> params, std::optional<std::string> payload = std::nullopt) {
  wire::Command c;
  c.word = word;
  c.trid = trid;
  c.status = status;
  c.params = std::move(params);
  c.payload = std::move(payload);
  return Encode(c);
}

// 32 lowercase hex digits drawn from `rng`.
inline std::string Hex32(Rng& rng) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) s.push_back(hex[rng.Below(16)]);
  return s;
}

}  // namespace mcpsim::conformance::fake
