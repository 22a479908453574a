// The suite's self-validation (`mcpsim conform --self-test`): runs the whole
// catalog against the clean reference server and against every mutant
// (conformance/mutants.h).
//
// Virtual (the default): each run is one sim::World with two nodes — the
// reference server (net::Server on the node's Env, so exactly the `mcpsim
// serve` composition, mutant included) and the runner — in virtual time, so
// a run costs only its CPU time and is deterministic: the same binary and
// options give the same verdicts and transcripts, summed up as
// `self-test-hash` (FNV-1a over every run's verdicts, reasons and transcript
// events in catalog order). With jobs > 1 the mutants are split over worker
// processes (this binary, `conform --self-test-worker`); the hash does not
// depend on the split.
//
// Real (--real): each run launches the server as its own process on
// loopback (`launch_cmd`, plus ` --mutant NAME`) and runs the suite against
// it over real sockets in a child `mcpsim conform` process; `jobs` runs at
// once. Timing-dependent, so it prints no hash.
//
// Kill rule: a mutant is killed by a case whose verdict is FAILED (or
// ERROR) while the same case was OK against the clean server; a mutant of a
// SHOULD clause (Mutant::should) is also killed by NON-STRICT. A mutant
// whose run cannot be made counts as surviving (with a note).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "reports/report.h"

namespace mcpsim::conformance {

struct SelfTestOptions {
  bool real = false;      // --real: server processes on loopback
  std::string launch_cmd; // --real: the clean server command (must accept --mutant NAME)
  std::string self_exe;   // this mcpsim binary (worker processes; --real runs)
  int jobs = 1;           // worker processes (virtual) / concurrent runs (real)
  int timeout_ms = 600;   // per expected answer (RunOptions::timeout_ms)
  int quiet_ms = 40;      // silence that ends a receive
  std::string mutants = "*";  // glob(s) over mutant names: a sample
  std::string cases = "*";    // glob(s) over case ids: a subset of the catalog
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
  std::string launch_error;                 // the clean run could not be made
  std::vector<MutantOutcome> mutants;       // catalog order
  std::string hash;                         // virtual runs: 16 hex digits
  std::int64_t wall_ms = 0;
  std::size_t Killed() const;
};

// One virtual run: the catalog against the reference with mutant `mutant`
// ("" = clean). Returns the report; `hash` gets the run's hash.
reports::Report RunVirtual(const SelfTestOptions& o, const std::string& mutant, std::uint64_t* hash);
// FNV-1a of a report's verdicts, reasons and transcripts (catalog order).
std::uint64_t ReportHash(const reports::Report& r);

// `line` receives progress lines (one per finished run).
SelfTestResult RunSelfTest(const SelfTestOptions& o, const std::function<void(const std::string&)>& line);

// `conform --self-test-worker --mutants LIST`: runs the named runs (a
// comma-separated list of exact names; "clean" = the clean server) in
// virtual time and prints one JSON line per run on stdout.
int SelfTestWorker(const SelfTestOptions& o, const std::string& runs);

// 0 when the clean run was OK and every selected mutant was killed, else 1;
// 3 when the clean run could not be made.
int SelfTestExitCode(const SelfTestResult& r);

}  // namespace mcpsim::conformance
