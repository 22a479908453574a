#include "core/build_info.h"

#include <utility>

#ifndef MCPSIM_VERSION
#error "MCPSIM_VERSION must be defined by the build"
#endif
#ifndef MCPSIM_BUILD_TYPE
#define MCPSIM_BUILD_TYPE "unknown"
#endif

namespace mcpsim::core {
namespace {
BuildInfo& Mutable() {
  static BuildInfo info{MCPSIM_VERSION, "unknown", MCPSIM_BUILD_TYPE[0] ? MCPSIM_BUILD_TYPE : "unknown"};
  return info;
}
}  // namespace

const BuildInfo& GetBuildInfo() { return Mutable(); }

void SetBuildCommit(std::string commit) { Mutable().commit = commit.empty() ? "unknown" : std::move(commit); }

std::string VersionLine() {
  const BuildInfo& b = GetBuildInfo();
  return "mcpsim " + b.version + " (commit " + b.commit + ", " + b.build_type + " build)";
}

}  // namespace mcpsim::core
