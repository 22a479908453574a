#include "reference/roles/sg/backend.h"

#include <algorithm>

#include "reference/roles/sg/sg.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {
void Backend::Unregister(SgRole* sg) {
  roles_.erase(std::remove(roles_.begin(), roles_.end(), sg), roles_.end());
  for (auto& [id, t] : transfers_) {
    if (t.home == sg) t.home = roles_.empty() ? nullptr : roles_.front();
  }
  for (auto& [key, c] : clips_) {
    if (c.home == sg) c.home = roles_.empty() ? nullptr : roles_.front();
  }
}

void Backend::FlushAll(TimeUs now) {
  for (SgRole* sg : roles_) sg->Flush(now);
}

Status Backend::SetPresence(TimeUs now, std::string_view account, std::string_view presence,
                            std::uint32_t caps) {
  if (!IsPresenceToken(presence) || caps > 7) {
    return Status::Error("SG-PRES-1", "bad presence token or caps");
  }
  if (online_.count(account)) return Status::Error("SG-PRES-1", "account has an MCP session");
  auto acc = store_.GetAccount(account);
  if (!acc.ok()) return acc.status();
  if (!acc->has_value()) return Status::Error("STORE-3", "no such account");
  SgRole* sg = AnyRole();
  if (presence == "offline") {
    backend_users_.erase(std::string(account));
    if (sg) {
      // Like SG-SESS-6 for a back-end user: leave every conversation first.
      const std::vector<std::uint64_t> ids = calls_.CallsOf(account);  // ascending
      for (std::uint64_t id : ids) sg->RemoveMember(now, id, account, "offline");
    }
  } else {
    backend_users_[std::string(account)] = BackendUser{std::string(presence), caps};
  }
  // CLU-18: the other SG processes see a back-end user as one ACTIVE here.
  PublishPresence(account, presence, presence == "offline" ? 0 : caps);
  if (sg) {
    sg->NotifyWatchers(account);  // SG-PRES-6
    FlushAll(now);
  }
  return {};
}

bool Backend::InjectNudge(TimeUs now, std::string_view from, std::string_view to) {
  SgRole* sg = AnyRole();
  if (!sg) return false;
  const bool queued = sg->Nudge(now, from, to);
  FlushAll(now);
  return queued;
}

Result<std::uint64_t> Backend::InjectOfflineMessage(TimeUs now, std::string_view from,
                                                    std::string_view to, std::string_view text) {
  SgRole* sg = AnyRole();
  if (!sg) return Status::Error("SG-OFF-7", "no SG registered");
  auto id = sg->StoreOffline(now, from, to, std::string(text));
  FlushAll(now);
  return id;
}

void Backend::OfflineQueued(TimeUs now, std::string_view recipient) {
  SgRole* sg = AnyRole();
  if (!sg) return;
  if (SgRole::Peer p = sg->Locate(recipient); p && p.s->state == SessionState::kActive) {
    p.sg->DeliverOffline(*p.s);
    FlushAll(now);
  }
}

void Backend::RecheckOffline(TimeUs now) {
  std::vector<std::string> accounts;  // sorted: the order reaches output
  for (const auto& [account, where] : online_) accounts.push_back(account);
  std::sort(accounts.begin(), accounts.end());
  for (const std::string& a : accounts) OfflineQueued(now, a);
}

Result<std::uint64_t> Backend::NextId(SharedIds::Counter counter, std::uint64_t& local) {
  if (shared_ids_) return shared_ids_->Next(counter);
  return local++;
}

Result<std::uint32_t> Backend::NextVoiceId() {
  auto id = NextId(SharedIds::Counter::kVoice, next_voice_);
  if (!id.ok()) return id.status();
  // voiceId is 1..4294967295 on the wire (SG-VOICE-3): a shared sequence
  // wraps there, skipping 0.
  return static_cast<std::uint32_t>((*id - 1) % 0xFFFFFFFFull + 1);
}

const SgRole* Backend::HolderOf(std::string_view account) const {
  auto it = online_.find(account);
  return it == online_.end() ? nullptr : it->second.sg;
}

std::vector<std::string> Backend::Members(std::uint64_t call_id) const {
  const Call* c = calls_.Find(call_id);
  return c == nullptr ? std::vector<std::string>{} : c->members;
}

const Transfer* Backend::FindTransfer(std::uint64_t id) const {
  auto it = transfers_.find(id);
  return it == transfers_.end() ? nullptr : &it->second;
}

}  // namespace mcpsim::reference
