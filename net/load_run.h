// RunLoad: host::LoadDriver on real sockets — what `mcpsim load` runs. One
// io_context and one AsioEnv on the calling thread (the MC engines share it;
// each MC has its own UDP port), optionally behind UdpsEnv for an encrypted-
// UDP target (PROTOCOL.md §6.5). Set-up (registration, logins, contact
// lists) is bounded by `setup_timeout_s`; the measured run lasts
// `duration_s`, then no new operation is offered and the ones in flight get
// `drain_s` to finish. SIGINT/SIGTERM end the run early (the summary still
// comes). `on_second` is called once a second of the run with that second's
// counters and the running totals.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "core/status.h"
#include "host/load.h"
#include "reference/transport/enc.h"

namespace mcpsim::net {

struct LoadRunOptions {
  host::LoadOptions load;
  double duration_s = 10;
  double drain_s = 5;
  double setup_timeout_s = 120;
  // Encrypted UDP (the SG/CS endpoints in `load` are envelope endpoints).
  std::optional<reference::enc::KeyTable> udps_keys;
  std::function<void(double elapsed_s, const host::LoadStats& second, const host::LoadStats& total,
                     std::size_t in_flight)>
      on_second;
};

struct LoadRunResult {
  Status status;                 // set-up failure (LOAD-2/3) or socket errors
  host::LoadStats total{};       // the measured run
  double setup_s = 0, run_s = 0;  // wall seconds
  std::size_t users = 0, logged_in = 0, setup_failures = 0;
  std::size_t unfinished = 0;    // still in flight after the drain
  bool interrupted = false;      // ended by a signal
};

LoadRunResult RunLoad(const LoadRunOptions& options);

}  // namespace mcpsim::net
