// SgSession: contact-list sync (RCS/RCR, §7.4.1-2), own profile (RPS/APS,
// §7.4.3) and presence (RNP, §7.4.5).
#include <algorithm>

#include "reference/roles/mc/sg_session.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {
namespace {

bool IsNotifiedPresence(std::string_view p) {
  static constexpr std::string_view kTokens[] = {"online", "busy",  "away",  "idle",
                                                 "brb",    "phone", "lunch", "offline"};
  return std::find(std::begin(kTokens), std::end(kTokens), p) != std::end(kTokens);
}

std::string LocalPart(const std::string& account) { return account.substr(0, account.find('@')); }

}  // namespace

void SgSession::RefuseSync(TimeUs now, Reply& reply, StatusCode code, const char* clause) {
  // SG-SYNC-8: a partial sync is discarded; SG-SYNC-6: the SG closes the
  // session after a non-zero ACS/ACR, so the client does too.
  reply.Fail(code);
  sync_.reset();
  Close(now, McOp::kSessionLost, std::string(clause) + ": contact sync refused (SG-SYNC-6)",
        Code(code));
}

void SgSession::OnRcs(TimeUs now, const wire::CommandView& c, Reply& reply) {
  if (c.param_count() != 3) return RefuseSync(now, reply, StatusCode::kBadParamCount, "CONV-4");
  const auto version = ParseDec(c.raw_param(0));
  const std::string_view mode = c.raw_param(1);
  const auto count = ParseDec(c.raw_param(2));
  const bool mode_ok = mode == "current" || mode == "full" || mode == "delta";
  if (!version || *version == 0 || !mode_ok || !count || *count > 1000 ||
      (mode == "current" && *count != 0)) {
    return RefuseSync(now, reply, StatusCode::kBadParam, "SG-SYNC-2");
  }
  // A new header discards any partially received sync (SG-SYNC-8).
  Sync s;
  s.version = *version;
  s.mode = std::string(mode);
  s.count = *count;
  s.pages = (*count + 3) / 4;
  s.trid = c.trid();
  s.initial = state_ == SgState::kGoingOnline || state_ == SgState::kSyncing;
  sync_ = std::make_unique<Sync>(std::move(s));
  if (state_ == SgState::kGoingOnline) {
    // ASII may be lost (SG-LOGIN-12): the RCS proves RSII was accepted
    // (SG-LOGIN-4), so stop resending it. A resent RSII that later gave up
    // (say, in a partition) would otherwise close the ACTIVE session without
    // telling anyone (sweep failure sg-chat-partition-heal --swarm seed 400).
    state_ = SgState::kSyncing;
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->second.req != Req::kRsii) continue;
      link_.Cancel(it->second.trid, "RSII");
      pending_.erase(it);
      break;
    }
  }
  reply.Ok();
  if (*count == 0) CommitSync(now);  // SG-SYNC-7: complete on ACS 0 for count 0
}

