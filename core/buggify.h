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

#include <version>
#if defined(__cpp_lib_source_location)
#include <source_location>
#endif
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

// The site key "<basename>:<line>".
inline std::string BuggifySiteKey(std::string_view file, unsigned line) {
  std::string key(SourceBasename(file));
  key += ':';
  key += std::to_string(line);
  return key;
}
#if defined(__cpp_lib_source_location)
inline std::string BuggifySiteKey(const std::source_location& loc) {
  return BuggifySiteKey(loc.file_name(), loc.line());
}
#endif

// Asks `faults` about the site file:line. nullptr -> false (never fires).
inline bool BuggifyAt(FaultPoints* faults, std::string_view file, unsigned line) {
  if (faults == nullptr) return false;
  return faults->Fire(BuggifySiteKey(file, line));
}

// Asks `faults` about the caller's site. The defaults are evaluated at the
// call site; __builtin_FILE/__builtin_LINE are what std::source_location is
// built on, and unlike std::source_location they also work with clang 14 on
// libstdc++ 12 (where <source_location> is empty).
inline bool Buggify(FaultPoints* faults, const char* file = __builtin_FILE(),
                    unsigned line = __builtin_LINE()) {
  return BuggifyAt(faults, file, line);
}

// A named fault point (the form protocol code uses): `site` is a registered
// name "<group>.<area>.<what>" (reference/fault_sites.h lists every site with
// the clause that makes its faulty path legal), so traces, run reports and
// `mcpsim run --fault-points a,b` name sites stably across edits.
// nullptr -> false: production (`mcpsim serve`) never passes an oracle.
inline bool FaultPoint(FaultPoints* faults, std::string_view site) {
  return faults != nullptr && faults->Fire(site);
}

}  // namespace mcpsim

// Evaluates to true when the fault point at this line fires.
#define MCPSIM_BUGGIFY(faults) (::mcpsim::BuggifyAt((faults), __FILE__, __LINE__))
