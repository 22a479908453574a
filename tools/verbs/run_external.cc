// Scenario runs against an external target, shared by `run`, `sweep` and
// `conform --scenarios`: the ExternalTarget of the command-line flags, the
// report set of a set of runs (scenarios/target_report.h), and the scenario
// cases of a conformance report.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "conformance/provision.h"
#include "conformance/runner.h"
#include "reports/report.h"
#include "scenarios/external.h"
#include "scenarios/inputs.h"
#include "scenarios/run_summary.h"
#include "scenarios/runner.h"
#include "scenarios/target_report.h"

namespace mcpsim::cli {

std::string ProtocolText();  // conform.cc (the embedded PROTOCOL.md)

std::optional<scenarios::ExternalTarget> ExternalFromFlags(const std::string& udp, const std::string& tcp,
                                                          const std::string& http, const std::string& launch,
                                                          const std::string& accounts, std::string& err) {
  if (udp.empty() && tcp.empty() && http.empty() && launch.empty()) {
    if (!accounts.empty()) err = "--accounts needs a target (--udp/--tcp/--http/--launch)";
    return std::nullopt;
  }
  scenarios::ExternalTarget t;
  for (auto [text, slot] : {std::pair{&udp, &t.udp}, std::pair{&tcp, &t.tcp}, std::pair{&http, &t.http}}) {
    if (text->empty()) continue;
    auto hp = conformance::ParseAddress(*text);
    if (!hp.ok()) {
      err = *text + ": " + hp.status().message();
      return std::nullopt;
    }
    *slot = *hp;
  }
  t.launch = launch;
  if (!accounts.empty()) {
    std::ifstream f(accounts);
    if (!f) {
      err = "cannot read --accounts file " + accounts;
      return std::nullopt;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    auto list = conformance::ParseAccountsFile(ss.str());
    if (!list.ok()) {
      err = "--accounts: " + list.status().ToString();
      return std::nullopt;
    }
    t.accounts = *list;
    t.accounts_file = accounts;
  }
  t.nonce = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  return t;
}

Status WriteTargetReport(const std::string& dir, const std::vector<scenarios::Scenario>& scenarios,
                         const std::vector<std::pair<std::size_t, scenarios::RunResult>>& runs,
                         const scenarios::ExternalTarget& t, std::uint64_t seed) {
  reports::Report rep;
  rep.kind = "scenarios";
  rep.seed = seed;
  std::map<std::size_t, int> per;
  for (const auto& [i, r] : runs) ++per[i];
  for (const auto& [i, r] : runs) {
    rep.cases.push_back(scenarios::ScenarioCase(scenarios[i], r, per[i] > 1 ? ".seed" + std::to_string(r.seed) : ""));
    rep.duration_us += r.end_time;
    if (rep.target.empty() && !r.target.empty()) rep.target = r.target + " (" + t.Flags().substr(1) + ")";
  }
  if (rep.target.empty()) rep.target = t.Flags().empty() ? "(none)" : t.Flags().substr(1);
#ifdef MCPSIM_VERSION
  rep.version = MCPSIM_VERSION;
#endif
  if (t.pcap) rep.artifacts.push_back("run.pcap");
  const std::string protocol = ProtocolText();
  if (!protocol.empty()) rep.clauses = reports::ExtractClauses(protocol);
  return reports::WriteReportFiles(rep, dir);
}

// `conform --scenarios DIR`: each scenario of DIR against the target, as a
// case `scenario.<name>` of `rep`. Prints one line per case like the catalog.
int ConformScenarios(const std::string& dir, const conformance::Target& real, std::uint64_t seed,
                     const std::string& accounts, sim::PcapngWriter* pcap, reports::Report& rep) {
  auto loaded = scenarios::LoadScenarios({dir});
  if (!loaded.ok()) {
    std::cerr << "mcpsim: error: --scenarios: " << loaded.status().message() << "\n";
    return 2;
  }
  std::string err;
  auto ext = ExternalFromFlags(real.udp ? real.udp->ToString() : "", real.tcp ? real.tcp->ToString() : "",
                               real.http ? real.http->ToString() : "", "", accounts, err);
  if (!ext) {
    std::cerr << "mcpsim: error: --scenarios: " << (err.empty() ? "no target" : err) << "\n";
    return 2;
  }
  ext->pcap = pcap;
  for (const scenarios::Scenario& s : *loaded) {
    scenarios::RunOptions o;
    o.seed = seed;
    o.external = &*ext;
    const scenarios::RunResult r = scenarios::RunScenario(s, o);
    reports::CaseResult c = scenarios::ScenarioCase(s, r);
    std::string line(reports::VerdictName(c.verdict));
    line += " " + c.id;
    if (c.verdict != reports::Verdict::kOk && !c.reason.empty()) line += ": " + c.reason;
    std::printf("%s\n", line.c_str());
    if (!r.pass) std::printf("%s\n", scenarios::ReplayLine(r).c_str());
    std::fflush(stdout);
    rep.cases.push_back(std::move(c));
  }
  return 0;
}

}  // namespace mcpsim::cli