void SgSession::OnRcr(TimeUs now, const wire::CommandView& c, Reply& reply) {
  const std::size_t pc = c.param_count();
  if (pc < 3 + 7 || (pc - 3) % 7 != 0) {
    return RefuseSync(now, reply, StatusCode::kBadParamCount, "LIM-15");
  }
  const auto version = ParseDec(c.raw_param(0));
  const auto page = ParseDec(c.raw_param(1));
  const auto pages = ParseDec(c.raw_param(2));
  const std::size_t k = (pc - 3) / 7;
  // SG-SYNC-10: only the next page of the running sync is acceptable.
  if (!sync_ || !version || !page || !pages || *version != sync_->version ||
      *pages != sync_->pages || *page != sync_->next_page) {
    return RefuseSync(now, reply, StatusCode::kBadParam, "SG-SYNC-10");
  }
  const bool last = *page == *pages;
  if ((!last && k != 4) || sync_->records.size() + k > sync_->count ||
      (last && sync_->records.size() + k != sync_->count)) {
    return RefuseSync(now, reply, StatusCode::kBadParam, "LIM-15");
  }
  std::vector<Record> recs;
  recs.reserve(k);
  for (std::size_t r = 0; r < k; ++r) {
    const std::size_t b = 3 + 7 * r;
    Record rec;
    const std::string_view op = c.raw_param(b);
    rec.account = c.DecodeParam(b + 1);
    rec.contact.nickname = c.DecodeParam(b + 2);
    rec.contact.psm = c.DecodeParam(b + 3);
    rec.contact.avatar_id = c.DecodeParam(b + 4);
    const auto pv = ParseDec(c.raw_param(b + 5));
    const auto flags = ParseDec(c.raw_param(b + 6));
    bool ok = (op == "A" || op == "M" || op == "D") && IsAccountName(rec.account) && pv && flags;
    if (ok && op != "D") {
      ok = IsNickname(rec.contact.nickname) && IsPersonalMessage(rec.contact.psm) &&
           (rec.contact.avatar_id.empty() || IsMediaId(rec.contact.avatar_id));
    }
    if (!ok) return RefuseSync(now, reply, StatusCode::kBadParam, "SG-SYNC-3");
    rec.op = op[0];
    rec.contact.profile_version = *pv;
    rec.contact.flags = *flags;
    recs.push_back(std::move(rec));
  }
  for (Record& r : recs) sync_->records.push_back(std::move(r));
  ++sync_->next_page;
  reply.Ok();
  if (last) CommitSync(now);  // SG-SYNC-7: complete on ACR 0 for the last page
}

void SgSession::CommitSync(TimeUs now) {
  Sync s = std::move(*sync_);
  sync_.reset();
  const bool full = s.mode == "full";
  if (cache_) {
    for (const Record& r : s.records) {  // MS-5: changed, non-empty avatars
      auto old = contacts_.find(r.account);
      if (r.op != 'D' && !r.contact.avatar_id.empty() &&
          (old == contacts_.end() || old->second.avatar_id != r.contact.avatar_id)) {
        avatars_wanted_.emplace_back(r.account, r.contact.avatar_id);
      }
    }
  }
  std::vector<std::pair<std::string, McContact>> upserts;
  std::vector<std::string> removed;
  if (full) {
    // SG-SYNC-8: replace the list with the records (a full sync has only A).
    FlatMap<Atom, McContact> fresh;
    for (Record& r : s.records) {
      if (r.op == 'D') continue;
      upserts.emplace_back(r.account, r.contact);
      fresh[r.account] = std::move(r.contact);
    }
    for (const auto& [name, c] : contacts_) {
      if (!fresh.count(name)) DropPresenceOlderThan(name, s.trid);
    }
    contacts_ = std::move(fresh);
  } else {
    for (Record& r : s.records) {
      if (r.op == 'D') {
        contacts_.erase(r.account);
        DropPresenceOlderThan(r.account, s.trid);
        removed.push_back(r.account);
      } else {
        upserts.emplace_back(r.account, r.contact);
        contacts_[r.account] = std::move(r.contact);
      }
    }
  }
  list_version_ = s.version;
  if (cache_ && !cache_->CommitSync(config_.device_id, account_, list_version_, full, upserts, removed).ok()) {
    ++cache_errors_;
  }
  if (s.initial) {
    initial_mode_ = s.mode;
    initial_count_ = s.count;
    state_ = SgState::kProfile;
    // SG-PROF-4 / CACHE-3: the cached profile and version; CACHE-4: 0 without.
    McProfile first = profile_;
    if (!cache_ || first.version == 0) {
      first = McProfile{};
      first.nickname = config_.nickname.empty() ? LocalPart(account_) : config_.nickname;
    }
    SendRps(now, Req::kRpsLogin, 0, first);
    return;
  }
  McEvent e;
  e.op = McOp::kContactsChanged;
  e.params = {s.mode, std::to_string(s.count), std::to_string(s.version)};
  e.object_id = s.version;
  e.at = now;
  Notify(std::move(e));
}

