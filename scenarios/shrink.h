// Shrinking: reduces a scenario that fails on one seed to a smaller one that
// still fails the same way on that seed: same checker, same failure class
// (FailureSignature). Greedy passes, repeated until none makes progress:
// fewer clients, fewer steps, smaller counts, fewer faults (partitions,
// clogs, crashes, disk faults) and link overrides, no workload, less
// provisioning, shorter settle, simpler default link, shorter time limit.
// Every candidate is re-run (same seed); only the failing checker is
// evaluated.
#pragma once

#include <cstdint>
#include <string>

#include "scenarios/runner.h"
#include "scenarios/scenario.h"

namespace mcpsim::scenarios {

// The failure's signature: the checker, then its reason with every number,
// duration, quoted text and "(step N, line N)" position replaced by a
// placeholder, so "invite by mc-N ...: expected ok, got refused (session is
// closed ...)" and "... acknowledged (ASM N) but never shown to mc-N ..."
// are different failures while the same failure at another step index or
// time is the same one. The first word of the reason is the step kind.
std::string FailureSignature(const std::string& checker, const std::string& reason);

struct ShrinkOutcome {
  bool failed_initially = false;
  std::string checker;        // the checker the original run failed
  std::string signature;      // FailureSignature of that failure; candidates must match it
  Scenario minimal;           // the smallest failing scenario found
  int runs = 0;               // candidate runs performed
  std::size_t size_before = 0, size_after = 0;  // ScenarioSize
};

// A size measure: clients + steps (weighted by count) + faults + links +
// workload + non-default link fields.
std::size_t ScenarioSize(const Scenario& s);

// `options` supplies the seed, swarm and broken_dedup (the swarm mix is baked
// into the result, so it fails without --swarm). `max_runs` bounds the effort.
ShrinkOutcome Shrink(const Scenario& s, const RunOptions& options, int max_runs = 400);

}  // namespace mcpsim::scenarios
