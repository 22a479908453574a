// The suite's self-validation (`mcpsim conform --self-test`): runs the whole
// catalog against the clean reference server and against every mutant
// (conformance/mutants.h), each launched as its own process on loopback.
//
// Kill rule: a mutant is killed by a case whose verdict is FAILED (or
// ERROR) while the same case was OK against the clean server; a mutant of a
// SHOULD clause (Mutant::should) is also killed by NON-STRICT. A mutant
// whose server cannot be launched counts as surviving (with a note).
// Not protocol core: spawns processes and threads, reads the wall clock.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mcpsim::conformance {

struct SelfTestOptions {
  // Command that starts a clean server printing `listening` lines; the
  // mutant runs append ` --mutant NAME`. Must accept that option.
  std::string launch_cmd;
  int jobs = 4;           // concurrent runs (each a server + the suite; mostly waiting)
  int timeout_ms = 600;   // per expected answer (RunOptions::timeout_ms)
  int quiet_ms = 40;      // silence that ends a receive (loopback)
  std::string mutants = "*";  // glob(s) over mutant names: a sample
  std::uint64_t seed = 1;
};

struct MutantOutcome {
  std::string name, clause;
  bool killed = false;
  std::vector<std::string> by;  // killing case ids (the line printed lists the first 6)
  std::string note;             // why it survived when not by a case
  std::int64_t duration_ms = 0;
};

struct SelfTestResult {
  bool clean_ok = false;                    // every required case OK
  std::vector<std::string> clean_problems;  // "<case> <verdict>: reason"
  std::string launch_error;                 // clean server not launched
  std::vector<MutantOutcome> mutants;       // catalog order
  std::int64_t wall_ms = 0;
  std::size_t Killed() const;
};

// `line` receives progress lines (one per finished run), possibly from
// several threads but never concurrently.
SelfTestResult RunSelfTest(const SelfTestOptions& o, const std::function<void(const std::string&)>& line);

// 0 when the clean run was OK and every selected mutant was killed, else 1;
// 3 when the clean server could not be launched.
int SelfTestExitCode(const SelfTestResult& r);

}  // namespace mcpsim::conformance
