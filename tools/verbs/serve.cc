// `mcpsim serve`: the reference server roles on real sockets (net::Server on
// net::AsioEnv), one SQLite file as the store. Prints one
// `listening <scheme>://<host>:<port> <roles>` line per listener on stdout,
// then serves until SIGINT/SIGTERM, finishes queued output, closes the
// database and exits 0.
#include <utility>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <spdlog/spdlog.h>

#include "conformance/mutants.h"
#include "net/asio_env.h"
#include "net/runtime.h"
#include "net/server.h"
#include "reference/store/store.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

struct ServeArgs {
  std::string udp, tcp, http, https, udps, cert, key, key_file, db = "mcpsim.db", config;
  std::string roles = "dp,rs,cs,ms,sg";
  std::string mutant;  // conformance/mutants.h: one deliberate defect
  bool list_mutants = false;
  bool test_hooks = false;  // TEST-1
  std::optional<std::uint64_t> seed;
  std::optional<std::int64_t> sg_id;  // §3.1 CLU-1
  std::int64_t lease_ms = 10000;      // CLU-2
  std::optional<double> udp_rate, udp_burst;  // override --limit udp-address
  std::int64_t idle_ms = 120000;
  std::vector<std::string> limits;  // --limit NAME=VALUE (net::ApplyLimit)
};

int Fail(int code, const std::string& msg) {
  std::cerr << "mcpsim: error: " << msg << "\n";
  return code;
}

bool Spec(const std::string& text, std::optional<net::ListenSpec>& out, std::string& err) {
  if (text.empty()) return true;
  auto hp = net::ParseHostPort(text);
  if (!hp.ok()) {
    err = hp.status().message();
    return false;
  }
  out = net::ListenSpec{hp->first, hp->second};
  return true;
}

int ListMutants() {
  for (const conformance::Mutant& m : conformance::Mutants()) {
    std::printf("%s %s%s: %s\n", m.name.c_str(), m.clause.c_str(), m.should ? " (SHOULD)" : "", m.breaks.c_str());
  }
  return 0;
}

int Serve(const ServeArgs& a) {
  if (a.list_mutants) return ListMutants();
  net::ServerOptions o;
  if (!a.mutant.empty()) {
    const conformance::Mutant* m = conformance::FindMutant(a.mutant);
    if (!m) return Fail(2, "--mutant: unknown mutant '" + a.mutant + "' (see --list-mutants)");
    conformance::ApplyMutant(*m, o);
    spdlog::warn("serve: running mutant {} ({}: {})", m->name, m->clause, m->breaks);
  }
  if (Status s = net::ParseRoles(a.roles, o.roles); !s.ok()) return Fail(2, "--roles: " + s.message());
  std::string err;
  if (!Spec(a.udp, o.udp, err) || !Spec(a.tcp, o.tcp, err) || !Spec(a.http, o.http, err) ||
      !Spec(a.https, o.https, err) || !Spec(a.udps, o.udps, err)) {
    return Fail(2, err);
  }
  if (!o.udp && !o.tcp && !o.http && !o.https && !o.udps) {
    // No listener named: the classic layout on loopback.
    o.udp = net::ListenSpec{"127.0.0.1", 7000};
    o.tcp = net::ListenSpec{"127.0.0.1", 1864};
    o.http = net::ListenSpec{"127.0.0.1", 8080};
  }
  if (o.https && (a.cert.empty() || a.key.empty())) return Fail(2, "--https needs --cert and --key");
  o.cert_file = a.cert;
  o.key_file = a.key;
  if (o.udps) {
    if (a.key_file.empty()) return Fail(2, "--udps needs --key-file");
    std::ifstream f(a.key_file);
    if (!f) return Fail(2, "cannot read key file " + a.key_file);
    std::stringstream ss;
    ss << f.rdbuf();
    auto keys = reference::enc::ParseKeyTable(ss.str());
    if (!keys.ok()) return Fail(2, keys.status().message());
    o.keys = *keys;
  }
  if (!a.config.empty()) {
    if (Status s = net::LoadServerConfig(a.config, o); !s.ok()) return Fail(2, s.message());
  }
  for (const std::string& l : a.limits) {
    if (Status s = net::ApplyLimit(l, o.limits); !s.ok()) return Fail(2, s.message());
  }
  o.db = a.db;
  if (a.sg_id) {
    if (*a.sg_id < 1 || *a.sg_id > 2147483647) return Fail(2, "--sg-id: must be 1..2147483647 (CLU-1)");
    if (!o.roles.count("sg")) return Fail(2, "--sg-id needs the sg role (--roles …,sg)");
    if (!reference::IsPostgresUri(o.db)) {
      return Fail(2, "--sg-id needs a PostgreSQL --db postgresql://… shared by the deployment (CLU-1)");
    }
    o.sg_id = static_cast<std::uint32_t>(*a.sg_id);
  }
  if (a.lease_ms < 300 || a.lease_ms > 3600000) return Fail(2, "--lease-ms: must be 300..3600000");
  o.lease_ms = a.lease_ms;
  o.test_hooks = a.test_hooks;
  if (a.test_hooks) spdlog::warn("serve: test mode: RS discloses captcha texts (TEST-1); never use with real users");

  net::AsioEnvOptions eo;
  eo.seed = a.seed;
  eo.udp_rate_per_s = a.udp_rate ? *a.udp_rate : o.limits.udp_address.per_s;
  eo.udp_burst = a.udp_burst ? *a.udp_burst : a.udp_rate ? 0 : o.limits.udp_address.burst;
  eo.stream_idle_timeout = a.idle_ms > 0 ? a.idle_ms * kMillis : kNever;
  eo.workers = o.limits.workers;
  net::Runtime rt(eo);  // one thread runs everything
  net::AsioEnv& env = rt.env();
  o.seed = a.seed ? *a.seed : env.Random().Next();
  auto server = net::Server::Start(env, o);
  if (!server.ok()) {
    const std::string& c = server.status().clause();
    return Fail(c == "NET-9" || c == "NET-7" || c == "ENC-2" || c == "CLU-1" ? 2 : 3, server.status().ToString());
  }
  for (const net::ListenerInfo& l : (*server)->listeners()) std::printf("%s\n", l.Line().c_str());
  std::fflush(stdout);

  bool stopping = false;
  rt.OnStopSignals([&](int sig) {
    spdlog::info("serve: signal {}: stopping", sig);
    stopping = true;
  });
  while (!stopping) rt.RunOne();
  // Finish in-flight work: no new input, let queued answers leave (bounded).
  (*server)->StopReceiving();
  const TimeUs deadline = env.Now() + 2 * kSeconds;
  while (env.HasPendingOutput() && env.Now() < deadline) rt.RunOneFor(10 * kMillis);
  const net::AsioEnvStats& st = env.stats();
  spdlog::info("serve: datagrams in={} out={} rate_limited={} streams accepted={} timed_out={}",
               st.datagrams_received, st.datagrams_sent, st.datagrams_rate_limited, st.streams_accepted,
               st.streams_timed_out);
  server->reset();  // closes the database
  env.Close();
  return 0;
}

