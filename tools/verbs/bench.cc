// `mcpsim bench <name>`: benchmarks print `name.metric: value` lines on stdout.
#include "tools/verb.h"

namespace {
mcpsim::cli::RegisterGroup reg{{"bench", "Run a benchmark; prints `<name>.<metric>: <value>` lines"}};
}  // namespace
