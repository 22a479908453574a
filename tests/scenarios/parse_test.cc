// Scenario language: strict parsing with file:line:col errors, the canonical
// writer round trip, durations.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "scenarios/checkers.h"
#include "scenarios/scenario.h"
#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {
namespace {

const char* kGood = R"(name: demo
purpose: "a demo: one client uploads"
seed: 7
time_limit: 90s
nodes: {clients: 2, min_version: 1.0.0}
network:
  default: {base_delay: 20ms, jitter: 5ms, loss: 10%, burst: {p_good_bad: 0.1, p_bad_good: 0.5}}
  links:
    - {from: mc-1, to: cs, both: true, mtu: 400, bandwidth_bps: 64000, queue_limit_bytes: 3000}
  faults:
    - {kind: partition, a: [clients], b: [cs], start: 1s, end: 2.5s, two_way: false}
    - {kind: clog, from: mc-0, to: servers, start: 3s, end: 4s}
    - {kind: clog_node, node: cs, start: 5s, end: 6s}
    - {kind: link_down, from: mc-0, to: dp, both: true, start: 7s, end: 8s}
    - {kind: link_change, from: cs, to: mc-0, at: 9s, link: {loss: 0.5, corrupt: 0.1, corrupt_max_bits: 3}}
steps:
  - {do: dispatch, client: all, expect: ok}
  - {do: upload, client: [0, 1], count: 3, spacing: 10ms, wait: false, data: "n={i} c={c}", expect: [ok, gave_up], min_ok: 4}
  - {do: register, client: 1, captcha: wrong, expect: 203}
  - {do: ad, expect: {outcome: ok, params_count: 5, params: {0: ad-1}}}
  - {do: wait, for: 2s}
  - {do: await}
workload: {start: 1s, duration: 10s, rate_per_s: 2, mix: {upload: 3, ad: 1}}
checkers: [expectations, determinism]
expect_counters: {ok: {min: 3}, gave_up: 0}
)";

Scenario MustParse(const std::string& text) {
  auto s = ParseScenario(text, "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : Scenario{};
}

std::string ErrorOf(const std::string& text) {
  auto s = ParseScenario(text, "bad.yaml");
  EXPECT_FALSE(s.ok());
  return s.ok() ? "" : s.status().message();
}

TEST(ScenarioParse, FullExample) {
  Scenario s = MustParse(kGood);
  EXPECT_EQ(s.name, "demo");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.time_limit, 90 * kSeconds);
  EXPECT_EQ(s.clients, 2);
  EXPECT_DOUBLE_EQ(s.default_link.loss, 0.1);
  EXPECT_TRUE(s.default_link.burst.enabled);
  EXPECT_EQ(s.default_link.jitter_dist, sim::JitterDist::kUniform);
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].cfg.mtu, 400u);
  EXPECT_DOUBLE_EQ(s.links[0].cfg.loss, 0.1);  // overrides start from the default link
  ASSERT_EQ(s.faults.size(), 5u);
  EXPECT_EQ(s.faults[0].end, 2500 * kMillis);
  EXPECT_FALSE(s.faults[0].two_way);
  EXPECT_EQ(s.faults[4].link.corrupt_max_bits, 3u);
  ASSERT_EQ(s.steps.size(), 6u);
  EXPECT_EQ(s.steps[0].clients, (std::vector<int>{0, 1}));
  EXPECT_EQ(s.steps[1].count, 3);
  EXPECT_FALSE(s.steps[1].wait);
  EXPECT_EQ(s.steps[1].pos.line, 18);
  EXPECT_EQ(s.steps[2].captcha, CaptchaMode::kWrong);
  EXPECT_EQ(s.steps[2].expect->statuses, std::vector<std::uint16_t>{203});
  EXPECT_EQ(s.steps[3].expect->params.at(0), "ad-1");
  EXPECT_EQ(s.steps[4].duration, 2 * kSeconds);
  ASSERT_TRUE(s.workload);
  EXPECT_EQ(s.workload->ad, 1);
  EXPECT_EQ(s.checkers, (std::vector<std::string>{"expectations", "determinism"}));
  ASSERT_EQ(s.expect_counters.size(), 2u);
  EXPECT_EQ(s.expect_counters[1].max, 0);
}

TEST(ScenarioParse, DefaultCheckersWhenAbsent) {
  Scenario s = MustParse("name: x\npurpose: p\nsteps: [{do: dispatch}]\n");
  EXPECT_EQ(s.checkers, DefaultCheckers());
  EXPECT_FALSE(s.checkers_explicit);
}

