// Issue 17, proof target 2: a small independent UDP + HTTP server written
// for the tests in Python (tests/interpose/py_server.py: stdlib selectors and
// socket, written from reference/PROTOCOL.md, no mcpsim code) runs inside
// the simulation as DP, CS and MS (`--sim-roles dp,cs,ms`; the role nodes
// relay to it, scenarios/sim_stage.h) and gets the in-process reference's
// verdict on the library's DP/CS/MS scenarios, on several seeds, replaying
// bit for bit; its deliberate defects fail the checker that judges them.
// Nothing of the target touches a real socket (the interposer serves them;
// a fresh network namespace when allowed), and the runs are virtual time.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "cli/run_cli.h"
#include "tests/interpose/verdicts.h"

namespace mcpsim::testing {
namespace {

const std::string kSrc = MCPSIM_SOURCE_DIR;
const std::string kLib = kSrc + "/scenarios/library";
const std::string kPython = "/usr/bin/python3";  // Debian's interpreter, dynamically linked

// The DP it plays hands out one SG (DP-3 answers 502 without one); that
// address is served by nobody in the world, so the relays drop it (the
// scenarios below need no SG).
std::string Py(const std::string& extra = "") {
  return "--sim-launch '" + kPython + " " + kSrc + "/tests/interpose/py_server.py --udp 127.0.0.1:0 " +
         "--http 127.0.0.1:0 --sg udp://192.0.2.1:1863" + extra + "' --sim-roles dp,cs,ms";
}

// The library's DP, CS and MS scenarios whose roles the target plays as they
// are. Left out (N/A for a target, InterposePython.LeftOutScenariosAreNotApplicable):
// cs-crash-upload-burst, cs-crash-window, dp-restart (crash a role it plays),
// cs-disk-power-cut-uploads (a simulated disk under its store), cs-down,
// dp-down, media-ms-down (remove a role it plays), cs-rate-limit,
// dp-version-required (configure its roles); user-journey registers through
// the RS that the DP would have to name (the target does not play RS; the
// runner reports such runs N/A).
const char* const kScenarios[] = {
    "dp-assignment",      "dp-version-recommended",   "media-banner",          "ad-empty-slot",
    "ad-corruption",      "ad-mtu-drop",              "transport-reorder-five", "cs-partition-one-client",
    "clog-node-cs",       "clog-release",             "bandwidth-queue",        "jitter-pareto",
    "link-change-heal",   "link-down-up",             "multi-client-uploads",   "partition-asymmetric-heal",
    "upload-burst-loss",  "upload-duplication",       "upload-loss-1",          "upload-loss-10",
    "upload-loss-30",     "upload-loss-50",           "upload-resend-until-answered",
    "upload-retry-exhausted", "upload-timeout-late-answer", "workload-lossy-dup", "workload-mixed"};

std::string Files() {
  std::string f;
  for (const char* s : kScenarios) f += " " + kLib + "/" + s + ".yaml";
  return f;
}

class InterposePython : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kPython.c_str(), X_OK) != 0) GTEST_SKIP() << kPython << " is not installed";
  }
};

TEST_F(InterposePython, PlaysDpCsMsWithTheReferenceVerdictsAndReplays) {
  const std::string seeds = " --seeds 1..3";
  auto ref = RunCli("run" + Files() + seeds);
  auto tgt = RunCli("run" + Files() + seeds + " " + Py());
  ExpectSameVerdicts(ref.out, tgt.out, std::size(kScenarios) * 3);
  EXPECT_EQ(tgt.out.find("replay:"), std::string::npos) << tgt.out;  // no failure, no harness error
  // Bit for bit: a rerun prints the same lines (verdicts, counters, latencies).
  EXPECT_EQ(RunCli("run" + Files() + seeds + " " + Py()).out, tgt.out);
}

std::int64_t Counter(const std::string& json, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + name + "\": *([0-9]+)"))) return -1;
  return std::stoll(m[1]);
}

