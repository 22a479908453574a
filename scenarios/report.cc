#include "scenarios/report.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

Result<std::vector<std::string>> ExpandScenarioPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        const std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) found.push_back(e.path().string());
      }
      if (ec) return Status::Error("SCEN", p + ":0:0: cannot list the folder: " + ec.message());
      if (found.empty()) return Status::Error("SCEN", p + ":0:0: no *.yaml files in this folder");
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      out.push_back(p);
    } else {
      return Status::Error("SCEN", p + ":0:0: no such file or folder");
    }
  }
  return out;
}

Result<std::vector<Scenario>> LoadScenarios(const std::vector<std::string>& paths) {
  auto files = ExpandScenarioPaths(paths);
  if (!files.ok()) return files.status();
  std::vector<Scenario> scenarios;
  for (const std::string& f : *files) {
    auto s = ParseScenarioFile(f);
    if (!s.ok()) return s.status();
    scenarios.push_back(std::move(*s));
  }
  return scenarios;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseSeedRange(const std::string& s) {
  auto num = [](const std::string& t) -> std::optional<std::uint64_t> {
    if (t.empty() || t.size() > 19 || !std::all_of(t.begin(), t.end(), ::isdigit)) return std::nullopt;
    return std::stoull(t);
  };
  const auto dots = s.find("..");
  auto a = num(dots == std::string::npos ? s : s.substr(0, dots));
  auto b = dots == std::string::npos ? a : num(s.substr(dots + 2));
  if (!a || !b || *a > *b || *b - *a >= 10000000) return std::nullopt;
  return std::make_pair(*a, *b);
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseShard(const std::string& s) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto ok = [](const std::string& t) { return !t.empty() && t.size() < 10 && std::all_of(t.begin(), t.end(), ::isdigit); };
  const std::string i = s.substr(0, slash), n = s.substr(slash + 1);
  if (!ok(i) || !ok(n)) return std::nullopt;
  const auto I = std::stoull(i), N = std::stoull(n);
  if (N == 0 || I >= N) return std::nullopt;
  return std::make_pair(I, N);
}

std::string VerdictLine(const RunResult& r) {
  if (!r.unimplemented.empty()) return "N/A " + r.scenario + " seed=" + std::to_string(r.seed) + ": " + r.unimplemented;
  std::string s = std::string(r.pass ? "PASS " : "FAIL ") + r.scenario + " seed=" + std::to_string(r.seed);
  if (const CheckResult* f = r.first_failure()) return s + " " + f->checker + ": " + f->reason;
  auto c = [&](const char* k) { return r.counters.count(k) ? r.counters.at(k) : 0; };
  s += " ops=" + std::to_string(c("ops")) + " ok=" + std::to_string(c("ok")) + " gave_up=" +
       std::to_string(c("gave_up")) + " resent=" + std::to_string(c("resent")) + " dropped=" +
       std::to_string(c("dropped")) + " p50=" + yaml::FormatDuration(c("latency_p50_us")) + " p99=" +
       yaml::FormatDuration(c("latency_p99_us"));
  if (r.swarm) s += " swarm=[" + r.swarm_mix + "]";
  std::string na;
  for (const CheckResult& c : r.checks) {
    if (!c.applicable) na += (na.empty() ? "" : ",") + c.checker;
  }
  if (!na.empty()) s += " n/a=" + na;
  if (!r.not_applicable.empty()) s += " skipped_steps=" + std::to_string(r.not_applicable.size());
  return s;
}

std::string ReplayLine(const RunResult& r) {
  return "replay: mcpsim run " + r.file + " --seed " + std::to_string(r.seed) + (r.swarm ? " --swarm" : "") +
         r.target_flags;
}

json SummaryJson(const std::vector<json>& results) {
  json s;
  std::size_t passed = 0;
  json failing = json::array();
  for (const json& r : results) {
    if (r["verdict"] == "PASS") {
      ++passed;
      continue;
    }
    json f;
    f["scenario"] = r["scenario"];
    f["seed"] = r["seed"];
    f["checker"] = "";
    f["reason"] = "";
    for (const json& c : r["checkers"]) {
      if (!c["pass"].get<bool>()) {
        f["checker"] = c["checker"];
        f["reason"] = c["reason"];
        break;
      }
    }
    f["replay"] = "mcpsim run " + r["file"].get<std::string>() + " --seed " + std::to_string(r["seed"].get<std::uint64_t>()) +
                  (r.value("swarm", false) ? " --swarm" : "");
    failing.push_back(f);
  }
  s["runs"] = results.size();
  s["passed"] = passed;
  s["failed"] = results.size() - passed;
  s["pass_rate"] = results.empty() ? 1.0 : static_cast<double>(passed) / static_cast<double>(results.size());
  s["failing"] = failing;
  s["results"] = results;
  return s;
}

namespace {
std::string Esc(const std::string& in) {
  std::string o;
  for (char c : in) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}
}  // namespace

std::string SummaryHtml(const json& s) {
  std::string h =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>mcpsim scenario runs</title>\n"
      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
      ".PASS{background:#dfd}.FAIL{background:#fdd}code{font-size:90%}</style></head><body>\n";
  h += "<h1>mcpsim scenario runs</h1>\n<p>" + std::to_string(s["runs"].get<std::size_t>()) + " runs, " +
       std::to_string(s["passed"].get<std::size_t>()) + " passed, " + std::to_string(s["failed"].get<std::size_t>()) +
       " failed.</p>\n";
  if (!s["failing"].empty()) {
    h += "<h2>Failures</h2>\n<table><tr><th>scenario</th><th>seed</th><th>checker</th><th>reason</th><th>replay</th></tr>\n";
    for (const json& f : s["failing"]) {
      h += "<tr class=\"FAIL\"><td>" + Esc(f["scenario"]) + "</td><td>" + std::to_string(f["seed"].get<std::uint64_t>()) +
           "</td><td>" + Esc(f["checker"]) + "</td><td>" + Esc(f["reason"]) + "</td><td><code>" + Esc(f["replay"]) +
           "</code></td></tr>\n";
    }
    h += "</table>\n";
  }
  h += "<h2>All runs</h2>\n<table><tr><th>verdict</th><th>scenario</th><th>seed</th><th>ops</th><th>ok</th>"
       "<th>gave up</th><th>resent</th><th>dropped</th><th>p50 us</th><th>p99 us</th><th>trace hash</th></tr>\n";
  for (const json& r : s["results"]) {
    const std::string v = r["verdict"];
    auto c = [&](const char* k) {
      return r.contains("counters") && r["counters"].contains(k) ? std::to_string(r["counters"][k].get<std::int64_t>()) : "";
    };
    h += "<tr class=\"" + v + "\"><td>" + v + "</td><td title=\"" + Esc(r["file"]) + "\">" + Esc(r["scenario"]) +
         "</td><td>" + std::to_string(r["seed"].get<std::uint64_t>()) + "</td><td>" + c("ops") + "</td><td>" + c("ok") +
         "</td><td>" + c("gave_up") + "</td><td>" + c("resent") + "</td><td>" + c("dropped") + "</td><td>" +
         c("latency_p50_us") + "</td><td>" + c("latency_p99_us") + "</td><td><code>" + Esc(r["trace_hash"]) +
         "</code></td></tr>\n";
  }
  h += "</table>\n</body></html>\n";
  return h;
}

Status WriteOutDir(const std::string& dir, const std::vector<json>& results) {
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
  std::size_t n = 0;
  for (const json& r : results) {
    std::string name = std::to_string(++n) + "-" + r["scenario"].get<std::string>() + "-seed" +
                       std::to_string(r["seed"].get<std::uint64_t>()) + ".json";
    for (char& c : name) {
      if (c == '/' || c == '\\') c = '_';
    }
    if (Status st = write(name, r.dump(2) + "\n"); !st.ok()) return st;
  }
  const json summary = SummaryJson(results);
  if (Status st = write("summary.json", summary.dump(2) + "\n"); !st.ok()) return st;
  return write("index.html", SummaryHtml(summary));
}

}  // namespace mcpsim::scenarios
