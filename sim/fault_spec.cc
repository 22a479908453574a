#include "sim/fault_spec.h"

#include <algorithm>
#include <limits>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>

namespace mcpsim::sim {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status Bad(const std::string& item, const std::string& why) {
  return Status::Error("SIM-30", "'" + item + "': " + why);
}

std::optional<double> Number(std::string_view v, double lo, double hi, bool percent_ok) {
  std::string s(v);
  double scale = 1.0;
  if (percent_ok && !s.empty() && s.back() == '%') {
    s.pop_back();
    scale = 0.01;
  }
  if (s.empty() || s.size() > 40) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(s.c_str(), &end);
  if (*end != '\0' || errno != 0 || !std::isfinite(x)) return std::nullopt;
  if (x * scale < lo || x * scale > hi) return std::nullopt;
  return x * scale;
}

std::optional<std::uint64_t> Unsigned(std::string_view v, std::uint64_t hi) {
  if (v.empty() || v.size() > 19) return std::nullopt;
  std::uint64_t x = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    x = x * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (x > hi) return std::nullopt;
  return x;
}

}  // namespace

std::optional<TimeUs> ParseDurationText(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  if (i == 0 || std::count(s.begin(), s.begin() + static_cast<long>(i), '.') > 1) return std::nullopt;
  const std::string_view num = s.substr(0, i), unit = s.substr(i);
  TimeUs mult;
  if (unit.empty() || unit == "ms") {
    mult = kMillis;
  } else if (unit == "us") {
    mult = 1;
  } else if (unit == "s") {
    mult = kSeconds;
  } else if (unit == "m" || unit == "min") {
    mult = 60 * kSeconds;
  } else {
    return std::nullopt;
  }
  std::string digits(num);
  TimeUs div = 1;
  if (const auto dot = digits.find('.'); dot != std::string::npos) {
    // More than 6 fractional digits is finer than a microsecond in every
    // unit; checked first, so `div` cannot overflow (found by faultspec_fuzz).
    if (digits.size() - dot - 1 > 6) return std::nullopt;
    for (std::size_t k = dot + 1; k < digits.size(); ++k) div *= 10;
    digits.erase(dot, 1);
    if (div > 1000000) return std::nullopt;
  }
  if (digits.empty() || digits.size() > 15) return std::nullopt;
  const TimeUs n = std::stoll(digits);  // < 10^15: fits
  if (n > std::numeric_limits<TimeUs>::max() / mult) return std::nullopt;  // would overflow
  const TimeUs v = n * mult;
  if (v % div != 0) return std::nullopt;  // finer than a microsecond
  return v / div;
}

