// Server: the reference server roles (DP, RS, CS, MS, SG) in one
// process on one AsioEnv, behind the listeners of `mcpsim serve`, with one
// SQLite file as the store (created and migrated on first start).
//
//   listener  roles served                       transport
//   udp       cs (+ sg)                          plain UDP
//   udps      cs (+ sg)                          encrypted UDP (§6.5), same role
//   tcp       rs (+ sg)                          MCP over TCP
//   http      dp (GET /mcp), rs (POST /mcp), ms (GET /media/…) (+ sg)
//   https     as http, over TLS (--cert/--key)
//
// The DP's answers carry the bound listener URIs (port 0 resolved). Routing
// between co-located roles is net::FrontRole's; all protocol logic is in
// reference/. The roles, their configs and the store come from
// reference::Deployment (one store for all; SG and RS share its accounts
// through one Backend); this file binds the listeners and hosts the roles.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/env.h"
#include "reference/crypto/password.h"
#include "reference/deploy/deployment.h"
#include "reference/media/captcha.h"
#include "reference/store/store.h"
#include "reference/transport/ratelimit.h"
#include "reference/transport/enc.h"

namespace mcpsim::net {

class AsioEnv;

struct ListenSpec {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

using AdSpec = reference::AdSpec;  // served by MS at /media/<media_id>

// The abuse limits of `mcpsim serve` (PROTOCOL.md §6.8, LIM-23), defaults
// from the role configs. `--limit NAME=VALUE` changes one (ApplyLimit).
struct ServerLimits {
  reference::RateSpec rat_address, rat_account;  // RATE-4
  reference::BackoffSpec login_backoff;          // RATE-5
  reference::RateSpec rap_address, reg_address;  // RATE-6
  std::size_t rs_sessions = 0;                   // RATE-7
  reference::RateSpec cs_address, cs_mid;        // RATE-8
  std::size_t pending_work = 0;                  // LIM-23, per role
  std::size_t work_per_address = 0;              // RATE-10: of them from one address
  std::size_t workers = 2;                       // hashing threads; 0: on the loop thread
  std::size_t tcp_conns = 2048, http_conns = 2048;  // per listener, idlest evicted (TCP-11)
  std::size_t conns_per_address = 64;               // per listener, newest closed (TCP-11)
  TimeUs http_header = 0, http_body = 0;            // HTTP-16 deadlines
  TimeUs tcp_first_answer = 0;                      // TCP-10 deadline
  reference::RateSpec udp_address{2000, 4000};       // RATE-11, datagrams before parsing
  ServerLimits();                                // the defaults
};
// Applies "NAME=VALUE" (names: DescribeLimits) or "off" (every rate limit,
// the back-off and RATE-10's per-address share off — LIM-23's total stays —
// for load tests from one address). Clause NET-10 on a bad name or value.
Status ApplyLimit(std::string_view text, ServerLimits& l);
// One "  NAME=VALUE  meaning" line per limit, with the values of `l`.
std::string DescribeLimits(const ServerLimits& l);

struct ServerOptions {
  std::optional<ListenSpec> udp, udps, tcp, http, https;
  std::string cert_file, key_file;    // PEM, for https
  reference::enc::KeyTable keys;      // for udps (ENC-2)
  std::set<std::string> roles = {"dp", "rs", "cs", "ms", "sg"};
  std::string db = "mcpsim.db";       // ":memory:" for a throwaway store
  // Several SG processes on one PostgreSQL database (PROTOCOL.md §3.1): the
  // id this process's SG registers under (--sg-id; REQUIRES role sg and a
  // PostgreSQL db), and the registration's lease (CLU-2). A DP on a
  // PostgreSQL db lists every live registered SG (CLU-5).
  std::optional<std::uint32_t> sg_id;
  std::int64_t lease_ms = 10000;
  std::uint64_t seed = 1;             // roles' Rng streams
  // SG's wall-clock base for RPN timestamps (ms since the Unix epoch at
  // Env time 0); unset: read from the system clock at start. Simulated
  // servers set it, so runs repeat.
  std::optional<std::int64_t> epoch_ms;
  // TEST-1 test mode (`mcpsim serve --test-hooks`): RS discloses captcha
  // texts in an HTTP header. Off by default; never on for real users.
  bool test_hooks = false;
  // Tunables (--config FILE, YAML; see LoadServerConfig).
  std::string min_version = "1.0.0", latest_version = "1.0.0", update_url;
  reference::PasswordCost password_cost;
  reference::CaptchaFormat captcha_format = reference::CaptchaFormat::kPngStored;
  std::uint32_t cs_rate_per_s = 0, cs_burst = 0;  // config file cs: {rate_per_s, burst}
  ServerLimits limits;
  std::vector<AdSpec> ads = {AdSpec{}};
  // TEST-ONLY hooks (`mcpsim serve --mutant`, conformance/mutants.h): adjust
  // a role's config before it is created, and decorate the routing front
  // (the decorator sees every input and output of every role). Unset = none.
  std::function<void(reference::RsConfig&)> tweak_rs;
  std::function<void(reference::SgConfig&)> tweak_sg;
  std::function<void(reference::CsConfig&)> tweak_cs;
  std::function<void(reference::DpConfig&)> tweak_dp;
  // TEST-ONLY defects of the stream listeners (host::HostLimits): the
  // conforming values are the defaults (LIM-21, HTTP-14, HTTP-17).
  std::size_t test_http_max_body = 131072;
  bool test_http_reject_conflicting_length = true;
  bool test_http_reclaim_on_peer_close = true;
  bool test_http_head_too_large_431 = true;  // HTTP-15
  // TEST-ONLY defect of encrypted UDP (UdpsOptions::test_key_blind): the
  // key id is not part of the sender endpoint (TIMER-5, ENC-2; G-87).
  bool test_udps_key_blind = false;
  // Returns the role to host in place of `front` (which it must forward to).
  std::function<std::unique_ptr<reference::Role>(reference::Role& front)> wrap_front;
};

// The role names `--roles` accepts, and those this build can host.
const std::vector<std::string>& KnownRoles();      // dp rs cs ms sg
bool RoleAvailable(const std::string& role);
// Parses "dp,rs,cs" into `out`; clause NET-7 for unknown or unavailable names.
Status ParseRoles(const std::string& list, std::set<std::string>& out);

// Applies a YAML config file to `o`. Keys (all optional):
//   dp: {min_version, latest_version, update_url}
//   rs: {password_cost: default|minimal, captcha_format: png|png-deflate|pgm}
//   cs: {rate_per_s, burst}
//   ads: [{slot, ad_id, media_id, click_url}]
// Clause NET-8 for an unreadable file or a bad value.
Status LoadServerConfig(const std::string& path, ServerOptions& o);

struct ListenerInfo {
  std::string scheme;  // udp, udps, tcp, http, https
  Endpoint endpoint;
  std::string roles;   // comma-separated, e.g. "dp,rs,ms"
  // `listening http://127.0.0.1:8080 dp,rs,ms`
  std::string Line() const;
};

class Server {
 public:
  // Opens the store, creates the roles, binds every listener. Errors:
  // STORE-* (database), NET-1 (bind), NET-7 (no role for a listener),
  // NET-9 (TLS certificate/key).
  static Result<std::unique_ptr<Server>> Start(AsioEnv& env, ServerOptions options);
  // The same server on any Env (e.g. a simulated node: the conformance
  // self-test hosts the reference and its mutants in virtual time). The
  // listeners' hosts are ignored (the Env's address is used); https needs
  // the AsioEnv overload (NET-9 otherwise).
  static Result<std::unique_ptr<Server>> StartOn(Env& env, ServerOptions options);
  ~Server();

  const std::vector<ListenerInfo>& listeners() const;
  reference::Store& store();
  // Stops input (listeners, datagram receipt); queued output keeps flowing.
  void StopReceiving();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  static Result<std::unique_ptr<Server>> Launch(std::unique_ptr<Impl> m);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpsim::net
