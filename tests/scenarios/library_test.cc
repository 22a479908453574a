// The scenario library passes on a few seeds; a deliberately broken reference
// (server duplicate suppression off) is caught by the right checkers; a seed
// replays to the same trace hash; shrinking keeps the failure and shrinks.
#include <algorithm>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "scenarios/inputs.h"
#include "scenarios/run_summary.h"
#include "scenarios/runner.h"
#include "scenarios/shrink.h"
#include "scenarios/swarm.h"

#include <set>

namespace mcpsim::scenarios {
namespace {

const std::string kLibrary = std::string(MCPSIM_SOURCE_DIR) + "/scenarios/library";

Scenario Load(const std::string& name) {
  auto s = ParseScenarioFile(kLibrary + "/" + name + ".yaml");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : Scenario{};
}

std::vector<std::string> LibraryFiles() {
  auto files = ExpandScenarioPaths({kLibrary});
  return files.ok() ? *files : std::vector<std::string>{};
}

class ScenarioLibrary : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioLibrary, PassesOnSeeds1To3) {
  auto s = ParseScenarioFile(GetParam());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->purpose.empty());
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    RunOptions o;
    o.seed = seed;
    const RunResult r = RunScenario(*s, o);
    EXPECT_TRUE(r.pass) << VerdictLine(r);
    EXPECT_EQ(r.trace_hash.size(), 16u);
  }
}

