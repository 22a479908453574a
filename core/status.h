// mcpsim core: errors as values.
//
// Every fallible operation in core/, reference/ and sim/ returns a Status or a
// Result<T>; exceptions never cross these libraries' boundaries. A failing
// Status names the clause of reference/PROTOCOL.md (or a kernel rule id such
// as "SIM-3") that the input violated and, where it applies, the byte offset
// into the input at which the violation was detected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mcpsim {

// Offset value meaning "no byte offset applies".
inline constexpr std::uint64_t kNoOffset = ~std::uint64_t{0};

class Status {
 public:
  // The success value. Cheap to construct and copy.
  Status() = default;

  // A failure. REQUIRES: clause is non-empty (e.g. "WIRE-7", "SIM-2").
  static Status Error(std::string clause, std::string message,
                      std::uint64_t offset = kNoOffset) {
    Status s;
    s.rep_ = Rep{std::move(clause), std::move(message), offset};
    return s;
  }

  bool ok() const { return !rep_.has_value(); }
  explicit operator bool() const { return ok(); }

  // The accessors below REQUIRE !ok().
  const std::string& clause() const { return rep_->clause; }
  const std::string& message() const { return rep_->message; }
  std::uint64_t offset() const { return rep_->offset; }
  bool has_offset() const { return rep_ && rep_->offset != kNoOffset; }

  // "[WIRE-7] at byte 12: malformed escape" or "ok".
  std::string ToString() const {
    if (ok()) return "ok";
    std::string s = "[" + rep_->clause + "]";
    if (rep_->offset != kNoOffset) s += " at byte " + std::to_string(rep_->offset);
    s += ": " + rep_->message;
    return s;
  }

 private:
  struct Rep {
    std::string clause;
    std::string message;
    std::uint64_t offset;
  };
  std::optional<Rep> rep_;
};

// Result<T>: a T or a failing Status (a minimal std::expected for C++20).
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(implicit)
  // REQUIRES: !status.ok().
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(implicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The error; REQUIRES: !ok().
  const Status& status() const { return std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace mcpsim
