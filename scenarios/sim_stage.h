// A third-party server inside the simulation playing several server roles
// (`external: {cmd: …, roles: [dp, rs, sg, cs, ms]}` in a scenario, or
// `--sim-launch CMD --sim-roles dp,rs,sg,cs,ms`; issue 17). The target runs
// under the interposer (interpose/process.h) on a node of its own
// ("target"), prints its `listening` lines as with --launch, and each role
// node it plays relays to it (sim_relay.h: every link and node fault of the
// scenario applies to its traffic where it applies to the reference's; the
// relay -> target links are perfect). What it says about its addresses (DP
// answer, ad image URL) is rewritten to the role nodes (target_addresses.h).
// Accounts and contacts are provisioned through the protocol from a node of
// their own ("provision", perfect link) before the steps, in virtual time.
//
// Everything is virtual time on the run's seed: a run is a function of
// scenario + seed + target binary (same trace-hash on every rerun).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "interpose/process.h"
#include "scenarios/sim_target.h"
#include "scenarios/provisioned_stage.h"

namespace mcpsim::scenarios {

class RefWorld;

class SimStage final : public ProvisionedStage {
 public:
  // Starts the target on a new node of `w`'s world and relays the nodes of
  // `t.roles` to it. INTERPOSE-4 when it did not start, was refused or
  // printed no `listening` line; INTERPOSE-6 when a role's transport is
  // missing from its listeners.
  static Result<std::unique_ptr<SimStage>> Start(const SimTarget& t, RefWorld& w, std::uint64_t seed);
  ~SimStage() override;

  std::map<std::string, std::int64_t> counters() const override;
  const std::string& target_text() const override { return text_; }
  std::vector<PushGiveUp> PushesGivenUp() const override;

  const interpose::Process& process() const;

 private:
  struct Impl;
  SimStage();
  std::unique_ptr<Impl> impl_;
  std::string text_;
};

}  // namespace mcpsim::scenarios