INSTANTIATE_TEST_SUITE_P(All, ScenarioLibrary, ::testing::ValuesIn(LibraryFiles()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param.substr(p.param.rfind('/') + 1);
                           n = n.substr(0, n.find('.'));
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

// scenarios/regressions: each file is a shrunk failure that a sweep once
// found, pinned to its own seed (the swarm mix baked in); it must pass.
const std::string kRegressions = std::string(MCPSIM_SOURCE_DIR) + "/scenarios/regressions";

std::vector<std::string> RegressionFiles() {
  auto files = ExpandScenarioPaths({kRegressions});
  return files.ok() ? *files : std::vector<std::string>{};
}

class RegressionScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(RegressionScenario, PassesOnItsSeed) {
  auto s = ParseScenarioFile(GetParam());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->purpose.empty());
  RunOptions o;
  o.seed = s->seed;
  const RunResult r = RunScenario(*s, o);
  EXPECT_TRUE(r.pass) << VerdictLine(r);
}

INSTANTIATE_TEST_SUITE_P(All, RegressionScenario, ::testing::ValuesIn(RegressionFiles()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param.substr(p.param.rfind('/') + 1);
                           n = n.substr(0, n.find('.'));
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

// Sweep failures that need the swarm mix (or a crash drawn by it), pinned to
// their seeds: each was a real defect, see the comment.
TEST(RegressionSwarm, PinnedSeedsPass) {
  struct Case {
    const char* scenario;
    std::uint64_t seed;
    const char* why;
  };
  const Case cases[] = {
      {"sg-chat-partition-heal", 400, "G-61: RSII resent after the initial RCS, gave up in the partition"},
      {"sg-chat-partition-heal", 1211, "G-61"},
      {"sg-contact-edit", 1821, "checker: sync run still going"},
      {"sg-journey-long", 48, "G-64: answers to the ending session's requests replayed to the new one"},
      {"sg-chat-partition-heal", 44, "checker: the recipient crashed before it could learn its session was lost"},
      {"sg-chat-partition-heal", 1892, "checker (G-71): the recipient crashed before the send, not logged in again"},
      {"sg-chat-partition-heal", 1807, "G-71"},
      {"register-three-clients", 104, "checker: a REG lost in its client's crash was executed"},
  };
  for (const Case& c : cases) {
    RunOptions o;
    o.seed = c.seed;
    o.swarm = true;
    const RunResult r = RunScenario(Load(c.scenario), o);
    EXPECT_TRUE(r.pass) << c.why << ": " << VerdictLine(r);
  }
}

// G-70: ops that ran without a session after a login allowed to fail are
// skipped (counted, excluded from their expect); with a login step that
// expects a reliable session the same runs fail, so a lost session is never
// hidden by the skip.
TEST(NotLoggedIn, SkippedOnlyWhenTheLoginStepAllowsFailure) {
  struct Case {
    const char* file;
    const char* want;  // in the failure with a strict login step
  };
  const Case cases[] = {
      {"sg-session-lost-then-message-908.yaml", "got status 200"},  // login ok, session lost (TIMER-9)
      {"sg-login-failed-then-invite-297.yaml", "login by mc-0"},     // the login itself failed
  };
  for (const Case& c : cases) {
    auto s = ParseScenarioFile(kRegressions + "/" + c.file);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    RunOptions o;
    o.seed = s->seed;
    const RunResult lenient = RunScenario(*s, o);
    EXPECT_TRUE(lenient.pass) << VerdictLine(lenient);
    EXPECT_GT(lenient.counters.at("skipped_not_logged_in"), 0) << c.file;
    for (Step& st : s->steps) {
      if (st.op == StepOp::kLogin && st.expect) st.expect->gave_up = st.expect->refused = false;
    }
    const RunResult strict = RunScenario(*s, o);
    EXPECT_FALSE(strict.pass) << c.file;
    EXPECT_EQ(strict.counters.at("skipped_not_logged_in"), 0) << c.file;
    bool found = false;
    for (const auto& ck : strict.checks) found |= !ck.pass && ck.reason.find(c.want) != std::string::npos;
    EXPECT_TRUE(found) << c.file << ": " << VerdictLine(strict);
  }
}

TEST(ScenarioCrash, VocabularyParsesAndRoundTrips) {
  const std::string yaml = R"(name: crash-vocab
purpose: "crash and restart as steps and as a fault window"
nodes: {clients: 1, sg: 1}
network:
  faults:
    - {kind: crash, node: cs, start: 1s, end: 3s}
steps:
  - {do: crash, node: sg, at: 2s}
  - {do: restart, node: sg, at: 4s}
  - {do: crash, node: mc-0}
  - {do: restart, node: mc-0}
)";
  auto s = ParseScenario(yaml, "crash.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->steps.size(), 4u);
  EXPECT_EQ(s->steps[0].op, StepOp::kCrash);
  EXPECT_EQ(s->steps[0].node, "sg");
  EXPECT_EQ(s->steps[1].op, StepOp::kRestart);
  ASSERT_EQ(s->faults.size(), 1u);
  EXPECT_EQ(s->faults[0].kind, FaultKind::kCrash);
  auto again = ParseScenario(ToYaml(*s), "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << ToYaml(*s);
  EXPECT_EQ(ToYaml(*again), ToYaml(*s));
  const RunResult r = RunScenario(*s, {});
  EXPECT_TRUE(r.pass) << VerdictLine(r);
  // A node that hosts nothing, or a group, cannot crash.
  for (const char* bad : {"{do: crash, node: clients}", "{do: crash, node: mc-5}", "{do: restart}"}) {
    const std::string t = "name: x\npurpose: x\nnodes: {clients: 1}\nsteps:\n  - " + std::string(bad) + "\n";
    EXPECT_FALSE(ParseScenario(t, "bad.yaml").ok()) << bad;
  }
  const std::string no_sg = "name: x\npurpose: x\nnodes: {clients: 1}\nsteps:\n  - {do: crash, node: sg}\n";
  EXPECT_FALSE(ParseScenario(no_sg, "bad.yaml").ok());
}

// A crash is a swarm choice too (drawn after the link and the windows).
TEST(ScenarioSwarm, SomeSeedsCrashANode) {
  Scenario s = Load("sg-chat-two-party");
  int crashes = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Scenario t = s;
    ApplySwarm(t, seed);
    for (const Fault& f : t.faults) crashes += f.kind == FaultKind::kCrash;
  }
  EXPECT_GT(crashes, 3);
  EXPECT_LT(crashes, 30);
}

// Against an external target only clients crash (its servers cannot be
// crashed from outside), and the rest of the mix is the same.
TEST(ScenarioSwarm, WithoutServerCrashesOnlyClientsCrash) {
  Scenario s = Load("sg-chat-two-party");
  int crashes = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Scenario a = s, b = s;
    ApplySwarm(a, seed);
    ApplySwarm(b, seed, /*crash_servers=*/false);
    // The same draw but for the servers' own faults: crashes move to phones,
    // and no server gets a disk fault.
    auto not_disk = [](const Fault& f) { return f.kind != FaultKind::kDisk; };
    ASSERT_EQ(std::count_if(a.faults.begin(), a.faults.end(), not_disk), std::ssize(b.faults)) << seed;
    for (const Fault& f : b.faults) {
      EXPECT_NE(f.kind, FaultKind::kDisk) << seed;
      if (f.kind != FaultKind::kCrash) continue;
      ++crashes;
      EXPECT_EQ(f.node.rfind("mc-", 0), 0u) << f.node << " seed " << seed;
    }
  }
  EXPECT_GT(crashes, 3);
}

TEST(ScenarioLibraryShape, HasRegressions) { EXPECT_GE(RegressionFiles().size(), 6u); }

TEST(ScenarioLibraryShape, HasEnoughScenarios) { EXPECT_GE(LibraryFiles().size(), 45u); }

// SG dedup off: a duplicated RSM / ROM executes twice, so a message or an
// offline message is shown twice; the messaging checkers must say so.
TEST(ScenarioBroken, NoSgDedupIsCaughtByExactlyOnceMessages) {
  Scenario s = Load("sg-chat-duplication");
  RunOptions good, bad;
  good.only_checkers = bad.only_checkers = {"exactly_once_messages", "offline_delivered"};
  bad.broken_dedup = true;
  for (std::uint64_t seed = 1; seed <= 2; ++seed) {
    good.seed = bad.seed = seed;
    const RunResult ok = RunScenario(s, good);
    EXPECT_TRUE(ok.pass) << VerdictLine(ok);
    const RunResult r = RunScenario(s, bad);
    ASSERT_EQ(r.checks.size(), 2u);
    EXPECT_FALSE(r.checks[0].pass) << "exactly_once_messages passed on the broken reference, seed " << seed;
    EXPECT_NE(r.checks[0].reason.find("times"), std::string::npos) << r.checks[0].reason;
    EXPECT_FALSE(r.checks[1].pass) << "offline_delivered passed on the broken reference, seed " << seed;
  }
}

// A client that loses the first message / offline message / file it is shown
// breaks exactly-once delivery: the checkers name what never arrived.
TEST(ScenarioBroken, LostNotificationsAreCaught) {
  struct Case {
    const char* scenario;
    reference::McOp hide;
    const char* checker;
    const char* reason;
  };
  for (const Case& k : {Case{"sg-chat-two-party", reference::McOp::kMessage, "exactly_once_messages", "never shown"},
                        Case{"sg-offline-messages", reference::McOp::kOfflineMessage, "offline_delivered", "never shown"},
                        Case{"sg-file-accept", reference::McOp::kFileReceived, "files_intact", "no client received"}}) {
    RunOptions o;
    o.only_checkers = {k.checker};
    EXPECT_TRUE(RunScenario(Load(k.scenario), o).pass) << k.scenario;
    o.hide_first_notice = k.hide;
    const RunResult r = RunScenario(Load(k.scenario), o);
    ASSERT_EQ(r.checks.size(), 1u);
    EXPECT_FALSE(r.checks[0].pass) << k.scenario << ": " << k.checker << " missed a lost notification";
    EXPECT_NE(r.checks[0].reason.find(k.reason), std::string::npos) << r.checks[0].reason;
  }
}

// A client that stays cut off from SG after the scheduled faults heal cannot
// log in: login_after_heal names it. Without a login after the heal the
// checker refuses to pass vacuously.
TEST(ScenarioBroken, LoginAfterHealCatchesAnUnhealedClient) {
  Scenario s = Load("sg-chat-partition-heal");
  RunOptions o;
  o.only_checkers = {"login_after_heal"};
  EXPECT_TRUE(RunScenario(s, o).pass);
  Scenario cut = s;
  LinkOverride l;
  l.from = "mc-1";
  l.to = "sg";
  l.both = true;
  l.cfg = cut.default_link;
  l.cfg.loss = 1.0;
  cut.links.push_back(l);
  const RunResult r = RunScenario(cut, o);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_FALSE(r.checks[0].pass);
  EXPECT_NE(r.checks[0].reason.find("after the heal"), std::string::npos) << r.checks[0].reason;
  Scenario none = s;
  none.steps.resize(6);  // up to the chat during the partition: no login after the heal
  const RunResult n = RunScenario(none, o);
  ASSERT_EQ(n.checks.size(), 1u);
  EXPECT_NE(n.checks[0].reason.find("no login was issued"), std::string::npos) << n.checks[0].reason;
}

TEST(ScenarioReplay, SgSeedReplaysToTheSameTraceHash) {
  const Scenario s = Load("sg-chat-loss");
  RunOptions o;
  o.seed = 7;
  const RunResult a = RunScenario(s, o), b = RunScenario(s, o);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.counters, b.counters);
  o.seed = 8;
  EXPECT_NE(RunScenario(s, o).trace_hash, a.trace_hash);
}

TEST(ScenarioShrink, ShrinksAnSgFailure) {
  Scenario s = Load("sg-chat-duplication");
  RunOptions o;
  o.seed = 1;
  o.broken_dedup = true;
  const ShrinkOutcome r = Shrink(s, o, 150);
  ASSERT_TRUE(r.failed_initially);
  EXPECT_LT(r.size_after, r.size_before);
  auto again = ParseScenario(ToYaml(r.minimal), "shrunk.yaml");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << ToYaml(r.minimal);
  const RunResult rr = RunScenario(*again, o);
  ASSERT_NE(rr.first_failure(), nullptr);
  EXPECT_EQ(rr.first_failure()->checker, r.checker);
}

// With duplicate suppression disabled, resent/duplicated requests execute
// again: the invariant checkers must say so, naming themselves.
TEST(ScenarioBroken, NoDedupIsCaughtByTheRightCheckers) {
  for (const char* name : {"upload-duplication", "upload-loss-10", "clog-release", "multi-client-uploads"}) {
    Scenario s = Load(name);
    RunOptions good, bad;
    good.only_checkers = bad.only_checkers = {"exactly_once_uploads", "no_double_execution"};
    bad.broken_dedup = true;
    const RunResult ok = RunScenario(s, good);
    EXPECT_TRUE(ok.pass) << VerdictLine(ok);
    const RunResult r = RunScenario(s, bad);
    ASSERT_EQ(r.checks.size(), 2u);
    EXPECT_FALSE(r.checks[0].pass) << name << ": exactly_once_uploads passed on the broken reference";
    EXPECT_NE(r.checks[0].reason.find("stored"), std::string::npos) << r.checks[0].reason;
    EXPECT_FALSE(r.checks[1].pass) << name << ": no_double_execution passed on the broken reference";
    EXPECT_NE(r.checks[1].reason.find("executed"), std::string::npos) << r.checks[1].reason;
  }
}

// A scenario's expectations fail when the expected outcome does not happen.
TEST(ScenarioBroken, WrongExpectationFailsExpectations) {
  Scenario s = Load("upload-retry-exhausted");
  s.faults.clear();  // no partition: uploads succeed, but the file expects gave_up
  const RunResult r = RunScenario(s, {});
  ASSERT_NE(r.first_failure(), nullptr);
  EXPECT_EQ(r.first_failure()->checker, "expectations");
  EXPECT_NE(r.first_failure()->reason.find("expected gave_up, got ok"), std::string::npos) << r.first_failure()->reason;
}

RC_GTEST_PROP(ScenarioReplay, SameSeedSameTraceHash, ()) {
  static const Scenario s = Load("multi-client-uploads");
  const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1u << 30);
  RunOptions o;
  o.seed = seed;
  o.swarm = *rc::gen::arbitrary<bool>();
  const RunResult a = RunScenario(s, o), b = RunScenario(s, o);
  RC_ASSERT(a.trace_hash == b.trace_hash);
  RC_ASSERT(a.counters == b.counters);
  o.seed = seed + 1;
  RC_ASSERT(RunScenario(s, o).trace_hash != a.trace_hash);
}

