// DirectAccounts: accounts and contact lists written straight into a
// deployment's accounts store, without the RS registration round trip — what
// the scenario runner, ChatWorld and the SG tests provision before a run. The
// SG's login path (RAT verifies the Argon2id hash, RSII, sync, RPS) is the
// same either way.
//
// Every account gets one password hash, drawn once (at the first account)
// with a salt from `salt`, so provisioning N accounts costs one hash. The
// nickname defaults to the account's local part.
#pragma once

#include <string>

#include "core/rng.h"
#include "core/status.h"
#include "reference/crypto/password.h"
#include "reference/store/store.h"

namespace mcpsim::reference {

class DirectAccounts {
 public:
  // `store` is not owned and must outlive this object.
  DirectAccounts(Store& store, std::string password, Rng salt, PasswordCost cost = PasswordCost::Minimal())
      : store_(store), password_(std::move(password)), salt_(std::move(salt)), cost_(cost) {}

  // True: created; false: the account existed (left as it was). The error of
  // the password hash or the store.
  Result<bool> Create(const std::string& account, const std::string& nickname = "");
  // One-sided list entry (SG-CONT-3); Befriend: both directions. The store's
  // error.
  Status AddContact(const std::string& owner, const std::string& contact);
  Status Befriend(const std::string& a, const std::string& b);

  const std::string& password() const { return password_; }
  // The PHC string every account gets (drawn now if not yet).
  Result<std::string> Hash();

 private:
  Store& store_;
  std::string password_;
  Rng salt_;
  PasswordCost cost_;
  std::string hash_;
};

}  // namespace mcpsim::reference
