#include "sim/fault_points.h"

namespace mcpsim::sim {

bool SimFaultPoints::Enabled(std::string_view site) const {
  auto it = sites_.find(site);
  if (it != sites_.end()) return it->second.enabled;
  if (has_only_) return only_.count(site) != 0;
  return Rng::Stream(seed_, std::string("buggify:enable:") + std::string(site)).Chance(enable_);
}

bool SimFaultPoints::Fire(std::string_view site) {
  auto it = sites_.find(site);
  if (it == sites_.end()) {
    const std::string key(site);
    const bool enabled = Enabled(site);
    it = sites_.emplace(key, Site{enabled, Rng::Stream(seed_, "buggify:fire:" + key)}).first;
    trace_->Event("sim", "buggify_site",
                  TraceFields().Str("site", key).Bool("enabled", enabled).str());
  }
  Site& s = it->second;
  if (!s.enabled || !s.fire.Chance(fire_)) return false;
  ++s.fired;
  trace_->Event("sim", "buggify", TraceFields().Str("site", it->first).str());
  return true;
}

std::map<std::string, std::uint64_t> SimFaultPoints::FireCounts() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [k, s] : sites_) out[k] = s.fired;
  return out;
}

}  // namespace mcpsim::sim
