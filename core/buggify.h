// mcpsim core: fault points ("BUGGIFY", after FoundationDB).
//
// Code that wants to be stressed in simulation asks a FaultPoints object
// whether a named site should misbehave right now:
//
//   if (MCPSIM_BUGGIFY(faults)) { /* take the rare/slow/failing path */ }
//
// The site key is "<basename of source file>:<line>" — never the full path, so
// builds in different directories produce the same keys (and the same traces).
// A null FaultPoints pointer means production behaviour: never fires. The
// simulation (sim/fault_points.h) enables a seed-chosen subset of sites per run
// and fires each enabled site with its own named random stream.
#pragma once

#include <source_location>
#include <string>
#include <string_view>

namespace mcpsim {

class FaultPoints {
 public:
  virtual ~FaultPoints() = default;
  // true if the site named `site` should take its faulty path now.
  virtual bool Fire(std::string_view site) = 0;
};

// "dir/sub/file.cc" -> "file.cc" (also handles '\\' separators).
constexpr std::string_view SourceBasename(std::string_view path) {
  const auto pos = path.find_last_of("/\\");
  return pos == std::string_view::npos ? path : path.substr(pos + 1);
}

// The site key for a source location: "<basename>:<line>".
inline std::string BuggifySiteKey(const std::source_location& loc) {
  std::string key(SourceBasename(loc.file_name()));
  key += ':';
  key += std::to_string(loc.line());
  return key;
}

// Asks `faults` about the caller's site. nullptr -> false (never fires).
inline bool Buggify(FaultPoints* faults,
                    std::source_location loc = std::source_location::current()) {
  if (faults == nullptr) return false;
  return faults->Fire(BuggifySiteKey(loc));
}

}  // namespace mcpsim

// Evaluates to true when the fault point at this line fires.
#define MCPSIM_BUGGIFY(faults) (::mcpsim::Buggify((faults)))
