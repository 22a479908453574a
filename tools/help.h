// Help footers: examples and exit codes for `mcpsim <verb> --help`.
#pragma once

#include <string>

namespace mcpsim::cli {

// The footer of verb `name` (under group `parent`, "" for top level).
std::string VerbFooter(const std::string& parent, const std::string& name);

}  // namespace mcpsim::cli
