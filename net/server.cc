#include "net/server.h"

#include <charconv>
#include <chrono>

#include <yaml-cpp/yaml.h>

#include <boost/asio/ssl/context.hpp>

#include "host/host.h"
#include "net/cluster_node.h"
#include "net/asio_env.h"
#include "net/front.h"
#include "net/udps_env.h"
#include "reference/deploy/deployment.h"
#include "reference/roles/uri.h"

namespace mcpsim::net {

using reference::FormatUri;

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

std::string ListenerInfo::Line() const {
  std::string host = endpoint.ToString();  // "1.2.3.4:5" or "[::1]:5"
  return "listening " + scheme + "://" + host + " " + roles;
}

namespace {
// CLU-9: SharedIds over the registry's database sequences.
class ClusterIds final : public reference::SharedIds {
 public:
  explicit ClusterIds(reference::Cluster& db) : db_(db) {}
  Result<std::uint64_t> Next(Counter c) override {
    return db_.NextId(c == Counter::kCall ? "call" : c == Counter::kTransfer ? "transfer" : "voice");
  }

 private:
  reference::Cluster& db_;
};
}  // namespace

struct Server::Impl {
  Env& env;
  AsioEnv* real = nullptr;  // set when hosted on real sockets (bind address, TLS)
  ServerOptions o;
  std::unique_ptr<reference::Deployment> deploy;  // the store and the roles
  std::unique_ptr<UdpsEnv> udps;
  std::unique_ptr<boost::asio::ssl::context> tls;
  FrontRoutes routes;
  std::unique_ptr<FrontRole> front;
  std::unique_ptr<reference::Role> wrapped;  // o.wrap_front's decorator, if any
  std::unique_ptr<RelayOut> relay_out;       // an SG with --sg-id: relays leave first (CLU-10)
  std::unique_ptr<host::RoleHost> host;
  std::vector<ListenerInfo> listeners;
  std::unique_ptr<ClusterNode> cluster;  // last: gone first (leaves the registry)
  // CLU-9: the SG's callId/transferId/voiceId from the cluster's sequences
  // (set on the back end, which is idle by the time these two go).
  std::unique_ptr<reference::SharedIds> shared_ids;

