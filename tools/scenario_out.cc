#include "tools/scenario_out.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <spdlog/spdlog.h>

#include "core/build_info.h"
#include "reports/report.h"
#include "scenarios/run_summary.h"
#include "scenarios/runner.h"

namespace mcpsim::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

Status WriteScenarioOut(const std::string& dir, std::vector<json> results,
                        const std::vector<scenarios::Scenario>& scens, const ScenarioOutOptions& o) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Error("SCEN", dir + ": cannot create: " + ec.message());
  auto write = [&](const std::string& name, const std::string& text) -> Status {
    std::ofstream f(dir + "/" + name, std::ios::binary);
    f << text;
    f.close();
    if (!f) return Status::Error("SCEN", dir + "/" + name + ": cannot write");
    return Status();
  };
  std::map<std::string, const scenarios::Scenario*> by_file;
  for (const scenarios::Scenario& s : scens) by_file[s.file] = &s;
  const core::BuildInfo& b = core::GetBuildInfo();
  for (json& r : results) {
    auto it = by_file.find(r.value("file", ""));
    r["purpose"] = it == by_file.end() ? "" : it->second->purpose;
    r["mcpsim"] = {{"version", b.version}, {"commit", b.commit}, {"build_type", b.build_type}};
  }
  char tmpl[] = "/tmp/mcpsim-out-XXXXXX";
  const char* tmp = mkdtemp(tmpl);
  if (!tmp) return Status::Error("SCEN", "cannot create a temporary folder");
  std::map<std::string, std::string> pages;
  std::size_t n = 0, written = 0;
  Status st;
  for (const json& r : results) {
    ++n;
    if (!o.all_runs && r["verdict"] == "PASS") continue;
    std::string base = std::to_string(n) + "-" + r["scenario"].get<std::string>() + "-seed" +
                       std::to_string(r["seed"].get<std::uint64_t>());
    for (char& c : base) {
      if (c == '/' || c == '\\') c = '_';
    }
    if (st = write(base + ".json", r.dump(2) + "\n"); !st.ok()) break;
    // Re-run with the trace and the pcap on (a run is a pure function of its inputs).
    reports::ScenarioRunFiles files{base + ".json", "", ""};
    std::string pcap, trace;
    auto it = by_file.find(r.value("file", ""));
    if (it != by_file.end()) {
      scenarios::RunOptions ro;
      ro.seed = r["seed"].get<std::uint64_t>();
      ro.swarm = o.swarm;
      ro.broken_dedup = o.broken_dedup;
      ro.trace_path = std::string(tmp) + "/trace.jsonl";
      ro.pcap_path = dir + "/" + base + ".pcap";
      const scenarios::RunResult again = scenarios::RunScenario(*it->second, ro);
      files.pcap = base + ".pcap";
      pcap = Slurp(ro.pcap_path);
      trace = Slurp(ro.trace_path);
      if (again.trace_hash != r.value("trace_hash", "")) {
        files.diagram_note = "The re-run for this page gave trace hash " + again.trace_hash + ", not " +
                             r.value("trace_hash", "") + ": the diagram may differ from the run.";
        spdlog::warn("{}: re-run of seed {} differed ({} vs {})", base, ro.seed.value_or(0), again.trace_hash,
                     r.value("trace_hash", ""));
      }
    } else {
      files.diagram_note = "The scenario file was not loaded, so there is no diagram.";
    }
    if (st = write(base + ".html", reports::RenderScenarioRun(r, files, pcap, trace)); !st.ok()) break;
    pages[r["scenario"].get<std::string>() + "#" + std::to_string(r["seed"].get<std::uint64_t>())] = base + ".html";
    ++written;
  }
  fs::remove_all(tmp, ec);
  if (!st.ok()) return st;
  spdlog::debug("--out {}: {} of {} runs written with pages", dir, written, results.size());
  const json summary = scenarios::SummaryJson(results, o.all_runs);
  if (st = write("summary.json", summary.dump(2) + "\n"); !st.ok()) return st;
  return write("index.html", reports::RenderScenarioIndex(summary, pages));
}

}  // namespace mcpsim::cli
