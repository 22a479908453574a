// libFuzzer target: the fault-spec text reader (sim/fault_spec.h, `mcpsim
// conform --fault SPEC`). Any text either parses or yields an error value
// with clause SIM-30 — never a crash, an exception or signed overflow — and
// a parsed spec holds values in their documented ranges, its worst-case
// delay is computed without overflow, and it applies to a two-node world.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/fault_spec.h"

namespace {
bool Prob(double p) { return std::isfinite(p) && p >= 0.0 && p <= 1.0; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpsim;
  if (size > 4096) return 0;  // one command-line argument
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = sim::ParseFaultSpec(text);
  if (!spec.ok()) {
    if (spec.status().clause() != "SIM-30" || spec.status().message().empty()) __builtin_trap();
    return 0;
  }
  const sim::LinkConfig& c = spec->link;
  if (!Prob(c.loss) || !Prob(c.duplicate) || !Prob(c.reorder) || !Prob(c.corrupt)) __builtin_trap();
  if (!Prob(spec->streams.coalesce) || !Prob(spec->streams.reset)) __builtin_trap();
  if (c.base_delay < 0 || c.jitter < 0 || c.jitter_cap < 0 || c.duplicate_spread < 0 || c.reorder_delay < 1) {
    __builtin_trap();
  }
  if (c.corrupt_max_bits < 1 || c.corrupt_max_bits > 4 || c.mtu > 65535) __builtin_trap();
  if (spec->streams.segment_max < 1 || spec->streams.segment_max > 65535) __builtin_trap();
  for (const sim::FaultWindow& w : spec->windows) {
    if (w.start < 0 || w.end <= w.start) __builtin_trap();
  }
  if (sim::WorstDelay(c) < 0) __builtin_trap();
  sim::World w(1);
  const sim::NodeId a = w.AddNode("a"), b = w.AddNode("b");
  (void)sim::ApplyFaultSpec(w, a, b, *spec);  // may refuse (a status), never crash
  return 0;
}
