// Scenario runs against an external target (`mcpsim run FILE… --udp/--tcp/
// --http … | --launch CMD`, `mcpsim sweep … --launch CMD`): the scenario's
// clients are the reference MC engine on simulated nodes, exactly as in a
// simulated run, but the server nodes (dp, rs, cs, ms, sg) are relays
// (net::Bridge) to the target's real listeners, and the World is paced by
// the wall clock (net::WallPacer). So the scenario's network section — links,
// partitions, clogs, link changes, swarm mixes — applies between the clients
// and the real server exactly as written (this is the fault proxy), decided
// by the seed; the target's answers travel back over real sockets.
//
//   real listener   relayed by the nodes (ports as in RefWorld)
//   udp             cs :7000, sg :1863
//   tcp             rs :1864, sg :1863
//   http            dp :80, rs :8080, ms :80, sg :8080
//
// The target's own addresses in the DP answer (AQQW: SG, RS, CS and MS URI
// lists) and in ad answers (AAD image URL) are rewritten to the relay nodes'
// addresses on the way in (a URI the target lists that no relay serves is
// dropped), so clients reach every role through the simulated network.
//
// Accounts are provisioned through the protocol before the run, directly
// (not through the faults): conformance/provision.h registers them (captcha
// from the TEST-1 hook, else the reference reader) or takes them from
// --accounts FILE, and adds contacts with RCE over an SG session. Scenario
// account names map to the provisioned ones (a run-unique name each, so a
// persistent server sees no collisions).
//
// Time is real: `at:` times, spacing, settle and the time limit are
// wall-clock seconds from the start of the steps. What the wire cannot show
// (server stores and counters, back-end nudges, determinism) is reported as
// not applicable, never as a pass.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance/harness.h"
#include "conformance/provision.h"
#include "core/env.h"
#include "core/status.h"
#include "reports/report.h"
#include "scenarios/provisioned_stage.h"
#include "sim/pcap.h"

namespace mcpsim::scenarios {

class RefWorld;

// What `--udp/--tcp/--http/--launch/--accounts` named.
struct ExternalTarget {
  std::optional<conformance::HostPort> udp, tcp, http;
  std::string launch;        // shell command printing `listening` lines; one fresh target per run
  bool reuse_target = false; // sweep: one launched target for all runs
  std::vector<conformance::ProvisionAccount> accounts;  // --accounts FILE
  std::string accounts_file;
  int launch_wait_ms = 10000;
  std::uint64_t nonce = 0;   // run-unique account names (the verb draws it once)
  // The clients' SG transport: "auto" (UDP when the target lists an SG UDP
  // address, else TCP), "udp" or "tcp" (McConfig::sg_transport).
  std::string sg_transport = "auto";
  // When set (not owned), every client's traffic goes into this pcapng file
  // (one file for all runs of a report: `run.pcap`), real timestamps.
  // The flags that reproduce this target on a command line (for replay lines).
  std::string Flags() const;
  bool empty() const { return !udp && !tcp && !http && launch.empty(); }
  sim::PcapngWriter* pcap = nullptr;
};

// The real side of one external run: the launched target (if any), the
// io_context and AsioEnv, the pacer, the relays and the provisioner.
class ExternalStage final : public ProvisionedStage {
 public:
  // Launches the target when `t.launch` is set (a sweep with
  // --reuse-target launches once and passes the addresses instead).
  static Result<std::unique_ptr<ExternalStage>> Open(const ExternalTarget& t, std::uint64_t seed);
  ~ExternalStage() override;

  // Provisioning (ProvisionedStage): the real account (and password) for
  // scenario account `name` — registered fresh, or the next one of
  // --accounts; the run is UNIMPLEMENTED, never FAILED, when none can be had.

  // Virtual time 0 = now: call once, after provisioning, right before the
  // world is built.
  void StartClock();
  // The Env a client's role host runs on: a capture around the simulated
  // node's Env (pcap, transcript). For RefWorldOptions::wrap_client_env.
  std::unique_ptr<Env> WrapClient(const std::string& node, Env& env);
  // Puts relays on the world's server nodes and paces the world by the
  // wall clock. Call once (RefWorldOptions::relay_servers).
  Status Install(RefWorld& w);
  // What the clients sent and received, in time order ("udp#mc-0", ...).
  std::vector<reports::WireEvent> Transcript() const override;

  // bridge_* counters of the relays, provisioning counters.
  std::map<std::string, std::int64_t> counters() const override;
  const std::string& target_text() const override { return target_text_; }

 private:
  struct Impl;
  ExternalStage();
  std::unique_ptr<Impl> impl_;
  std::string target_text_;
};

}  // namespace mcpsim::scenarios
