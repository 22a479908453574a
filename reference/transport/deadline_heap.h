// An indexed min-heap of deadlines for objects that move their deadline often
// (a server's sessions: every datagram, push and answer moves one). Intrusive:
// each object of type T carries `std::uint32_t heap_pos` (kAbsent when not in
// the heap), so Set/Remove cost O(log n) with no allocation and no lookup, and
// the heap is one contiguous vector (a 4-ary layout, cache-friendly at 100k
// sessions where a std::set<pair> of nodes was not).
//
// Ordering is by (deadline, id); ids are unique per heap. Deterministic: the
// layout depends only on the sequence of calls. ForEachDue visits the due
// entries in heap order, which is NOT sorted; callers that act on them in a
// defined order sort what they collect (by id).
//
// Ownership: the heap stores T* but owns nothing; an object must be Removed
// before it is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/env.h"

namespace mcpsim::reference {

template <typename T>
class DeadlineHeap {
 public:
  static constexpr std::uint32_t kAbsent = 0xffffffffu;

  // Inserts `x` with deadline `t`, or moves it there if present.
  void Set(T& x, TimeUs t, std::uint64_t id) {
    if (x.heap_pos == kAbsent) {
      x.heap_pos = static_cast<std::uint32_t>(h_.size());
      h_.push_back(E{t, id, &x});
      Up(x.heap_pos);
      return;
    }
    const std::size_t i = x.heap_pos;
    const E old = h_[i];
    h_[i].t = t;
    h_[i].id = id;
    if (Less(h_[i], old)) {
      Up(i);
    } else {
      Down(i);
    }
  }

  // Removes `x` (no-op if absent).
  void Remove(T& x) {
    if (x.heap_pos == kAbsent) return;
    const std::size_t i = x.heap_pos;
    x.heap_pos = kAbsent;
    const E last = h_.back();
    h_.pop_back();
    if (i == h_.size()) return;
    h_[i] = last;
    last.x->heap_pos = static_cast<std::uint32_t>(i);
    if (i > 0 && Less(h_[i], h_[(i - 1) / 4])) {
      Up(i);
    } else {
      Down(i);
    }
  }

  // The earliest deadline, or kNever when empty.
  TimeUs Top() const { return h_.empty() ? kNever : h_[0].t; }
  bool empty() const { return h_.empty(); }
  std::size_t size() const { return h_.size(); }

  // Calls fn(id, T&) for every entry with deadline <= now (heap order;
  // O(due entries)). fn must not modify the heap.
  template <typename F>
  void ForEachDue(TimeUs now, F&& fn) const {
    if (h_.empty() || h_[0].t > now) return;
    // Explicit stack: every visited node is due, so at most 4 * due pushes.
    std::vector<std::size_t> stack{0};
    while (!stack.empty()) {
      const std::size_t i = stack.back();
      stack.pop_back();
      fn(h_[i].id, *h_[i].x);
      for (std::size_t c = 4 * i + 1; c <= 4 * i + 4 && c < h_.size(); ++c) {
        if (h_[c].t <= now) stack.push_back(c);
      }
    }
  }

 private:
  struct E {
    TimeUs t;
    std::uint64_t id;
    T* x;
  };
  static bool Less(const E& a, const E& b) { return a.t < b.t || (a.t == b.t && a.id < b.id); }
  void Place(std::size_t i, const E& e) {
    h_[i] = e;
    e.x->heap_pos = static_cast<std::uint32_t>(i);
  }
  void Up(std::size_t i) {
    const E e = h_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!Less(e, h_[parent])) break;
      Place(i, h_[parent]);
      i = parent;
    }
    Place(i, e);
  }
  void Down(std::size_t i) {
    const E e = h_[i];
    const std::size_t n = h_.size();
    for (;;) {
      const std::size_t c = 4 * i + 1;
      if (c >= n) break;
      std::size_t best = c;
      const std::size_t end = c + 4 < n ? c + 4 : n;
      for (std::size_t k = c + 1; k < end; ++k) {
        if (Less(h_[k], h_[best])) best = k;
      }
      if (!Less(h_[best], e)) break;
      Place(i, h_[best]);
      i = best;
    }
    Place(i, e);
  }

  std::vector<E> h_;
};

}  // namespace mcpsim::reference
