// Ctx services (harness.h AddService): background parties of a case, run at
// every wait of the Ctx.
//
// Invariants:
// - Services run only from Wait(), i.e. from the case's own flow between
//   loop steps, never from an Env callback and never re-entrantly (a service
//   that sent something does not run services again).
// - Wait() returns no later than its deadline and as soon as done() holds;
//   services never extend it.
// - Every service runs at the start of every wait (cheap: it drains its
//   channel and checks its timers), again whenever its channel gets input,
//   and when the wake time it returned comes (a time in the past counts as
//   1 ms from now).
#include <algorithm>
#include <limits>

#include "conformance/harness.h"
#include "conformance/harness_impl.h"

namespace mcpsim::conformance {
namespace {
constexpr TimeUs kNoWake = std::numeric_limits<TimeUs>::max();
}  // namespace

int Ctx::AddService(int h, std::function<std::int64_t()> fn) {
  const int id = ++next_service_;
  services_.push_back(Service{id, h, std::move(fn), -1});
  return id;
}

void Ctx::RemoveService(int id) {
  services_.erase(std::remove_if(services_.begin(), services_.end(), [id](const Service& s) { return s.id == id; }),
                  services_.end());
}

std::vector<std::string> Ctx::Drain(int h) {
  std::vector<std::string> out;
  if (h < 0 || static_cast<std::size_t>(h) + 1 >= sh_->chans.size()) return out;
  Chan& c = sh_->chans[static_cast<std::size_t>(h) + 1];
  while (!c.inbox.empty()) out.push_back(Shared::Pop(c));
  return out;
}

void Ctx::SelfResending(int h) {
  if (h < 0 || static_cast<std::size_t>(h) + 1 >= sh_->chans.size()) return;
  Chan& c = sh_->chans[static_cast<std::size_t>(h) + 1];
  c.resend = false;
  c.unanswered.clear();
}

bool Ctx::ServiceInput() const {
  for (const Service& s : services_) {
    if (s.h >= 0 && static_cast<std::size_t>(s.h) + 1 < sh_->chans.size() &&
        !sh_->chans[static_cast<std::size_t>(s.h) + 1].inbox.empty()) {
      return true;
    }
  }
  return false;
}

TimeUs Ctx::RunServices() {
  if (in_service_ || services_.empty()) return kNoWake;
  in_service_ = true;
  // By id: a service may be removed or added while others run.
  std::vector<int> ids;
  for (const Service& s : services_) ids.push_back(s.id);
  for (int id : ids) {
    auto it = std::find_if(services_.begin(), services_.end(), [id](const Service& s) { return s.id == id; });
    if (it == services_.end()) continue;
    std::function<std::int64_t()> fn = it->fn;  // the call may erase `it`
    const std::int64_t wake = fn();
    it = std::find_if(services_.begin(), services_.end(), [id](const Service& s) { return s.id == id; });
    if (it != services_.end()) it->wake = wake < 0 ? -1 : std::max(wake, NowUs() + 1000);
  }
  in_service_ = false;
  TimeUs next = kNoWake;
  for (const Service& s : services_) {
    if (s.wake >= 0) next = std::min(next, start_ + s.wake);
  }
  return next;
}

bool Ctx::Wait(TimeUs deadline, const std::function<bool()>& done) {
  if (in_service_ || services_.empty()) return loop_.RunUntil(deadline, done);
  for (;;) {
    const TimeUs wake = RunServices();
    if (done()) return true;
    if (env_.Now() >= deadline) return false;
    const TimeUs until = std::min(deadline, wake);
    if (loop_.RunUntil(until, [&] { return done() || ServiceInput(); }) && done()) return true;
  }
}

}  // namespace mcpsim::conformance
