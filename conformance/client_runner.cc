#include "conformance/client_runner.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "conformance/capture.h"
#include "conformance/client_cases.h"
#include "conformance/client_servers.h"
#include "conformance/runner.h"

#include "net/asio_env.h"
#include "net/asio_loop.h"
#include "net/runtime.h"
#include "net/process.h"
#include "reports/report.h"

namespace mcpsim::conformance {
namespace {

namespace fs = std::filesystem;

std::string Substitute(std::string cmd, const std::map<std::string, std::string>& vars) {
  for (const auto& [key, value] : vars) {
    for (std::size_t p = cmd.find(key); p != std::string::npos; p = cmd.find(key, p + value.size())) {
      cmd.replace(p, key.size(), value);
    }
  }
  return cmd;
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `cmd` with `input` on stdin until it exits or `budget_us` passes,
// serving the fake servers on `loop` meanwhile. Returns whether it exited by
// itself; its stdout goes to `out_path`.
bool RunClient(EventLoop& loop, const std::string& cmd, const std::string& input, TimeUs budget_us,
               const std::string& out_path, const std::string& err_path) {
  net::ChildOptions co;
  co.stdin_text = input;
  co.stdout_path = out_path;
  co.stderr_path = err_path;
  auto child = net::Child::Start(cmd, co);
  if (!child.ok()) return false;
  net::Child& c = **child;
  const bool exited = loop.RunUntil(loop.Now() + budget_us, [&c] { return c.Exited(); });
  c.Stop();
  return exited;
}

// The client's figures: "resends" = datagrams/bodies from the client equal
// to an earlier one; "latency_ms" = its first message to our first answer.
void ClientMetrics(reports::CaseResult& r) {
  std::int64_t first_in = -1, first_out = -1;
  int resends = 0;
  std::vector<const std::string*> seen;
  for (const reports::WireEvent& e : r.wire) {
    if (e.dir == "recv") {
      if (first_in < 0) first_in = e.t_us;
      for (const std::string* s : seen) {
        if (*s == e.bytes) {
          ++resends;
          break;
        }
      }
      seen.push_back(&e.bytes);
    } else if (e.dir == "send" && first_in >= 0 && first_out < 0) {
      first_out = e.t_us;
    }
  }
  if (first_in >= 0) r.metrics["resends"] = resends;
  if (first_out >= 0) r.metrics["latency_ms"] = (first_out - first_in) / 1000.0;
}

}  // namespace

int RunClientConformance(const ClientOptions& o, const std::string& baseline_json) {
  auto usage = [](const std::string& m) {
    std::cerr << "mcpsim: error: " << m << "\n";
    return 2;
  };
  bool any = false;
  for (const ClientCaseDef& d : ClientCatalog()) any = any || Selected(d.id, o.cases);
  if (!any) return usage("--cases '" + o.cases + "' matches no client case (see mcpsim conform --client --list)");
  if (o.list) {
    for (const ClientCaseDef& d : ClientCatalog()) {
      if (!Selected(d.id, o.cases)) continue;
      std::string clauses;
      for (const std::string& c : d.clauses) clauses += (clauses.empty() ? "" : ",") + c;
      std::printf("%s client %s %s %s\n", d.id.c_str(), clauses.c_str(), d.required ? "MUST" : "SHOULD",
                  d.title.c_str());
    }
    return 0;
  }
  auto timers = ParseClientTimers(o.timers);
  if (!timers.ok()) return usage(timers.status().message());
  const std::string where = o.listen.empty() ? "127.0.0.1:0" : o.listen;
  Result<HostPort> listen = where.size() > 2 && where.substr(where.size() - 2) == ":0"
                                ? Result<HostPort>(HostPort{where.substr(0, where.size() - 2), 0})  // any free port
                                : ParseAddress(where);
  if (!listen.ok()) return usage("--listen: " + listen.status().message());
  if (o.launch.empty()) return usage("--client needs --launch 'CMD' (placeholders {dp} {udp} {http} {dir} {case})");
  std::optional<reports::Report> baseline;
  if (!baseline_json.empty()) {
    auto b = reports::FromJson(baseline_json);
    if (!b.ok()) return usage("--baseline: " + b.status().message());
    baseline = *b;
  }
  std::error_code ec;
  fs::create_directories(o.out, ec);
  net::AsioEnvOptions eo;
  eo.seed = o.seed;
  net::Runtime rt(eo);
  net::AsioEnv& real = rt.env();
  if (Status s = real.SetBindAddress(listen->host); !s.ok()) return usage("--listen: " + s.message());
  net::AsioLoop loop(real);
  CaptureEnv env(real, net::UnixMicros() - real.Now());
  const bool have_pcap = env.Open(o.out + "/run.pcap").ok();
  auto servers = ClientServers::Start(env, *listen, o.seed, &env);
  if (!servers.ok()) {
    std::cerr << "mcpsim: error: " << servers.status().message() << "\n";
    return 3;
  }
  const HostPort addr = (*servers)->address();
  char tmpl[] = "/tmp/mcpsim-client-conf-XXXXXX";
  const char* tmp = mkdtemp(tmpl);
  if (!tmp) return 3;

  reports::Report rep;
  rep.kind = "client-conformance";
  rep.seed = o.seed;
  rep.strict = o.strict;
  rep.target = o.launch + " (servers at " + addr.ToString() + ", timers " + std::to_string(timers->initial / 1000) +
               "," + std::to_string(timers->max / 1000) + "," + std::to_string(timers->resends) + ")";
  const TimeUs start = real.Now();
  std::vector<ClientRun> runs;
  runs.reserve(ClientCatalog().size());
  auto print = [](const reports::CaseResult& r) {
    std::string line(reports::VerdictName(r.verdict));
    line += " " + r.id;
    if (r.verdict != reports::Verdict::kOk && !r.reason.empty()) line += ": " + r.reason;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  std::vector<reports::CaseResult> summaries;
  for (const ClientCaseDef& d : ClientCatalog()) {
    if (!Selected(d.id, o.cases) || d.summary) continue;
    reports::CaseResult r;
    r.id = d.id;
    r.title = d.title;
    r.group = d.group;
    r.clauses = d.clauses;
    const std::string dir = std::string(tmp) + "/" + d.id;
    fs::create_directories(dir, ec);
    const std::string cmd = Substitute(o.launch, {{"{dp}", "http://" + addr.ToString()},
                                                  {"{udp}", addr.ToString()},
                                                  {"{http}", addr.ToString()},
                                                  {"{dir}", dir},
                                                  {"{case}", d.id}});
    std::string input;
    for (const std::string& op : d.ops) input += op + "\n";
    (*servers)->BeginCase(d.policy);
    const TimeUs t0 = real.Now();
    ClientRun run;
    run.exited = RunClient(loop, cmd, input, d.budget(*timers), dir + "/stdout", dir + "/stderr");
    // A short grace period for datagrams still in flight.
    loop.RunFor(50 * kMillis);
    run.observed_us = real.Now() - t0;
    run.obs = (*servers)->Snapshot();
    run.client_output = Slurp(dir + "/stdout");
    r.duration_us = real.Now() - t0;
    Outcome out = d.check(run, *timers);
    r.verdict = out.verdict;
    if (r.verdict == reports::Verdict::kFailed && !d.required) r.verdict = reports::Verdict::kNonStrict;
    r.expected = out.expected;
    r.actual = out.actual;
    r.reason = out.reason;
    // The transcript is the tester's (our servers') view: "recv" = from the client.
    r.wire = run.obs.wire;
    ClientMetrics(r);
    r.wire.push_back({run.observed_us, "note", "note",
                      "client " + std::string(run.exited ? "exited" : "stopped at the case budget") +
                          "; stdout: " + run.client_output.substr(0, 400)});
    print(r);
    rep.cases.push_back(std::move(r));
    runs.push_back(std::move(run));
  }
  std::vector<const ClientRun*> all;
  for (const ClientRun& r : runs) all.push_back(&r);
  for (const ClientCaseDef& d : ClientCatalog()) {
    if (!Selected(d.id, o.cases) || !d.summary) continue;
    reports::CaseResult r;
    r.id = d.id;
    r.title = d.title;
    r.group = d.group;
    r.clauses = d.clauses;
    Outcome out = d.summary(all);
    r.verdict = out.verdict;
    r.expected = out.expected;
    r.actual = out.actual;
    r.reason = out.reason;
    print(r);
    rep.cases.push_back(std::move(r));
  }
  rep.duration_us = real.Now() - start;
  servers->reset();
  env.Close();
  fs::remove_all(tmp, ec);
#ifdef MCPSIM_VERSION
  rep.version = MCPSIM_VERSION;
#endif
  if (!o.protocol.empty()) rep.clauses = reports::ExtractClauses(o.protocol);
  if (have_pcap) rep.artifacts.push_back("run.pcap");
  if (Status s = reports::WriteReportFiles(rep, o.out, baseline ? &*baseline : nullptr); !s.ok()) {
    std::cerr << "mcpsim: error: cannot write reports: " << s.message() << "\n";
    return 3;
  }
  std::string summary = std::to_string(rep.cases.size()) + " client cases:";
  for (const auto& [v, n] : reports::CountVerdicts(rep)) {
    summary += " " + std::string(reports::VerdictName(v)) + "=" + std::to_string(n);
  }
  summary += " (" + std::to_string(rep.duration_us / 1000) + " ms) report in " + o.out;
  std::printf("%s\n", summary.c_str());
  return ExitCode(rep, o.strict);
}

}  // namespace mcpsim::conformance
