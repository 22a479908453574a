// Accounts on any server, through the protocol (issue 13 item 5): what a
// scenario run against an external target (and a conformance case that needs
// users) uses instead of writing into a store it does not own.
//
//   Account(name, password): the next account of --accounts FILE, or a fresh
//     one registered through RS over HTTP (RAP, RBIN/ABIN, REG). The captcha
//     text comes from the TEST-1 hook (PROTOCOL.md §7.2: the AAP response's
//     `X-MCP-Test-Captcha` header of a server started in test mode), else
//     from the reference reader (reference::ReadCaptcha). When neither works
//     and no account is left, the error says so: the caller reports the run
//     or case UNIMPLEMENTED with that reason, never FAILED.
//   AddContacts(owner, accounts): logs `owner` in over SG (UDP, else TCP),
//     sends RCE add for each account, logs out.
//
// Runs on the Target's Env and loop (the harness: conformance/harness.h),
// blocking-style.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/harness.h"

namespace mcpsim::conformance {

// RS-4: the captcha image of registration session `sid`, from the RBIN
// chunks in `cmds` (the decoded AAP answer body, AAP first) and in the answers
// to the ABINs it POSTs for them (at most 20 rounds). Errors: RS-1 (no usable
// AAP), RS-4 (a POST failed).
Result<std::string> FetchCaptchaImage(Ctx& c, const std::string& sid, std::vector<wire::Command> cmds);

struct ProvisionAccount {
  std::string name, password;
};

// `account password` per line; `#` comments and blank lines skipped.
// Clause CONF-6 with the line number on a malformed line.
Result<std::vector<ProvisionAccount>> ParseAccountsFile(std::string_view text);

struct ProvisionStats {
  std::int64_t registered = 0, from_file = 0, captcha_hook = 0, captcha_reader = 0;
  std::int64_t contacts_added = 0, logins = 0;
};

class Provisioner {
 public:
  // `target` needs env, loop and http (registration) / udp or tcp (contacts).
  Provisioner(Target target, std::vector<ProvisionAccount> existing, int timeout_ms = 3000);

  // `name` is only a hint: a fresh account gets a run-unique name derived
  // from it (local part + "-" + 8 hex of Fresh()), registered with `password`.
  Result<ProvisionAccount> Account(const std::string& name, const std::string& password);
  // Error clause CONF-7 naming the step that failed.
  Status AddContacts(const ProvisionAccount& owner, const std::vector<std::string>& contacts);

  const ProvisionStats& stats() const { return stats_; }

 private:
  Result<ProvisionAccount> Register(const std::string& name, const std::string& password);
  Target target_;
  std::vector<ProvisionAccount> existing_;
  std::size_t next_existing_ = 0;
  int timeout_ms_;
  std::uint64_t serial_ = 0;
  ProvisionStats stats_;
};

}  // namespace mcpsim::conformance
