// A child process started through /bin/sh: the server under test of
// `--launch CMD` (its stdout carries `listening …` lines) or the client
// under test of `conform --client` (fed operation lines on stdin). Real-world
// glue, like the rest of net/: it forks, reads pipes with wall-clock bounds
// and signals; nothing here is used in simulation.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace mcpsim::net {

struct ChildOptions {
  std::string stdin_text;        // written, then stdin is closed ("" = closed at once)
  bool pipe_stdout = false;      // read it with ReadStdout (else stdout_path or inherited)
  std::string stdout_path;       // "" = inherited (unless pipe_stdout)
  std::string stderr_path;       // "" = inherited
};

class Child {
 public:
  // Starts `/bin/sh -c "exec CMD"`. Clause NET-10 when it cannot be started.
  static Result<std::unique_ptr<Child>> Start(const std::string& cmd, ChildOptions options = {});
  ~Child();  // Stop()
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads the piped stdout for up to `wait_ms`; once `seen(text so far)`
  // holds, stops after `quiet_ms` without new output. Returns what was read
  // (also kept in stdout_text()).
  std::string ReadStdout(int wait_ms, const std::function<bool(const std::string&)>& seen, int quiet_ms);
  const std::string& stdout_text() const { return out_text_; }

  // True once the process has exited (non-blocking); exit_status() is then
  // its status (exit code, or 128 + signal).
  bool Exited();
  int exit_status() const { return status_; }
  // Blocks until the process exits; returns exit_status().
  int Wait();
  // Blocks until one of `children` (all running) exits; returns its index.
  static std::size_t WaitAny(const std::vector<Child*>& children);
  // SIGTERM, up to 2 s to exit, then SIGKILL. Idempotent.
  void Stop();
  int pid() const { return pid_; }

 private:
  Child() = default;
  int pid_ = -1;
  int out_fd_ = -1;
  int status_ = -1;
  std::string out_text_;
};

// The Unix time in microseconds now (for pcap timestamps of real runs).
std::int64_t UnixMicros();
// Resolves a host name to an address literal (IPv4 preferred); a literal is
// returned unchanged. Clause NET-1.
Result<std::string> ResolveHost(const std::string& host);

}  // namespace mcpsim::net
