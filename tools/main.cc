// mcpsim: one program, many verbs (see tools/verb.h for the registry and the
// exit-code contract).
#include <algorithm>
#include <iostream>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "core/build_info.h"
#include "git_commit.h"  // generated: MCPSIM_GIT_COMMIT (cmake/git_commit.cmake)
#include "tools/help.h"
#include "tools/log.h"
#include "tools/verb.h"

#ifndef MCPSIM_VERSION
#error "MCPSIM_VERSION must be defined by the build"
#endif

namespace mcpsim::cli {

std::vector<VerbDef>& Registry() {
  static std::vector<VerbDef> verbs;
  return verbs;
}
std::vector<GroupDef>& Groups() {
  static std::vector<GroupDef> groups;
  return groups;
}

namespace {

// CLI11 messages may span lines; the contract is one line on stderr.
std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

int Main(int argc, char** argv) {
  CLI::App app{"mcpsim — deterministic simulation and conformance harness for MCP/MCCP "
               "(the Mobile Communication Protocol, not the Model Context Protocol)",
               "mcpsim"};
  core::SetBuildCommit(MCPSIM_GIT_COMMIT);
  app.set_version_flag("--version", core::VersionLine());
  app.require_subcommand(0, 1);
  app.fallthrough();
  app.footer("\nExamples:\n"
             "  mcpsim run scenarios/library --seeds 1..3 --out out/\n"
             "  mcpsim conform --launch 'mcpsim serve --udp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory:'\n"
             "  mcpsim <verb> --help        # options, examples and exit codes of one verb\n"
             "Exit codes: 0 success, 1 a check failed, 2 usage or input error, 3 target or harness failure.\n"
             "Logs go to stderr (--log-level or $MCPSIM_LOG: trace, debug, info, warn, error); results to stdout.");
  std::string log_level;
  app.add_option("--log-level", log_level,
                 "Log level: trace, debug, info, warn, error, critical, off (default $MCPSIM_LOG or warn)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  auto verbs = Registry();
  std::sort(verbs.begin(), verbs.end(), [](const VerbDef& a, const VerbDef& b) {
    return std::tie(a.parent, a.name) < std::tie(b.parent, b.name);
  });
  std::map<std::string, CLI::App*> groups;
  for (const GroupDef& g : Groups()) {
    auto* sub = app.add_subcommand(g.name, g.help);
    sub->footer(VerbFooter("", g.name));
    sub->require_subcommand(0, 1);
    groups[g.name] = sub;
  }
  std::map<CLI::App*, Runner> runners;
  for (const VerbDef& v : verbs) {
    CLI::App* parent = &app;
    if (!v.parent.empty()) {
      auto it = groups.find(v.parent);
      if (it == groups.end()) {
        std::cerr << "mcpsim: internal error: verb group '" << v.parent << "' not registered\n";
        return 3;
      }
      parent = it->second;
    }
    CLI::App* cmd = parent->add_subcommand(v.name, v.help);
    cmd->footer(VerbFooter(v.parent, v.name));
    runners[cmd] = v.setup(*cmd);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "mcpsim: error: " << OneLine(e.what()) << " (see mcpsim --help)\n";
    return 2;
  }
  if (!InitLogging(log_level)) {
    std::cerr << "mcpsim: error: unknown log level in MCPSIM_LOG (see mcpsim --help)\n";
    return 2;
  }
  for (auto& [cmd, run] : runners) {
    if (cmd->parsed()) return run();
  }
  for (auto& [name, group] : groups) {
    if (group->parsed()) {
      std::string names;
      for (const CLI::App* c : group->get_subcommands({})) names += (names.empty() ? "" : ", ") + c->get_name();
      std::cerr << "mcpsim: error: '" << name << "' needs one of: " << names << " (see mcpsim " << name
                << " --help)\n";
      return 2;
    }
  }
  std::cerr << "mcpsim: error: no verb given (see mcpsim --help)\n";
  return 2;
}

}  // namespace
}  // namespace mcpsim::cli

int main(int argc, char** argv) {
  try {
    return mcpsim::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mcpsim: internal error: " << e.what() << "\n";
    return 3;
  }
}
