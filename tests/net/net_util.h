// Helpers for the loopback tests: drive an io_context until a condition
// holds, with a wall-clock bound so no test can hang.
#pragma once

#include <utility>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "core/env.h"

namespace mcpsim::net::testing {

inline bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& done, int limit_ms = 10000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    io.run_one_for(std::chrono::milliseconds(5));
  }
  return true;
}

inline void RunFor(boost::asio::io_context& io, int ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) io.run_one_for(std::chrono::milliseconds(5));
}

inline Bytes B(const std::string& s) { return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }
inline std::string S(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

}  // namespace mcpsim::net::testing
