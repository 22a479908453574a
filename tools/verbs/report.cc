// `mcpsim report FILE --format html|junit|md|json [--baseline FILE] [--out PATH]`:
// re-renders a report.json written by `mcpsim conform` (or the scenario
// runner) without re-running anything. Output on stdout unless --out.
// Exit: 0 ok, 2 unreadable/invalid input or bad format, 3 cannot write.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "reports/report.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

struct ReportArgs {
  std::string file, format = "html", baseline, out;
};

Result<reports::Report> Load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Error("REPORT-1", "cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return reports::FromJson(ss.str());
}

int ReportMain(const ReportArgs& a) {
  auto rep = Load(a.file);
  if (!rep.ok()) {
    std::cerr << "mcpsim report: error: " << a.file << ": " << rep.status().message() << "\n";
    return 2;
  }
  std::optional<reports::Report> base;
  if (!a.baseline.empty()) {
    auto b = Load(a.baseline);
    if (!b.ok()) {
      std::cerr << "mcpsim report: error: --baseline: " << b.status().message() << "\n";
      return 2;
    }
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
    std::cerr << "mcpsim report: error: --format must be html, junit, md or json\n";
    return 2;
  }
  if (a.out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream f(a.out, std::ios::binary | std::ios::trunc);
  f << text;
  if (!f) {
    std::cerr << "mcpsim report: error: cannot write " << a.out << "\n";
    return 3;
  }
  return 0;
}

RegisterVerb reg{{"", "report", "Re-render a report.json as HTML, JUnit XML, Markdown or JSON",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<ReportArgs>();
                    cmd.add_option("file", a->file, "report.json")->required();
                    cmd.add_option("--format", a->format, "html | junit | md | json")->capture_default_str();
                    cmd.add_option("--baseline", a->baseline, "Earlier report.json: show what changed (html, md)");
                    cmd.add_option("--out", a->out, "Write here instead of stdout");
                    return [a] { return ReportMain(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
