// Runtime: one real-time event loop (a Boost.Asio io_context, hidden behind
// this header) and the AsioEnv on it — what every program that talks to real
// sockets owns: `serve`, `client`, `conform`, the external-target runner and
// the benches. Everything outside net/ uses this and core::Env; no Asio
// header is included outside net/ (ARCH: Asio only in net/).
//
//   net::Runtime rt(options);           // the loop and rt.env()
//   host::RoleHost h(rt.env(), role);   // anything written against core::Env
//   rt.OnStopSignals([&](int) { stop = true; });
//   while (!stop) rt.RunOne();
//
// Threading: one thread runs the loop (RunOne/RunOneFor/RunFor, or the
// background thread of StartBackground); every Env call and every callback
// happen on that thread. Not copyable; destroying it closes every socket and
// drops pending callbacks (stop the background thread first).
#pragma once

#include <functional>
#include <memory>

#include "core/env.h"
#include "net/asio_env.h"

namespace mcpsim::net {

class Runtime {
 public:
  // `concurrency_hint` 1 = no locking inside the scheduler (one thread).
  explicit Runtime(AsioEnvOptions options = {}, int concurrency_hint = 1);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  AsioEnv& env();

  // Runs at most one ready handler, blocking until one is ready.
  void RunOne();
  // Runs at most one handler, waiting at most `max_wait` (us) for it;
  // returns whether one ran. Never returns early because the loop ran out of
  // work: it then waits the full `max_wait` (so it paces polling loops).
  bool RunOneFor(TimeUs max_wait);
  // Runs handlers for `duration` (us) of real time.
  void RunFor(TimeUs duration);

  // SIGINT and SIGTERM call `on_signal(signal)` once, on the loop thread.
  // REQUIRES: called at most once.
  void OnStopSignals(std::function<void(int)> on_signal);

  // Runs the loop on a background thread until StopBackground() (benches:
  // the server side of a load generator running on the calling thread).
  // REQUIRES: no other thread runs the loop meanwhile.
  void StartBackground();
  void StopBackground();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpsim::net
