// mcpsim core: a fixed hash of an Endpoint for unordered containers. Lookup
// only: no iteration order of such a container may reach output (simulation
// determinism). A splitmix64 finalizer over the address words, the port and
// the channel, so that endpoints differing only in the port spread over the
// buckets (channel 0 hashes as before the channel existed).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/env.h"

namespace mcpsim {

struct EndpointHash {
  std::size_t operator()(const Endpoint& e) const noexcept {
    std::uint64_t a = 0, b = 0;
    for (std::size_t i = 0; i < 8; ++i) a = (a << 8) | e.addr[i];
    for (std::size_t i = 8; i < 16; ++i) b = (b << 8) | e.addr[i];
    std::uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ULL) ^ (std::uint64_t{e.port} << 1) ^ (e.v6 ? 1u : 0u) ^
                      (std::uint64_t{e.channel} << 17);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(h ^ (h >> 31));
  }
};

}  // namespace mcpsim
