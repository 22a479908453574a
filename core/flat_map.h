// mcpsim core: FlatMap, an ordered map in one sorted vector — the small-map
// representation for per-client state (a phone's contacts, presence,
// conversations and in-flight requests: a handful to a few hundred entries).
//
// Interface: the subset of std::map that the project uses (find/count/
// contains/at/operator[]/try_emplace/insert_or_assign/erase/lower_bound,
// ordered iteration over std::pair<Key, T> with .first/.second and structured
// bindings, ==), with heterogeneous lookup (Compare = std::less<> by default,
// so a FlatMap<std::string, T> is searched with a string_view without a copy).
//
// Differences from std::map (REQUIRES of callers): inserting or erasing
// invalidates iterators and references to elements; insertion and erasure
// cost O(n) moves (fine for small n); keys are not const through iterators
// and must not be modified. Memory: one allocation for all elements (no
// per-node header); growth is by half (slack at most a third), capacity is
// trimmed when the map shrinks to at most a quarter of it and released when
// it becomes empty, so an idle map owns no heap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mcpsim {

template <typename Key, typename T, typename Compare = std::less<>>
class FlatMap {
 public:
  using key_type = Key;
  using mapped_type = T;
  using value_type = std::pair<Key, T>;
  using Vec = std::vector<value_type>;
  using iterator = typename Vec::iterator;
  using const_iterator = typename Vec::const_iterator;
  using size_type = std::size_t;

  FlatMap() = default;
  FlatMap(std::initializer_list<value_type> init) {
    for (const auto& v : init) insert_or_assign(v.first, v.second);
  }

  iterator begin() { return v_.begin(); }
  iterator end() { return v_.end(); }
  const_iterator begin() const { return v_.begin(); }
  const_iterator end() const { return v_.end(); }
  size_type size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  void clear() { Vec().swap(v_); }

  template <typename K>
  iterator lower_bound(const K& k) {
    return std::lower_bound(v_.begin(), v_.end(), k, KeyLess{});
  }
  template <typename K>
  const_iterator lower_bound(const K& k) const {
    return std::lower_bound(v_.begin(), v_.end(), k, KeyLess{});
  }
  template <typename K>
  iterator find(const K& k) {
    auto it = lower_bound(k);
    return it != v_.end() && !Compare{}(k, it->first) ? it : v_.end();
  }
  template <typename K>
  const_iterator find(const K& k) const {
    auto it = lower_bound(k);
    return it != v_.end() && !Compare{}(k, it->first) ? it : v_.end();
  }
  template <typename K>
  size_type count(const K& k) const {
    return find(k) != v_.end() ? 1 : 0;
  }
  template <typename K>
  bool contains(const K& k) const {
    return find(k) != v_.end();
  }
  template <typename K>
  T& at(const K& k) {
    auto it = find(k);
    if (it == v_.end()) throw std::out_of_range("FlatMap::at");
    return it->second;
  }
  template <typename K>
  const T& at(const K& k) const {
    auto it = find(k);
    if (it == v_.end()) throw std::out_of_range("FlatMap::at");
    return it->second;
  }

  template <typename K, typename... Args>
  std::pair<iterator, bool> try_emplace(K&& k, Args&&... args) {
    auto it = lower_bound(k);
    if (it != v_.end() && !Compare{}(k, it->first)) return {it, false};
    if (v_.size() == v_.capacity()) {
      // Grow by half (at least 4) rather than double: at most a third of the
      // capacity is slack, which matters for many small maps.
      const auto i = it - v_.begin();
      v_.reserve(v_.size() + std::max<size_type>(4, v_.size() / 2));
      it = v_.begin() + i;
    }
    it = v_.emplace(it, std::piecewise_construct, std::forward_as_tuple(std::forward<K>(k)),
                    std::forward_as_tuple(std::forward<Args>(args)...));
    return {it, true};
  }
  // Like std::map::emplace(key, args...): no-op if the key exists.
  template <typename K, typename... Args>
  std::pair<iterator, bool> emplace(K&& k, Args&&... args) {
    return try_emplace(std::forward<K>(k), std::forward<Args>(args)...);
  }
  template <typename K, typename V>
  std::pair<iterator, bool> insert_or_assign(K&& k, V&& value) {
    auto [it, inserted] = try_emplace(std::forward<K>(k));
    it->second = std::forward<V>(value);
    return {it, inserted};
  }
  template <typename K>
  T& operator[](K&& k) {
    return try_emplace(std::forward<K>(k)).first->second;
  }

  iterator erase(iterator pos) { return erase(const_iterator(pos)); }
  iterator erase(const_iterator pos) {
    const auto i = pos - v_.cbegin();
    v_.erase(pos);
    Trim();
    return v_.begin() + i;
  }
  template <typename K>
  size_type erase(const K& k) {
    auto it = find(k);
    if (it == v_.end()) return 0;
    erase(const_iterator(it));
    return 1;
  }
  template <typename Pred>
  friend size_type erase_if(FlatMap& m, Pred pred) {
    const size_type n = std::erase_if(m.v_, pred);
    m.Trim();
    return n;
  }

  friend bool operator==(const FlatMap& a, const FlatMap& b) { return a.v_ == b.v_; }
  // Equal to a std::map with the same entries (tests compare with a model).
  template <typename K2, typename C, typename A>
  friend bool operator==(const FlatMap& a, const std::map<K2, T, C, A>& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
             return x.first == y.first && x.second == y.second;
           });
  }

 private:
  struct KeyLess {
    template <typename K>
    bool operator()(const value_type& e, const K& k) const {
      return Compare{}(e.first, k);
    }
  };
  void Trim() {
    if (v_.empty()) {
      Vec().swap(v_);
    } else if (v_.capacity() >= 4 * v_.size() && v_.capacity() > 4) {
      v_.shrink_to_fit();
    }
  }

  Vec v_;
};

}  // namespace mcpsim
