#include "net/server.h"

#include <chrono>

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

namespace {
// Appends `item` to the comma-separated `list`.
void AddToList(std::string& list, std::string_view item) {
  if (!list.empty()) list += ',';
  list += item;
}
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
      if (Has(r)) AddToList(s, r);
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
    u.test_key_blind = o.test_udps_key_blind;
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
      AddToList(where.rs_uris, uri);
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
    AddToList(where.sg_uris, FormatUri(l.scheme, l.endpoint, web ? "/mcp" : ""));
  }
  if (m->Has("dp")) {
    for (const ListenerInfo& l : m->listeners) {
      if ((l.scheme == "udp" || l.scheme == "udps") && m->Has("cs")) {
        AddToList(where.cs_uris, FormatUri(l.scheme, l.endpoint));
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
