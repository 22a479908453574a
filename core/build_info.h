// The identity of the running mcpsim build: version (CMake project version),
// git commit (12 hex digits, "-dirty" for uncommitted changes, "unknown"
// outside a git checkout) and build type (Release, Debug, …). Every JSON
// output carries them so a result can be tied to the binary that wrote it.
//
// The version and build type are compiled into core; the commit is set once
// by the program's main (tools/main.cc) before any verb runs, so a new commit
// recompiles one file instead of every library. Libraries and tests that run
// without main see commit "unknown".
#pragma once

#include <string>

namespace mcpsim::core {

struct BuildInfo {
  std::string version;     // e.g. "0.1.0"
  std::string commit;      // e.g. "724ee36abcd1", "724ee36abcd1-dirty", "unknown"
  std::string build_type;  // CMAKE_BUILD_TYPE, e.g. "Release"
};

const BuildInfo& GetBuildInfo();
// REQUIRES: called before any other thread starts (main only).
void SetBuildCommit(std::string commit);
// "mcpsim 0.1.0 (commit 724ee36abcd1, Release build)".
std::string VersionLine();

}  // namespace mcpsim::core
