// The options of `mcpsim serve` (net/server.h): role names, the YAML config
// file, the abuse limits (--limit NAME=VALUE). The server itself is
// server.cc.
#include <algorithm>
#include <charconv>

#include <yaml-cpp/yaml.h>

#include "host/host.h"
#include "net/server.h"

namespace mcpsim::net {

const std::vector<std::string>& KnownRoles() {
  static const std::vector<std::string> roles = {"dp", "rs", "cs", "ms", "sg"};
  return roles;
}

bool RoleAvailable(const std::string& role) {
  return role == "dp" || role == "rs" || role == "cs" || role == "ms" || role == "sg";
}

Status ParseRoles(const std::string& list, std::set<std::string>& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    const std::string name = list.substr(pos, comma - pos);
    pos = comma + 1;
    if (name.empty()) continue;
    if (std::find(KnownRoles().begin(), KnownRoles().end(), name) == KnownRoles().end()) {
      return Status::Error("NET-7", "unknown role '" + name + "' (known: dp,rs,cs,ms,sg)");
    }
    if (!RoleAvailable(name)) return Status::Error("NET-7", "role '" + name + "' is not available in this build");
    out.insert(name);
  }
  if (out.empty()) return Status::Error("NET-7", "no role given");
  return {};
}

Status LoadServerConfig(const std::string& path, ServerOptions& o) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (auto dp = root["dp"]) {
      if (dp["min_version"]) o.min_version = dp["min_version"].as<std::string>();
      if (dp["latest_version"]) o.latest_version = dp["latest_version"].as<std::string>();
      if (dp["update_url"]) o.update_url = dp["update_url"].as<std::string>();
    }
    if (auto rs = root["rs"]; rs && rs["captcha_format"]) {
      const auto name = rs["captcha_format"].as<std::string>();
      const auto f = reference::ParseCaptchaFormat(name);
      if (!f) return Status::Error("NET-8", path + ": rs.captcha_format must be png, png-deflate or pgm");
      o.captcha_format = *f;
    }
    if (auto rs = root["rs"]; rs && rs["password_cost"]) {
      const auto cost = rs["password_cost"].as<std::string>();
      if (cost == "minimal") {
        o.password_cost = reference::PasswordCost::Minimal();
      } else if (cost == "default") {
        o.password_cost = {};
      } else {
        return Status::Error("NET-8", path + ": rs.password_cost must be default or minimal");
      }
    }
    if (auto cs = root["cs"]) {
      if (cs["rate_per_s"]) o.cs_rate_per_s = cs["rate_per_s"].as<std::uint32_t>();
      if (cs["burst"]) o.cs_burst = cs["burst"].as<std::uint32_t>();
    }
    if (auto ads = root["ads"]) {
      o.ads.clear();
      for (const auto& a : ads) {
        AdSpec s;
        if (a["slot"]) s.slot = a["slot"].as<std::string>();
        if (a["ad_id"]) s.ad_id = a["ad_id"].as<std::string>();
        if (a["media_id"]) s.media_id = a["media_id"].as<std::string>();
        if (a["click_url"]) s.click_url = a["click_url"].as<std::string>();
        o.ads.push_back(s);
      }
    }
  } catch (const std::exception& e) {
    return Status::Error("NET-8", path + ": " + e.what());
  }
  return {};
}

ServerLimits::ServerLimits() {
  const reference::SgConfig sg;
  const reference::RsConfig rs;
  const reference::CsConfig cs;
  rat_address = sg.rat_per_address;
  rat_account = sg.rat_per_account;
  login_backoff = sg.login_backoff;
  rap_address = rs.rap_per_address;
  reg_address = rs.reg_per_address;
  rs_sessions = rs.max_sessions;
  cs_address = cs.per_address;
  cs_mid = cs.per_mid;
  pending_work = sg.server.max_parked;
  work_per_address = sg.server.max_parked_per_address;
  const host::HostLimits h;
  http_header = h.http_header_timeout;
  http_body = h.http_body_timeout;
  tcp_first_answer = h.tcp_first_answer_timeout;
}

