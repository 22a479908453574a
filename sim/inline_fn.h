// sim: a move-only `void()` callable with inline storage.
//
// The scheduler stores one of these per pending event. Callables up to
// kInlineBytes (and nothrow-movable) live inside the object, so scheduling a
// small lambda (a pointer and an index, or a std::function plus two words)
// never allocates; larger ones fall back to one heap allocation.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace mcpsim::sim {

class InlineFn {
 public:
  static constexpr std::size_t kInlineBytes = 56;

  InlineFn() = default;
  template <typename F, typename D = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<D, InlineFn>>>
  InlineFn(F&& f) {  // NOLINT(implicit)
    Construct(std::forward<F>(f));
  }
  // Replaces the held callable with `f`, constructed in place.
  template <typename F, typename D = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<D, InlineFn>>>
  void Emplace(F&& f) {
    Reset();
    Construct(std::forward<F>(f));
  }
  InlineFn(InlineFn&& o) noexcept : invoke_(o.invoke_), manage_(o.manage_) {
    MoveBuf(o);
    o.invoke_ = nullptr;
    o.manage_ = nullptr;
  }
  InlineFn& operator=(InlineFn&& o) noexcept {
    if (this != &o) {
      Reset();
      invoke_ = o.invoke_;
      manage_ = o.manage_;
      MoveBuf(o);
      o.invoke_ = nullptr;
      o.manage_ = nullptr;
    }
    return *this;
  }
  InlineFn(const InlineFn&) = delete;
  InlineFn& operator=(const InlineFn&) = delete;
  ~InlineFn() { Reset(); }

  explicit operator bool() const { return invoke_ != nullptr; }
  // REQUIRES: *this holds a callable.
  void operator()() { invoke_(buf_); }
  // Destroys the held callable (if any).
  void Reset() {
    // (Trivially copyable callables have no manage_ and need no destructor.)
    if (manage_ != nullptr) manage_(nullptr, buf_);
    invoke_ = nullptr;
    manage_ = nullptr;
  }

 private:
  // Moves o's callable into buf_ (invoke_/manage_ already copied from o).
  // A null manage_ marks a trivially copyable callable: bytes are copied.
  void MoveBuf(InlineFn& o) {
    if (manage_ != nullptr) {
      manage_(buf_, o.buf_);
    } else if (invoke_ != nullptr) {
      __builtin_memcpy(buf_, o.buf_, kInlineBytes);
    }
  }
  template <typename F>
  void Construct(F&& f) {
    using D = std::decay_t<F>;
    if constexpr (sizeof(D) <= kInlineBytes && alignof(D) <= alignof(std::max_align_t) &&
                  std::is_trivially_copyable_v<D>) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      invoke_ = [](void* p) { (*static_cast<D*>(p))(); };
      manage_ = nullptr;
    } else if constexpr (sizeof(D) <= kInlineBytes && alignof(D) <= alignof(std::max_align_t) &&
                         std::is_nothrow_move_constructible_v<D>) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      invoke_ = [](void* p) { (*static_cast<D*>(p))(); };
      manage_ = [](void* dst, void* src) {
        D* s = static_cast<D*>(src);
        if (dst != nullptr) ::new (dst) D(std::move(*s));
        s->~D();
      };
    } else {
      D* heap = new D(std::forward<F>(f));
      ::new (static_cast<void*>(buf_)) D*(heap);
      invoke_ = [](void* p) { (**static_cast<D**>(p))(); };
      manage_ = [](void* dst, void* src) {
        D** s = static_cast<D**>(src);
        if (dst != nullptr) {
          ::new (dst) D*(*s);
        } else {
          delete *s;
        }
      };
    }
  }

  alignas(std::max_align_t) unsigned char buf_[kInlineBytes];
  void (*invoke_)(void*) = nullptr;
  void (*manage_)(void* dst, void* src) = nullptr;
};

}  // namespace mcpsim::sim