RegisterVerb reg{{"", "serve", "Run the server roles (DP, RS, CS, MS, SG) on real sockets",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<ServeArgs>();
                    cmd.add_option("--udp", a->udp, "UDP listener HOST:PORT (CS, SG; `listening udp://… cs,sg`); port 0 = any");
                    cmd.add_option("--tcp", a->tcp, "TCP listener HOST:PORT (RS, SG)");
                    cmd.add_option("--http", a->http, "HTTP listener HOST:PORT (DP, RS, MS, SG)");
                    cmd.add_option("--https", a->https, "HTTPS listener HOST:PORT (needs --cert, --key)");
                    cmd.add_option("--cert", a->cert, "TLS certificate chain (PEM)");
                    cmd.add_option("--key", a->key, "TLS private key (PEM)");
                    cmd.add_option("--udps", a->udps, "Encrypted UDP listener HOST:PORT (needs --key-file)");
                    cmd.add_option("--key-file", a->key_file, "ENC-2 key table: lines `<key id> <64 hex>`");
                    cmd.add_option("--db", a->db, "Store: a SQLite file (created on first start), :memory:, or a PostgreSQL URI postgresql://… (migrated on first start; several processes may share it)")->capture_default_str();
                    cmd.add_option("--config", a->config, "YAML config (dp, rs, cs, ads)");
                    cmd.add_flag("--test-hooks", a->test_hooks,
                                 "Test mode (PROTOCOL.md TEST-1): HTTP answers carrying AAP also carry the captcha "
                                 "text in X-MCP-Test-Captcha, so test tools can register accounts. Off by default; "
                                 "never for real users");
                    cmd.add_option("--roles", a->roles, "Roles to run, comma-separated: dp,rs,cs,ms,sg")->capture_default_str();
                    cmd.add_option("--sg-id", a->sg_id,
                                   "Register this process's SG under id N (1..2147483647) in the PostgreSQL --db, "
                                   "renewing a lease by heartbeats, so that the DP of the deployment lists it "
                                   "(PROTOCOL.md §3.1 CLU-1..6); one id per SG process");
                    cmd.add_option("--lease-ms", a->lease_ms,
                                   "Lease of the SG registration: a process that stops heartbeating drops out of the "
                                   "DP's list this long after its last heartbeat (CLU-2)")
                        ->capture_default_str();
                    cmd.add_option("--seed", a->seed, "Seed of the roles' random streams (default: from the OS)");
                    cmd.add_option("--udp-rate", a->udp_rate,
                                   "Per-source-address datagram rate limit (/s; 0 = off); overrides --limit udp-address");
                    cmd.add_option("--udp-burst", a->udp_burst, "Token bucket depth for --udp-rate (default: the rate)");
                    cmd.add_option("--mutant", a->mutant, "Run with one deliberate defect (conformance self-test)");
                    cmd.add_flag("--list-mutants", a->list_mutants, "List the mutants: name, clause, defect");
                    cmd.add_option("--idle-timeout-ms", a->idle_ms, "Close idle TCP/HTTP streams after this (0 = never)")
                        ->capture_default_str();
                    cmd.add_option("--limit", a->limits,
                                   "Change an abuse limit: NAME=VALUE (repeatable; names and defaults below), "
                                   "or `off` for no rate limits and no login back-off (load tests)");
                    cmd.footer("Abuse limits (PROTOCOL.md §6.8, LIM-23), defaults:\n" +
                               net::DescribeLimits(net::ServerLimits{}) + cmd.get_footer());
                    return [a] { return Serve(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
