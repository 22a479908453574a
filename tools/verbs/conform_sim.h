// `mcpsim conform --sim-launch CMD` (conform_sim.cc): the conformance catalog
// against a target inside the simulation, compared with the in-process reference.
#pragma once

#include <cstdint>
#include <string>

#include "core/env.h"
#include "interpose/process.h"
#include "reports/report.h"

namespace mcpsim::cli {

struct ConformSimArgs {
  std::string command, cases = "*";
  std::uint64_t seed = 1;
  int timeout_ms = 600, quiet_ms = 40;  // the self-test's defaults (virtual time)
};

// The catalog against the target only (no reference run): the report, the
// target's call count, virtual and wall time. `error` when it did not start.
struct SimCatalogRun {
  reports::Report rep;
  std::string error, gone;  // gone: the target died during the run
  std::uint64_t calls = 0, waits = 0;
  interpose::ProcessStats stats;  // the target's (round trips per op, local calls, wall time waiting for it)
  TimeUs virtual_us = 0;
  double wall_s = 0;
};
SimCatalogRun RunSimCatalog(const ConformSimArgs& a);

// Exit 0 when every verdict matches the reference's, 1 when one differs or
// the target died, 3 when it could not be started.
int ConformSimTarget(const ConformSimArgs& a);

}  // namespace mcpsim::cli
