// Merging the reports of one suite run once per seed (`conform --seeds A..B`)
// into one report with each case's pass rate (flakiness).
#include <map>

#include "reports/report.h"

namespace mcpsim::reports {
namespace {

bool Passes(Verdict v, bool strict) {
  return v == Verdict::kOk || v == Verdict::kInformational || v == Verdict::kUnimplemented ||
         (v == Verdict::kNonStrict && !strict);
}

int Severity(Verdict v) {
  switch (v) {
    case Verdict::kError: return 3;
    case Verdict::kFailed: return 2;
    case Verdict::kNonStrict: return 1;
    default: return 0;
  }
}

}  // namespace

Report MergeSeedRuns(const std::vector<Report>& runs, const std::vector<std::uint64_t>& seeds, bool strict) {
  Report out;
  if (runs.empty()) return out;
  out = runs.front();
  out.cases.clear();
  out.duration_us = 0;
  out.fault_counters.clear();
  out.strict = strict;
  if (!seeds.empty()) out.seeds = std::to_string(seeds.front()) + ".." + std::to_string(seeds.back());
  std::vector<std::string> order;
  std::map<std::string, CaseResult> merged;
  std::map<std::string, bool> has_failure;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Report& r = runs[i];
    const std::uint64_t seed = i < seeds.size() ? seeds[i] : r.seed;
    out.duration_us += r.duration_us;
    for (const auto& [k, v] : r.fault_counters) out.fault_counters[k] += v;
    if (out.error.empty() && !r.error.empty()) out.error = "seed " + std::to_string(seed) + ": " + r.error;
    for (const CaseResult& c : r.cases) {
      auto it = merged.find(c.id);
      const bool pass = Passes(c.verdict, strict);
      if (it == merged.end()) {
        order.push_back(c.id);
        CaseResult m = c;
        m.runs = 0;
        m.passes = 0;
        m.failing_seeds.clear();
        it = merged.emplace(c.id, std::move(m)).first;
      }
      CaseResult& m = it->second;
      ++m.runs;
      if (pass) {
        ++m.passes;
        continue;
      }
      m.failing_seeds.push_back(seed);
      // The transcript, expected/actual and reason of the first failing seed, at its worst verdict.
      if (!has_failure[c.id] || Severity(c.verdict) > Severity(m.verdict)) {
        const int runs_so_far = m.runs, passes = m.passes;
        std::vector<std::uint64_t> failing = m.failing_seeds;
        const bool first = !has_failure[c.id];
        const std::string reason = first ? "seed " + std::to_string(seed) + ": " + ReasonText(r, c) : m.reason;
        m = c;
        m.runs = runs_so_far;
        m.passes = passes;
        m.failing_seeds = std::move(failing);
        m.reason = reason;
        has_failure[c.id] = true;
      }
    }
  }
  for (const std::string& id : order) out.cases.push_back(std::move(merged[id]));
  return out;
}

}  // namespace mcpsim::reports
