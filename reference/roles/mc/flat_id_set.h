// A sorted set of 32-bit ids in one contiguous vector: 4 bytes per id
// instead of a std::set node (~48 heap bytes). For the MC's small bounded id
// sets (SgSession::seen_msgs_). The std::set subset it offers behaves like
// std::set's: iteration in ascending order, insert of a present id is a no-op.
// Insert/erase are O(n) moves; meant for n in the hundreds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mcpsim::reference {

class FlatIdSet {
 public:
  using const_iterator = std::vector<std::uint32_t>::const_iterator;

  std::size_t count(std::uint32_t id) const { return std::binary_search(ids_.begin(), ids_.end(), id) ? 1 : 0; }
  void insert(std::uint32_t id) {
    auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it == ids_.end() || *it != id) ids_.insert(it, id);
  }
  // REQUIRES: `it` is a valid dereferenceable iterator of this set.
  void erase(const_iterator it) { ids_.erase(it); }
  void clear() { std::vector<std::uint32_t>().swap(ids_); }  // releases the memory
  std::size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  const_iterator begin() const { return ids_.begin(); }
  const_iterator end() const { return ids_.end(); }

 private:
  std::vector<std::uint32_t> ids_;  // ascending, unique
};

}  // namespace mcpsim::reference
