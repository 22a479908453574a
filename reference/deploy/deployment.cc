#include "reference/deploy/deployment.h"

#include "reference/media/captcha.h"
#include "reference/store/faulty_store.h"

namespace mcpsim::reference {

const char* ServerRoleName(ServerRole r) {
  switch (r) {
    case ServerRole::kDp: return "dp";
    case ServerRole::kRs: return "rs";
    case ServerRole::kSg: return "sg";
    case ServerRole::kCs: return "cs";
    case ServerRole::kMs: return "ms";
  }
  return "?";
}

namespace {
// Width and height from a PNG's IHDR chunk (0 if not a PNG).
std::pair<std::uint32_t, std::uint32_t> PngSize(const std::string& png) {
  if (png.size() < 24 || png.compare(1, 3, "PNG") != 0) return {0, 0};
  auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(png[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}
}  // namespace

Deployment::Deployment(DeploymentOptions options, DeploymentStores stores)
    : o_(std::move(options)), stores_(std::move(stores)) {
  if (!stores_.uploads) stores_.uploads = stores_.accounts;
  if (!stores_.media) stores_.media = stores_.accounts;
  if (o_.faults) {
    faulty_accounts_ = WithFaultPoints(*stores_.accounts, o_.faults);
    faulty_uploads_ = WithFaultPoints(*stores_.uploads, o_.faults);
    faulty_media_ = WithFaultPoints(*stores_.media, o_.faults);
  }
}

Result<std::unique_ptr<Deployment>> Deployment::Open(DeploymentOptions options, const std::string& store_spec) {
  auto store = OpenStore(store_spec);
  if (!store.ok()) return store.status();
  DeploymentStores stores;
  stores.accounts = std::shared_ptr<Store>(std::move(*store));
  return std::make_unique<Deployment>(std::move(options), std::move(stores));
}

Deployment::~Deployment() {
  // Roles before the back ends they refer to.
  sgs_.clear();
  backends_.clear();
}

Store& Deployment::store(ServerRole r) {
  if (r == ServerRole::kCs) return *stores_.uploads;
  if (r == ServerRole::kMs) return *stores_.media;
  return *stores_.accounts;
}

Store& Deployment::role_store(ServerRole r) {
  if (!o_.faults) return store(r);
  if (r == ServerRole::kCs) return *faulty_uploads_;
  if (r == ServerRole::kMs) return *faulty_media_;
  return *faulty_accounts_;
}

Result<std::vector<AdEntry>> Deployment::SeedAds(const std::vector<AdSpec>& ads, const std::string& ms_base,
                                                 bool keep_existing) {
  Rng media_rng = Rng::Stream(o_.seed, "media");
  Store& media = store(ServerRole::kMs);
  std::vector<AdEntry> out;
  for (const AdSpec& a : ads) {
    std::pair<std::uint32_t, std::uint32_t> size;
    std::optional<Media> have;
    if (keep_existing) {
      auto got = media.GetMedia(a.media_id);
      if (!got.ok()) return got.status();
      have = std::move(*got);
    }
    if (have) {
      size = PngSize(have->bytes);
    } else {
      // A generated banner, so the ad path works out of the box.
      Captcha banner = MakeCaptcha(media_rng, 6);
      if (Status s = media.PutMedia({a.media_id, "image/png", banner.png}); !s.ok()) return s;
      size = {static_cast<std::uint32_t>(banner.width), static_cast<std::uint32_t>(banner.height)};
    }
    out.push_back({a.slot, a.ad_id, ms_base + "/media/" + a.media_id, a.click_url, size.first, size.second});
  }
  return out;
}

RsConfig Deployment::RsConfigFor() const {
  RsConfig c = o_.rs;
  c.password_cost = o_.password_cost;
  c.server.dedup_enabled = o_.dedup;
  c.server.faults = o_.faults;
  if (o_.tweak_rs) o_.tweak_rs(c);
  return c;
}

SgConfig Deployment::SgConfigFor() const {
  SgConfig c = o_.sg;
  c.dummy_cost = o_.password_cost;  // SG-LOGIN-16: unknown accounts cost the same
  c.server.dedup_enabled = o_.dedup;
  c.server.faults = o_.faults;
  c.push.faults = o_.faults;
  if (o_.tweak_sg) o_.tweak_sg(c);
  return c;
}

CsConfig Deployment::CsConfigFor() const {
  CsConfig c = o_.cs;
  c.catalog = catalog_;
  if (o_.cs_rate_per_s) {  // CS-3: the deployment's limit replaces the per-address default
    c.per_address = {o_.cs_rate_per_s, o_.cs_burst ? o_.cs_burst : o_.cs_rate_per_s};
  }
  c.server.dedup_enabled = o_.dedup;
  c.server.faults = o_.faults;
  if (o_.tweak_cs) o_.tweak_cs(c);
  return c;
}

DpConfig Deployment::DpConfigFor() const {
  DpConfig c = o_.dp;
  c.gateways = {DpGateway{addrs_.sg_uris, addrs_.rs_uris, true}};
  c.cs = addrs_.cs_uris;
  c.ms = addrs_.ms_base;
  c.faults = o_.faults;
  if (o_.tweak_dp) o_.tweak_dp(c);
  return c;
}

void Deployment::Build(ServerRole r, const std::string& stream) {
  Destroy(r);
  const std::string name = ServerRoleName(r);
  auto rng = [&](const std::string& fallback) { return Rng::Stream(o_.seed, stream.empty() ? fallback : stream); };
  switch (r) {
    case ServerRole::kDp:
      dp_ = std::make_unique<DpRole>(DpConfigFor());
      break;
    case ServerRole::kRs:
      rs_ = std::make_unique<RsRole>(RsConfigFor(), role_store(r), rng("role:rs"));
      break;
    case ServerRole::kCs:
      cs_ = std::make_unique<CsRole>(CsConfigFor(), role_store(r));
      break;
    case ServerRole::kMs:
      ms_ = std::make_unique<MsRole>(role_store(r));
      break;
    case ServerRole::kSg: {
      // The back end reads and writes the store itself (it is the
      // Messenger side, not the SG's store path with its fault points).
      const bool relays = !o_.sg_relay_ids.empty();
      const std::size_t n = relays ? o_.sg_relay_ids.size() : o_.sgs;
      for (std::size_t i = 0; i < (relays ? n : 1); ++i) {
        backends_.push_back(std::make_unique<Backend>(store(r)));
        if (relays) backends_.back()->EnableRelays(o_.sg_relay_ids[i]);
        if (shared_ids_) backends_.back()->SetSharedIds(shared_ids_);
      }
      const SgConfig config = SgConfigFor();
      for (std::size_t i = 0; i < n; ++i) {
        const std::string own = n == 1 ? name : name + "-" + std::to_string(i + 1);
        sgs_.push_back(std::make_unique<SgRole>(config, role_store(r), *backend(i),
                                                n == 1 ? rng("role:" + own) : Rng::Stream(o_.seed, "role:" + own), own));
      }
      break;
    }
  }
}

void Deployment::Destroy(ServerRole r) {
  switch (r) {
    case ServerRole::kDp: dp_.reset(); break;
    case ServerRole::kRs: rs_.reset(); break;
    case ServerRole::kCs: cs_.reset(); break;
    case ServerRole::kMs: ms_.reset(); break;
    case ServerRole::kSg:
      sgs_.clear();  // before the back ends they refer to
      backends_.clear();
      break;
  }
}

Backend* Deployment::backend(std::size_t i) {
  if (backends_.empty()) return nullptr;
  return backends_.size() == 1 ? backends_[0].get() : i < backends_.size() ? backends_[i].get() : nullptr;
}

void Deployment::SetSharedIds(SharedIds* ids) {
  shared_ids_ = ids;
  for (auto& b : backends_) b->SetSharedIds(ids);
}

}  // namespace mcpsim::reference
