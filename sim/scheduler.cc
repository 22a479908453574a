#include "sim/scheduler.h"

#include <algorithm>
#include <string>

namespace mcpsim::sim {

Scheduler::Scheduler() { heap_.reserve(1024); }
Scheduler::~Scheduler() = default;

std::uint32_t Scheduler::AllocSlot() {
  if (free_head_ != kNoSlot) {
    const std::uint32_t i = free_head_;
    free_head_ = SlotAt(i).next_free;
    return i;
  }
  if ((slot_count_ & (kChunkSize - 1)) == 0) {
    chunks_.push_back(std::make_unique<Slot[]>(kChunkSize));
  }
  return slot_count_++;
}

void Scheduler::FreeSlot(std::uint32_t i) {
  Slot& s = SlotAt(i);
  s.state = SlotState::kFree;
  s.next_free = free_head_;
  free_head_ = i;
}

EventId Scheduler::Enqueue(TimeUs at, std::uint32_t i) {
  Slot& s = SlotAt(i);
  // Generation 0 is skipped so that no EventId is 0.
  if (++s.gen == 0) s.gen = 1;
  s.state = SlotState::kPending;
  Push(Entry{at < now_ ? now_ : at, seq_++, i});
  ++live_;
  return (std::uint64_t{s.gen} << 32) | i;
}

bool Scheduler::Cancel(EventId id) {
  const auto i = static_cast<std::uint32_t>(id);
  const auto gen = static_cast<std::uint32_t>(id >> 32);
  if (i >= slot_count_) return false;
  Slot& s = SlotAt(i);
  if (s.gen != gen || s.state != SlotState::kPending) return false;
  s.state = SlotState::kCancelled;
  s.fn.Reset();
  --live_;
  ++stale_;
  if (stale_ > 4096 && stale_ > live_) Compact();
  return true;
}

std::size_t Scheduler::CancelOwned(std::uint32_t owner) {
  std::size_t n = 0;
  for (std::uint32_t i = 0; i < slot_count_; ++i) {
    Slot& s = SlotAt(i);
    if (owner == 0 || s.owner != owner || s.state != SlotState::kPending) continue;
    n += Cancel((std::uint64_t{s.gen} << 32) | i) ? 1 : 0;
  }
  return n;
}

// 4-ary heap: children of i are 4i+1..4i+4; sifts move a hole instead of
// swapping.
void Scheduler::Push(const Entry& e) {
  std::size_t i = heap_.size();
  heap_.push_back(e);
  while (i > 0) {
    const std::size_t parent = (i - 1) >> 2;
    if (!Before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void Scheduler::PopTop() {
  const Entry last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return;
  std::size_t i = 0;
  for (;;) {
    const std::size_t c = 4 * i + 1;
    if (c >= n) break;
    std::size_t best = c;
    const std::size_t end = c + 4 < n ? c + 4 : n;
    for (std::size_t k = c + 1; k < end; ++k) {
      if (Before(heap_[k], heap_[best])) best = k;
    }
    if (!Before(heap_[best], last)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = last;
}

void Scheduler::DropStaleTop() {
  while (!heap_.empty() && SlotAt(heap_[0].slot).state == SlotState::kCancelled) {
    const std::uint32_t i = heap_[0].slot;
    PopTop();
    FreeSlot(i);
    --stale_;
  }
}

void Scheduler::Compact() {
  std::vector<Entry> keep;
  keep.reserve(live_);
  for (const Entry& e : heap_) {
    if (SlotAt(e.slot).state == SlotState::kCancelled) {
      FreeSlot(e.slot);
    } else {
      keep.push_back(e);
    }
  }
  stale_ = 0;
  heap_.clear();
  for (const Entry& e : keep) Push(e);
}

TimeUs Scheduler::next_time() {
  DropStaleTop();
  return heap_.empty() ? kNever : heap_[0].t;
}

void Scheduler::RunTop() {
  const Entry e = heap_[0];
  PopTop();
  Slot& s = SlotAt(e.slot);  // chunked storage: stays valid while fn runs
  now_ = e.t;
  s.state = SlotState::kRunning;
  --live_;
  ++executed_;
  current_ = (std::uint64_t{s.gen} << 32) | e.slot;
  s.fn();
  current_ = 0;
  s.fn.Reset();
  FreeSlot(e.slot);
}

bool Scheduler::Step() {
  DropStaleTop();
  if (heap_.empty()) return false;
  RunTop();
  return true;
}

Status Scheduler::Budget(std::uint64_t ran) const {
  return Status::Error("SIM-1", "event budget exhausted: ran " + std::to_string(ran) +
                                    " events without finishing (max_events=" +
                                    std::to_string(max_events_) + ")");
}

bool Scheduler::Pace(TimeUs target) {
  if (pacer_ == nullptr || target <= now_ || target == kNever) return true;
  const TimeUs u = pacer_->Wait(now_, target);
  if (u >= target) return true;
  if (u > now_) now_ = u;
  pacer_->Deliver();
  return false;
}

Status Scheduler::RunUntil(TimeUs t) {
  std::uint64_t ran = 0;
  for (;;) {
    DropStaleTop();
    if (!Pace(std::min(heap_.empty() ? kNever : heap_[0].t, t))) continue;
    if (heap_.empty() || heap_[0].t > t) break;
    if (ran >= max_events_) return Budget(ran);
    RunTop();
    ++ran;
  }
  if (t > now_ && t != kNever) now_ = t;
  return Status();
}

Status Scheduler::RunUntilQuiet() {
  std::uint64_t ran = 0;
  for (;;) {
    DropStaleTop();
    if (heap_.empty()) return Status();
    if (ran >= max_events_) return Budget(ran);
    RunTop();
    ++ran;
  }
}

Status Scheduler::RunUntilCondition(const std::function<bool()>& done, TimeUs deadline) {
  std::uint64_t ran = 0;
  for (;;) {
    if (done()) return Status();
    DropStaleTop();
    if (!Pace(std::min(heap_.empty() ? kNever : heap_[0].t, deadline))) continue;
    if (heap_.empty() || heap_[0].t > deadline) break;
    if (ran >= max_events_) return Budget(ran);
    RunTop();
    ++ran;
  }
  if (deadline != kNever && deadline > now_) now_ = deadline;
  return Status::Error("SIM-2", "condition not reached by t=" + std::to_string(now_) + "us (" +
                                    (heap_.empty() ? "queue empty" : "deadline") + ")");
}

}  // namespace mcpsim::sim
