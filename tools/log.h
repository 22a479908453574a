// Logging set-up for the mcpsim CLI: spdlog to stderr only (stdout carries
// results and reports). Level from --log-level, else $MCPSIM_LOG, else "warn".
#pragma once

#include <string>

namespace mcpsim::cli {

// REQUIRES: level is empty or one of trace, debug, info, warn, error, critical,
// off. Returns false (and leaves logging unchanged) for an unknown level name.
bool InitLogging(const std::string& level);

}  // namespace mcpsim::cli
