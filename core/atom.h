// mcpsim core: Atom, an interned immutable string — 8 bytes, copied by a
// reference count, equal strings share one heap copy. For the text a world of
// many clients repeats (account names in every contact list, presence map and
// conversation; nicknames, presence tokens): a phone's contact list of eight
// costs eight pointers instead of eight std::string buffers (memory per phone
// at 100k phones).
//
// Interface: reads like a const std::string (str(), view(), implicit
// conversion to const std::string& and std::string_view, size/empty/data),
// compares by content with Atoms and anything convertible to string_view
// (ordering is lexicographic, as std::string's, so containers keyed by Atom
// iterate in the same order as with std::string keys). Constructed implicitly
// from std::string, string_view and string literals. The empty string is the
// null atom (no allocation).
//
// Threading: the pool is process-wide and guarded by a mutex; reference
// counts are atomic, so Atoms may be created, copied and dropped on any thread.
// Determinism: interning never changes a value or an order, so simulation
// output does not depend on it.
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace mcpsim {

class Atom {
 public:
  Atom() noexcept = default;
  Atom(std::string_view s) : n_(Intern(s)) {}  // NOLINT: implicit by design
  Atom(const std::string& s) : Atom(std::string_view(s)) {}
  Atom(const char* s) : Atom(std::string_view(s)) {}
  Atom(const Atom& o) noexcept : n_(o.n_) { Ref(n_); }
  Atom(Atom&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
  Atom& operator=(const Atom& o) noexcept {
    Ref(o.n_);
    Unref(std::exchange(n_, o.n_));
    return *this;
  }
  Atom& operator=(Atom&& o) noexcept {
    if (this != &o) Unref(std::exchange(n_, std::exchange(o.n_, nullptr)));
    return *this;
  }
  ~Atom() { Unref(n_); }

  const std::string& str() const noexcept;
  std::string_view view() const noexcept { return str(); }
  operator const std::string&() const noexcept { return str(); }  // NOLINT
  operator std::string_view() const noexcept { return view(); }   // NOLINT
  const char* c_str() const noexcept { return str().c_str(); }
  const char* data() const noexcept { return str().data(); }
  std::size_t size() const noexcept { return str().size(); }
  bool empty() const noexcept { return n_ == nullptr; }

  // Interned: equal text <=> same node.
  friend bool operator==(const Atom& a, const Atom& b) noexcept { return a.n_ == b.n_; }
  friend std::strong_ordering operator<=>(const Atom& a, const Atom& b) noexcept {
    if (a.n_ == b.n_) return std::strong_ordering::equal;
    return a.view() <=> b.view();
  }
  template <typename S>
    requires(!std::same_as<std::remove_cvref_t<S>, Atom> && std::convertible_to<const S&, std::string_view>)
  friend bool operator==(const Atom& a, const S& b) noexcept {
    return a.view() == std::string_view(b);
  }
  template <typename S>
    requires(!std::same_as<std::remove_cvref_t<S>, Atom> && std::convertible_to<const S&, std::string_view>)
  friend std::strong_ordering operator<=>(const Atom& a, const S& b) noexcept {
    return a.view() <=> std::string_view(b);
  }
  friend std::ostream& operator<<(std::ostream& os, const Atom& a) { return os << a.view(); }
  friend std::string operator+(const std::string& a, const Atom& b) { return a + b.str(); }
  friend std::string operator+(const Atom& a, const std::string& b) { return a.str() + b; }
  friend std::string operator+(const char* a, const Atom& b) { return a + b.str(); }
  friend std::string operator+(const Atom& a, const char* b) { return a.str() + b; }

  // Distinct strings currently interned (tests, memory accounting).
  static std::size_t pool_size();

  struct Node;  // opaque (core/atom.cc)

 private:
  static Node* Intern(std::string_view s);
  static void Ref(Node* n) noexcept;
  static void Unref(Node* n) noexcept;
  Node* n_ = nullptr;
};

}  // namespace mcpsim
