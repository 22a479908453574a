// mcpsim core: FlatHashMap, an unordered map in one open-addressing array —
// for the lookup tables on the per-datagram paths of a large simulated world
// (the simulator's links, an SG's sessions by id and by endpoint), where
// std::unordered_map costs a modulo by a prime, a bucket read and a node read
// (three dependent cache misses at 100k entries) per lookup. Here a lookup is
// a mask of a mixed hash and a linear probe in one array (usually one miss).
//
// Interface: the subset of std::unordered_map the project uses (find, at,
// count, contains, try_emplace, emplace, operator[], erase by key or
// iterator, size, empty, clear, iteration over std::pair<K, V> with
// .first/.second and structured bindings).
//
// Differences from std::unordered_map (REQUIRES of callers):
//   - K and V are default-constructible and movable; keys must not be
//     modified through iterators;
//   - any insertion or erasure invalidates every iterator, pointer and
//     reference into the map (elements move: values that need a stable
//     address belong behind a pointer, e.g. std::unique_ptr);
//   - erase returns nothing;
//   - iteration order is unspecified (it depends on the hash): as with any
//     hash container in this project, no iteration order may reach output.
// Deterministic: no randomized hashing; the same operations give the same
// layout.
//
// Layout: power-of-two capacity, load at most 1/2, linear probing,
// backward-shift deletion (no tombstones). The Hash is post-mixed with a
// splitmix64 finalizer, so identity hashes (std::hash<uint64_t>) spread too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mcpsim {

template <typename K, typename V, typename Hash = std::hash<K>, typename Eq = std::equal_to<K>>
class FlatHashMap {
 public:
  using key_type = K;
  using mapped_type = V;
  using value_type = std::pair<K, V>;
  using size_type = std::size_t;

 private:
  struct Slot {
    value_type kv{};
    bool used = false;
  };

  template <bool kConst>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = FlatHashMap::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<kConst, const value_type*, value_type*>;
    using reference = std::conditional_t<kConst, const value_type&, value_type&>;
    using SlotPtr = std::conditional_t<kConst, const Slot*, Slot*>;

    Iter() = default;
    Iter(SlotPtr p, SlotPtr end) : p_(p), end_(end) { Skip(); }
    template <bool C = kConst, typename = std::enable_if_t<C>>
    Iter(const Iter<false>& o) : p_(o.p_), end_(o.end_) {}  // NOLINT: iterator -> const_iterator

    reference operator*() const { return p_->kv; }
    pointer operator->() const { return &p_->kv; }
    Iter& operator++() {
      ++p_;
      Skip();
      return *this;
    }
    Iter operator++(int) {
      Iter t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.p_ == b.p_; }

