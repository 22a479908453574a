#include "scenarios/yaml_util.h"

#include "sim/fault_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cctype>

namespace mcpsim::scenarios::yaml {

namespace {
const char* kLinkKeys[] = {"base_delay", "jitter",   "jitter_dist",      "pareto_alpha",
                           "jitter_cap", "loss",     "burst",            "duplicate",
                           "duplicate_spread", "reorder", "reorder_delay", "bandwidth_bps",
                           "queue_limit_bytes", "mtu", "corrupt", "corrupt_max_bits"};

bool IsLinkKey(const std::string& k) {
  return std::find(std::begin(kLinkKeys), std::end(kLinkKeys), k) != std::end(kLinkKeys);
}
}  // namespace

void YamlCtx::Fail(const YAML::Node& at, const std::string& message) {
  const YAML::Mark m = at.Mark();
  FailAt(m.line + 1, m.column + 1, message);
}

void YamlCtx::FailAt(int line, int col, const std::string& message) {
  if (!error_.empty()) return;
  error_ = file_ + ":" + std::to_string(std::max(line, 0)) + ":" + std::to_string(std::max(col, 0)) +
           ": " + message;
}

bool YamlCtx::CheckKeys(const YAML::Node& map, std::initializer_list<const char*> allowed,
                        const std::string& what) {
  if (!map.IsMap()) {
    Fail(map, what + " must be a mapping");
    return false;
  }
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      Fail(kv.first, what + ": keys must be plain names");
      return false;
    }
    const std::string k = kv.first.Scalar();
    bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; });
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      Fail(kv.first, "unknown key '" + k + "' in " + what + " (allowed: " + list + ")");
      return false;
    }
  }
  return true;
}

std::optional<std::string> YamlCtx::StrOf(const YAML::Node& n) {
  if (!n.IsScalar()) {
    Fail(n, "expected a string");
    return std::nullopt;
  }
  return n.Scalar();
}

void YamlCtx::Str(const YAML::Node& map, const char* key, std::string& out) {
  const YAML::Node n = map[key];
  if (!n) return;
  if (auto s = StrOf(n)) out = *s;
}

std::optional<std::int64_t> YamlCtx::IntOf(const YAML::Node& n, std::int64_t lo, std::int64_t hi) {
  if (!n.IsScalar()) {
    Fail(n, "expected an integer");
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0) {
    Fail(n, "expected an integer, got '" + s + "'");
    return std::nullopt;
  }
  if (v < lo || v > hi) {
    Fail(n, "value " + s + " out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return std::nullopt;
  }
  return v;
}

void YamlCtx::Int(const YAML::Node& map, const char* key, std::int64_t lo, std::int64_t hi,
                  std::int64_t& out) {
  const YAML::Node n = map[key];
  if (!n) return;
  if (auto v = IntOf(n, lo, hi)) out = *v;
}

void YamlCtx::Bool(const YAML::Node& map, const char* key, bool& out) {
  const YAML::Node n = map[key];
  if (!n) return;
  if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false")) {
    Fail(n, std::string("'") + key + "' must be true or false");
    return;
  }
  out = n.Scalar() == "true";
}

void YamlCtx::Real(const YAML::Node& map, const char* key, double lo, double hi, double& out) {
  const YAML::Node n = map[key];
  if (!n) return;
  if (!n.IsScalar()) return Fail(n, std::string("'") + key + "' must be a number");
  std::string s = n.Scalar();
  double scale = 1.0;
  if (!s.empty() && s.back() == '%') {
    s.pop_back();
    scale = 0.01;
  }
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v)) {
    return Fail(n, std::string("'") + key + "' must be a number, got '" + n.Scalar() + "'");
  }
  if (v * scale < lo || v * scale > hi) {
    return Fail(n, std::string("'") + key + "' out of range [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]");
  }
  out = v * scale;
}

void YamlCtx::Prob(const YAML::Node& map, const char* key, double& out) {
  Real(map, key, 0.0, 1.0, out);
}

std::optional<TimeUs> ParseDuration(const std::string& s) { return sim::ParseDurationText(s); }

std::string FormatReal(double v) {
  char buf[40];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string FormatDuration(TimeUs t) {
  if (t == 0) return "0";
  if (t % (60 * kSeconds) == 0) return std::to_string(t / (60 * kSeconds)) + "m";
  if (t % kSeconds == 0) return std::to_string(t / kSeconds) + "s";
  if (t % kMillis == 0) return std::to_string(t / kMillis) + "ms";
  return std::to_string(t) + "us";
}

std::optional<TimeUs> YamlCtx::DurationOf(const YAML::Node& n) {
  if (!n.IsScalar()) {
    Fail(n, "expected a duration (e.g. 250ms, 5s, 2m)");
    return std::nullopt;
  }
  auto d = ParseDuration(n.Scalar());
  if (!d) Fail(n, "bad duration '" + n.Scalar() + "' (use e.g. 500us, 250ms, 1.5s, 2m)");
  return d;
}

void YamlCtx::Duration(const YAML::Node& map, const char* key, TimeUs& out) {
  const YAML::Node n = map[key];
  if (!n) return;
  if (auto d = DurationOf(n)) out = *d;
}

std::vector<std::string> YamlCtx::StrList(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& e : n) {
      if (auto s = StrOf(e)) out.push_back(*s);
    }
  } else {
    Fail(n, "expected a name or a list of names");
  }
  return out;
}

