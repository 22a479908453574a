// What a scenario run needs from a target that plays server roles in place
// of the reference (issue 13 and 17): accounts and contacts provisioned
// through the protocol, the TEST-1 captcha hook, counters and the clients'
// wire transcript. Two implementations: ExternalStage (external.h: a real
// server on real sockets, wall-clock time) and SimStage (sim_stage.h: a
// server inside the simulation under the interposer, virtual time).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "conformance/provision.h"
#include "core/env.h"
#include "core/status.h"
#include "reports/report.h"

namespace mcpsim::scenarios {

class TargetStage {
 public:
  virtual ~TargetStage() = default;
  // The target's account (and password) for scenario account `name`:
  // registered fresh through the protocol, or the next one of --accounts.
  // Error: why no account could be had (the run is then N/A, never FAILED).
  virtual Result<conformance::ProvisionAccount> Account(const std::string& name, const std::string& password) = 0;
  // `owner` adds every account of `contacts` to its list (RCE add).
  virtual Status AddContacts(const conformance::ProvisionAccount& owner, const std::vector<std::string>& contacts) = 0;
  // The captcha text the TEST-1 hook disclosed for the latest registration
  // session of the client on simulated node `ip` (register steps), or "".
  virtual std::string HookCaptchaFor(std::uint32_t ip) const = 0;
  // Relay, provisioning (and interposer) counters.
  virtual std::map<std::string, std::int64_t> counters() const = 0;
  // The target as reports name it (addresses, or the command).
  virtual const std::string& target_text() const = 0;
  // What the clients sent and received, in time order (empty: not recorded).
  virtual std::vector<reports::WireEvent> Transcript() const { return {}; }

  // A server-initiated request of the target's SG over UDP (RRM, RPN, …)
  // seen on the wire sent the six times of TIMER-2 to `client` and never
  // answered: the target gave up on it when the last wait ran out (`at`, the
  // sixth send + 8 s, TIMER-1/3) and, by TIMER-9, closed that client's
  // session then, which the MC is not told of (G-46). The checkers count it
  // as what the in-process reference reports itself (RefWorld::sg_closes).
  struct PushGiveUp {
    TimeUs at = 0;
    Endpoint client;
    std::string request;  // "RRM 123"
  };
  // In order of `at` (empty: not observed).
  virtual std::vector<PushGiveUp> PushesGivenUp() const { return {}; }
};

}  // namespace mcpsim::scenarios
