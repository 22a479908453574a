// RefWorld's errors are values: a world that cannot be built is a Status with
// its clause (RefWorld::Create), a name the world lacks is SCEN-NODE, and the
// runner reports a failed build as a failing "harness" check of the run.
#include <gtest/gtest.h>

#include <string>

#include "scenarios/ref_world.h"
#include "scenarios/runner.h"
#include "scenarios/scenario.h"

namespace mcpsim::scenarios {
namespace {

constexpr const char* kNoDir = "/nonexistent-mcpsim-dir/sub/file";

TEST(RefWorldErrors, UnopenableTraceOrPcapFileIsItsClause) {
  // SIM-10 the JSON Lines trace, SIM-11 the pcap.
  for (const bool trace : {true, false}) {
    RefWorldOptions o;
    (trace ? o.trace_path : o.pcap_path) = kNoDir;
    auto w = RefWorld::Create(o);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.status().clause(), trace ? "SIM-10" : "SIM-11");
    EXPECT_NE(w.status().message().find(kNoDir), std::string::npos);
  }
}

TEST(RefWorldErrors, FailingHookIsTheWorldsError) {
  // before_roles asks for a node the world does not have and returns that.
  RefWorldOptions o;
  bool called = false;
  o.before_roles = [&](RefWorld& w, RefWorldOptions&) {
    called = true;
    auto id = w.node("mars");
    return id.ok() ? Status() : id.status();
  };
  auto w = RefWorld::Create(o);
  EXPECT_TRUE(called);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().clause(), "SCEN-NODE");
  EXPECT_EQ(w.status().message(), "no node mars");
}

TEST(RefWorldErrors, UnknownNodesAreValues) {
  RefWorldOptions o;
  o.clients = 2;
  auto made = RefWorld::Create(o);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  RefWorld& w = **made;
  for (const char* known : {"dp", "rs", "cs", "ms", "sg", "mc-0", "mc-1"}) {
    EXPECT_TRUE(w.node(known).ok()) << known;
    EXPECT_TRUE(w.node_ip(known).ok()) << known;
  }
  EXPECT_EQ(w.node("mc-2").status().clause(), "SCEN-NODE");
  EXPECT_EQ(w.node_ip("nowhere").status().clause(), "SCEN-NODE");
  EXPECT_EQ(w.Crash("mc-2").clause(), "SCEN-CRASH");
  EXPECT_FALSE(w.Restart("mc-2").ok());
  // The world is still usable after the refusals.
  EXPECT_TRUE(w.Crash("cs").ok());
  EXPECT_TRUE(w.Restart("cs").ok());
}

TEST(RefWorldErrors, RunnerReportsAFailedBuildAsAHarnessCheck) {
  auto s = ParseScenario(
      "name: build-fails\n"
      "purpose: the world cannot be built\n"
      "nodes: {clients: 1}\n"
      "steps:\n"
      "  - {do: dispatch}\n",
      "build-fails.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  RunOptions o;
  o.seed = 1;
  o.trace_path = kNoDir;
  const RunResult r = RunScenario(*s, o);
  EXPECT_FALSE(r.pass);
  const CheckResult* f = r.first_failure();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->checker, "harness");
  EXPECT_EQ(f->reason.rfind("cannot build the world: [SIM-10]", 0), 0u) << f->reason;
  EXPECT_EQ(ResultJson(r)["verdict"], "FAIL");
}

}  // namespace
}  // namespace mcpsim::scenarios
