// `mcpsim shrink FILE --seed N -o OUT.yaml [--swarm]`: reduces a scenario that
// fails on seed N to a smaller one failing the same checker (scenarios/
// shrink.h) and writes it as YAML. Exit 0 written, 1 the run did not fail
// (nothing to shrink), 2 usage/file error, 3 cannot write OUT.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "scenarios/swarm.h"
#include "scenarios/inputs.h"
#include "scenarios/run_summary.h"
#include "scenarios/shrink.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

using namespace mcpsim::scenarios;

struct ShrinkArgs {
  std::string file, seed, out;
  bool swarm = false, broken_dedup = false;
  int max_runs = 400;
  std::string sim_launch, sim_roles = "cs";  // target inside the simulation
};

int DoShrink(const ShrinkArgs& a) {
  const auto seed = ParseSeedRange(a.seed);
  if (!seed || seed->first != seed->second) {
    std::cerr << "mcpsim: error: bad --seed '" << a.seed << "'\n";
    return 2;
  }
  auto s = ParseScenarioFile(a.file);
  if (!s.ok()) {
    std::cerr << "mcpsim: error: " << s.status().message() << "\n";
    return 2;
  }
  RunOptions o;
  std::optional<SimTarget> sim_target;
  if (!a.sim_launch.empty()) {
    sim_target = SimTarget{a.sim_launch, ParseRoleList(a.sim_roles)};
    if (Status st = sim_target->Validate(); !st.ok()) {
      std::cerr << "mcpsim: error: " << st.message() << "\n";
      return 2;
    }
    o.sim_target = &*sim_target;
  }
  const std::string target_flags = sim_target ? sim_target->Flags() : "";
  o.seed = seed->first;
  o.swarm = a.swarm;
  o.broken_dedup = a.broken_dedup;
  const ShrinkOutcome r = Shrink(*s, o, a.max_runs);
  if (!r.failed_initially) {
    std::cout << "PASS " << s->name << " seed=" << seed->first << ": nothing to shrink\n";
    return 1;
  }
  std::string yaml = "# shrunk by: mcpsim shrink " + a.file + " --seed " + std::to_string(seed->first) +
                     (a.swarm ? " --swarm" : "") + (a.broken_dedup ? " --broken-dedup" : "") + target_flags + "\n" +
                     (a.swarm && SwarmFaultPoints(seed->first).on() ? "# fault points: replay with --fault-points seeded\n" : "") +
                     "# still fails checker: " + r.checker + "\n" + "# failure: " + r.signature + "\n" +
                     ToYaml(r.minimal);
  std::ofstream f(a.out, std::ios::binary);
  f << yaml;
  f.close();
  if (!f) {
    std::cerr << "mcpsim: error: cannot write " << a.out << "\n";
    return 3;
  }
  std::cout << "shrunk " << s->name << " seed=" << seed->first << " checker=" << r.checker << " size "
            << r.size_before << " -> " << r.size_after << " in " << r.runs << " runs\n";
  // A swarm run's fault points are not part of the file: the replay names them.
  const std::string fp = a.swarm && SwarmFaultPoints(seed->first).on() ? " --fault-points seeded" : "";
  std::cout << "replay: mcpsim run " << a.out << " --seed " << seed->first << fp
            << (a.broken_dedup ? " --broken-dedup" : "") << target_flags << "\n";
  return 0;
}

RegisterVerb reg{{"", "shrink",
                  "Reduce a failing scenario run to a minimal scenario (fewer clients, steps, faults, shorter "
                  "time, less provisioning and settle) that still fails the same way (same checker and failure "
                  "class: the reason with numbers, quoted text and step positions blanked); writes valid YAML. Exit 0 written, 1 the run "
                  "passes, 2 usage/file error.",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<ShrinkArgs>();
                    cmd.add_option("FILE", a->file, "The scenario file")->required();
                    cmd.add_option("--seed", a->seed, "The failing seed")->required();
                    cmd.add_option("-o,--output", a->out, "Where to write the shrunk scenario")->required();
                    cmd.add_flag("--swarm", a->swarm, "The failure was found with --swarm (the mix is baked in)");
                    cmd.add_flag("--broken-dedup", a->broken_dedup, "TEST-ONLY: shrink against the broken reference");
                    cmd.add_option("--sim-launch", a->sim_launch,
                                   "The failure was found with this target inside the simulation (run --sim-launch)");
                    cmd.add_option("--sim-roles", a->sim_roles, "Roles the --sim-launch target plays, comma-separated (dp,rs,sg,cs,ms; default cs)");
                    cmd.add_option("--max-runs", a->max_runs, "Bound on candidate runs (default 400)");
                    return [a] { return DoShrink(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
