#include "reference/transport/ratelimit.h"

#include <algorithm>
#include <charconv>

namespace mcpsim::reference {

bool ParseRateSpec(std::string_view text, RateSpec& out) {
  if (text == "off" || text == "0") {
    out = RateSpec{};
    return true;
  }
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  std::uint32_t rate = 0, burst = 0;
  const std::string_view a = text.substr(0, slash), b = text.substr(slash + 1);
  auto r1 = std::from_chars(a.data(), a.data() + a.size(), rate);
  auto r2 = std::from_chars(b.data(), b.data() + b.size(), burst);
  if (a.empty() || b.empty() || r1.ec != std::errc() || r1.ptr != a.data() + a.size() ||
      r2.ec != std::errc() || r2.ptr != b.data() + b.size() || rate == 0 || burst == 0 ||
      rate > 1000000 || burst > 1000000) {
    return false;
  }
  out = RateSpec{rate, burst};
  return true;
}

std::string FormatRateSpec(const RateSpec& s) {
  if (!s.on()) return "off";
  return std::to_string(s.per_s) + "/" + std::to_string(s.burst);
}

std::string AddressKey(const Endpoint& e, bool with_port) {
  std::string k(reinterpret_cast<const char*>(e.addr.data()), e.v6 ? 16 : 4);
  k.push_back(e.v6 ? '6' : '4');
  if (with_port) k += std::to_string(e.port);  // TEST-ONLY defect (RATE-2)
  return k;
}

RateLimiter::RateLimiter(RateSpec spec, std::size_t max_keys)
    : spec_(spec), max_keys_(std::max<std::size_t>(1, max_keys)) {}

bool RateLimiter::Take(TimeUs now, std::string_view key) {
  if (!spec_.on()) return true;
  const std::int64_t cap = std::int64_t{spec_.burst} * 1000000;
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) {  // evict the least recently used key
      entries_.erase(lru_.front());
      lru_.pop_front();
    }
    lru_.emplace_back(key);
    it = entries_.emplace(std::string(key), Entry{cap, now, std::prev(lru_.end())}).first;
  } else {
    lru_.splice(lru_.end(), lru_, it->second.lru);  // most recently used
  }
  Entry& e = it->second;
  // Refill: per_s tokens per second = per_s micro-tokens per microsecond.
  const TimeUs dt = std::max<TimeUs>(0, now - e.at);
  const std::int64_t room = cap - e.micro;
  e.micro = dt >= room / std::max<std::int64_t>(1, spec_.per_s) ? cap : e.micro + dt * spec_.per_s;
  e.at = now;
  if (e.micro < 1000000) {
    ++refused_;
    return false;
  }
  e.micro -= 1000000;
  return true;
}

FailureBackoff::FailureBackoff(BackoffSpec spec, std::size_t max_keys)
    : spec_(spec), max_keys_(std::max<std::size_t>(1, max_keys)) {}

bool FailureBackoff::Allowed(TimeUs now, std::string_view key) const {
  if (!spec_.on()) return true;
  auto it = entries_.find(key);
  return it == entries_.end() || now >= it->second.until;
}

void FailureBackoff::Failure(TimeUs now, std::string_view key) {
  if (!spec_.on()) return;
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) {
      entries_.erase(lru_.front());
      lru_.pop_front();
    }
    lru_.emplace_back(key);
    it = entries_.emplace(std::string(key), Entry{0, 0, std::prev(lru_.end())}).first;
  } else {
    lru_.splice(lru_.end(), lru_, it->second.lru);
  }
  Entry& e = it->second;
  ++e.failures;
  if (e.failures <= spec_.free_failures) return;
  const std::uint32_t n = e.failures - spec_.free_failures;  // 1, 2, 3, ...
  TimeUs wait = spec_.base;
  for (std::uint32_t i = 1; i < n && wait < spec_.max; ++i) wait *= 2;
  e.until = now + std::min(wait, spec_.max);
}

void FailureBackoff::Success(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

}  // namespace mcpsim::reference
