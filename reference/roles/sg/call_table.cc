#include "reference/roles/sg/call_table.h"

#include <algorithm>

namespace mcpsim::reference {

Call& CallTable::Put(std::uint64_t id, std::vector<std::string> members) {
  auto [it, inserted] = calls_.try_emplace(id);
  Call& c = it->second;
  if (inserted) {
    c.id = id;
    by_id_[id] = &c;
  }
  std::vector<std::string> old = std::move(c.members);
  c.members = std::move(members);
  for (const std::string& m : old) Unindex(m, c);
  for (const std::string& m : c.members) Index(m, id);
  return c;
}

void CallTable::Erase(std::uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  std::vector<std::string> old = std::move(it->second.members);
  it->second.members.clear();
  for (const std::string& m : old) Unindex(m, it->second);
  by_id_.erase(id);
  calls_.erase(it);
}

void CallTable::AddMember(Call& call, std::string account) {
  Index(account, call.id);
  call.members.push_back(std::move(account));
}

bool CallTable::RemoveMember(Call& call, std::string_view account) {
  auto m = std::find(call.members.begin(), call.members.end(), account);
  if (m == call.members.end()) return false;
  const std::string gone = std::move(*m);
  call.members.erase(m);
  Unindex(gone, call);
  return true;
}

bool CallTable::IsMember(const Call& call, std::string_view account) {
  return std::find(call.members.begin(), call.members.end(), account) != call.members.end();
}

std::vector<std::uint64_t> CallTable::CallsOf(std::string_view account) const {
  auto it = by_member_.find(std::string(account));
  return it == by_member_.end() ? std::vector<std::uint64_t>{} : it->second;
}

void CallTable::Index(const std::string& account, std::uint64_t id) {
  std::vector<std::uint64_t>& ids = by_member_[account];
  auto pos = std::lower_bound(ids.begin(), ids.end(), id);
  if (pos == ids.end() || *pos != id) ids.insert(pos, id);
}

void CallTable::Unindex(std::string_view account, const Call& call) {
  if (IsMember(call, account)) return;  // listed twice: still a member
  auto it = by_member_.find(std::string(account));
  if (it == by_member_.end()) return;
  std::vector<std::uint64_t>& ids = it->second;
  auto pos = std::lower_bound(ids.begin(), ids.end(), call.id);
  if (pos != ids.end() && *pos == call.id) ids.erase(pos);
  if (ids.empty()) by_member_.erase(it);
}

}  // namespace mcpsim::reference
