#include "sim/selfcheck.h"

#include <algorithm>
#include <vector>

#include "core/hash.h"

namespace mcpsim::sim {

DeterminismReport CheckDeterminism(std::uint64_t seed, const WorldOptions& options,
                                   const WorldRun& run) {
  WorldOptions opts = options;
  opts.capture_trace = true;
  DeterminismReport r;
  std::vector<std::string> a, b;
  {
    World w(seed, opts);
    r.status_a = run(w).ToString();
    r.hash_a = w.trace().hash();
    r.lines_a = w.trace().count();
    a = w.trace().lines();
  }
  {
    World w(seed, opts);
    r.status_b = run(w).ToString();
    r.hash_b = w.trace().hash();
    r.lines_b = w.trace().count();
    b = w.trace().lines();
  }
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) {
    r.identical = r.status_a == r.status_b;
    r.first_diff = i;
    return r;
  }
  r.first_diff = i;
  r.line_a = i < a.size() ? a[i] : "<end of trace>";
  r.line_b = i < b.size() ? b[i] : "<end of trace>";
  return r;
}

std::string DeterminismReport::ToString() const {
  if (identical) {
    return "deterministic: " + std::to_string(lines_a) + " lines, hash " + Hex64(hash_a);
  }
  if (line_a.empty() && line_b.empty()) {
    return "NOT deterministic: traces equal but run status differs: '" + status_a + "' vs '" +
           status_b + "'";
  }
  return "NOT deterministic: first difference at trace line " + std::to_string(first_diff) +
         "\n  run 1: " + line_a + "\n  run 2: " + line_b;
}

}  // namespace mcpsim::sim