TEST(ScenarioReplay, DeterminismCheckerRunsTwice) {
  Scenario s = Load("register-ok");
  const RunResult r = RunScenario(s, {});
  ASSERT_TRUE(r.pass) << VerdictLine(r);
  bool found = false;
  for (const auto& c : r.checks) found |= c.checker == "determinism" && c.pass;
  EXPECT_TRUE(found);
}

TEST(ScenarioShrink, KeepsTheFailureAndShrinks) {
  Scenario s = Load("multi-client-uploads");
  RunOptions o;
  o.seed = 3;
  o.broken_dedup = true;
  const ShrinkOutcome r = Shrink(s, o);
  ASSERT_TRUE(r.failed_initially);
  EXPECT_LT(r.size_after, r.size_before);
  EXPECT_LT(r.minimal.clients, s.clients);
  // The written YAML parses and still fails the same checker first.
  auto again = ParseScenario(ToYaml(r.minimal), "shrunk.yaml");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  const RunResult rr = RunScenario(*again, o);
  ASSERT_NE(rr.first_failure(), nullptr);
  EXPECT_EQ(rr.first_failure()->checker, r.checker);
}

TEST(ScenarioShrink, SignatureSeparatesFailureClasses) {
  const std::string lost =
      "send-message by mc-0 (step 5, line 17) issued at 20326ms: message 'message 1 #0.2' acknowledged (ASM 0) "
      "but never shown to mc-1, a member of call 1 online throughout";
  const std::string lost_later =
      "send-message by mc-0 (step 2, line 9) issued at 1.5s: message 'x' acknowledged (ASM 0) "
      "but never shown to mc-3, a member of call 12 online throughout";
  EXPECT_EQ(FailureSignature("exactly_once_messages", lost), FailureSignature("exactly_once_messages", lost_later));
  const std::string refused =
      "invite by mc-0 (step 4, line 14) issued at 98751451us: expected ok|gave_up, got refused (session is closed, "
      "not active (SG-SESS-2))";
  const std::string not_logged_in =
      "invite by mc-0 (step 1, line 3) issued at 0us: expected ok|gave_up, got refused (not logged in: call Login first)";
  EXPECT_NE(FailureSignature("expectations", refused), FailureSignature("expectations", not_logged_in));
  EXPECT_NE(FailureSignature("expectations", refused), FailureSignature("answered_or_gave_up", refused));
  // The step kind is part of it.
  std::string message = refused;
  message.replace(0, 6, "message");
  EXPECT_NE(FailureSignature("expectations", refused), FailureSignature("expectations", message));
}

