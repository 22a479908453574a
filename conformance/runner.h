// The conformance runner: optionally launches the target (`--launch`),
// checks it is reachable, runs the selected catalog cases with per-case
// budgets and builds the reports::Report. Used by `mcpsim conform` and the
// self-test. Every case's I/O goes through RunOptions::target's Env and loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "conformance/harness.h"
#include "net/process.h"
#include "reports/report.h"

namespace mcpsim::conformance {

struct RunOptions {
  Target target;  // with env and loop set
  std::string launch;        // shell command printing `listening <scheme>://host:port roles` lines
  std::string cases = "*";   // fnmatch glob over case ids (comma-separated globs allowed)
  bool strict = false;
  int timeout_ms = 2000;     // per expected answer; a case's budget is 10x (+40 s behind a fault proxy)
  int quiet_ms = 150;        // silence that ends a receive (Ctx::set_quiet_ms)
  std::uint64_t seed = 1;
  // The roles the target implements (CONV-1; `--roles cs,dp`): cases of
  // other roles are not judged (UNIMPLEMENTED, saying so), and ARCH-1's
  // mandatory transports are checked for these roles only (one
  // `arch.transports.<role>` case each). Empty = all five (dp rs sg cs ms).
  std::set<std::string> roles;
  // Transports that must be given (`--require udp,tcp,http`, issue 19): one
  // `run.require` case, FAILED when any is missing.
  std::vector<std::string> require;
  // Asked after every case that did not pass: a non-empty answer means the
  // target is gone (exited, or answers nothing at all) and the run stops
  // there, with the reason in *aborted (the caller exits 3).
  std::function<std::string()> liveness;
  std::string* aborted = nullptr;
};

// The five role names, and ARCH-1's mandatory transports of one.
const std::vector<std::string>& AllRoles();
std::vector<std::string> MandatoryTransports(const std::string& role);

// A launched target process (net::Child; SIGTERM on Stop or destruction).
class Launched {
 public:
  // Starts `/bin/sh -c CMD` and reads its stdout until the listening lines
  // stop arriving (or `wait_ms`). Error CONF-3 when it prints none (saying
  // whether it exited, and with which status).
  static Result<std::unique_ptr<Launched>> Start(const std::string& cmd, int wait_ms);
  ~Launched();
  const Target& target() const { return target_; }
  void Stop();
  // Non-empty (how it ended) once the process has exited; reaps it.
  std::string Exited();

 private:
  std::unique_ptr<net::Child> child_;
  Target target_;
};

// Parses `listening udp://127.0.0.1:7000 cs` lines into a Target (first of each scheme).
Target ParseListening(const std::string& text);

// True when `id` matches one of the comma-separated globs.
bool Selected(const std::string& id, const std::string& globs);

// Checks the target answers at all (UDP: an RUP, sent up to 6 times
// max(timeout_ms / 2, 250) ms apart, gets any datagram back;
// HTTP: a TCP connection and a response), through t.env/t.loop. Error names
// the dead transport.
Status CheckReachable(const Target& t, int timeout_ms);

// True when `t` has every transport named in `needs` ("udp", "tcp+http", …).
bool HasTransports(const Target& t, const std::string& needs);

// Runs the selected cases; `on_case` is called after each.
reports::Report RunCatalog(const RunOptions& o, const std::function<void(const reports::CaseResult&)>& on_case);

// 0 when every required case passed (and, with strict, no NON-STRICT), else 1.
int ExitCode(const reports::Report& r, bool strict);

}  // namespace mcpsim::conformance
