#include "scenarios/ref_world.h"

#include <stdexcept>

#include "reference/media/captcha.h"
#include "reference/roles/uri.h"

namespace mcpsim::scenarios {

using reference::FormatUri;

namespace {
std::unique_ptr<reference::Store> MemoryStore() {
  auto s = reference::OpenSqliteStore(":memory:");
  // An in-memory database only fails when SQLite itself is broken.
  if (!s.ok()) throw std::runtime_error(s.status().ToString());
  return std::move(*s);
}
}  // namespace

RefWorld::RefWorld(RefWorldOptions o) {
  world_ = std::make_unique<sim::World>(o.seed, o.world);
  if (!o.trace_path.empty()) {
    if (Status st = world_->trace().OpenFile(o.trace_path); !st.ok()) throw std::runtime_error(st.ToString());
  }
  if (!o.pcap_path.empty()) {
    if (Status st = world_->OpenPcap(o.pcap_path); !st.ok()) throw std::runtime_error(st.ToString());
  }
  backend_ = MemoryStore();
  cs_store_ = MemoryStore();
  ms_store_ = MemoryStore();
  auto add = [&](const std::string& name) {
    const sim::NodeId id = world_->AddNode(name);
    names_.emplace_back(name, id);
    return id;
  };
  const sim::NodeId dp = add("dp"), rs = add("rs"), cs = add("cs"), ms = add("ms"), sg = add("sg");
  auto ep = [&](sim::NodeId n, std::uint16_t port) { return Endpoint::V4(world_->node_ip(n), port); };

  // A banner for the default ad slot, served by MS.
  Rng media_rng = Rng::Stream(o.seed, "media");
  reference::Captcha banner = reference::MakeCaptcha(media_rng, 6);
  (void)ms_store_->PutMedia({"banner-1", "image/png", banner.png});
  std::vector<reference::AdEntry> ads = o.ads;
  if (ads.empty()) {
    ads.push_back({"top", "ad-1", FormatUri("http", ep(ms, 80), "/media/banner-1"),
                   "http://example.invalid/click/1", static_cast<std::uint32_t>(banner.width),
                   static_cast<std::uint32_t>(banner.height)});
  }

  reference::DpConfig dpc;
  dpc.min_version = o.min_version;
  dpc.latest_version = o.latest_version;
  dpc.update_url = "http://example.invalid/mc-" + o.latest_version + ".sis";
  const std::string sg_uris = o.host_sg ? FormatUri("udp", ep(sg, 1863)) + "," + FormatUri("tcp", ep(sg, 1863)) + "," +
                                              FormatUri("http", ep(sg, 8080), "/mcp")
                                        : "";
  dpc.gateways.push_back({sg_uris, FormatUri("tcp", ep(rs, 1864)) + "," + FormatUri("http", ep(rs, 8080), "/mcp"), true});
  dpc.cs = FormatUri("udp", ep(cs, 7000));
  dpc.ms = FormatUri("http", ep(ms, 80));
  dp_ = std::make_unique<reference::DpRole>(dpc);

  reference::RsConfig rsc;
  rsc.password_cost = o.password_cost;
  rsc.server.dedup_enabled = o.server_dedup;
  rs_ = std::make_unique<reference::RsRole>(rsc, *backend_, Rng::Stream(o.seed, "role:rs"));
  // The SG shares the account store with RS through the Messenger back end.
  sg_backend_ = std::make_unique<reference::Backend>(*backend_);
  reference::SgConfig sgc;
  sgc.server.dedup_enabled = o.server_dedup;
  sg_ = std::make_unique<reference::SgRole>(sgc, *backend_, *sg_backend_, Rng::Stream(o.seed, "role:sg"));
  reference::CsConfig csc;
  csc.catalog = ads;
  csc.rate_per_s = o.cs_rate_per_s;
  csc.burst = o.cs_burst;
  csc.server.dedup_enabled = o.server_dedup;
  cs_ = std::make_unique<reference::CsRole>(csc, *cs_store_);
  ms_ = std::make_unique<reference::MsRole>(*ms_store_);

  auto host = [&](sim::NodeId n, reference::Role& role, host::HostPorts ports, Env* env = nullptr) {
    hosts_.push_back(std::make_unique<host::RoleHost>(env ? *env : world_->env(n), role));
    Status s = hosts_.back()->Start(ports);
    if (!s.ok()) throw std::runtime_error(s.ToString());
    return hosts_.back().get();
  };
  external_ = static_cast<bool>(o.relay_servers);
  if (o.host_dp && !external_) host(dp, *dp_, {std::nullopt, std::nullopt, 80});
  if (o.host_rs && !external_) host(rs, *rs_, {std::nullopt, 1864, 8080});
  if (o.host_sg && !external_) sg_host_ = host(sg, *sg_, {1863, 1863, 8080});
  if (o.host_cs && !external_) host(cs, *cs_, {7000, std::nullopt, std::nullopt});
  if (o.host_ms && !external_) host(ms, *ms_, {std::nullopt, std::nullopt, 80});

  for (int i = 0; i < o.clients; ++i) {
    const std::string name = "mc-" + std::to_string(i);
    const sim::NodeId n = add(name);
    reference::McConfig mcc;
    mcc.device_id = "dev-" + std::to_string(i);
    mcc.imsi = std::to_string(460000000000000ULL + static_cast<std::uint64_t>(i));
    mcc.imei = std::to_string(356938035643809ULL + static_cast<std::uint64_t>(i));
    mcc.dp = ep(dp, 80);
    mcc.client_version = o.client_version;
    mcc.cache_path = o.client_cache ? ":memory:" : "";
    mcc.nonconforming_send_nudge = o.nonconforming_send_nudge;
    mcc.nonconforming_unchecked_voice = o.nonconforming_unchecked_voice;
    mcc.sg_transport = o.sg_transport;
    mcs_.push_back(std::make_unique<reference::McClient>(mcc, Rng::Stream(o.seed, "role:" + name), name));
    mc_nodes_.push_back(n);
    Env* env = nullptr;
    if (o.wrap_client_env) {
      wrapped_.push_back(o.wrap_client_env(name, world_->env(n)));
      env = wrapped_.back().get();
    }
    mc_hosts_.push_back(host(n, *mcs_.back(), {0, std::nullopt, std::nullopt}, env));
  }
  if (external_) {
    if (Status s = o.relay_servers(*this); !s.ok()) throw std::runtime_error(s.ToString());
  }
}

RefWorld::~RefWorld() = default;

sim::NodeId RefWorld::node(const std::string& name) const {
  for (const auto& [n, id] : names_) {
    if (n == name) return id;
  }
  throw std::out_of_range("no node " + name);
}

Status RefWorld::RunUntil(const std::function<bool()>& done, TimeUs limit) {
  return world_->RunUntilCondition(done, Now() + limit);
}

}  // namespace mcpsim::scenarios
