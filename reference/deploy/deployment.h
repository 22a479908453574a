// Deployment: the one builder of a reference deployment — which server roles
// (DP, RS, SG, CS, MS), on which stores, with which configs and Rng streams.
// Every place that runs the reference servers asks it for the roles and only
// does its own hosting:
//   scenarios/ref_world.cc  the simulated world (roles on sim nodes, crashes)
//   host/chat_world.cc      one SG + N clients (`bench world`, SG tests)
//   net/server.cc           `mcpsim serve` (roles behind Asio listeners)
//   tests/sg/sg_world.cc    SGs driven by scripted byte-level clients
//
// What a deployment decides once, the same way for every host:
//   - stores: RS and SG (and the Messenger back end) share the accounts store
//     (accounts, contact lists, offline messages); CS writes uploads, MS
//     serves media; one store may be all three. With fault points on
//     (`faults`), the roles see their stores through the store.* fault points
//     (WithFaultPoints); the back end, provisioning and checkers see the store
//     itself.
//   - configs: the host's base config per role (`rs`, `sg`, `cs`, `dp`: its
//     own limits), then the shared fields (password cost: RS's hashes and
//     SG-LOGIN-16's dummy; duplicate suppression; fault points; the CS
//     catalog; the DP's versions and the addresses it hands out), then the
//     host's tweak (TEST-ONLY mutants).
//   - randomness: role r of incarnation "" draws from the named stream
//     "role:<r>" of `seed` (a host may name another incarnation, e.g.
//     "role:sg#2" after a crash); banners from "media"; several SGs draw
//     "role:sg-<k>".
//   - SG processes: one SG with one Backend; several SGs on one Backend (one
//     process); or, with `sg_relay_ids`, one SG per id, each with a Backend of
//     its own that relays under that id (CLU-10, processes sharing a store).
//
// It is sans-I/O like the roles: no clock, socket, thread or simulator. The
// host supplies the stores (a SQLite file, PostgreSQL, a simulated disk) and
// the addresses its listeners got, builds the roles in the order its traces
// need (Build), and routes their inputs and outputs. Roles refer to the stores
// and the back ends: the Deployment outlives every host of its roles.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/buggify.h"
#include "core/status.h"
#include "reference/crypto/password.h"
#include "reference/roles/cs.h"
#include "reference/roles/dp.h"
#include "reference/roles/ms.h"
#include "reference/roles/rs.h"
#include "reference/roles/sg/backend.h"
#include "reference/roles/sg/sg.h"
#include "reference/store/store.h"

namespace mcpsim::reference {

enum class ServerRole { kDp, kRs, kSg, kCs, kMs };
// "dp", "rs", "sg", "cs", "ms".
const char* ServerRoleName(ServerRole r);

// An ad of the CS catalog whose image MS serves at <ms base>/media/<media_id>.
struct AdSpec {
  std::string slot = "top";
  std::string ad_id = "ad-1";
  std::string media_id = "banner-1";
  std::string click_url = "http://example.invalid/click/1";
};

struct DeploymentOptions {
  std::uint64_t seed = 1;  // the roles' named Rng streams
  // RS's stored hashes (RS-10) and the SG's dummy hash for unknown accounts
  // (SG-LOGIN-16: as costly as a stored one).
  PasswordCost password_cost;
  // TEST-ONLY: false turns duplicate suppression off in RS, SG and CS
  // (ServerConfig::dedup_enabled), a deliberately broken reference.
  bool dedup = true;
  // The fault points of the roles and their stores (simulation only; not
  // owned, outlives the deployment). nullptr: none.
  FaultPoints* faults = nullptr;
  // CS-3: RUP/RAD per address (0 = the base config's RATE-8 default; burst
  // 0 = the rate).
  std::uint32_t cs_rate_per_s = 0, cs_burst = 0;
  // The host's base configs (its limits, the SG's wall-clock epoch, the DP's
  // versions and update URL, ...).
  RsConfig rs;
  SgConfig sg;
  CsConfig cs;
  DpConfig dp;
  // TEST-ONLY hooks (`mcpsim serve --mutant`, conformance/mutants.h): change
  // a role's config after the deployment filled it in. Unset = none.
  std::function<void(RsConfig&)> tweak_rs;
  std::function<void(SgConfig&)> tweak_sg;
  std::function<void(CsConfig&)> tweak_cs;
  std::function<void(DpConfig&)> tweak_dp;
  // SG processes (see the header comment): `sgs` SGs on one Backend, or one
  // SG per entry of `sg_relay_ids` (REQUIRES ids > 0), each relaying (CLU-10).
  std::size_t sgs = 1;
  std::vector<std::uint32_t> sg_relay_ids;
};

// The stores a deployment runs on. `uploads` and `media` left null are the
// accounts store. Shared, so SG processes of one test can share a store.
struct DeploymentStores {
  std::shared_ptr<Store> accounts, uploads, media;
};

// Where the hosted roles are reached (the host knows after binding): the DP
// hands these out (DP-3 gateway, CS and MS lists).
struct DeploymentAddresses {
  std::string sg_uris;  // ARCH-4 list of the SG ("" when none is hosted)
  std::string rs_uris;
  std::string cs_uris;
  std::string ms_base;  // e.g. http://10.0.0.4:80
};

class Deployment {
 public:
  // REQUIRES stores.accounts. Builds nothing yet (see Build).
  Deployment(DeploymentOptions options, DeploymentStores stores);
  // One store for everything, opened by spec (OpenStore: a SQLite path,
  // ":memory:" or a PostgreSQL URI). STORE-1/2 when it cannot open.
  static Result<std::unique_ptr<Deployment>> Open(DeploymentOptions options, const std::string& store_spec);
  ~Deployment();
  Deployment(const Deployment&) = delete;
  Deployment& operator=(const Deployment&) = delete;