TEST_F(InterposePython, TheTargetServesTheRolesThroughSimulatedSockets) {
  // media-banner: DP over HTTP, an ad over UDP (CS), three media GETs (MS).
  char dir[] = "/tmp/mcpsim-interpose-py-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  auto r = RunCli("run " + kLib + "/media-banner.yaml --out " + dir + " " + Py());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string json = ReadWholeFile(std::string(dir) + "/1-media-banner-seed1.json");
  EXPECT_EQ(Counter(json, "interpose_accepted"), 4) << json;  // 1 dispatch + 3 media, each its own connection
  EXPECT_EQ(Counter(json, "interpose_datagrams_in"), 1) << json;  // RAD (pre-padded, AMP-4)
  EXPECT_EQ(Counter(json, "interpose_datagrams_out"), 1) << json;  // AAD
  EXPECT_GT(Counter(json, "interpose_calls"), 0) << json;
  // 1 when the kernel let the child into a fresh network namespace (the safety net for a socket that
  // escapes the shim); the simulated sockets above are never real ones either way.
  EXPECT_GE(Counter(json, "interpose_netns"), 0) << json;
  std::system(("rm -rf '" + std::string(dir) + "'").c_str());
}

TEST_F(InterposePython, DefectsFailTheirCheckerAndReplay) {
  // DP-1 ignored (update always `none`): the recommended update goes unseen.
  const std::string dp = kLib + "/dp-version-recommended.yaml";
  auto r = RunCli("run " + dp + " --seed 4 " + Py(" --defect dp-version"));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("(^|\n)FAIL dp-version-recommended seed=4 expectations: "))) << r.out;
  EXPECT_NE(r.out.find("replay: mcpsim run " + dp + " --seed 4 --sim-launch '"), std::string::npos) << r.out;
  EXPECT_EQ(RunCli("run " + dp + " --seed 4 " + Py(" --defect dp-version")).out, r.out);  // same verdict and hash
  // MS answers 404 for every id: the ad's banner cannot be fetched (CS-6, MS-2).
  auto m = RunCli("run " + kLib + "/media-banner.yaml --seed 2 " + Py(" --defect ms-unknown"));
  EXPECT_EQ(m.exit_code, 1) << m.out << m.err;
  EXPECT_TRUE(std::regex_search(m.out, std::regex("(^|\n)FAIL media-banner seed=2 expectations: "))) << m.out;
  // CS: uploads after the 5th answered 403, in a sweep of the multi-client scenario.
  auto c = RunCli("sweep " + kLib + "/multi-client-uploads.yaml --seeds 1..2 --jobs 2 " + Py(" --reject-after 5"));
  EXPECT_EQ(c.exit_code, 1) << c.out << c.err;
  EXPECT_NE(c.out.find("sweep: 2 runs, 0 passed, 2 failed"), std::string::npos) << c.out;
  // ... and the clean target passes the same three.
  auto ok = RunCli("run " + dp + " " + kLib + "/media-banner.yaml " + kLib + "/multi-client-uploads.yaml --seeds 1..2 " +
                   Py());
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
}

TEST_F(InterposePython, LeftOutScenariosAreNotApplicable) {
  auto r = RunCli("run " + kLib + "/dp-restart.yaml " + kLib + "/media-ms-down.yaml " + kLib +
                  "/dp-version-required.yaml " + kLib + "/cs-rate-limit.yaml " + kLib + "/user-journey.yaml " + Py());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("N/A dp-restart seed=1: the scenario crashes or restarts the dp node"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("N/A media-ms-down seed=1: the scenario removes the ms role"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("N/A dp-version-required seed=1: the scenario configures the DP"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("N/A cs-rate-limit seed=1: the scenario configures the CS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("N/A user-journey seed=1: the scenario reaches rs through the dp the target plays"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace mcpsim::testing