TEST(ScenarioParse, ErrorsCarryFileLineColumn) {
  EXPECT_EQ(ErrorOf("name: x\npurpose: p\nstepz: []\n"),
            "bad.yaml:3:1: unknown key 'stepz' in scenario (allowed: name, purpose, seed, time_limit, settle, "
            "nodes, provision, network, steps, workload, checkers, expect_counters)");
  EXPECT_EQ(ErrorOf("name: x\npurpose: p\nsteps:\n  - {do: upload, count: 0}\n"),
            "bad.yaml:4:25: value 0 out of range [1, 100000]");
  EXPECT_EQ(ErrorOf("name: x\npurpose: p\ntime_limit: 5 parsecs\nsteps: [{do: dispatch}]\n"),
            "bad.yaml:3:13: bad duration '5 parsecs' (use e.g. 500us, 250ms, 1.5s, 2m)");
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnetwork:\n  faults:\n    - {kind: clog, from: mc-3, to: cs, start: 0, end: 1s}\n"
                    "steps: [{do: dispatch}]\n")
                .find("bad.yaml:5:26: unknown node 'mc-3'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnetwork: {default: {loss: 1.5}}\nsteps: [{do: dispatch}]\n")
                .find("bad.yaml:3:27: 'loss' out of range"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nsteps: [{do: dispatch}]\ncheckers: [no_such]\n").find("bad.yaml:4:12: unknown checker 'no_such'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nsteps: [{do: fly}]\n").find("bad.yaml:3:14: unknown step 'fly'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nsteps: [{do: dispatch, client: 1}]\n").find("bad.yaml:3:32: value 1 out of range"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: [x\n").find("bad.yaml:"), std::string::npos);  // YAML syntax error
  EXPECT_NE(ErrorOf("purpose: p\nsteps: [{do: dispatch}]\n").find("bad.yaml:1:1: missing required key 'name'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnetwork:\n  faults: [{kind: partition, a: [cs], b: [dp], start: 2s, end: 1s}]\nsteps: [{do: dispatch}]\n")
                .find("end must be after start"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnodes: {sg: 2}\nsteps: [{do: dispatch}]\n").find("bad.yaml:3:13: value 2 out of range [0, 1]"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nsteps: [{do: login}]\n").find("bad.yaml:3:14: step 'login' talks to the SG: set nodes.sg: 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nsteps: [{do: dispatch}]\ncheckers: [exactly_once_messages]\n")
                .find("bad.yaml:4:12: checker 'exactly_once_messages' needs nodes.sg: 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnodes: {sg: 1, clients: 2}\nsteps: [{do: invite}]\n").find("step 'invite' needs 'to'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnodes: {sg: 1, clients: 2}\nsteps: [{do: offline, to: 5}]\n").find("bad.yaml:4:27: value 5 out of range"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnodes: {sg: 1}\nsteps: [{do: file, decision: maybe}]\n").find("decision must be"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnodes: {sg: 1}\nprovision: {contacts: mutual}\nsteps: [{do: login}]\n")
                .find("need provision.accounts: true"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\n").find("needs 'steps' or a 'workload'"), std::string::npos);
}

TEST(ScenarioParse, MissingFileIsAnError) {
  auto s = ParseScenarioFile("/nonexistent/x.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "/nonexistent/x.yaml:0:0: cannot read the file");
}

TEST(ScenarioParse, CanonicalYamlRoundTrips) {
  Scenario s = MustParse(kGood);
  const std::string y = ToYaml(s);
  Scenario t = MustParse(y);
  EXPECT_EQ(ToYaml(t), y);
  EXPECT_EQ(t.faults.size(), s.faults.size());
  EXPECT_EQ(t.steps.size(), s.steps.size());
  EXPECT_DOUBLE_EQ(t.links[0].cfg.loss, s.links[0].cfg.loss);
  EXPECT_EQ(t.steps[1].data, s.steps[1].data);
}

TEST(ScenarioParse, ExternalNodeFormParsesAndRoundTrips) {
  // nodes.external: a third-party server inside the simulation (scenarios/sim_stage.h).
  Scenario s = MustParse(R"(name: ext
purpose: "a target plays every role"
nodes:
  clients: 2
  sg: 1
  external: {cmd: "{mcpsim} serve --udp 127.0.0.1:0 --config {dir}/x.yaml", roles: [dp, rs, sg, cs, ms]}
steps: [{do: dispatch}]
)");
  EXPECT_EQ(s.external_cmd, "{mcpsim} serve --udp 127.0.0.1:0 --config {dir}/x.yaml");
  EXPECT_EQ(s.external_roles, (std::vector<std::string>{"dp", "rs", "sg", "cs", "ms"}));
  const std::string y = ToYaml(s);
  Scenario t = MustParse(y);
  EXPECT_EQ(t.external_cmd, s.external_cmd);
  EXPECT_EQ(t.external_roles, s.external_roles);
  EXPECT_EQ(ToYaml(t), y);
  // roles default to all five; errors name the key.
  EXPECT_EQ(MustParse("name: x\npurpose: p\nnodes: {external: {cmd: srv}}\nsteps: [{do: dispatch}]\n").external_roles.size(),
            5u);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnodes: {external: {cmd: srv, roles: [xx]}}\nsteps: [{do: dispatch}]\n")
                .find("unknown role 'xx'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnodes: {external: {roles: [cs]}}\nsteps: [{do: dispatch}]\n")
                .find("nodes.external needs cmd"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnodes: {external: {cmd: a, port: 1}}\nsteps: [{do: dispatch}]\n")
                .find("unknown key 'port'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: x\npurpose: p\nnodes: {external: srv}\nsteps: [{do: dispatch}]\n").find("nodes.external is a map"),
            std::string::npos);
}

TEST(ScenarioParse, SgScenarioRoundTrips) {
  Scenario s = MustParse(R"(name: sg
purpose: "SG steps"
nodes: {clients: 3, sg: 1, client_cache: false}
provision: {accounts: true, contacts: mutual, extra_contacts: 10}
steps:
  - {do: login, account: "u{c}@live.cn", password: pw, expect: {outcome: ok, params: {0: full}}}
  - {do: contact, op: block, to: [1, "x@live.cn"]}
  - {do: presence, presence: away, caps: 3}
  - {do: profile, nickname: n, psm: p, avatar: a}
  - {do: invite, to: 1}
  - {do: add_member, to: others}
  - {do: message, text: "t {i}", count: 2}
  - {do: offline, to: 2, text: hi}
  - {do: file, size: 100, name: f, decision: reject}
  - {do: voice, frames: 10, valid: false, container: raw, check: false}
  - {do: nudge, from: client}
  - {do: nudge, from: "b@live.cn"}
  - {do: leave}
  - {do: logout}
workload: {duration: 5s, mix: {message: 2, offline: 1}}
)");
  EXPECT_EQ(s.sg, 1);
  EXPECT_FALSE(s.client_cache);
  EXPECT_TRUE(s.provision_contacts);
  EXPECT_EQ(s.extra_contacts, 10);
  EXPECT_EQ(s.steps[1].to_clients, std::vector<int>{1});
  EXPECT_EQ(s.steps[1].to_accounts, std::vector<std::string>{"x@live.cn"});
  EXPECT_TRUE(s.steps[5].to_others);
  EXPECT_EQ(s.steps[8].decision, FileDecision::kReject);
  EXPECT_FALSE(s.steps[9].client_check);
  EXPECT_TRUE(s.steps[10].from_client);
  EXPECT_EQ(s.steps[11].from, "b@live.cn");
  for (const char* c : {"exactly_once_messages", "offline_delivered", "contacts_converge", "files_intact"}) {
    EXPECT_NE(std::find(s.checkers.begin(), s.checkers.end(), c), s.checkers.end()) << c;
  }
  const std::string y = ToYaml(s);
  Scenario t = MustParse(y);
  EXPECT_EQ(ToYaml(t), y);
  EXPECT_EQ(t.steps.size(), s.steps.size());
  EXPECT_EQ(t.steps[9].frames, 10u);
  EXPECT_FALSE(t.steps[9].wav);
  EXPECT_EQ(t.workload->message, 2);
}

RC_GTEST_PROP(ScenarioParse, DurationFormatRoundTrips, ()) {
  const auto t = *rc::gen::inRange<TimeUs>(0, 10'000'000'000LL);
  RC_ASSERT(yaml::ParseDuration(yaml::FormatDuration(t)) == std::optional<TimeUs>(t));
}

RC_GTEST_PROP(ScenarioParse, RealFormatRoundTrips, ()) {
  const double p = *rc::gen::inRange(0, 1000000) / 1e6;
  RC_ASSERT(std::strtod(yaml::FormatReal(p).c_str(), nullptr) == p);
}

TEST(ScenarioParse, Durations) {
  EXPECT_EQ(yaml::ParseDuration("1.5s"), 1500 * kMillis);
  EXPECT_EQ(yaml::ParseDuration("250"), 250 * kMillis);
  EXPECT_EQ(yaml::ParseDuration("2m"), 120 * kSeconds);
  EXPECT_EQ(yaml::ParseDuration("7us"), 7);
  EXPECT_FALSE(yaml::ParseDuration("1.0000001s"));
  EXPECT_FALSE(yaml::ParseDuration("-1s"));
  EXPECT_FALSE(yaml::ParseDuration("1h"));
  // Huge values are refused, never overflowed into a negative or wrapped time.
  EXPECT_FALSE(yaml::ParseDuration("999999999999999m"));
  EXPECT_FALSE(yaml::ParseDuration("9999999999999999"));
  EXPECT_EQ(yaml::ParseDuration("100000000000000us"), 100000000000000LL);
}

}  // namespace
}  // namespace mcpsim::scenarios

namespace mcpsim::scenarios {
namespace {

std::string DiskError(const std::string& fault_line, const std::string& nodes = "{clients: 1, sg: 1}") {
  auto s = ParseScenario("name: x\npurpose: p\nnodes: " + nodes + "\nnetwork:\n  faults:\n    - " + fault_line +
                             "\nsteps: [{do: dispatch}]\n",
                         "bad.yaml");
  return s.ok() ? "" : s.status().message();
}

TEST(ScenarioParse, DiskFaultsAndKeysRoundTrip) {
  auto s = ParseScenario(R"(name: disk
purpose: "disk faults"
nodes: {clients: 2, sg: 1, disk: [ms], group_commit: true}
network:
  faults:
    - {kind: disk, node: sg, fault: io_error, rate: 0.3, start: 1s, end: 2s}
    - {kind: disk, node: cs, fault: slow_sync, latency: 750ms, start: 1s, end: 5s}
    - {kind: disk, node: sg, fault: power_cut, start: 3s, end: 9s}
    - {kind: disk, node: cs, fault: full, start: 0, end: 1s}
steps: [{do: dispatch}]
)",
                         "d.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->group_commit);
  EXPECT_EQ(s->disks, (std::vector<std::string>{"ms", "sg", "cs"}));
  ASSERT_EQ(s->faults.size(), 4u);
  EXPECT_EQ(s->faults[0].disk, DiskFaultKind::kIoError);
  EXPECT_DOUBLE_EQ(s->faults[0].rate, 0.3);
  EXPECT_EQ(s->faults[1].latency, 750 * kMillis);
  EXPECT_EQ(s->faults[2].disk, DiskFaultKind::kPowerCut);
  const std::string y = ToYaml(*s);
  auto t = ParseScenario(y, "d2.yaml");
  ASSERT_TRUE(t.ok()) << t.status().ToString() << "\n" << y;
  EXPECT_EQ(ToYaml(*t), y);
  EXPECT_EQ(t->disks, s->disks);
  EXPECT_EQ(t->faults[1].latency, 750 * kMillis);
  EXPECT_NE(y.find("disk: [ms]"), std::string::npos) << y;  // sg and cs are implied by their faults
  auto all = ParseScenario("name: x\npurpose: p\nnodes: {clients: 1, disk: true}\nsteps: [{do: dispatch}]\n", "a.yaml");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->disk_all);
  EXPECT_NE(ToYaml(*all).find("disk: true"), std::string::npos);
}

TEST(ScenarioParse, DiskFaultErrorsHavePositions) {
  EXPECT_NE(DiskError("{kind: disk, node: sg, fault: melt, start: 1s, end: 2s}").find("bad.yaml:6:37: unknown disk fault 'melt'"),
            std::string::npos)
      << DiskError("{kind: disk, node: sg, fault: melt, start: 1s, end: 2s}");
  EXPECT_NE(DiskError("{kind: disk, node: dp, fault: full, start: 1s, end: 2s}").find("bad.yaml:6:26: a disk fault needs"),
            std::string::npos)
      << DiskError("{kind: disk, node: dp, fault: full, start: 1s, end: 2s}");
  EXPECT_NE(DiskError("{kind: disk, node: sg, fault: full, latency: 1s, start: 1s, end: 2s}").find("'latency' is for slow_sync"),
            std::string::npos);
  EXPECT_NE(DiskError("{kind: disk, node: sg, fault: power_cut, rate: 0.5, start: 1s, end: 2s}").find("'rate' is for"),
            std::string::npos);
  EXPECT_NE(DiskError("{kind: disk, node: sg, start: 1s, end: 2s}").find("disk needs 'node' and 'fault'"), std::string::npos);
  EXPECT_NE(DiskError("{kind: disk, node: sg, fault: full, start: 1s, end: 2s}", "{clients: 1, disk: [dp]}")
                .find("bad.yaml:3:"),
            std::string::npos);
}

}  // namespace
}  // namespace mcpsim::scenarios
