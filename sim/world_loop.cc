#include "sim/world_loop.h"

namespace mcpsim::sim {

void WorldLoop::CatchUp() {
  Scheduler& s = world_.scheduler();
  Pacer* p = s.pacer();
  if (p == nullptr || p->Clock() <= s.now()) return;
  Status st = s.RunUntil(p->Clock());
  if (!st.ok() && st.clause() == "SIM-1" && status_.ok()) status_ = st;
}

bool WorldLoop::RunUntil(TimeUs deadline, const std::function<bool()>& done) {
  if (done()) return true;
  if (deadline <= world_.Now()) {
    CatchUp();
    return done();
  }
  Scheduler& s = world_.scheduler();
  // A marker event at the deadline, so that time gets there even when
  // nothing else is scheduled (a silent wait).
  const EventId marker = deadline == kNever ? 0 : s.At(deadline, [] {});
  Status st = s.RunUntilCondition(done, deadline);
  if (marker != 0) s.Cancel(marker);
  if (!st.ok() && st.clause() == "SIM-1" && status_.ok()) status_ = st;
  const bool reached = done();
  CatchUp();
  return reached;
}

}  // namespace mcpsim::sim