void SgSession::OnAps(TimeUs now, const Pending& p, const wire::CommandView& a,
                      std::uint16_t status) {
  std::optional<std::uint32_t> version;
  if (status == 0 && a.param_count() == 4) version = ParseDec(a.raw_param(0));
  if (version) {
    std::string avatar = a.DecodeParam(3);
    if (cache_ && !avatar.empty() && avatar != profile_.avatar_id) avatars_wanted_.emplace_back("", avatar);
    profile_.version = *version;
    profile_.nickname = a.DecodeParam(1);
    profile_.psm = a.DecodeParam(2);
    profile_.avatar_id = a.DecodeParam(3);
    if (cache_ && !cache_->SaveProfile(config_.device_id, account_, profile_).ok()) ++cache_errors_;
  }
  if (p.req != Req::kRpsLogin) {
    return Report(now, p.op, McOp::kSetProfile, version ? 0 : (status ? status : Code(StatusCode::kBadParam)),
                  &a);
  }
  if (state_ != SgState::kProfile) return;
  if (!version) {
    FailLogin(now, McEvent::Outcome::kStatus, status ? status : Code(StatusCode::kBadParam), "RPS refused");
    Send(now, Req::kRlo, "RLO", nullptr, Pending{});  // release the server session
    return Close(now, McOp::kLogin, "login failed at RPS");
  }
  state_ = SgState::kActive;  // SG-PROF-2
  McEvent e;
  e.op_id = login_op_;
  e.op = McOp::kLogin;
  e.params = {initial_mode_, std::to_string(initial_count_), std::to_string(list_version_)};
  e.object_id = list_version_;
  e.account = account_;
  e.at = now;
  login_op_ = 0;
  sink_.Emit(std::move(e));
}

void SgSession::DropPresenceOlderThan(const std::string& account, std::uint32_t trid) {
  auto p = presence_.find(account);
  if (p != presence_.end() && static_cast<std::int32_t>(p->second.trid - trid) < 0) presence_.erase(p);
}

void SgSession::OnRnp(TimeUs now, const wire::CommandView& c, Reply& reply) {
  if (c.param_count() != 3) return reply.Fail(StatusCode::kBadParamCount);
  std::string account = c.DecodeParam(0);
  const std::string_view state = c.raw_param(1);
  const auto caps = ParseDec(c.raw_param(2));
  if (!IsAccountName(account) || !IsNotifiedPresence(state) || !caps || *caps > 7) {
    return reply.Fail(StatusCode::kBadParam);
  }
  reply.Ok();
  // SG-PRES-8: RNPs of one account can arrive out of order (a lost one is
  // resent after later ones, SG-SESS-4 windows); only a newer trid (serial
  // order, trids wrap) than the last applied one for the account counts.
  const std::uint32_t trid = c.trid();
  std::uint32_t last = 0;
  bool seen = false;
  if (auto p = presence_.find(account); p != presence_.end()) {
    last = p->second.trid;
    seen = true;
  } else if (auto o = offline_trid_.find(account); o != offline_trid_.end()) {
    last = o->second;
    seen = true;
  }
  if (seen && static_cast<std::int32_t>(trid - last) <= 0) return;  // stale: answered, not shown
  // SG-PRES-7: kept even for accounts not (yet) on the list.
  if (state == "offline") {
    presence_.erase(account);
    offline_trid_[account] = trid;
  } else {
    offline_trid_.erase(account);
    presence_[account] = McPresence{std::string(state), *caps, trid};
  }
  McEvent e;
  e.op = McOp::kPresence;
  e.account = std::move(account);
  e.text = std::string(state);
  e.object_id = *caps;
  e.at = now;
  Notify(std::move(e));
}

}  // namespace mcpsim::reference