// The shrunk scenario still fails with the same signature, and the
// shrinker reduces provisioning and settle too.
TEST(ScenarioShrink, KeepsTheSignatureAndReducesProvisionAndSettle) {
  Scenario s = Load("sg-chat-duplication");
  s.extra_contacts = 40;
  ASSERT_GT(s.settle, 0);
  RunOptions o;
  o.seed = 1;
  o.broken_dedup = true;
  const ShrinkOutcome r = Shrink(s, o, 200);
  ASSERT_TRUE(r.failed_initially);
  EXPECT_FALSE(r.signature.empty());
  // (40 extra contacts change the sync and with it the timing this failure
  // needs, so the shrinker may keep them; it must not add any.)
  EXPECT_LE(r.minimal.extra_contacts, s.extra_contacts);
  EXPECT_LT(r.minimal.settle, s.settle);
  EXPECT_LT(r.minimal.time_limit, s.time_limit);
  const RunResult rr = RunScenario(r.minimal, o);
  ASSERT_NE(rr.first_failure(), nullptr);
  EXPECT_EQ(FailureSignature(rr.first_failure()->checker, rr.first_failure()->reason), r.signature);
}

TEST(ScenarioShrink, PassingRunIsNotShrunk) {
  RunOptions o;
  const ShrinkOutcome r = Shrink(Load("upload-loss-1"), o);
  EXPECT_FALSE(r.failed_initially);
}

