// `mcpsim conform`: runs the conformance catalog (conformance/catalog.h)
// against a target given by address or launched with --launch, prints one
// line per case and a summary, and writes report.json, junit.xml, index.html
// and summary.md into --out. Exit: 0 all required cases pass, 1 a case
// FAILED (or NON-STRICT under --strict), 2 usage error, 3 target unreachable
// or harness failure.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <random>

#include "conformance/capture.h"
#include "conformance/catalog.h"
#include "conformance/client_runner.h"
#include "conformance/fault_proxy.h"
#include "conformance/runner.h"
#include "conformance/selftest.h"
#include <boost/asio/io_context.hpp>

#include "net/asio_env.h"
#include "net/asio_loop.h"
#include "net/process.h"
#include "reference/transport/enc.h"
#include "reports/report.h"
#include "sim/fault_spec.h"
#include "tools/verb.h"

namespace mcpsim::cli {
int ConformSelfTest(conformance::SelfTestOptions o, std::uint64_t seed);
int ConformSelfTestWorker(conformance::SelfTestOptions o, std::uint64_t seed);
namespace {

namespace fs = std::filesystem;
using conformance::RunOptions;

struct ConformArgs {
  std::string udp, tcp, http, launch, cases = "*", baseline, out = "mcpsim-report";
  std::string udps, key_file;  // encrypted UDP target and its ENC-2 key table
  std::string fault, listen, client_timers;
  bool strict = false, list = false, client = false;
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

// PROTOCOL.md next to the current directory or above the binary.
std::string FindProtocol() {
  std::vector<fs::path> roots{fs::current_path()};
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) roots.push_back(exe.parent_path());
  for (fs::path dir : roots) {
    for (int up = 0; up < 6 && !dir.empty(); ++up, dir = dir.parent_path()) {
      for (const fs::path& cand : {dir / "reference" / "PROTOCOL.md", dir / "PROTOCOL.md"}) {
        if (fs::is_regular_file(cand, ec)) return ReadFile(cand);
      }
      if (dir == dir.parent_path()) break;
    }
  }
  return "";
}

int Usage(const std::string& msg) {
  std::cerr << "mcpsim conform: error: " << msg << "\n";
  return 2;
}

int Conform(ConformArgs a) {
  if (a.timeout_ms < 0 || a.quiet_ms < 0) return Usage("--timeout and --quiet-ms must be > 0");
  if (a.self_test || a.self_test_worker) {
    a.st.cases = a.cases;
    if (a.timeout_ms > 0) a.st.timeout_ms = a.timeout_ms;
    if (a.quiet_ms > 0) a.st.quiet_ms = a.quiet_ms;
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
    c.protocol = FindProtocol();
    return conformance::RunClientConformance(c, a.baseline.empty() ? "" : ReadFile(a.baseline));
  }
  if (a.list) {
    for (const conformance::CaseDef& d : conformance::Catalog()) {
      if (!conformance::Selected(d.id, a.cases)) continue;
      std::string clauses;
      for (const std::string& c : d.clauses) clauses += (clauses.empty() ? "" : ",") + c;
      std::printf("%s %s %s%s\n", d.id.c_str(), d.transport.c_str(), clauses.c_str(), d.required ? "" : " (SHOULD)");
    }
    return 0;
  }
  RunOptions o;
  o.cases = a.cases;
  o.strict = a.strict;
  o.timeout_ms = a.timeout_ms;
  o.quiet_ms = a.quiet_ms;
  o.seed = a.seed;
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
    if (!l.ok()) {
      std::cerr << "mcpsim conform: " << l.status().message() << "\n";
      return 3;
    }
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
  // All I/O of the run: one io_context, the Asio Env, its loop; the capture
  // decorator records it (behind the fault proxy: the runner node's view).
  boost::asio::io_context io;
  net::AsioEnvOptions eo;
  eo.seed = a.seed;
  eo.bind_address = loopback ? (v6 ? "::1" : "127.0.0.1") : (v6 ? "::" : "0.0.0.0");
  net::AsioEnv real(io, eo);
  net::AsioLoop loop(real);
  o.target.nonce = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  const conformance::Target direct = o.target;
  std::unique_ptr<conformance::FaultProxy> proxy;
  std::unique_ptr<conformance::CaptureEnv> capture;
  if (fault) {
    auto p = conformance::FaultProxy::Start(real, o.target, *fault, a.seed);
    if (!p.ok()) {
      std::cerr << "mcpsim conform: " << p.status().message() << "\n";
      return 3;
    }
    proxy = std::move(*p);
    o.target = proxy->target();
    capture = std::make_unique<conformance::CaptureEnv>(o.target.env ? *o.target.env : proxy->runner_env(),
                                                        net::UnixMicros() - real.Now() + proxy->origin());
  } else {
    capture = std::make_unique<conformance::CaptureEnv>(real, net::UnixMicros() - real.Now());
    o.target.loop = &loop;
  }
  o.target.env = capture.get();
  o.target.labels = capture.get();
  for (auto [hp, name] : {std::pair{&o.target.udp, "target udp"}, std::pair{&o.target.tcp, "target tcp"},
                          std::pair{&o.target.http, "target http"}, std::pair{&o.target.udps, "target udps"}}) {
    if (!*hp) continue;
    if (auto ep = conformance::ToEndpoint(**hp); ep.ok()) capture->NamePeer(*ep, name);
  }
  std::error_code mk;
  fs::create_directories(a.out, mk);
  const bool have_pcap = capture->Open(a.out + "/run.pcap").ok();
  if (Status s = conformance::CheckReachable(o.target, a.timeout_ms); !s.ok()) {
    std::cerr << "mcpsim conform: target unreachable: " << s.message() << "\n";
    return 3;
  }
  reports::Report rep = conformance::RunCatalog(o, [](const reports::CaseResult& r) {
    std::string line(reports::VerdictName(r.verdict));
    line += " " + r.id;
    if (r.verdict != reports::Verdict::kOk && !r.reason.empty()) line += ": " + r.reason;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
  if (launched) launched->Stop();
  if (proxy) {
    rep.fault = a.fault;
    rep.fault_counters = proxy->counters();
    std::string direct_text;
    for (auto [hp, scheme] : {std::pair{&direct.udp, "udp"}, std::pair{&direct.tcp, "tcp"},
                              std::pair{&direct.http, "http"}, std::pair{&direct.udps, "udps"}}) {
      if (*hp) direct_text += std::string(direct_text.empty() ? "" : " ") + scheme + "://" + (*hp)->ToString();
    }
    rep.target = direct_text + " (through the fault proxy: every transport, seed " + std::to_string(a.seed) + ")";
  }
  capture->Close();
  if (have_pcap) rep.artifacts.push_back("run.pcap");
#ifdef MCPSIM_VERSION
  rep.version = MCPSIM_VERSION;
#endif
  const std::string protocol = FindProtocol();
  if (!protocol.empty()) rep.clauses = reports::ExtractClauses(protocol);
  if (Status s = reports::WriteReportFiles(rep, a.out, baseline ? &*baseline : nullptr); !s.ok()) {
    std::cerr << "mcpsim conform: cannot write reports: " << s.message() << "\n";
    return 3;
  }
  const auto counts = reports::CountVerdicts(rep);
  std::string summary = std::to_string(rep.cases.size()) + " cases:";
  for (const auto& [v, n] : counts) summary += " " + std::string(reports::VerdictName(v)) + "=" + std::to_string(n);
  summary += " (" + std::to_string(rep.duration_us / 1000) + " ms) report in " + a.out;
  std::printf("%s\n", summary.c_str());
  return conformance::ExitCode(rep, a.strict);
}

RegisterVerb reg{{"", "conform", "Run the conformance suite against a server",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<ConformArgs>();
                    cmd.add_option("--udp", a->udp, "Target UDP address HOST:PORT (CS)");
                    cmd.add_option("--tcp", a->tcp, "Target TCP address HOST:PORT (SG, RS)");
                    cmd.add_option("--http", a->http, "Target HTTP URL or HOST:PORT (DP, RS, MS)");
                    cmd.add_option("--udps", a->udps, "Target encrypted UDP address HOST:PORT (ENC; needs a key table)");
                    cmd.add_option("--key-file", a->key_file,
                                   "ENC-2 key table for --udps (default: the --key-file of the --launch command)");
                    cmd.add_option("--launch", a->launch, "Shell command starting the target; its `listening` lines give the addresses");
                    cmd.add_option("--cases", a->cases, "Glob(s) over case ids, comma-separated")->capture_default_str();
                    cmd.add_flag("--strict", a->strict, "NON-STRICT (SHOULD) failures fail the run");
                    cmd.add_option("--timeout", a->timeout_ms, "Wait for one answer (ms; default 2000, self-test 600); a case gets 10x");
                    cmd.add_option("--quiet-ms", a->quiet_ms, "Silence (ms) that ends a receive (default 150, self-test 40)");
                    cmd.add_option("--seed", a->seed, "Seed for generated names and the --fault proxy decisions")->capture_default_str();
                    cmd.add_option("--baseline", a->baseline, "Earlier report.json to compare against");
                    cmd.add_option("--out", a->out, "Report directory")->capture_default_str();
                    cmd.add_flag("--list", a->list, "List the case ids and their clauses");
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
                    cmd.add_flag("--client", a->client,
                                 "Client conformance: act as DP/RS/MS (HTTP) and CS (UDP) at --listen and check "
                                 "the client started by --launch ({dp} {udp} {dir} are substituted; the client "
                                 "reads one operation per line on stdin)");
                    cmd.add_option("--listen", a->listen, "--client: HOST:PORT for the HTTP and UDP servers (port 0: any)");
                    cmd.add_option("--client-timers", a->client_timers,
                                   "--client: the client's configured UDP timers INITIAL_MS,MAX_MS,RESENDS "
                                   "(default the spec's 1000,8000,5; CONV-2)");
                    return [a] { return Conform(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
