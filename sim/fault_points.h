// sim: the simulation's FaultPoints (core/buggify.h).
//
// Per run (= per seed) each site is independently enabled with probability
// enable_fraction, decided from the stream "buggify:enable:<site>" of the
// seed the first time the site is reached; an enabled site then fires with
// probability fire_probability on each evaluation, drawn from its own stream
// "buggify:fire:<site>". Both decisions depend only on (seed, site, how often
// that site was evaluated), not on the order in which sites are first seen.
// The first evaluation of a site is traced as "buggify_site"
// {site, enabled}; every firing as "buggify" {site}.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/buggify.h"
#include "core/rng.h"
#include "sim/trace.h"

namespace mcpsim::sim {

class SimFaultPoints final : public FaultPoints {
 public:
  // REQUIRES: `trace` outlives this object. Probabilities in [0, 1].
  SimFaultPoints(std::uint64_t seed, Trace* trace, double enable_fraction, double fire_probability)
      : seed_(seed), trace_(trace), enable_(enable_fraction), fire_(fire_probability) {}

  bool Fire(std::string_view site) override;

  // Replaces the seeded choice: exactly `sites` are enabled (each still fires
  // with fire_probability from its own stream). REQUIRES no site reached yet.
  void EnableOnly(const std::vector<std::string>& sites) {
    only_ = std::set<std::string, std::less<>>(sites.begin(), sites.end());
    has_only_ = true;
  }

  // Whether `site` is enabled in this run (decides it, without tracing, if
  // the site has not been reached yet).
  bool Enabled(std::string_view site) const;
  // Times each reached site fired so far, by site key (sorted).
  std::map<std::string, std::uint64_t> FireCounts() const;

 private:
  struct Site {
    bool enabled;
    Rng fire;
    std::uint64_t fired = 0;
  };
  std::uint64_t seed_;
  Trace* trace_;
  double enable_;
  double fire_;
  std::map<std::string, Site, std::less<>> sites_;
  bool has_only_ = false;
  std::set<std::string, std::less<>> only_;
};

}  // namespace mcpsim::sim
