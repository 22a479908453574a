// Fault points of the protocol code in whole runs: per group of sites, the
// library scenarios that reach them still pass every checker (the clauses)
// with the sites forced on often, and every site of the group fires. Step
// expectations are skipped while fault points are on (a legal 501 or 403
// changes answers); the checkers judge the clauses.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "reference/fault_sites.h"
#include "scenarios/run_summary.h"
#include "scenarios/runner.h"
#include "scenarios/swarm.h"

namespace mcpsim::scenarios {
namespace {

const std::string kLibrary = std::string(MCPSIM_SOURCE_DIR) + "/scenarios/library";

struct Group {
  const char* name;
  std::vector<std::string> sites;      // enabled
  std::vector<std::string> scenarios;  // each on seeds 1..3
  double fire;
  std::vector<std::string> must_fire;  // sites these runs reach (the rest: unit tests, swarm)
};

void RunGroup(const Group& g) {
  FaultPointChoice c;
  c.mode = FaultPointChoice::Mode::kList;
  c.sites = g.sites;
  std::sort(c.sites.begin(), c.sites.end());
  std::map<std::string, std::uint64_t> fired;
  for (const std::string& name : g.scenarios) {
    auto s = ParseScenarioFile(kLibrary + "/" + name + ".yaml");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      RunOptions o;
      o.seed = seed;
      o.fault_points = c;
      o.fault_fire = g.fire;
      const RunResult r = RunScenario(*s, o);
      EXPECT_TRUE(r.pass) << g.name << ": " << VerdictLine(r) << "\n  replay: mcpsim run " << r.file << " --seed "
                          << seed << " --fault-points " << c.Spec();
      std::vector<std::string> enabled = r.fault_points_enabled;  // in catalog order
      std::sort(enabled.begin(), enabled.end());
      EXPECT_EQ(enabled, c.sites);
      for (const auto& [site, n] : r.fault_points_fired) {  // every site reached, fired or not
        if (n == 0) continue;
        EXPECT_TRUE(std::count(c.sites.begin(), c.sites.end(), site)) << "site not enabled fired: " << site;
        fired[site] += n;
      }
    }
  }
  for (const std::string& site : g.must_fire) EXPECT_GT(fired[site], 0u) << g.name << ": " << site << " never fired";
}

TEST(FaultPointRuns, TransportSitesKeepDeliveryExactlyOnce) {
  RunGroup({"transport",
            {"server.udp.unpacked", "server.udp.reorder", "server.udp.duplicate", "push.window.shrink",
             "push.udp.duplicate"},
            {"sg-chat-two-party", "sg-offline-messages", "multi-client-uploads"},
            0.5,
            {"server.udp.unpacked", "server.udp.duplicate", "push.window.shrink", "push.udp.duplicate"}});
}

TEST(FaultPointRuns, SgSitesKeepChatAndPollingCorrect) {
  RunGroup({"sg",
            {"sg.push.unpacked", "sg.poll.interval.short"},
            {"sg-chat-multi-party", "sg-journey-long"},
            0.5,
            {"sg.push.unpacked"}});
}

TEST(FaultPointRuns, StoreFailuresNeverLoseWhatWasAcknowledged) {
  RunGroup({"store",
            {"store.account.create.fail", "store.account.get.fail", "store.contact.edit.fail",
             "store.offline.add.fail", "store.offline.delete.fail", "store.upload.add.fail"},
            {"register-ok", "sg-contact-edit", "sg-offline-messages", "multi-client-uploads"},
            0.2,
            {"store.account.get.fail", "store.contact.edit.fail", "store.offline.add.fail",
             "store.offline.delete.fail", "store.upload.add.fail"}});
}

TEST(FaultPointRuns, ServerRoleDecisionsStayWithinTheirClauses) {
  RunGroup({"rs/cs/dp/ms",
            {"rs.captcha.pgm", "cs.upload.rate_limited", "cs.ad.rate_limited", "dp.sg.unavailable",
             "store.media.get.fail"},
            {"register-ok", "multi-client-uploads", "media-banner", "sg-login-no-cache"},
            0.3,
            {"cs.upload.rate_limited", "dp.sg.unavailable"}});
}

TEST(FaultPointRuns, McSitesKeepTheClientConforming) {
  RunGroup({"mc",
            {"mc.cache.unusable", "mc.udp.duplicate", "mc.udp.unpacked"},
            {"sg-login-cache-delta", "multi-client-uploads", "sg-chat-two-party"},
            0.5,
            {"mc.cache.unusable", "mc.udp.duplicate", "mc.udp.unpacked"}});
}

TEST(FaultPointRuns, SameSeedSameFiringsAndHash) {
  auto s = ParseScenarioFile(kLibrary + "/sg-chat-two-party.yaml");
  ASSERT_TRUE(s.ok());
  RunOptions o;
  o.seed = 5;
  o.fault_points = *ParseFaultPoints("all");
  o.fault_fire = 0.2;
  const RunResult a = RunScenario(*s, o), b = RunScenario(*s, o);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.fault_points_fired, b.fault_points_fired);
  EXPECT_EQ(a.fault_points_enabled.size(), reference::FaultSites().size());
  // Off: the run is the plain run (no oracle reaches the roles).
  RunOptions off;
  off.seed = 5;
  off.fault_points = *ParseFaultPoints("none");
  RunOptions plain;
  plain.seed = 5;
  EXPECT_EQ(RunScenario(*s, off).trace_hash, RunScenario(*s, plain).trace_hash);
}

TEST(FaultPointRuns, ParseRejectsUnknownSites) {
  auto bad = ParseFaultPoints("push.window.shrink,nope");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().clause(), "SCEN-FP");
  EXPECT_NE(bad.status().message().find("'nope' at offset 19"), std::string::npos) << bad.status().message();
  auto ok = ParseFaultPoints("mc.udp.duplicate,cs.ad.rate_limited,mc.udp.duplicate");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->Spec(), "cs.ad.rate_limited,mc.udp.duplicate");
  EXPECT_FALSE(ParseFaultPoints("").ok());
  EXPECT_EQ(ParseFaultPoints("none")->on(), false);
}

}  // namespace
}  // namespace mcpsim::scenarios
