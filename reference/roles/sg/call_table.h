// The conversations of one SG back end (PROTOCOL.md §7.5, G-41), indexed
// for the paths that run per message and per session end:
//   - by callId in a flat hash table (MemberCall on every RSM/RSB/RCM/RSR:
//     one probe instead of a tree walk over every live conversation);
//   - by member account (a session end, a back-end user going offline, a
//     nudge looking for a shared conversation: the account's conversations
//     instead of a scan of all of them);
//   - in ascending callId order for iteration (std::map; ids are never
//     reused, SG-CHAT-14), so what reaches output keeps the order it had.
//
// Every change to a conversation's members goes through the table (Put,
// AddMember, RemoveMember, Erase), which keeps the indexes exact.
// Pointers to a Call stay valid until that call is erased or replaced.
// Determinism: the hash indexes are lookup-only; every list returned is
// in ascending callId order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/flat_hash.h"
#include "reference/roles/sg/state.h"

namespace mcpsim::reference {

class CallTable {
 public:
  using Map = std::map<std::uint64_t, Call>;

  Call* Find(std::uint64_t id) {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
  }
  const Call* Find(std::uint64_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
  }
  // Creates call `id` with `members` (join order), or replaces its members.
  Call& Put(std::uint64_t id, std::vector<std::string> members);
  // Ends call `id` (no-op if unknown).
  void Erase(std::uint64_t id);
  // Appends `account` to `call`'s members.
  void AddMember(Call& call, std::string account);
  // Removes `account` from `call`'s members; false if it was not one.
  bool RemoveMember(Call& call, std::string_view account);
  // Whether `account` is a member of `call`.
  static bool IsMember(const Call& call, std::string_view account);
  // The calls `account` is a member of, ascending callId.
  std::vector<std::uint64_t> CallsOf(std::string_view account) const;

  Map::const_iterator begin() const { return calls_.begin(); }
  Map::const_iterator end() const { return calls_.end(); }
  std::size_t size() const { return calls_.size(); }

 private:
  void Index(const std::string& account, std::uint64_t id);
  // Drops `id` from `account`'s list unless `call` still lists `account`.
  void Unindex(std::string_view account, const Call& call);

  Map calls_;
  FlatHashMap<std::uint64_t, Call*> by_id_;
  // account -> its calls, ascending (an account is in few calls: a sorted
  // vector); lookup only.
  FlatHashMap<std::string, std::vector<std::uint64_t>> by_member_;
};

}  // namespace mcpsim::reference