sim::LinkConfig YamlCtx::Link(const YAML::Node& map, sim::LinkConfig c,
                              std::initializer_list<const char*> extra_keys) {
  if (!map.IsMap()) {
    Fail(map, "a link model must be a mapping");
    return c;
  }
  for (const auto& kv : map) {
    const std::string k = kv.first.Scalar();
    bool extra = std::any_of(extra_keys.begin(), extra_keys.end(), [&](const char* e) { return k == e; });
    if (!extra && !IsLinkKey(k)) {
      std::string list;
      for (const char* a : kLinkKeys) list += (list.empty() ? "" : ", ") + std::string(a);
      for (const char* a : extra_keys) list += ", " + std::string(a);
      Fail(kv.first, "unknown key '" + k + "' in link model (allowed: " + list + ")");
      return c;
    }
  }
  Duration(map, "base_delay", c.base_delay);
  if (map["jitter"]) {
    Duration(map, "jitter", c.jitter);
    if (c.jitter_dist == sim::JitterDist::kNone) c.jitter_dist = sim::JitterDist::kUniform;
  }
  if (const YAML::Node d = map["jitter_dist"]) {
    const std::string s = d.IsScalar() ? d.Scalar() : "";
    if (s == "none") c.jitter_dist = sim::JitterDist::kNone;
    else if (s == "uniform") c.jitter_dist = sim::JitterDist::kUniform;
    else if (s == "exponential") c.jitter_dist = sim::JitterDist::kExponential;
    else if (s == "pareto") c.jitter_dist = sim::JitterDist::kPareto;
    else Fail(d, "jitter_dist must be none, uniform, exponential or pareto");
  }
  Real(map, "pareto_alpha", 0.01, 100.0, c.pareto_alpha);
  Duration(map, "jitter_cap", c.jitter_cap);
  Prob(map, "loss", c.loss);
  if (const YAML::Node b = map["burst"]) {
    if (CheckKeys(b, {"p_good_bad", "p_bad_good", "loss_good", "loss_bad"}, "burst")) {
      c.burst.enabled = true;
      Prob(b, "p_good_bad", c.burst.p_good_bad);
      Prob(b, "p_bad_good", c.burst.p_bad_good);
      Prob(b, "loss_good", c.burst.loss_good);
      Prob(b, "loss_bad", c.burst.loss_bad);
    }
  }
  Prob(map, "duplicate", c.duplicate);
  Duration(map, "duplicate_spread", c.duplicate_spread);
  Prob(map, "reorder", c.reorder);
  Duration(map, "reorder_delay", c.reorder_delay);
  if (map["reorder_delay"] && c.reorder_delay < 1) Fail(map["reorder_delay"], "reorder_delay must be >= 1us");
  std::int64_t v = static_cast<std::int64_t>(c.bandwidth_bps);
  Int(map, "bandwidth_bps", 0, INT64_MAX, v);
  c.bandwidth_bps = static_cast<std::uint64_t>(v);
  v = static_cast<std::int64_t>(c.queue_limit_bytes);
  Int(map, "queue_limit_bytes", 0, INT64_MAX, v);
  c.queue_limit_bytes = static_cast<std::uint64_t>(v);
  v = c.mtu;
  Int(map, "mtu", 0, 65535, v);
  c.mtu = static_cast<std::uint32_t>(v);
  Prob(map, "corrupt", c.corrupt);
  v = c.corrupt_max_bits;
  Int(map, "corrupt_max_bits", 1, 4, v);
  c.corrupt_max_bits = static_cast<std::uint32_t>(v);
  return c;
}

void EmitLink(YAML::Emitter& out, const sim::LinkConfig& c) {
  const sim::LinkConfig d;
  auto dur = [&](const char* k, TimeUs v, TimeUs dv) {
    if (v != dv) out << YAML::Key << k << YAML::Value << FormatDuration(v);
  };
  auto num = [&](const char* k, double v, double dv) {
    if (v != dv) out << YAML::Key << k << YAML::Value << FormatReal(v);
  };
  auto integer = [&](const char* k, std::uint64_t v, std::uint64_t dv) {
    if (v != dv) out << YAML::Key << k << YAML::Value << std::to_string(v);
  };
  dur("base_delay", c.base_delay, d.base_delay);
  if (c.jitter_dist != d.jitter_dist) {
    static const char* names[] = {"none", "uniform", "exponential", "pareto"};
    out << YAML::Key << "jitter_dist" << YAML::Value << names[static_cast<int>(c.jitter_dist)];
  }
  dur("jitter", c.jitter, d.jitter);
  num("pareto_alpha", c.pareto_alpha, d.pareto_alpha);
  dur("jitter_cap", c.jitter_cap, d.jitter_cap);
  num("loss", c.loss, d.loss);
  if (c.burst.enabled) {
    out << YAML::Key << "burst" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "p_good_bad" << YAML::Value << FormatReal(c.burst.p_good_bad);
    out << YAML::Key << "p_bad_good" << YAML::Value << FormatReal(c.burst.p_bad_good);
    out << YAML::Key << "loss_good" << YAML::Value << FormatReal(c.burst.loss_good);
    out << YAML::Key << "loss_bad" << YAML::Value << FormatReal(c.burst.loss_bad);
    out << YAML::EndMap;
  }
  num("duplicate", c.duplicate, d.duplicate);
  dur("duplicate_spread", c.duplicate_spread, d.duplicate_spread);
  num("reorder", c.reorder, d.reorder);
  dur("reorder_delay", c.reorder_delay, d.reorder_delay);
  integer("bandwidth_bps", c.bandwidth_bps, 0);
  integer("queue_limit_bytes", c.queue_limit_bytes, 0);
  integer("mtu", c.mtu, 0);
  num("corrupt", c.corrupt, d.corrupt);
  integer("corrupt_max_bits", c.corrupt_max_bits, d.corrupt_max_bits);
}

}  // namespace mcpsim::scenarios::yaml
