// mcpsim core: the capability that drives an Env's events, for code that is
// written in a blocking style on top of an event-driven Env (the conformance
// harness: "send, then wait up to 600 ms for the answer").
//
// An EventLoop runs the events of one Env (and of whatever shares its event
// source: every node of a simulated World, every socket of one io_context)
// until a condition holds or the Env's clock reaches a deadline. Two
// implementations exist: sim::WorldLoop (virtual time: waiting costs nothing,
// runs are deterministic) and net::AsioLoop (real time on an io_context).
//
// Contract:
// - RunUntil never runs `done` concurrently with an event and never from
//   inside an Env callback; it checks `done` before running anything, after
//   every event, and (real time) at least every few milliseconds.
// - It returns as soon as `done()` is true (returning true), or once the
//   clock reached `deadline` (returning done()'s value then). A deadline in
//   the past returns after one check of `done()`.
// - It must not be called from inside an Env callback or an event (no
//   re-entrancy: callbacks run from RunUntil itself).
#pragma once

#include <functional>

#include "core/env.h"

namespace mcpsim {

class EventLoop {
 public:
  virtual ~EventLoop() = default;
  // The clock the deadlines refer to (the driven Env's Now()).
  virtual TimeUs Now() const = 0;
  virtual bool RunUntil(TimeUs deadline, const std::function<bool()>& done) = 0;
  // Lets time pass: RunUntil(Now() + span, never).
  void RunFor(TimeUs span) {
    (void)RunUntil(Now() + span, [] { return false; });
  }
};

}  // namespace mcpsim