namespace {
struct LimitName {
  const char* name;
  const char* meaning;
};
constexpr LimitName kLimitNames[] = {
    {"rat-address", "RAT per source address, RATE/BURST (RATE-4)"},
    {"rat-account", "RAT per account name, RATE/BURST (RATE-4)"},
    {"login-backoff", "free failures/first wait ms/max wait ms, or off (RATE-5)"},
    {"rap-address", "RAP per source address, RATE/BURST (RATE-6)"},
    {"reg-address", "REG per source address, RATE/BURST (RATE-6)"},
    {"rs-sessions", "registration sessions kept, oldest evicted (RATE-7)"},
    {"cs-address", "RUP/RAD per source address, RATE/BURST (RATE-8)"},
    {"cs-mid", "RUP/RAD per MID, RATE/BURST (RATE-8)"},
    {"pending-work", "requests waiting for a password hash per role; more get 502 (LIM-23)"},
    {"work-per-address", "of them from one source address; more get 403 (RATE-10)"},
    {"workers", "password-hashing threads; 0 = hash on the loop thread (no threads: for the interposer)"},
    {"tcp-conns", "open TCP connections; at the cap the idlest is closed (TCP-11)"},
    {"http-conns", "open HTTP connections; at the cap the idlest is closed (TCP-11)"},
    {"conns-per-address", "connections per source address and listener; more are closed (TCP-11)"},
    {"http-header-ms", "time to send the request head, else 408 (HTTP-16)"},
    {"http-body-ms", "time to send the body after the head, else 408 (HTTP-16)"},
    {"tcp-first-answer-ms", "time until a TCP connection's first answer, else reset (TCP-10)"},
    {"udp-address", "UDP datagrams per source address, RATE/BURST; more are dropped unparsed (RATE-11)"},
};

bool ParseCount(std::string_view v, std::size_t& out, std::size_t lo, std::size_t hi) {
  std::size_t n = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size() || n < lo || n > hi) return false;
  out = n;
  return true;
}
}  // namespace

