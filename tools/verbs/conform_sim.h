// `mcpsim conform --sim-launch CMD` (conform_sim.cc): the conformance catalog
// against a target inside the simulation, compared with the in-process reference.
#pragma once

#include <cstdint>
#include <string>

namespace mcpsim::cli {

struct ConformSimArgs {
  std::string command, cases = "*";
  std::uint64_t seed = 1;
  int timeout_ms = 600, quiet_ms = 40;  // the self-test's defaults (virtual time)
};

// Exit 0 when every verdict matches the reference's, 1 when one differs or
// the target died, 3 when it could not be started.
int ConformSimTarget(const ConformSimArgs& a);

}  // namespace mcpsim::cli
