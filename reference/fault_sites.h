// The registered fault points of the protocol code (FoundationDB's BUGGIFY,
// core/buggify.h): every `FaultPoint(faults, "<name>")` in reference/ names a
// row of this table, and each row says which clause makes the faulty path
// legal. A fault point only ever does what the spec allows a conforming
// implementation to do (or what the network may do to a datagram anyway), so
// a sweep failure with fault points on is a bug in the reference, a checker
// or the spec — never "the fault's fault".
//
// Roles receive the oracle through their configuration (`faults` members of
// ServerConfig, PushLimits, McConfig, DpConfig, RsConfig and the store
// decorator WithFaultPoints); it is nullptr unless a simulation enables fault
// points, so `mcpsim serve` and every non-simulated use never take a faulty
// path.
#pragma once

#include <string_view>
#include <vector>

namespace mcpsim::reference {

struct FaultSite {
  std::string_view name;    // "<group>.<area>.<what>", e.g. "push.window.shrink"
  std::string_view group;   // "transport", "store", "sg", "rs", "cs", "dp", "ms", "mc"
  std::string_view clause;  // the clause(s) that make the faulty path legal
  std::string_view what;    // what the faulty path does
};

// Every registered site, in a fixed order (the table of sim/README.md).
const std::vector<FaultSite>& FaultSites();
// The site named `name`, or nullptr.
const FaultSite* FindFaultSite(std::string_view name);

}  // namespace mcpsim::reference