   private:
    friend class FlatHashMap;
    template <bool>
    friend class Iter;
    void Skip() {
      while (p_ != end_ && !p_->used) ++p_;
    }
    SlotPtr p_ = nullptr;
    SlotPtr end_ = nullptr;
  };

 public:
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  FlatHashMap() = default;

  iterator begin() { return iterator(slots_.data(), slots_.data() + slots_.size()); }
  iterator end() { return iterator(slots_.data() + slots_.size(), slots_.data() + slots_.size()); }
  const_iterator begin() const { return const_iterator(slots_.data(), slots_.data() + slots_.size()); }
  const_iterator end() const {
    return const_iterator(slots_.data() + slots_.size(), slots_.data() + slots_.size());
  }
  size_type size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    std::vector<Slot>().swap(slots_);
    size_ = 0;
  }

  iterator find(const K& k) {
    const std::size_t i = Index(k);
    return i == kNone ? end() : At(i);
  }
  const_iterator find(const K& k) const {
    const std::size_t i = Index(k);
    return i == kNone ? end() : const_iterator(&slots_[i], slots_.data() + slots_.size());
  }
  size_type count(const K& k) const { return Index(k) == kNone ? 0 : 1; }
  bool contains(const K& k) const { return Index(k) != kNone; }
  // Heterogeneous lookup (e.g. std::string keys found by std::string_view)
  // when Hash and Eq are transparent and hash equal values alike.
  template <typename Q, typename H = Hash, typename = typename H::is_transparent>
  iterator find(const Q& k) {
    const std::size_t i = Index(k);
    return i == kNone ? end() : At(i);
  }
  template <typename Q, typename H = Hash, typename = typename H::is_transparent>
  const_iterator find(const Q& k) const {
    const std::size_t i = Index(k);
    return i == kNone ? end() : const_iterator(&slots_[i], slots_.data() + slots_.size());
  }
  template <typename Q, typename H = Hash, typename = typename H::is_transparent>
  size_type count(const Q& k) const {
    return Index(k) == kNone ? 0 : 1;
  }
  V& at(const K& k) {
    const std::size_t i = Index(k);
    if (i == kNone) throw std::out_of_range("FlatHashMap::at");
    return slots_[i].kv.second;
  }
  const V& at(const K& k) const {
    const std::size_t i = Index(k);
    if (i == kNone) throw std::out_of_range("FlatHashMap::at");
    return slots_[i].kv.second;
  }

  template <typename... Args>
  std::pair<iterator, bool> try_emplace(const K& k, Args&&... args) {
    if ((size_ + 1) * 2 > slots_.size()) Rehash(slots_.empty() ? 16 : slots_.size() * 2);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = Home(k, mask);; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (!s.used) {
        s.kv.first = k;
        s.kv.second = V(std::forward<Args>(args)...);
        s.used = true;
        ++size_;
        return {At(i), true};
      }
      if (Eq{}(s.kv.first, k)) return {At(i), false};
    }
  }
  template <typename VV>
  std::pair<iterator, bool> emplace(const K& k, VV&& v) {
    return try_emplace(k, std::forward<VV>(v));
  }
  V& operator[](const K& k) { return try_emplace(k).first->second; }

  size_type erase(const K& k) {
    const std::size_t i = Index(k);
    if (i == kNone) return 0;
    EraseAt(i);
    return 1;
  }
  // REQUIRES: `it` is a dereferenceable iterator of this map.
  void erase(const_iterator it) { EraseAt(static_cast<std::size_t>(it.p_ - slots_.data())); }
  void erase(iterator it) { EraseAt(static_cast<std::size_t>(it.p_ - slots_.data())); }

 private:
  static constexpr std::size_t kNone = ~std::size_t{0};

  template <typename Q>
  static std::size_t Home(const Q& k, std::size_t mask) {
    std::uint64_t h = static_cast<std::uint64_t>(Hash{}(k));
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return static_cast<std::size_t>(h) & mask;
  }
  iterator At(std::size_t i) { return iterator(&slots_[i], slots_.data() + slots_.size()); }
  template <typename Q>
  std::size_t Index(const Q& k) const {
    if (size_ == 0) return kNone;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = Home(k, mask);; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (!s.used) return kNone;  // load <= 1/2: a probe always meets an empty slot
      if (Eq{}(s.kv.first, k)) return i;
    }
  }
  void EraseAt(std::size_t i) {
    // Backward-shift deletion: pull later members of the probe run into the
    // hole unless their home lies cyclically in (hole, them].
    const std::size_t mask = slots_.size() - 1;
    slots_[i].kv = value_type{};
    slots_[i].used = false;
    --size_;
    for (std::size_t j = (i + 1) & mask; slots_[j].used; j = (j + 1) & mask) {
      const std::size_t home = Home(slots_[j].kv.first, mask);
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i].kv = std::move(slots_[j].kv);
      slots_[i].used = true;
      slots_[j].kv = value_type{};
      slots_[j].used = false;
      i = j;
    }
  }
  void Rehash(std::size_t capacity) {
    std::vector<Slot> old(capacity);
    old.swap(slots_);
    const std::size_t mask = capacity - 1;
    for (Slot& s : old) {
      if (!s.used) continue;
      std::size_t i = Home(s.kv.first, mask);
      while (slots_[i].used) i = (i + 1) & mask;
      slots_[i].kv = std::move(s.kv);
      slots_[i].used = true;
    }
  }

  std::vector<Slot> slots_;  // capacity: 0 or a power of two >= 2 * size_
  size_type size_ = 0;
};

}  // namespace mcpsim
