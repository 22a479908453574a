// AsioLoop: core::EventLoop on an io_context (real time). Lets code written
// in a blocking style ("send, then wait up to 600 ms for an answer": the
// conformance harness, the external-target provisioning) run on an AsioEnv
// without threads: RunUntil turns the io_context until the condition holds
// or the AsioEnv's clock reaches the deadline, checking the condition after
// every handler and at least every `slice` (default 10 ms).
//
// Threading: the thread that calls RunUntil runs the io_context; no other
// thread may run it meanwhile.
#pragma once

#include "core/loop.h"
#include "net/asio_env.h"

namespace mcpsim::net {

class AsioLoop final : public EventLoop {
 public:
  // `env` is not owned and must outlive the loop.
  explicit AsioLoop(AsioEnv& env, TimeUs slice = 10 * kMillis) : env_(env), slice_(slice) {}
  TimeUs Now() const override { return env_.Now(); }
  bool RunUntil(TimeUs deadline, const std::function<bool()>& done) override;
  AsioEnv& env() { return env_; }

 private:
  AsioEnv& env_;
  TimeUs slice_;
};

}  // namespace mcpsim::net
