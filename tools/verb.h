// The mcpsim CLI's verb registry.
//
// Each verb lives in its own file under tools/verbs/ and registers itself with
// a static RegisterVerb object, so adding a verb never edits main.cc:
//
//   static mcpsim::cli::RegisterVerb reg{{"", "wire", "Decode/encode wire bytes",
//       [](CLI::App& cmd) -> mcpsim::cli::Runner { ...add options...; return [=] { return 0; }; }}};
//
// `parent` is "" for a top-level verb or the name of a group verb such as
// "bench" (then the entry becomes `mcpsim bench <name>`).
//
// Exit-code contract shared by all verbs: 0 success, 1 a check/test failed,
// 2 usage or input-file error, 3 the target or harness failed. Verbs write
// results to stdout and logs (spdlog) to stderr only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mcpsim::cli {

// Runs the verb after parsing; returns the process exit code.
using Runner = std::function<int()>;

struct VerbDef {
  std::string parent;  // "" or a group verb name ("bench")
  std::string name;
  std::string help;
  // Adds the verb's options to `cmd` and returns the runner (capturing option
  // storage by shared_ptr or value).
  std::function<Runner(CLI::App& cmd)> setup;
};

std::vector<VerbDef>& Registry();

struct RegisterVerb {
  explicit RegisterVerb(VerbDef def) { Registry().push_back(std::move(def)); }
};

// Group verbs and their one-line help ("bench" -> "Run a benchmark").
struct GroupDef {
  std::string name;
  std::string help;
};
std::vector<GroupDef>& Groups();
struct RegisterGroup {
  explicit RegisterGroup(GroupDef def) { Groups().push_back(std::move(def)); }
};

}  // namespace mcpsim::cli
