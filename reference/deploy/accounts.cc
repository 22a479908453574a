#include "reference/deploy/accounts.h"

namespace mcpsim::reference {

Result<std::string> DirectAccounts::Hash() {
  if (hash_.empty()) {
    auto h = HashPassword(password_, salt_, cost_);
    if (!h.ok()) return h.status();
    hash_ = std::move(*h);
  }
  return hash_;
}

Result<bool> DirectAccounts::Create(const std::string& account, const std::string& nickname) {
  auto hash = Hash();
  if (!hash.ok()) return hash.status();
  Account a;
  a.name = account;
  a.password_hash = *hash;
  a.nickname = nickname.empty() ? account.substr(0, account.find('@')) : nickname;
  return store_.CreateAccount(a);
}

Status DirectAccounts::AddContact(const std::string& owner, const std::string& contact) {
  auto r = store_.EditContact(owner, contact, ContactEdit::kAdd);
  return r.ok() ? Status{} : r.status();
}

Status DirectAccounts::Befriend(const std::string& a, const std::string& b) {
  if (Status s = AddContact(a, b); !s.ok()) return s;
  return AddContact(b, a);
}

}  // namespace mcpsim::reference