Status ApplyLimit(std::string_view text, ServerLimits& l) {
  if (text == "off") {
    l.rat_address = l.rat_account = l.rap_address = l.reg_address = l.cs_address = l.cs_mid = {};
    l.udp_address = {};
    l.login_backoff.base = 0;
    l.work_per_address = 1u << 20;  // RATE-10 off: only LIM-23's total bounds the waiting
    return {};
  }
  const auto eq = text.find('=');
  const std::string_view name = text.substr(0, eq), v = eq == std::string_view::npos ? "" : text.substr(eq + 1);
  auto bad = [&] { return Status::Error("NET-10", "--limit " + std::string(text) + ": bad value"); };
  reference::RateSpec* rate = name == "rat-address"   ? &l.rat_address
                              : name == "rat-account" ? &l.rat_account
                              : name == "rap-address" ? &l.rap_address
                              : name == "reg-address" ? &l.reg_address
                              : name == "cs-address"  ? &l.cs_address
                              : name == "cs-mid"      ? &l.cs_mid
                              : name == "udp-address" ? &l.udp_address
                                                      : nullptr;
  if (rate) return reference::ParseRateSpec(v, *rate) ? Status{} : bad();
  if (name == "rs-sessions") return ParseCount(v, l.rs_sessions, 1, 1u << 24) ? Status{} : bad();
  if (name == "pending-work") return ParseCount(v, l.pending_work, 1, 1u << 20) ? Status{} : bad();
  if (name == "work-per-address") return ParseCount(v, l.work_per_address, 1, 1u << 20) ? Status{} : bad();
  if (name == "workers") return ParseCount(v, l.workers, 0, 64) ? Status{} : bad();
  if (name == "tcp-conns") return ParseCount(v, l.tcp_conns, 1, 1u << 20) ? Status{} : bad();
  if (name == "http-conns") return ParseCount(v, l.http_conns, 1, 1u << 20) ? Status{} : bad();
  if (name == "conns-per-address") return ParseCount(v, l.conns_per_address, 1, 1u << 20) ? Status{} : bad();
  for (auto [n, field] : {std::pair<const char*, TimeUs*>{"http-header-ms", &l.http_header},
                          {"http-body-ms", &l.http_body},
                          {"tcp-first-answer-ms", &l.tcp_first_answer}}) {
    if (name != n) continue;
    std::size_t ms = 0;
    if (!ParseCount(v, ms, 1, 86400000)) return bad();
    *field = static_cast<TimeUs>(ms) * kMillis;
    return {};
  }
  if (name == "login-backoff") {
    if (v == "off") {
      l.login_backoff.base = 0;
      return {};
    }
    std::size_t f = 0, base = 0, max = 0;
    const auto s1 = v.find('/'), s2 = s1 == std::string_view::npos ? s1 : v.find('/', s1 + 1);
    if (s2 == std::string_view::npos || !ParseCount(v.substr(0, s1), f, 0, 1000) ||
        !ParseCount(v.substr(s1 + 1, s2 - s1 - 1), base, 1, 86400000) ||
        !ParseCount(v.substr(s2 + 1), max, base, 86400000)) {
      return bad();
    }
    l.login_backoff = {static_cast<std::uint32_t>(f), static_cast<TimeUs>(base) * kMillis,
                       static_cast<TimeUs>(max) * kMillis};
    return {};
  }
  std::string names;
  for (const LimitName& n : kLimitNames) names += std::string(names.empty() ? "" : ", ") + n.name;
  return Status::Error("NET-10", "--limit: unknown limit '" + std::string(name) + "' (known: " + names + ", off)");
}

std::string DescribeLimits(const ServerLimits& l) {
  auto value = [&](std::string_view name) -> std::string {
    if (name == "rat-address") return reference::FormatRateSpec(l.rat_address);
    if (name == "rat-account") return reference::FormatRateSpec(l.rat_account);
    if (name == "rap-address") return reference::FormatRateSpec(l.rap_address);
    if (name == "reg-address") return reference::FormatRateSpec(l.reg_address);
    if (name == "cs-address") return reference::FormatRateSpec(l.cs_address);
    if (name == "cs-mid") return reference::FormatRateSpec(l.cs_mid);
    if (name == "udp-address") return reference::FormatRateSpec(l.udp_address);
    if (name == "rs-sessions") return std::to_string(l.rs_sessions);
    if (name == "pending-work") return std::to_string(l.pending_work);
    if (name == "work-per-address") return std::to_string(l.work_per_address);
    if (name == "workers") return std::to_string(l.workers);
    if (name == "tcp-conns") return std::to_string(l.tcp_conns);
    if (name == "http-conns") return std::to_string(l.http_conns);
    if (name == "conns-per-address") return std::to_string(l.conns_per_address);
    if (name == "http-header-ms") return std::to_string(l.http_header / kMillis);
    if (name == "http-body-ms") return std::to_string(l.http_body / kMillis);
    if (name == "tcp-first-answer-ms") return std::to_string(l.tcp_first_answer / kMillis);
    if (!l.login_backoff.on()) return "off";
    return std::to_string(l.login_backoff.free_failures) + "/" + std::to_string(l.login_backoff.base / kMillis) +
           "/" + std::to_string(l.login_backoff.max / kMillis);
  };
  std::string out;
  for (const LimitName& n : kLimitNames) {
    std::string lhs = std::string(n.name) + "=" + value(n.name);
    lhs.resize(std::max<std::size_t>(lhs.size() + 2, 26), ' ');
    out += "  " + lhs + n.meaning + "\n";
  }
  return out;
}

}  // namespace mcpsim::net
