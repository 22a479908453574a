// `mcpsim report FILE --format html|junit|md|json [--baseline FILE] [--out PATH]`:
// re-renders a report.json written by `mcpsim conform` (or the scenario
// runner) without re-running anything. Output on stdout unless --out.
// `mcpsim report A/report.json B/report.json … --matrix -o DIR`: one page with
// the implementations as columns and the cases as rows (DIR/index.html),
// plus each implementation's own page (DIR/<name>/index.html).
// Exit: 0 ok, 2 unreadable/invalid input or bad format, 3 cannot write.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "reports/report.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

namespace fs = std::filesystem;

struct ReportArgs {
  std::vector<std::string> files;
  std::vector<std::string> names;
  std::string format = "html", baseline, out;
  bool matrix = false;
};

Result<reports::Report> Load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Error("REPORT-1", "cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return reports::FromJson(ss.str());
}

int Error(const std::string& msg, int code) {
  std::cerr << "mcpsim: error: " << msg << "\n";
  return code;
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return Status::Error("REPORT-2", "cannot write " + path);
  return {};
}

// A column name for a report path: its folder's name ("impl-a/report.json" -> "impl-a").
std::string NameOf(const std::string& path) {
  fs::path p = fs::absolute(path).lexically_normal();
  std::string name = p.parent_path().filename().string();
  if (name.empty() || name == "." || name == "/") name = p.stem().string();
  return name;
}

int Matrix(const ReportArgs& a) {
  if (a.out.empty()) return Error("--matrix needs -o DIR", 2);
  if (!a.names.empty() && a.names.size() != a.files.size()) {
    return Error("--name must be given once per report (" + std::to_string(a.files.size()) + ")", 2);
  }
  std::vector<reports::Report> reps;
  std::vector<std::string> names;
  std::set<std::string> used;
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    auto r = Load(a.files[i]);
    if (!r.ok()) return Error(a.files[i] + ": " + r.status().message(), 2);
    reps.push_back(std::move(*r));
    std::string name = a.names.empty() ? NameOf(a.files[i]) : a.names[i];
    for (char& c : name) {
      if (c == '/' || c == '\\') c = '_';
    }
    std::string unique = name;
    for (int k = 2; !used.insert(unique).second; ++k) unique = name + "-" + std::to_string(k);
    names.push_back(unique);
  }
  std::error_code ec;
  fs::create_directories(a.out, ec);
  if (ec) return Error("cannot create " + a.out + ": " + ec.message(), 3);
  std::vector<reports::MatrixColumn> cols;
  for (std::size_t i = 0; i < reps.size(); ++i) {
    fs::create_directories(fs::path(a.out) / names[i], ec);
    if (Status s = WriteFile((fs::path(a.out) / names[i] / "index.html").string(), reports::RenderHtml(reps[i]));
        !s.ok()) {
      return Error(s.message(), 3);
    }
    cols.push_back({names[i], &reps[i], names[i] + "/index.html"});
  }
  const std::string index = (fs::path(a.out) / "index.html").string();
  if (Status s = WriteFile(index, reports::RenderMatrix(cols)); !s.ok()) return Error(s.message(), 3);
  std::printf("matrix of %zu implementations in %s\n", reps.size(), fs::absolute(index).string().c_str());
  return 0;
}

int ReportMain(const ReportArgs& a) {
  if (a.matrix) return Matrix(a);
  if (a.files.size() != 1) return Error("give one report.json (several only with --matrix)", 2);
  auto rep = Load(a.files[0]);
  if (!rep.ok()) return Error(a.files[0] + ": " + rep.status().message(), 2);
  std::optional<reports::Report> base;
  if (!a.baseline.empty()) {
    auto b = Load(a.baseline);
    if (!b.ok()) return Error("--baseline: " + b.status().message(), 2);
    base = *b;
  }
  const reports::Report* bp = base ? &*base : nullptr;
  std::string text;
  if (a.format == "html") {
    text = reports::RenderHtml(*rep, bp);
  } else if (a.format == "junit") {
    text = reports::RenderJunit(*rep);
  } else if (a.format == "md") {
    text = reports::RenderMarkdown(*rep, bp);
  } else if (a.format == "json") {
    text = reports::ToJson(*rep);
  } else {
    return Error("--format must be html, junit, md or json", 2);
  }
  if (a.out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (Status s = WriteFile(a.out, text); !s.ok()) return Error(s.message(), 3);
  return 0;
}

RegisterVerb reg{{"", "report",
                  "Re-render a report.json as HTML, JUnit XML, Markdown or JSON; --matrix: several side by side",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<ReportArgs>();
                    cmd.add_option("file", a->files, "report.json (several with --matrix)")->required();
                    cmd.add_option("--format", a->format, "html | junit | md | json")->capture_default_str();
                    cmd.add_option("--baseline", a->baseline, "Earlier report.json: show what changed (html, md)");
                    cmd.add_option("-o,--out", a->out, "Write here instead of stdout (--matrix: a folder)");
                    cmd.add_flag("--matrix", a->matrix,
                                 "One page with the implementations as columns and the cases as rows (Autobahn "
                                 "style) in -o DIR/index.html, each report's own page in DIR/<name>/");
                    cmd.add_option("--name", a->names,
                                   "--matrix: column names, once per report in order (default: each report's "
                                   "folder name)");
                    return [a] { return ReportMain(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
