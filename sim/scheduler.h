// sim: the discrete-event scheduler (virtual clock + event queue).
//
// Time is integer microseconds (mcpsim::TimeUs) starting at 0. Events run in
// (time, sequence) order: events due at the same time run in the order they
// were scheduled (FIFO), so a run is a pure function of what was scheduled.
//
// Storage: a 4-ary min-heap of 24-byte POD entries (time, seq, slot); the
// callables live out of line in a slot pool (chunked, so addresses are stable
// while a callback runs and schedules more) with an intrusive free list. A
// callable of up to InlineFn::kInlineBytes is stored without allocation.
// Cancellation is lazy: the slot is marked and its callable destroyed at once;
// the heap entry is discarded when it surfaces (or by a compaction when
// cancelled entries outnumber live ones).
//
// Every Run* call is bounded by max_events (per call); exceeding it stops the
// run with Status clause "SIM-1" instead of hanging.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "sim/inline_fn.h"

namespace mcpsim::sim {

// Identifies one scheduled event: (generation << 32) | slot. Never 0.
using EventId = std::uint64_t;

// An outside clock the scheduler keeps pace with. Unset (the default),
// virtual time jumps from event to event; with a pacer (net::WallPacer, for
// runs against real servers) RunUntil and RunUntilCondition let virtual time
// pass only as fast as the pacer's clock, and let outside input in between
// events. Step and RunUntilQuiet are never paced.
class Pacer {
 public:
  virtual ~Pacer() = default;
  // Called before the clock advances from `now` to `t` (now < t < kNever).
  // Returns `t` once the outside clock reached `t`, or an earlier time u
  // (now <= u < t) as soon as outside input is pending for time u.
  virtual TimeUs Wait(TimeUs now, TimeUs t) = 0;
  // Called after Wait returned u < t, with now() == u: injects the pending
  // input (it may schedule events and call into simulated nodes).
  virtual void Deliver() = 0;
  // The outside clock in virtual time (what now() should have caught up to).
  virtual TimeUs Clock() const = 0;
};

class Scheduler {
 public:
  Scheduler();
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Current virtual time (the time of the running or last run event).
  TimeUs now() const { return now_; }
  // Address of the clock (for observers such as Trace); valid for the
  // Scheduler's lifetime.
  const TimeUs* now_ptr() const { return &now_; }

  // Schedules `fn` at time `at` (clamped to now() if in the past). Returns an
  // id for Cancel. `fn` may schedule and cancel events freely.
  // The callable is constructed in place in the event's slot.
  template <typename F>
  EventId At(TimeUs at, F&& fn) {
    const std::uint32_t i = AllocSlot();
    Slot& s = SlotAt(i);
    if constexpr (std::is_same_v<std::decay_t<F>, InlineFn>) {
      s.fn = std::move(fn);
    } else {
      s.fn.Emplace(std::forward<F>(fn));
    }
    s.owner = 0;
    return Enqueue(at, i);
  }
  // As At, tagged with `owner` (!= 0): CancelOwned(owner) cancels every
  // pending event of that tag (a crashed node's timers) without the caller
  // keeping their ids.
  template <typename F>
  EventId AtOwned(TimeUs at, std::uint32_t owner, F&& fn) {
    const EventId id = At(at, std::forward<F>(fn));
    SlotAt(static_cast<std::uint32_t>(id)).owner = owner;
    return id;
  }
  // Cancels every pending event tagged `owner` (AtOwned); returns how many.
  // O(slots ever used): for rare events such as a crash.
  std::size_t CancelOwned(std::uint32_t owner);
  // Schedules `fn` at now() + delay (delay < 0 treated as 0; the sum
  // saturates at kNever).
  template <typename F>
  EventId After(TimeUs delay, F&& fn) {
    if (delay < 0) delay = 0;
    return At(delay > kNever - now_ ? kNever : now_ + delay, std::forward<F>(fn));
  }
  // Cancels a pending event; returns false (no-op) for fired, running,
  // already-cancelled or unknown ids.
  bool Cancel(EventId id);

  // Number of scheduled, not yet run or cancelled events.
  std::size_t pending() const { return live_; }
  // The id of the event now running (0 outside any event).
  EventId current_event() const { return current_; }
  // Events run since construction.
  std::uint64_t executed() const { return executed_; }
  // Time of the earliest pending event, or kNever.
  TimeUs next_time();

  // Paces RunUntil / RunUntilCondition by `p` (not owned; nullptr: none).
  void set_pacer(Pacer* p) { pacer_ = p; }
  Pacer* pacer() const { return pacer_; }

  // Limit on events run by one Run* call (default 50'000'000).
  void set_max_events(std::uint64_t n) { max_events_ = n; }
  std::uint64_t max_events() const { return max_events_; }

  // Runs one event if any is pending; returns false if the queue was empty.
  bool Step();
  // Runs every event due at or before `t`, then advances now() to `t` (if
  // t > now()). Error "SIM-1" if max_events is exceeded.
  Status RunUntil(TimeUs t);
  // Runs until no event is pending. Error "SIM-1" if max_events is exceeded.
  Status RunUntilQuiet();
  // Runs until `done()` is true (checked before each event and at the end).
  // Error "SIM-1" if max_events is exceeded; "SIM-2" if the queue empties or
  // the next event lies beyond `deadline` before `done()` holds (now() is then
  // advanced to `deadline` if that is finite).
  Status RunUntilCondition(const std::function<bool()>& done, TimeUs deadline = kNever);

 private:
  struct Entry {
    TimeUs t;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  enum class SlotState : std::uint8_t { kFree, kPending, kCancelled, kRunning };
  struct Slot {
    InlineFn fn;
    std::uint32_t gen = 0;
    std::uint32_t next_free = 0;
    std::uint32_t owner = 0;  // AtOwned's tag (0: none)
    SlotState state = SlotState::kFree;
  };
  static constexpr std::uint32_t kChunkBits = 12;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;
  static constexpr std::uint32_t kNoSlot = 0xffffffffu;

  Slot& SlotAt(std::uint32_t i) { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }
  std::uint32_t AllocSlot();
  // Marks slot i pending and pushes its heap entry; returns its EventId.
  EventId Enqueue(TimeUs at, std::uint32_t i);
  void FreeSlot(std::uint32_t i);
  static bool Before(const Entry& a, const Entry& b) {
    return a.t < b.t || (a.t == b.t && a.seq < b.seq);
  }
  void Push(const Entry& e);
  void PopTop();
  void DropStaleTop();
  void Compact();
  // Runs the top entry (REQUIRES: heap non-empty and top is live).
  void RunTop();
  Status Budget(std::uint64_t ran) const;
  // With a pacer: waits until `target` (the next event or the run's end)
  // may be reached; false when outside input was delivered instead (the
  // caller re-examines the queue).
  bool Pace(TimeUs target);

  std::vector<Entry> heap_;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::uint32_t slot_count_ = 0;
  std::uint32_t free_head_ = kNoSlot;
  std::size_t live_ = 0;
  std::size_t stale_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t executed_ = 0;
  std::uint64_t max_events_ = 50'000'000;
  TimeUs now_ = 0;
  EventId current_ = 0;
  Pacer* pacer_ = nullptr;
};

}  // namespace mcpsim::sim