  const DeploymentOptions& options() const { return o_; }

  // ---- stores ----
  // The store role `r` writes (RS, SG: accounts; CS: uploads; MS: media;
  // DP: accounts), itself: for provisioning, checkers and crash handling.
  Store& store(ServerRole r);
  // The same as the role sees it (through the store.* fault points when
  // `faults` is set): for the host's group commit (RoleHost::SetBatchStore).
  Store& role_store(ServerRole r);

  // ---- media ----
  // Puts a generated banner (stream "media", one draw per ad, in order) into
  // the media store for each spec and returns the CS catalog entries, image
  // URLs under `ms_base`. `keep_existing`: a media id the store already has
  // is kept (its PNG size read back; a restart of `serve`); otherwise the
  // store is taken as fresh and written without a read (simulation).
  // A store error is returned.
  Result<std::vector<AdEntry>> SeedAds(const std::vector<AdSpec>& ads, const std::string& ms_base,
                                       bool keep_existing);
  // The catalog CS is built with (SeedAds's, or the host's own).
  void SetCatalog(std::vector<AdEntry> catalog) { catalog_ = std::move(catalog); }
  void SetAddresses(DeploymentAddresses a) { addrs_ = std::move(a); }
  const DeploymentAddresses& addresses() const { return addrs_; }

  // ---- roles ----
  // The config role `r` is built with: the base, the shared fields, the tweak.
  RsConfig RsConfigFor() const;
  SgConfig SgConfigFor() const;
  CsConfig CsConfigFor() const;
  DpConfig DpConfigFor() const;
  // Builds role `r` (again: a previous one is destroyed first; its host must
  // be gone). `stream` names its Rng stream ("" = "role:<r>"; several SGs:
  // "role:sg-<k>"). The SG comes with its back end(s), new too. DP and CS
  // read the addresses and catalog set by then.
  void Build(ServerRole r, const std::string& stream = "");
  // Destroys role `r` (and the SG's back ends). Its host must be gone.
  void Destroy(ServerRole r);
  // nullptr when not built.
  DpRole* dp() { return dp_.get(); }
  RsRole* rs() { return rs_.get(); }
  CsRole* cs() { return cs_.get(); }
  MsRole* ms() { return ms_.get(); }
  SgRole* sg(std::size_t i = 0) { return i < sgs_.size() ? sgs_[i].get() : nullptr; }
  std::size_t sg_count() const { return sgs_.size(); }
  // SG i's back end (one for all SGs unless sg_relay_ids).
  Backend* backend(std::size_t i = 0);
  // CLU-9: every back end draws call/transfer/voice ids from `ids` (not
  // owned; outlives the back ends, or is reset before).
  void SetSharedIds(SharedIds* ids);

 private:
  DeploymentOptions o_;
  DeploymentStores stores_;
  std::unique_ptr<Store> faulty_accounts_, faulty_uploads_, faulty_media_;
  DeploymentAddresses addrs_;
  std::vector<AdEntry> catalog_;
  SharedIds* shared_ids_ = nullptr;
  std::unique_ptr<DpRole> dp_;
  std::unique_ptr<RsRole> rs_;
  std::unique_ptr<CsRole> cs_;
  std::unique_ptr<MsRole> ms_;
  std::vector<std::unique_ptr<Backend>> backends_;
  std::vector<std::unique_ptr<SgRole>> sgs_;
};

}  // namespace mcpsim::reference