TEST(ScenarioSwarm, MixIsDrawnFromTheSeed) {
  Scenario s = Load("upload-loss-10");
  RunOptions o;
  o.swarm = true;
  std::set<std::string> mixes;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    o.seed = seed;
    const RunResult r = RunScenario(s, o);
    EXPECT_FALSE(r.swarm_mix.empty());
    mixes.insert(r.swarm_mix);
    EXPECT_EQ(RunScenario(s, o).swarm_mix, r.swarm_mix);
  }
  EXPECT_GT(mixes.size(), 4u);
}

}  // namespace
}  // namespace mcpsim::scenarios

namespace mcpsim::scenarios {
namespace {

// A store that acknowledges before its writes are durable (the disk lies
// about fsync): the power cut in the middle of the offline-message burst
// loses acknowledged messages, and offline_delivered must say so; the same
// seeds pass on the honest disk.
TEST(ScenarioBroken, LyingSyncIsCaughtByOfflineDelivered) {
  Scenario s = Load("sg-disk-torn-group-commit");
  RunOptions good, bad;
  good.only_checkers = bad.only_checkers = {"offline_delivered"};
  bad.broken_sync = true;
  int caught = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    good.seed = bad.seed = seed;
    const RunResult ok = RunScenario(s, good);
    EXPECT_TRUE(ok.pass) << VerdictLine(ok);
    const RunResult r = RunScenario(s, bad);
    ASSERT_EQ(r.checks.size(), 1u);
    caught += !r.checks[0].pass;
  }
  EXPECT_GE(caught, 3) << "offline_delivered rarely notices acknowledged messages lost by a lying disk";
}

}  // namespace
}  // namespace mcpsim::scenarios