  Impl(Env& e, AsioEnv* r, ServerOptions opts) : env(e), real(r), o(std::move(opts)) {}
  bool Has(const char* role) const { return o.roles.count(role) > 0; }
  std::string Join(std::initializer_list<const char*> roles) const {
    std::string s;
    for (const char* r : roles) {
      if (Has(r)) s += (s.empty() ? "" : ",") + std::string(r);
    }
    return s;
  }
  Status Open(const char* scheme, const ListenSpec& spec, std::string roles, host::HostPorts ports);
};

namespace {
// What `serve` gives the deployment: its limits in the base configs, the
// config file's versions and CS rate, the mutants' tweaks.
reference::DeploymentOptions DeploymentFor(const ServerOptions& o, std::int64_t epoch_ms) {
  reference::DeploymentOptions d;
  d.seed = o.seed;
  d.password_cost = o.password_cost;
  d.cs_rate_per_s = o.cs_rate_per_s;
  d.cs_burst = o.cs_burst;
  reference::RsConfig& rsc = d.rs;
  rsc.rap_per_address = o.limits.rap_address;
  rsc.reg_per_address = o.limits.reg_address;
  rsc.max_sessions = o.limits.rs_sessions;
  rsc.server.max_parked = o.limits.pending_work;
  rsc.server.max_parked_per_address = o.limits.work_per_address;
  rsc.captcha_format = o.captcha_format;
  rsc.test_disclose_captcha = o.test_hooks;  // TEST-1
  reference::SgConfig& sgc = d.sg;
  // RPN timestamps are wall-clock milliseconds (SG-OFF); the role itself
  // only sees the Env's monotonic `now`.
  sgc.epoch_ms = epoch_ms;
  sgc.rat_per_address = o.limits.rat_address;
  sgc.rat_per_account = o.limits.rat_account;
  sgc.login_backoff = o.limits.login_backoff;
  sgc.server.max_parked = o.limits.pending_work;
  sgc.server.max_parked_per_address = o.limits.work_per_address;
  d.cs.per_address = o.limits.cs_address;
  d.cs.per_mid = o.limits.cs_mid;
  d.dp.min_version = o.min_version;
  d.dp.latest_version = o.latest_version;
  d.dp.update_url = o.update_url;
  d.tweak_rs = o.tweak_rs;
  d.tweak_sg = o.tweak_sg;
  d.tweak_cs = o.tweak_cs;
  d.tweak_dp = o.tweak_dp;
  // CLU-10: this SG shares its users with other SG processes.
  if (o.sg_id && o.roles.count("sg") && reference::IsPostgresUri(o.db)) d.sg_relay_ids = {*o.sg_id};
  return d;
}
}  // namespace

Status Server::Impl::Open(const char* scheme, const ListenSpec& spec, std::string roles, host::HostPorts ports) {
  if (roles.empty()) return Status::Error("NET-7", std::string("--") + scheme + ": none of its roles is enabled");
  if (real) {
    if (Status s = real->SetBindAddress(spec.host); !s.ok()) return s;
    // TCP-11: separate caps per listener, one per-address share.
    real->SetListenLimits({ports.tcp ? o.limits.tcp_conns : o.limits.http_conns, o.limits.conns_per_address});
  }
  Status started = host->Start(ports);
  if (real) real->SetListenLimits({});
  if (!started.ok()) return started;
  Endpoint ep = ports.udp ? host->udp_endpoint() : ports.tcp ? host->tcp_endpoint() : host->http_endpoint();
  if (std::string(scheme) == "udps" && udps) ep = udps->encrypted_endpoint();
  listeners.push_back({scheme, ep, std::move(roles)});
  return {};
}

Result<std::unique_ptr<Server>> Server::Start(AsioEnv& env, ServerOptions options) {
  return Launch(std::make_unique<Impl>(env, &env, std::move(options)));
}

Result<std::unique_ptr<Server>> Server::StartOn(Env& env, ServerOptions options) {
  if (options.https) return Status::Error("NET-9", "https needs real sockets");
  return Launch(std::make_unique<Impl>(env, nullptr, std::move(options)));
}

Result<std::unique_ptr<Server>> Server::Launch(std::unique_ptr<Impl> m) {
  Env& env = m->env;
  ServerOptions& o = m->o;
  const std::int64_t epoch_ms =
      o.epoch_ms ? *o.epoch_ms
                 : std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                           .count() -
                       env.Now() / kMillis;
  auto deploy = reference::Deployment::Open(DeploymentFor(o, epoch_ms), o.db);
  if (!deploy.ok()) return deploy.status();
  m->deploy = std::move(*deploy);
  reference::Deployment& d = *m->deploy;
  using reference::ServerRole;

  Env* role_env = &env;
  if (o.udps) {
    if (o.udp && o.udp->host != o.udps->host) return Status::Error("NET-1", "--udp and --udps must use the same host");
    if (o.keys.empty()) return Status::Error("ENC-2", "--udps needs a key file with at least one key");
    UdpsOptions u;
    u.keys = o.keys;
    u.plain = o.udp.has_value();
    if (u.plain) u.encrypted_port = o.udps->port;
    m->udps = std::make_unique<UdpsEnv>(env, u);
    role_env = m->udps.get();
  }
  if (o.https) {
    namespace ssl = boost::asio::ssl;
    m->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    m->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    m->tls->use_certificate_chain_file(o.cert_file, ec);
    if (!ec) m->tls->use_private_key_file(o.key_file, ssl::context::pem, ec);
    if (ec) return Status::Error("NET-9", "TLS certificate/key: " + ec.message());
  }

  if (m->Has("rs")) {
    d.Build(ServerRole::kRs);
    m->routes.rs = d.rs();
  }
  if (m->Has("ms")) {
    d.Build(ServerRole::kMs);
    m->routes.ms = d.ms();
  }
  if (m->Has("sg")) {
    d.Build(ServerRole::kSg);
    m->routes.sg = d.sg();
  }
  m->front = std::make_unique<FrontRole>(m->routes);
  if (o.wrap_front) m->wrapped = o.wrap_front(*m->front);
  reference::Role* hosted = m->wrapped ? m->wrapped.get() : static_cast<reference::Role*>(m->front.get());
  if (!d.options().sg_relay_ids.empty()) {
    // CLU-10: this SG shares its users with other SG processes.
    m->relay_out = std::make_unique<RelayOut>(*hosted, *d.backend());
    hosted = m->relay_out.get();
  }
  m->host = std::make_unique<host::RoleHost>(*role_env, *hosted);
  host::HostLimits hl;
  hl.http_header_timeout = o.limits.http_header;
  hl.http_body_timeout = o.limits.http_body;
  hl.tcp_first_answer_timeout = o.limits.tcp_first_answer;
  hl.http_max_body = o.test_http_max_body;
  hl.http_reject_conflicting_length = o.test_http_reject_conflicting_length;
  hl.http_reclaim_on_peer_close = o.test_http_reclaim_on_peer_close;
  hl.http_head_too_large_431 = o.test_http_head_too_large_431;
  m->host->SetLimits(hl);
  // Group commit: each receive burst of datagrams is one store transaction,
  // committed (WAL, synchronous=FULL) before any of its answers is sent.
  m->host->SetBatchStore(&d.store(ServerRole::kSg));

  // Streams first: their addresses go into the CS catalog and the DP answers.
  if (o.tcp) {
    if (Status s = m->Open("tcp", *o.tcp, m->Join({"rs", "sg"}), {std::nullopt, o.tcp->port, std::nullopt}); !s.ok()) return s;
  }
  if (o.http) {
    if (Status s = m->Open("http", *o.http, m->Join({"dp", "rs", "ms", "sg"}), {std::nullopt, std::nullopt, o.http->port}); !s.ok()) return s;
  }
  if (o.https) {
    m->real->SetListenTls(m->tls.get());
    Status s = m->Open("https", *o.https, m->Join({"dp", "rs", "ms", "sg"}), {std::nullopt, std::nullopt, o.https->port});
    m->real->SetListenTls(nullptr);
    if (!s.ok()) return s;
  }
  reference::DeploymentAddresses where;
  for (const ListenerInfo& l : m->listeners) {
    const bool web = l.scheme == "http" || l.scheme == "https";
    if (m->Has("rs")) {
      const std::string uri = FormatUri(l.scheme, l.endpoint, web ? "/mcp" : "");
      where.rs_uris += (where.rs_uris.empty() ? "" : ",") + uri;
    }
    if (web && m->Has("ms") && where.ms_base.empty()) where.ms_base = FormatUri(l.scheme, l.endpoint);
  }

  if (m->Has("cs")) {
    // A restart keeps the banners the store has; the first start generates them.
    auto ads = d.SeedAds(o.ads, where.ms_base, /*keep_existing=*/true);
    if (!ads.ok()) return ads.status();
    if (!where.ms_base.empty()) d.SetCatalog(std::move(*ads));
    d.Build(ServerRole::kCs);
    m->routes.cs = d.cs();
    m->front->SetRoutes(m->routes);
  }
  const std::string udp_roles = m->Join({"cs", "sg"});
  if (o.udp) {
    if (Status s = m->Open("udp", *o.udp, udp_roles, {o.udp->port, std::nullopt, std::nullopt}); !s.ok()) return s;
    if (o.udps) m->listeners.push_back({"udps", m->udps->encrypted_endpoint(), udp_roles});
  } else if (o.udps) {
    if (Status s = m->Open("udps", *o.udps, udp_roles, {o.udps->port, std::nullopt, std::nullopt}); !s.ok()) return s;
  }

  for (const ListenerInfo& l : m->listeners) {  // ARCH-4 list of this process's SG
    if (!m->Has("sg") || l.scheme == "https") continue;
    const bool web = l.scheme == "http";
    where.sg_uris += (where.sg_uris.empty() ? "" : ",") + FormatUri(l.scheme, l.endpoint, web ? "/mcp" : "");
  }
  if (m->Has("dp")) {
    for (const ListenerInfo& l : m->listeners) {
      if ((l.scheme == "udp" || l.scheme == "udps") && m->Has("cs")) {
        where.cs_uris += (where.cs_uris.empty() ? "" : ",") + FormatUri(l.scheme, l.endpoint);
      }
    }
    d.SetAddresses(where);
    d.Build(ServerRole::kDp);
    m->routes.dp = d.dp();
    m->front->SetRoutes(m->routes);
  }
  const std::string& sg_uris = where.sg_uris;
  const std::string& rs_uris = where.rs_uris;
  if (o.sg_id && (!m->Has("sg") || !reference::IsPostgresUri(o.db))) {
    return Status::Error("CLU-1", "--sg-id needs the sg role and a PostgreSQL --db (postgresql://…)");
  }
  if (reference::IsPostgresUri(o.db) && (o.sg_id || m->Has("dp") || m->Has("sg"))) {
    // §3.1: register this SG, feed the DP the live SGs, and wake this SG's
    // sessions for offline messages stored by other processes (CLU-8).
    auto reg = reference::OpenPostgresCluster(o.db);
    if (!reg.ok()) return reg.status();
    ClusterNodeOptions co;
    if (o.sg_id) co.self = reference::GatewayRecord{*o.sg_id, sg_uris, m->Has("rs") ? rs_uris : ""};
    co.lease_ms = o.lease_ms;
    co.local_rs = m->Has("rs") ? rs_uris : "";
    if (m->Has("sg") && !o.sg_id) co.local_sg = reference::DpGateway{sg_uris, rs_uris, true};
    if (m->Has("sg")) co.FeedSg(env, *d.backend(), *m->host, m->relay_out != nullptr);
    auto node = ClusterNode::Start(env, std::move(*reg), std::move(co), d.dp());
    if (!node.ok()) return node.status();
    m->cluster = std::move(*node);
    if (m->relay_out) {
      m->relay_out->SetNode(m->cluster.get());
      m->host->Pump();  // relays emitted before the node existed
    }
    if (m->Has("sg")) {
      m->shared_ids = std::make_unique<ClusterIds>(m->cluster->db());
      d.SetSharedIds(m->shared_ids.get());
    }
  }
  return std::unique_ptr<Server>(new Server(std::move(m)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
const std::vector<ListenerInfo>& Server::listeners() const { return impl_->listeners; }
reference::Store& Server::store() { return impl_->deploy->store(reference::ServerRole::kSg); }
void Server::StopReceiving() {
  if (impl_->real) impl_->real->StopReceiving();
}

}  // namespace mcpsim::net
