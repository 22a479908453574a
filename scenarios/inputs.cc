#include "scenarios/inputs.h"

#include <algorithm>
#include <filesystem>

#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {

namespace fs = std::filesystem;

Result<std::vector<std::string>> ExpandScenarioPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      // The folder and every folder below it (the library, regressions beside
      // it, …); hidden folders (.git) are skipped. Sorted by path.
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::none, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        const fs::directory_entry& e = *it;
        const std::string name = e.path().filename().string();
        if (e.is_directory() && !name.empty() && name[0] == '.') {
          it.disable_recursion_pending();
          continue;
        }
        const std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) found.push_back(e.path().string());
      }
      if (ec) return Status::Error("SCEN", p + ":0:0: cannot list the folder: " + ec.message());
      if (found.empty()) return Status::Error("SCEN", p + ":0:0: no *.yaml files in this folder or below it");
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

}  // namespace mcpsim::scenarios
