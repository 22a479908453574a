// `mcpsim conform`: runs the conformance catalog (conformance/catalog.h)
// against a target given by address or launched with --launch, prints one
// line per case and a summary, and writes report.json, junit.xml, index.html
// and summary.md into --out. Exit: 0 all required cases pass, 1 a case
// FAILED (or NON-STRICT under --strict), 2 usage error, 3 target unreachable
// or harness failure.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <random>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "conformance/capture.h"
#include "conformance/catalog.h"
#include "conformance/client_runner.h"
#include "conformance/fault_proxy.h"
#include "conformance/runner.h"
#include "conformance/selftest.h"
#include "core/build_info.h"

#include "net/asio_env.h"
#include "net/asio_loop.h"
#include "net/runtime.h"
#include "net/process.h"
#include "reference/transport/enc.h"
#include "reports/report.h"
#include "sim/fault_spec.h"
#include "tools/embedded.h"
#include "tools/verb.h"

#include "tools/verbs/conform_sim.h"

namespace mcpsim::cli {
int ConformSelfTest(conformance::SelfTestOptions o, std::uint64_t seed);
int ConformSelfTestWorker(conformance::SelfTestOptions o, std::uint64_t seed);

int ConformScenarios(const std::string& dir, const conformance::Target& real, std::uint64_t seed,
                     const std::string& accounts, sim::PcapngWriter* pcap, reports::Report& rep);  // run_external.cc

// The spec this binary was built with (also used by `mcpsim run` for the
// report set of external runs): compiled in, so the report's clause coverage
// does not depend on the working directory or where the binary lies.
std::string ProtocolText() { return std::string(embedded::ProtocolMd()); }

namespace {

namespace fs = std::filesystem;
using conformance::RunOptions;

struct ConformArgs {
  std::string udp, tcp, http, launch, cases = "*", baseline, out = "mcpsim-report";
  std::string sim_launch;  // --sim-launch: the target inside the simulation (conform_sim.cc)
  std::string udps, key_file;  // encrypted UDP target and its ENC-2 key table
  std::string fault, listen, client_timers;
  std::vector<std::string> ad_slots, media_ids;  // the target's catalogue (issue 14)
  std::vector<std::string> roles, require;        // --roles, --require (ARCH-1)
  std::string scenarios, accounts;  // --scenarios DIR (scenario cases), --accounts FILE
  std::string seeds;  // --seeds A..B: flakiness
  bool strict = false, list = false, client = false, json = false;
  bool self_test = false;  // --self-test (conformance/selftest.h)
  bool self_test_worker = false;  // --self-test-worker (internal: one share of a virtual self-test)
  conformance::SelfTestOptions st;
  int timeout_ms = 0;  // 0: the default (2000; self-test 600)
  int quiet_ms = 0;    // 0: the default (150; self-test 40)
  std::uint64_t seed = 1;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int Usage(const std::string& msg) {
  std::cerr << "mcpsim: error: " << msg << "\n";
  return 2;
}

// `conform --list [--json]`: id, transports, clauses, level and title per case.
int List(const ConformArgs& a) {
  nlohmann::ordered_json cases = nlohmann::ordered_json::array();
  for (const conformance::CaseDef& d : conformance::Catalog()) {
    if (!conformance::Selected(d.id, a.cases)) continue;
    std::string clauses;
    for (const std::string& c : d.clauses) clauses += (clauses.empty() ? "" : ",") + c;
    const char* level = d.required ? "MUST" : "SHOULD";
    if (a.json) {
      cases.push_back({{"id", d.id}, {"title", d.title}, {"group", d.group}, {"transport", d.transport},
                       {"clauses", d.clauses}, {"level", level}});
    } else {
      std::printf("%s %s %s %s %s\n", d.id.c_str(), d.transport.c_str(), clauses.c_str(), level, d.title.c_str());
    }
  }
  if (cases.empty() && a.json) return Usage("--cases '" + a.cases + "' matches no case (see mcpsim conform --list)");
  if (a.json) {
    const core::BuildInfo& b = core::GetBuildInfo();
    nlohmann::ordered_json out = {{"mcpsim", {{"version", b.version}, {"commit", b.commit}, {"build_type", b.build_type}}},
                                  {"cases", cases}};
    std::printf("%s\n", out.dump(2).c_str());
  }
  return 0;
}

// Writes report.json/junit.xml/index.html/summary.md saying why the run could
// not be carried out (CI then shows the reason instead of a missing file).
int HarnessFailure(const ConformArgs& a, const std::string& why, const std::string& target) {
  std::cerr << "mcpsim: error: " << why << "\n";
  reports::Report rep;
  rep.kind = "conformance";
  rep.seed = a.seed;
  rep.strict = a.strict;
  rep.target = target.empty() ? (a.launch.empty() ? std::string("(none)") : "launched: " + a.launch) : target;
  rep.error = why;
  if (Status s = reports::WriteReportFiles(rep, a.out); !s.ok()) {
    std::cerr << "mcpsim: error: cannot write reports: " << s.message() << "\n";
  } else {
    std::cerr << "mcpsim: the reports in " << fs::absolute(a.out).string() << " say why\n";
  }
  return 3;
}

std::string TargetText(const conformance::Target& t) {
  std::string s;
  if (t.udp) s += "udp://" + t.udp->ToString() + " ";
  if (t.tcp) s += "tcp://" + t.tcp->ToString() + " ";
  if (t.http) s += "http://" + t.http->ToString() + " ";
  if (t.udps) s += "udps://" + t.udps->ToString() + " ";
  if (!s.empty()) s.pop_back();
  return s;
}

int Conform(ConformArgs a) {
  if (a.timeout_ms < 0 || a.quiet_ms < 0) return Usage("--timeout and --quiet-ms must be > 0");
  if (a.self_test || a.self_test_worker) {
    a.st.cases = a.cases;
    if (a.timeout_ms > 0) a.st.timeout_ms = a.timeout_ms;
    if (a.quiet_ms > 0) a.st.quiet_ms = a.quiet_ms;
  }
  if (!a.sim_launch.empty()) {
    ConformSimArgs c;
    c.command = a.sim_launch;
    c.cases = a.cases;
    c.seed = a.seed;
    if (a.timeout_ms > 0) c.timeout_ms = a.timeout_ms;
    if (a.quiet_ms > 0) c.quiet_ms = a.quiet_ms;
    return ConformSimTarget(c);
  }
  if (a.timeout_ms == 0) a.timeout_ms = 2000;
  if (a.quiet_ms == 0) a.quiet_ms = 150;
  if (a.self_test_worker) return ConformSelfTestWorker(a.st, a.seed);  // tools/verbs/conform_selftest.cc
  if (a.self_test) return ConformSelfTest(a.st, a.seed);
  if (a.client) {
    conformance::ClientOptions c;
    c.listen = a.listen;
    c.launch = a.launch;
    c.cases = a.cases;
    c.strict = a.strict;
    c.list = a.list;
    c.timers = a.client_timers;
    c.seed = a.seed;
    c.out = a.out;
    c.protocol = ProtocolText();
    return conformance::RunClientConformance(c, a.baseline.empty() ? "" : ReadFile(a.baseline));
  }
  bool any = false;
  for (const conformance::CaseDef& d : conformance::Catalog()) any = any || conformance::Selected(d.id, a.cases);
  if (!any) return Usage("--cases '" + a.cases + "' matches no case (see mcpsim conform --list)");
  if (a.list) return List(a);
  // Flakiness: --seeds A..B runs the suite once per seed (names and fault decisions from it).
  std::vector<std::uint64_t> seeds{a.seed};
  if (!a.seeds.empty()) {
    const auto dots = a.seeds.find("..");
    std::uint64_t lo = 0, hi = 0;
    try {
      if (dots == std::string::npos || a.seeds.find_first_not_of("0123456789.") != std::string::npos) throw 0;
      lo = std::stoull(a.seeds.substr(0, dots));
      hi = std::stoull(a.seeds.substr(dots + 2));
    } catch (...) {
      return Usage("--seeds '" + a.seeds + "': use A..B");
    }
    if (lo > hi || hi - lo >= 1000) return Usage("--seeds '" + a.seeds + "': A <= B and at most 1000 seeds");
    seeds.clear();
    for (std::uint64_t s = lo; s <= hi; ++s) seeds.push_back(s);
  }
  RunOptions o;
  o.cases = a.cases;
  o.strict = a.strict;
  o.timeout_ms = a.timeout_ms;
  o.quiet_ms = a.quiet_ms;
  o.seed = a.seed;
  for (const std::string& s : a.ad_slots) {
    if (s.empty() || s.size() > 32 || s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
      return Usage("--ad-slot " + s + ": a slot is 1..32 bytes of [a-z0-9_-] (RAD, PROTOCOL.md 7.9.3)");
    }
  }
  for (const std::string& m : a.media_ids) {
    if (!conformance::MediaIdFromUrl("/media/" + m)) return Usage("--media-id " + m + ": a media id is 1..64 bytes of [A-Za-z0-9_-] (LIM-18)");
  }
  for (const std::string& r : a.roles) {
    if (std::find(conformance::AllRoles().begin(), conformance::AllRoles().end(), r) == conformance::AllRoles().end()) {
      return Usage("--roles " + r + ": not a role (dp, rs, sg, cs, ms)");
    }
    o.roles.insert(r);
  }
  for (const std::string& t : a.require) {
    if (t != "udp" && t != "tcp" && t != "http" && t != "udps") return Usage("--require " + t + ": not a transport (udp, tcp, http, udps)");
  }
  o.require = a.require;
  o.target.ad_slots = a.ad_slots;
  o.target.media_ids = a.media_ids;
  for (auto [text, slot] : {std::pair{&a.udp, &o.target.udp}, std::pair{&a.tcp, &o.target.tcp},
                            std::pair{&a.http, &o.target.http}, std::pair{&a.udps, &o.target.udps}}) {
    if (text->empty()) continue;
    auto hp = conformance::ParseAddress(*text);
    if (!hp.ok()) return Usage(*text + ": " + hp.status().message());
    *slot = *hp;
  }
  // The key table: --key-file, else the `--key-file F` of the --launch command.
  std::string key_file = a.key_file;
  if (key_file.empty()) {
    std::istringstream words(a.launch);
    for (std::string w; words >> w;) {
      if (w == "--key-file" && (words >> key_file)) break;
    }
  }
  if (!key_file.empty()) {
    std::ifstream kf(key_file);
    if (!kf) return Usage("cannot read key file " + key_file);
    auto keys = reference::enc::ParseKeyTable(ReadFile(key_file));
    if (!keys.ok()) return Usage("--key-file: " + keys.status().message());
    o.target.udps_keys = *keys;
  }
  std::optional<reports::Report> baseline;
  if (!a.baseline.empty()) {
    auto b = reports::FromJson(ReadFile(a.baseline));
    if (!b.ok()) return Usage("--baseline: " + b.status().message());
    baseline = *b;
  }
  std::optional<sim::FaultSpec> fault;
  if (!a.fault.empty()) {
    auto f = sim::ParseFaultSpec(a.fault);
    if (!f.ok()) return Usage("--fault: " + f.status().message());
    fault = *f;
  }
  std::unique_ptr<conformance::Launched> launched;
  if (!a.launch.empty()) {
    auto l = conformance::Launched::Start(a.launch, 10000);
    if (!l.ok()) return HarnessFailure(a, l.status().message(), "");
    launched = std::move(*l);
    // Addresses given explicitly win over the launched ones.
    if (!o.target.udp) o.target.udp = launched->target().udp;
    if (!o.target.tcp) o.target.tcp = launched->target().tcp;
    if (!o.target.http) o.target.http = launched->target().http;
    if (!o.target.udps) o.target.udps = launched->target().udps;
  }
  if (!o.target.udp && !o.target.http && !o.target.tcp && !o.target.udps) return Usage("give --udp, --http or --launch");
  // Names become address literals here; the harness never resolves.
  bool loopback = true, v6 = false;
  for (std::optional<conformance::HostPort>* hp : {&o.target.udp, &o.target.tcp, &o.target.http, &o.target.udps}) {
    if (!*hp) continue;
    auto ip = net::ResolveHost((*hp)->host);
    if (!ip.ok()) return Usage(ip.status().message());
    (*hp)->host = *ip;
    v6 = v6 || ip->find(':') != std::string::npos;
    loopback = loopback && (ip->rfind("127.", 0) == 0 || *ip == "::1");
  }
  // The clauses first, so a case line can show a clause's text, not only its id.
  reports::Report clauses;
  if (const std::string protocol = ProtocolText(); !protocol.empty()) clauses.clauses = reports::ExtractClauses(protocol);
  const bool many = seeds.size() > 1;
  std::error_code mk;
  fs::create_directories(a.out, mk);
  bool have_pcap = false;
  std::vector<std::string> seed_pcaps;  // run-seed-<N>.pcap of the seeds after the first
  std::string harness_error;
  int scenario_rc = 0;  // ConformScenarios' exit code when it failed
  std::string aborted;  // why the target was given up mid-run (exit 3)
  // One run of the suite with `seed`: all its I/O on one io_context, the Asio
  // Env and its loop; the capture decorator records it (behind the fault
  // proxy: the runner node's view). run.pcap holds the first seed's run.
  auto run_seed = [&](std::uint64_t seed, bool first) -> std::optional<reports::Report> {
    RunOptions os = o;
    os.seed = seed;
    net::AsioEnvOptions eo;
    eo.seed = seed;
    eo.bind_address = loopback ? (v6 ? "::1" : "127.0.0.1") : (v6 ? "::" : "0.0.0.0");
    net::Runtime rt(eo);
    net::AsioEnv& real = rt.env();
    net::AsioLoop loop(real);
    os.target.nonce = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
    const conformance::Target direct = os.target;
    std::unique_ptr<conformance::FaultProxy> proxy;
    std::unique_ptr<conformance::CaptureEnv> capture;
    if (fault) {
      auto p = conformance::FaultProxy::Start(real, os.target, *fault, seed);
      if (!p.ok()) {
        harness_error = p.status().message();
        return std::nullopt;
      }
      proxy = std::move(*p);
      os.target = proxy->target();
      capture = std::make_unique<conformance::CaptureEnv>(os.target.env ? *os.target.env : proxy->runner_env(),
                                                          net::UnixMicros() - real.Now() + proxy->origin());
    } else {
      capture = std::make_unique<conformance::CaptureEnv>(real, net::UnixMicros() - real.Now());
      os.target.loop = &loop;
    }
    os.target.env = capture.get();
    os.target.labels = capture.get();
    for (auto [hp, name] : {std::pair{&os.target.udp, "target udp"}, std::pair{&os.target.tcp, "target tcp"},
                            std::pair{&os.target.http, "target http"}, std::pair{&os.target.udps, "target udps"}}) {
      if (!*hp) continue;
      if (auto ep = conformance::ToEndpoint(**hp); ep.ok()) capture->NamePeer(*ep, name);
    }
    // run.pcap holds the first seed's run; with --seeds, every further seed
    // has its own capture (run-seed-<N>.pcap), so a flaky case can be read
    // on the wire of the seed where it failed.
    if (first) {
      have_pcap = capture->Open(a.out + "/run.pcap").ok();
    } else if (capture->Open(a.out + "/run-seed-" + std::to_string(seed) + ".pcap").ok()) {
      seed_pcaps.push_back("run-seed-" + std::to_string(seed) + ".pcap");
    }
    if (first) {
      if (Status s = conformance::CheckReachable(os.target, a.timeout_ms); !s.ok()) {
        capture->Close();
        harness_error = "target unreachable: " + s.message();
        return std::nullopt;
      }
    }
    // A target that exits or stops answering mid-run ends the run (exit 3).
    os.aborted = &aborted;
    const conformance::Target reach = os.target;
    os.liveness = [&launched, reach, t = a.timeout_ms]() -> std::string {
      if (launched) {
        if (std::string why = launched->Exited(); !why.empty()) return why;
      }
      Status s;
      for (int i = 0; i < 3; ++i) {  // behind a lossy fault proxy one probe can be lost
        s = conformance::CheckReachable(reach, t);
        if (s.ok()) return "";
      }
      return "the target stopped answering: " + s.message();
    };
    spdlog::info("conform: seed {}{}", seed, fault ? " behind the fault proxy" : "");
    reports::Report rep = conformance::RunCatalog(os, [&](const reports::CaseResult& r) {
      spdlog::debug("conform: seed {} {} {} ({} us, {} wire events)", seed, reports::VerdictName(r.verdict), r.id,
                    r.duration_us, r.wire.size());
      if (many) return;  // one line per seed below, the pass rates at the end
      std::string line(reports::VerdictName(r.verdict));
      line += " " + r.id;
      if (r.verdict != reports::Verdict::kOk) {
        if (const std::string why = reports::ReasonText(clauses, r); !why.empty()) line += ": " + why;
      }
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    });
    if (first && !a.scenarios.empty()) {
      // Scenario files as cases (`scenario.<name>`), against the real target
      // (their own network section applies, not --fault), in the same report.
      const TimeUs t0 = real.Now();
      scenario_rc = ConformScenarios(a.scenarios, direct, seed, a.accounts, capture->writer(), rep);
      if (scenario_rc != 0) return std::nullopt;
      rep.duration_us += real.Now() - t0;
    }
    if (proxy) {
      rep.fault = a.fault;
      rep.fault_counters = proxy->counters();
      std::string direct_text;
      for (auto [hp, scheme] : {std::pair{&direct.udp, "udp"}, std::pair{&direct.tcp, "tcp"},
                                std::pair{&direct.http, "http"}, std::pair{&direct.udps, "udps"}}) {
        if (*hp) direct_text += std::string(direct_text.empty() ? "" : " ") + scheme + "://" + (*hp)->ToString();
      }
      rep.target = direct_text + " (through the fault proxy: every transport, seed " + std::to_string(seed) + ")";
    }
    capture->Close();
    return rep;
  };
  std::vector<reports::Report> reps;
  for (std::uint64_t seed : seeds) {
    std::optional<reports::Report> rep = run_seed(seed, reps.empty());
    if (!rep) {
      if (launched) launched->Stop();
      if (scenario_rc != 0) return scenario_rc;
      return HarnessFailure(a, harness_error, TargetText(o.target));
    }
    if (many) {
      std::string line = "seed " + std::to_string(seed) + ":";
      for (const auto& [v, n] : reports::CountVerdicts(*rep)) {
        line += " " + std::string(reports::VerdictName(v)) + "=" + std::to_string(n);
      }
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    }
    reps.push_back(std::move(*rep));
    if (!aborted.empty()) break;
  }
  if (launched) launched->Stop();
  reports::Report rep = many ? reports::MergeSeedRuns(reps, seeds, a.strict) : std::move(reps.front());
  if (have_pcap) rep.artifacts.push_back("run.pcap");
  for (std::string& p : seed_pcaps) rep.artifacts.push_back(std::move(p));
  rep.strict = a.strict;
  rep.clauses = std::move(clauses.clauses);
  for (reports::ClauseInfo& c : rep.clauses) c.not_judged = conformance::NotJudgedReason(c.id);
  if (Status s = reports::WriteReportFiles(rep, a.out, baseline ? &*baseline : nullptr); !s.ok()) {
    std::cerr << "mcpsim: error: cannot write reports: " << s.message() << "\n";
    return 3;
  }
  if (!aborted.empty()) {
    std::printf("run stopped: %s; %zu cases ran, report in %s\n", aborted.c_str(), rep.cases.size(),
                fs::absolute(a.out).string().c_str());
    std::cerr << "mcpsim: error: " << aborted << "\n";
    return 3;
  }
  int flaky = 0;
  if (many) {
    // One line per case that did not pass on every seed.
    for (const reports::CaseResult& c : rep.cases) {
      if (c.passes == c.runs) continue;
      std::string seeds_text;
      for (std::uint64_t s : c.failing_seeds) seeds_text += (seeds_text.empty() ? "" : ",") + std::to_string(s);
      const bool is_flaky = reports::IsFlaky(c);
      flaky += is_flaky;
      std::printf("%s %s: passed %d/%d (failing seeds %s)\n", is_flaky ? "FLAKY" : reports::VerdictName(c.verdict).data(),
                  c.id.c_str(), c.passes, c.runs, seeds_text.c_str());
    }
  }
  if (!rep.cases.empty()) {
    // Which of Appendix A's words the run sent and saw answered (reports::WordCoverage).
    const auto words = reports::WordCoverage(rep);
    const auto missing = reports::UnexercisedWords(words);
    std::string line = "words: " + std::to_string(words.size() - missing.size()) + "/" + std::to_string(words.size()) +
                       " exercised";
    for (std::size_t i = 0; i < missing.size(); ++i) line += (i ? ", " : "; not exercised: ") + missing[i];
    std::printf("%s\n", line.c_str());
  }
  const auto counts = reports::CountVerdicts(rep);
  std::string summary = std::to_string(rep.cases.size()) + " cases:";
  for (const auto& [v, n] : counts) summary += " " + std::string(reports::VerdictName(v)) + "=" + std::to_string(n);
  if (many) summary += " FLAKY=" + std::to_string(flaky) + " over seeds " + rep.seeds;
  summary += " (" + std::to_string(rep.duration_us / 1000) + " ms) report in " + fs::absolute(a.out).string();
  std::printf("%s\n", summary.c_str());
  return conformance::ExitCode(rep, a.strict);
}

RegisterVerb reg{{"", "conform", "Run the conformance suite against a server",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<ConformArgs>();
                    cmd.add_option("--udp", a->udp, "Target UDP address HOST:PORT (CS, SG)");
                    cmd.add_option("--tcp", a->tcp, "Target TCP address HOST:PORT (SG, RS)");
                    cmd.add_option("--http", a->http, "Target HTTP URL or HOST:PORT (DP, RS, MS, SG)");
                    cmd.add_option("--udps", a->udps, "Target encrypted UDP address HOST:PORT (ENC; needs a key table)");
                    cmd.add_option("--key-file", a->key_file,
                                   "ENC-2 key table for --udps (default: the --key-file of the --launch command)");
                    cmd.add_option("--launch", a->launch, "Shell command starting the target; its `listening` lines give the addresses");
                    cmd.add_option("--sim-launch", a->sim_launch,
                                   "Run the target inside the simulation (interposer, virtual time) and compare each "
                                   "verdict with the in-process reference's");
                    cmd.add_option("--ad-slot", a->ad_slots,
                                   "An ad slot of the target's catalogue to query with RAD (repeatable or "
                                   "comma-separated; default: try `top`)")->delimiter(',');
                    cmd.add_option("--media-id", a->media_ids,
                                   "A media id the target's MS serves (repeatable; default: learnt from the "
                                   "imageUrl of an AAD)")->delimiter(',');
                    cmd.add_option("--roles", a->roles,
                                   "The roles the target implements, e.g. cs,dp (default all: dp,rs,sg,cs,ms); "
                                   "cases of other roles are not judged, ARCH-1 transports are required for these")
                        ->delimiter(',');
                    cmd.add_option("--require", a->require,
                                   "Transports that must be given, e.g. udp,tcp,http (a missing one is FAILED, exit 1)")
                        ->delimiter(',');
                    cmd.add_option("--cases", a->cases, "Glob(s) over case ids, comma-separated")->capture_default_str();
                    cmd.add_flag("--strict", a->strict, "NON-STRICT (SHOULD) failures fail the run");
                    cmd.add_option("--timeout", a->timeout_ms, "Wait for one answer (ms; default 2000, self-test 600); a case gets 10x");
                    cmd.add_option("--quiet-ms", a->quiet_ms, "Silence (ms) that ends a receive (default 150, self-test 40)");
                    cmd.add_option("--seed", a->seed, "Seed for generated names and the --fault proxy decisions")->capture_default_str();
                    cmd.add_option("--seeds", a->seeds,
                                   "Flakiness: run the suite once per seed A..B (with --fault: behind the proxy) and "
                                   "report each case's pass rate; a case below 100% fails the run (FLAKY if it "
                                   "passed on some seeds)");
                    cmd.add_option("--baseline", a->baseline, "Earlier report.json to compare against");
                    cmd.add_option("--out", a->out, "Report directory")->capture_default_str();
                    cmd.add_flag("--list", a->list,
                                 "List the cases: id, transports, clauses, level (MUST/SHOULD) and title");
                    cmd.add_flag("--json", a->json, "--list: print the list as JSON");
                    cmd.add_flag("--self-test", a->self_test,
                                 "Run the suite against the clean reference and every mutant, in virtual time "
                                 "(prints self-test-hash and mutation-score)");
                    cmd.add_flag("--real", a->st.real, "Self-test: launch each server as a process on loopback (real sockets)");
                    cmd.add_flag("--self-test-worker", a->self_test_worker, "(internal) one share of a --jobs self-test")
                        ->group("");
                    cmd.add_option("--launch-cmd", a->st.launch_cmd, "Self-test --real: clean server command (default: this mcpsim's serve on loopback)");
                    cmd.add_option("--jobs", a->st.jobs, "Self-test: worker processes (virtual) or concurrent runs (--real)")->capture_default_str();
                    cmd.add_option("--mutants", a->st.mutants, "Self-test: glob(s) over mutant names (a sample)")->capture_default_str();
                    cmd.add_option("--fault", a->fault,
                                   "Seeded fault proxy in front of every transport of the target (UDP, encrypted UDP, "
                                   "TCP, HTTP), e.g. 'loss=0.1,dup=0.05,reorder=0.1,delay=5ms,jitter=2ms,split=1'. "
                                   "Datagrams: loss, dup|duplicate, dup_spread, reorder, reorder_delay, delay|base_delay, "
                                   "jitter, jitter_dist (uniform|exponential|pareto), jitter_cap, pareto_alpha, "
                                   "burst=PGB/PBG, corrupt, corrupt_max_bits, mtu, bandwidth_bps, queue_limit_bytes; "
                                   "streams (delay/jitter per segment as above): split=1, segment=N, coalesce=P, "
                                   "coalesce_hold, reset=P, stall_reset, connect_timeout; windows: partition=2s-4s, "
                                   "clog=START-END (repeatable); decisions from --seed");
                    cmd.add_option("--scenarios", a->scenarios,
                                   "Also run every scenario file of this folder against the target (its clients "
                                   "through the scenario's simulated network) as case scenario.<name>");
                    cmd.add_option("--accounts", a->accounts,
                                   "Existing accounts for --scenarios, one `account password` per line (before "
                                   "registering new ones)");
                    cmd.add_flag("--client", a->client,
                                 "Client conformance: act as DP/RS/MS (HTTP) and CS (UDP) at --listen and check "
                                 "the client started by --launch ({dp} {udp} {http} {dir} {case} are substituted; the client "
                                 "reads one operation per line on stdin)");
                    cmd.add_option("--listen", a->listen, "--client: HOST:PORT for the HTTP and UDP servers (port 0: any)");
                    cmd.add_option("--client-timers", a->client_timers,
                                   "--client: the client's configured UDP timers INITIAL_MS,MAX_MS,RESENDS "
                                   "(default the spec's 1000,8000,5; CONV-2)");
                    return [a] { return Conform(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
