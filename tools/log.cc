#include "tools/log.h"

#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace mcpsim::cli {

bool InitLogging(const std::string& flag_level) {
  std::string name = flag_level;
  if (name.empty()) {
    const char* env = std::getenv("MCPSIM_LOG");
    name = env ? env : "warn";
  }
  const auto level = spdlog::level::from_str(name);
  // from_str maps unknown names to "off"; only accept "off" when asked for.
  if (level == spdlog::level::off && name != "off") return false;
  auto logger = spdlog::stderr_color_mt("mcpsim");
  logger->set_pattern("%^%l%$ %v");
  logger->set_level(level);
  spdlog::set_default_logger(logger);
  // Child processes (sweep workers, a --launch'ed `mcpsim serve`) log at the same level.
  if (!flag_level.empty()) setenv("MCPSIM_LOG", flag_level.c_str(), 1);
  return true;
}

}  // namespace mcpsim::cli
