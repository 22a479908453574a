// WorldLoop: core::EventLoop over a sim::World (virtual time). Code written
// in a blocking style ("send, then wait up to 600 ms for an answer") runs on
// a simulated node: RunUntil runs the World's events until the condition
// holds or virtual time reaches the deadline (a silent wait jumps there at
// once). With a pacer on the World's scheduler (Scheduler::set_pacer) the
// same loop runs at the pacer's pace (real time), and every RunUntil ends
// with virtual time caught up to the pacer's clock (events due meanwhile
// run), so the caller's next deadline starts from the real present.
//
// A run that exhausts the event budget (SIM-1) stops; status() keeps that
// error for the caller (RunUntil then returns done()'s value).
#pragma once

#include "core/loop.h"
#include "sim/world.h"

namespace mcpsim::sim {

class WorldLoop final : public EventLoop {
 public:
  // `world` is not owned and must outlive the loop.
  explicit WorldLoop(World& world) : world_(world) {}
  TimeUs Now() const override { return world_.Now(); }
  bool RunUntil(TimeUs deadline, const std::function<bool()>& done) override;
  // The first SIM-1 error met, else OK.
  const Status& status() const { return status_; }
  // With a pacer: runs what is due and brings virtual time up to the
  // pacer's clock (RunUntil does this before it returns). Else a no-op.
  void CatchUp();

 private:
  World& world_;
  Status status_;
};

}  // namespace mcpsim::sim