Result<FaultSpec> ParseFaultSpec(std::string_view text) {
  FaultSpec f;
  LinkConfig& c = f.link;
  std::map<std::string, bool> seen;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item(Trim(text.substr(pos, comma - pos)));
    pos = comma + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return Bad(item, "expected KEY=VALUE");
    std::string key(Trim(std::string_view(item).substr(0, eq)));
    const std::string_view v = Trim(std::string_view(item).substr(eq + 1));
    if (key == "delay") key = "base_delay";
    if (key == "dup") key = "duplicate";
    if (key == "dup_spread") key = "duplicate_spread";
    const bool repeatable = key == "partition" || key == "clog";
    if (!repeatable && seen[key]) return Bad(item, "key given twice");
    seen[key] = true;
    f.empty = false;
    auto prob = [&](double& out) -> Status {
      auto x = Number(v, 0.0, 1.0, true);
      if (!x) return Bad(item, "expected a probability in [0, 1] or N%");
      out = *x;
      return Status();
    };
    auto dur = [&](TimeUs& out) -> Status {
      auto d = ParseDurationText(v);
      if (!d) return Bad(item, "expected a duration (e.g. 300us, 5ms, 1.5s)");
      out = *d;
      return Status();
    };
    auto uns = [&](std::uint64_t hi, auto& out) -> Status {
      auto x = Unsigned(v, hi);
      if (!x) return Bad(item, "expected an integer in [0, " + std::to_string(hi) + "]");
      out = static_cast<std::remove_reference_t<decltype(out)>>(*x);
      return Status();
    };
    Status st;
    if (key == "loss") {
      st = prob(c.loss);
    } else if (key == "duplicate") {
      st = prob(c.duplicate);
    } else if (key == "duplicate_spread") {
      st = dur(c.duplicate_spread);
    } else if (key == "reorder") {
      st = prob(c.reorder);
    } else if (key == "reorder_delay") {
      st = dur(c.reorder_delay);
      if (st.ok() && c.reorder_delay < 1) st = Bad(item, "reorder_delay must be >= 1us");
    } else if (key == "base_delay") {
      st = dur(c.base_delay);
    } else if (key == "jitter") {
      st = dur(c.jitter);
      if (c.jitter_dist == JitterDist::kNone) c.jitter_dist = JitterDist::kUniform;
    } else if (key == "jitter_dist") {
      if (v == "none") c.jitter_dist = JitterDist::kNone;
      else if (v == "uniform") c.jitter_dist = JitterDist::kUniform;
      else if (v == "exponential") c.jitter_dist = JitterDist::kExponential;
      else if (v == "pareto") c.jitter_dist = JitterDist::kPareto;
      else st = Bad(item, "jitter_dist must be none, uniform, exponential or pareto");
    } else if (key == "jitter_cap") {
      st = dur(c.jitter_cap);
    } else if (key == "pareto_alpha") {
      auto x = Number(v, 0.01, 100.0, false);
      if (!x) st = Bad(item, "pareto_alpha must be a number in [0.01, 100]");
      else c.pareto_alpha = *x;
    } else if (key == "burst") {
      const auto slash = v.find('/');
      auto a = slash == std::string_view::npos ? std::nullopt : Number(v.substr(0, slash), 0.0, 1.0, true);
      auto b = slash == std::string_view::npos ? std::nullopt : Number(v.substr(slash + 1), 0.0, 1.0, true);
      if (!a || !b) {
        st = Bad(item, "burst=P_GOOD_BAD/P_BAD_GOOD (two probabilities)");
      } else {
        c.burst.enabled = true;
        c.burst.p_good_bad = *a;
        c.burst.p_bad_good = *b;
      }
    } else if (key == "corrupt") {
      st = prob(c.corrupt);
    } else if (key == "corrupt_max_bits") {
      st = uns(4, c.corrupt_max_bits);
      if (st.ok() && c.corrupt_max_bits < 1) st = Bad(item, "corrupt_max_bits must be 1..4");
    } else if (key == "mtu") {
      st = uns(65535, c.mtu);
    } else if (key == "bandwidth_bps") {
      st = uns(UINT64_MAX / 2, c.bandwidth_bps);
    } else if (key == "queue_limit_bytes") {
      st = uns(UINT64_MAX / 2, c.queue_limit_bytes);
    } else if (key == "split") {
      if (v == "1" || v == "true") f.streams.random_split = true;
      else if (v == "0" || v == "false") f.streams.random_split = false;
      else st = Bad(item, "split must be 0 or 1");
    } else if (key == "segment") {
      st = uns(65535, f.streams.segment_max);
      if (st.ok() && f.streams.segment_max < 1) st = Bad(item, "segment must be 1..65535");
    } else if (key == "coalesce") {
      st = prob(f.streams.coalesce);
    } else if (key == "coalesce_hold") {
      st = dur(f.streams.coalesce_hold);
    } else if (key == "reset") {
      st = prob(f.streams.reset);
    } else if (key == "stall_reset") {
      st = dur(f.streams.stall_reset_after);
    } else if (key == "connect_timeout") {
      st = dur(f.streams.connect_timeout);
    } else if (repeatable) {
      const auto dash = v.find('-');
      auto a = dash == std::string_view::npos ? std::nullopt : ParseDurationText(Trim(v.substr(0, dash)));
      auto b = dash == std::string_view::npos ? std::nullopt : ParseDurationText(Trim(v.substr(dash + 1)));
      if (!a || !b || *b <= *a) {
        st = Bad(item, "expected START-END with START < END, e.g. 2s-4s");
      } else {
        f.windows.push_back({key == "clog" ? FaultWindow::Kind::kClog : FaultWindow::Kind::kPartition, *a, *b});
      }
    } else {
      st = Bad(item,
               "unknown key (link: loss dup dup_spread reorder reorder_delay delay jitter jitter_dist jitter_cap "
               "pareto_alpha burst corrupt corrupt_max_bits mtu bandwidth_bps queue_limit_bytes; streams: split "
               "segment coalesce coalesce_hold reset stall_reset connect_timeout; windows: partition clog)");
    }
    if (!st.ok()) return st;
  }
  return f;
}

TimeUs WorstDelay(const LinkConfig& c) {
  TimeUs j = 0;
  if (c.jitter_dist == JitterDist::kUniform) j = c.jitter;
  if (c.jitter_dist == JitterDist::kExponential || c.jitter_dist == JitterDist::kPareto) {
    j = std::min<TimeUs>(c.jitter_cap, 4 * c.jitter);  // the tail beyond 4x is rare; capped anyway
  }
  return c.base_delay + j + (c.reorder > 0 ? c.reorder_delay : 0) + (c.duplicate > 0 ? c.duplicate_spread : 0);
}

Status ApplyFaultSpec(World& w, NodeId a, NodeId b, const FaultSpec& spec) {
  if (Status s = w.SetLinkBoth(a, b, spec.link); !s.ok()) return s;
  for (const FaultWindow& win : spec.windows) {
    Status s = win.kind == FaultWindow::Kind::kClog ? w.Clog(a, b, win.start, win.end)
                                                    : w.Partition({a}, {b}, win.start, win.end, true);
    if (s.ok() && win.kind == FaultWindow::Kind::kClog) s = w.Clog(b, a, win.start, win.end);
    if (!s.ok()) return s;
  }
  return Status();
}

}  // namespace mcpsim::sim
