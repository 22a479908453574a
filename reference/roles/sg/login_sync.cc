// SG login (§7.3: RAT, RSII, RLI, RPOL, RLO, SG-LOGIN-*), contact-list sync
// (§7.4.1–2: RCS/RCR, SG-SYNC-*) and own-profile sync (§7.4.3: RPS, SG-PROF-*).
#include <algorithm>

#include "reference/crypto/password.h"
#include "reference/roles/sg/sg.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {

void SgRole::Rat(const RequestContext& ctx, Session*, const wire::CommandView& cmd, Reply& reply) {
  const std::string account = cmd.DecodeParam(0), password = cmd.DecodeParam(1);
  // SG-LOGIN-3 / PRIV-4: privacy must be "1".
  if (!IsAccountName(account) || !IsPassword(password) || !IsDeviceId(cmd.DecodeParam(2)) ||
      !ParseClientVersion(cmd.DecodeParam(3)) || !cmd.ParamEquals(4, "1")) {
    return reply.Fail(StatusCode::kBadParam);
  }
  // RATE-4/5 (RATE-3: refused at once, nothing verified): the source
  // address's bucket, the name's back-off, the name's bucket.
  const std::string address = AddressKey(ctx.source, config_.server.test_rate_key_port);  // RATE-2
  if (!rat_addr_.Take(ctx.now, address) || !login_backoff_.Allowed(ctx.now, account) ||
      !rat_account_.Take(ctx.now, account)) {
    ++rat_refused_;
    return reply.Fail(StatusCode::kRateLimited);
  }
  if (!reply.can_defer()) return reply.Fail(reply.busy_status());  // LIM-23 / RATE-10
  auto acc = store_.GetAccount(account);
  if (!acc.ok()) return reply.Fail(StatusCode::kStorage);
  // SG-LOGIN-1: the verification is work for the host (role.h); an unknown
  // account is verified against a dummy hash of the same cost, so both cost
  // the same and answer the same 201 (SG-LOGIN-16).
  Work w;
  w.kind = Work::Kind::kVerifyPassword;
  w.password = password;
  w.encoded = acc->has_value() ? (*acc)->password_hash : DummyPasswordHash(config_.dummy_cost);
  reply.Defer(std::move(w));
}

void SgRole::ResumeRequest(const RequestContext& ctx, const wire::CommandView& cmd,
                           const WorkResult& result, Reply& reply) {
  now_ = ctx.now;
  if (cmd.word() != "RAT") return reply.Fail(StatusCode::kInternal);
  RatVerified(ctx, cmd, result.ok, reply);
}

void SgRole::RatVerified(const RequestContext& ctx, const wire::CommandView& cmd, bool match,
                         Reply& reply) {
  const std::string account = cmd.DecodeParam(0);
  if (!match) {
    login_backoff_.Failure(ctx.now, account);  // RATE-5
    return reply.Fail(StatusCode::kAuthFailed);  // SG-LOGIN-1
  }
  login_backoff_.Success(account);
  // The binding may have logged in while this RAT was verified (SG-SESS-2).
  if (SessionFor(ctx)) return reply.Fail(StatusCode::kAlreadyLoggedIn);
  // SG-LOGIN-8: the new login replaces any existing session of the account.
  if (Peer old = Locate(account)) CloseSession(ctx.now, *old.s, CloseWhy::kReplaced);
  if (const std::uint32_t sg = backend_.RemoteSgOf(account)) {
    Relay r;  // CLU-14: the session at another SG process is replaced there
    r.kind = Relay::Kind::kReplace;
    r.to_sg = sg;
    r.account = account;
    backend_.Emit(std::move(r));
    backend_.remote_.erase(account);
  }
  backend_.backend_users_.erase(account);  // now an MCP user
  // TRID-4 / G-80: each session's push trids start at random, so a delayed
  // duplicate of the previous session's push on the same binding is caught
  // by the MC's answer cache instead of being taken for a new request.
  const auto first_trid =
      config_.random_push_trids ? static_cast<std::uint32_t>(trid_rng_.Range(1, 2147483647)) : 1u;
  auto owned = std::make_unique<Session>(next_session_++, ctx.via, config_.retry, config_.push, first_trid);
  Session& s = *owned;
  s.home = this;
  s.account = account;
  s.state = SessionState::kAuthed;
  s.last_activity = ctx.now;
  s.token = NewToken();  // SG-LOGIN-2
  s.endpoint = ctx.peer.endpoint;
  if (ctx.via == Via::kUdp) by_endpoint_[s.endpoint] = s.id;  // UDP-3
  if (ctx.via == Via::kTcp) {
    s.conn = ctx.peer.conn;  // TCP-2
    by_conn_[s.conn] = s.id;
  }
  if (ctx.via == Via::kHttp) {
    by_token_[s.token] = s.id;  // HTTP-7
    ctx.issued_session = s.token;
  }
  backend_.online_[account] = Backend::Location{this, s.id};
  reply.Ok({s.token});
  Touch(s);
  sessions_.emplace(s.id, std::move(owned));
}

void SgRole::Rsii(const RequestContext&, Session* s, const wire::CommandView& cmd, Reply& reply) {
  if (!cmd.ParamEquals(0, s->token)) return reply.Fail(StatusCode::kUnknownSession);
  const std::string presence = cmd.DecodeParam(1);
  const auto caps = ParseDec(cmd.DecodeParam(2));
  const auto list_version = ParseDec(cmd.DecodeParam(3));
  if (!IsPresenceToken(presence) || presence == "offline" || !caps || *caps > 7 || !list_version) {
    return reply.Fail(StatusCode::kBadParam);
  }
  s->presence = presence;
  s->caps = *caps;
  s->state = SessionState::kOnline;  // SG-LOGIN-4
  s->validated = true;
  reply.Ok();
  StartSync(*s, *list_version, /*initial=*/true);
}

void SgRole::Rli(const RequestContext&, Session* s, const wire::CommandView& cmd, Reply& reply) {
  const std::string presence = cmd.DecodeParam(0);
  const auto caps = ParseDec(cmd.DecodeParam(1));
  if (!IsPresenceToken(presence) || presence == "offline" || !caps || *caps > 7) {
    return reply.Fail(StatusCode::kBadParam);  // SG-PRES-1
  }
  s->presence = presence;
  s->caps = *caps;
  reply.Ok();
  if (s->state == SessionState::kActive) backend_.PublishPresence(s->account, s->presence, s->caps);  // CLU-11
  NotifyWatchers(s->account);  // SG-LOGIN-7; repeats are suppressed per watcher
}

void SgRole::Rpol(const RequestContext& ctx, Session*, const wire::CommandView&, Reply& reply) {
  std::uint32_t interval =
      ctx.via == Via::kHttp ? config_.http_poll_interval_s : config_.poll_interval_s;
  // G-66: the interval is the SG's choice up to the default; asking for
  // earlier polls only adds RPOLs (TIMER-11, HTTP-9 still bound the silence).
  if (FaultPoint(config_.server.faults, "sg.poll.interval.short")) interval = std::max<std::uint32_t>(1, interval / 3);
  reply.Ok({std::to_string(interval)});
}

void SgRole::Rlo(const RequestContext& ctx, Session* s, const wire::CommandView&, Reply& reply) {
  reply.Ok();  // SG-LOGIN-11: ALO, then close
  CloseSession(ctx.now, *s, CloseWhy::kLogout);
}

void SgRole::Rps(const RequestContext& ctx, Session* s, const wire::CommandView& cmd,
                 Reply& reply) {
  const auto base = ParseDec(cmd.DecodeParam(0));
  Profile want{cmd.DecodeParam(1), cmd.DecodeParam(2), cmd.DecodeParam(3), 0};
  const bool limits_ok = !config_.profile_limits || (IsNickname(want.nickname) && IsPersonalMessage(want.psm));
  if (!base || !limits_ok || (!want.avatar_id.empty() && !IsMediaId(want.avatar_id))) {
    return reply.Fail(StatusCode::kBadParam);
  }
  auto stored = store_.GetProfile(s->account);
  if (!stored.ok() || !stored->has_value()) return reply.Fail(StatusCode::kStorage);
  Profile p = **stored;
  // SG-PROF-1: only an up-to-date client changes the profile.
  const bool changes = *base == p.version && (want.nickname != p.nickname || want.psm != p.psm ||
                                              want.avatar_id != p.avatar_id);
  if (changes) {
    reply.MarkWrite();
    auto owners = store_.UpdateProfile(s->account, want);
    if (!owners.ok()) return reply.Fail(StatusCode::kStorage);
    want.version = p.version + 1;
    p = want;
    AfterCommit([this, owners = std::move(*owners)] {  // G-79
      for (const std::string& o : owners) ListChanged(o);  // SG-PROF-3
    });
  }
  reply.Begin().ParamNumber(p.version).Param(p.nickname).Param(p.psm).Param(p.avatar_id);
  if (s->state != SessionState::kOnline) return;
  if (!changes || !config_.rps_effects_in_order) return EnterActive(ctx.now, *s);  // SG-PROF-2
  // SG-PROF-6 (G-60): the profile change's delta RCS to the listing users
  // comes before the presence exchange. Inside a group-commit batch that RCS
  // waits for the commit (G-79), so the move to ACTIVE waits with it, in
  // that order (issue 14: the watcher's RNP had the lower trid); a failed
  // batch leaves the session ONLINE and the resent RPS does both again.
  AfterCommit([this, id = s->id] {
    auto it = sessions_.find(id);
    if (it != sessions_.end() && it->second->state == SessionState::kOnline) EnterActive(now_, *it->second);
  });
}

// ---- contact sync ----

namespace {
ContactRecord RecordOf(char op, const ContactEntry& e) {
  return ContactRecord{op, e.account, e.profile.nickname, e.profile.psm, e.profile.avatar_id,
                       e.profile.version, e.blocked ? 1u : 0u};
}
}  // namespace

void SgRole::StartSync(Session& s, std::uint32_t base, bool initial) {
  auto list = store_.GetContactList(s.account);
  if (!list.ok()) {
    // Storage failure: no sync now. It is tried again after the session's
    // next request or store_retry later (SG-SYNC-13): else the login would
    // never complete, or the client's list would trail the stored one.
    if (initial) {
      s.initial_sync_failed = true;
      s.initial_base = base;
    } else {
      s.sync_failed = true;
    }
    return RetryStoreLater(s);
  }
  if (initial) s.initial_sync_failed = false;
  s.sync_failed = false;
  const std::uint32_t v = list->version;
  if (!initial && base == v) return;  // nothing changed since the last sync
  std::vector<ContactRecord> records;
  const char* mode = "full";
  if (base == v) {
    mode = "current";  // SG-SYNC-2
  } else if (base > 0 && base < v && base >= list->horizon) {
    mode = "delta";  // SG-SYNC-3: changed entries and newer tombstones, ascending account
    auto e = list->entries.begin();
    auto t = list->tombstones.begin();
    while (e != list->entries.end() || t != list->tombstones.end()) {
      const bool take_entry =
          t == list->tombstones.end() || (e != list->entries.end() && e->account < t->account);
      if (take_entry) {
        if (e->changed_version > base) records.push_back(RecordOf(e->added_version > base ? 'A' : 'M', *e));
        ++e;
      } else {
        if (t->version > base) records.push_back(ContactRecord{'D', t->account, "", "", "", 0, 0});
        ++t;
      }
    }
  } else {
    for (const ContactEntry& e : list->entries) records.push_back(RecordOf('A', e));
  }
  s.records = std::move(records);  // SG-SYNC-4: fixed at RCS creation
  const std::size_t per = std::max<std::uint32_t>(config_.rcr_page_records, 1);
  s.pages = static_cast<std::uint32_t>((s.records.size() + per - 1) / per);
  s.client_version = v;
  s.sync_running = true;
  s.sync_again = false;
  s.sync_final_trid = 0;
  const std::uint32_t trid =
      Enqueue(s, "RCS", {std::to_string(v), mode, std::to_string(s.records.size())});
  if (s.pages == 0) s.sync_final_trid = trid;
}

void SgRole::SendPage(Session& s, std::uint32_t page) {
  std::vector<std::string> params = {std::to_string(s.client_version), std::to_string(page),
                                     std::to_string(s.pages)};
  const std::size_t per = std::max<std::uint32_t>(config_.rcr_page_records, 1);
  const std::size_t first = (page - 1) * per;
  std::optional<ContactList> now;  // TEST-ONLY defect (sync_records_at_rcs false): the current entries
  if (!config_.sync_records_at_rcs) {
    if (auto list = store_.GetContactList(s.account); list.ok()) now = std::move(*list);
  }
  for (std::size_t i = first; i < s.records.size() && i < first + per; ++i) {
    ContactRecord r = s.records[i];
    if (now) {
      for (const ContactEntry& e : now->entries) {
        if (e.account == r.account && r.op != 'D') r = RecordOf(r.op, e);
      }
    }
    params.insert(params.end(), {std::string(1, r.op), r.account, r.nickname, r.psm, r.avatar_id,
                                 std::to_string(r.profile_version), std::to_string(r.flags)});
  }
  const std::uint32_t trid = Enqueue(s, "RCR", params, page);
  if (page == s.pages) s.sync_final_trid = trid;
}

void SgRole::OnSyncAnswer(TimeUs now, Session& s, const PushChannel::Entry& e,
                          std::uint32_t status) {
  if (status != 0) return CloseSession(now, s, CloseWhy::kSyncFailed);  // SG-SYNC-6
  if (!s.sync_running) return;
  // SG-SYNC-5: the next page only after the previous one was acknowledged.
  const std::uint32_t done = e.word == "RCS" ? 0 : static_cast<std::uint32_t>(e.tag);
  if (!config_.rcr_stop_and_wait) {  // TEST-ONLY defect: every page right after ACS
    if (done == 0 && s.pages > 0) {
      for (std::uint32_t p = 1; p <= s.pages; ++p) SendPage(s, p);
      return;
    }
    if (done < s.pages) return;
  }
  if (done < s.pages) return SendPage(s, done + 1);
  s.sync_running = false;  // SG-SYNC-7
  s.sync_final_trid = 0;
  s.records.clear();
  s.initial_sync_done = true;
  if (s.sync_again) StartSync(s, s.client_version, /*initial=*/false);
}

bool SgRole::RpsCompletesSync(TimeUs now, Session& s) {
  // The MC sends RPS only after answering the sync's final request 0
  // (SG-LOGIN-6/12), so its RPS overtaking that answer (lost datagram, the
  // ACR replayed only on the RCR's resend) proves the sync complete. Pages
  // before the last, or a final request still queued, prove nothing.
  if (!s.sync_running || s.sync_final_trid == 0) return false;
  auto e = s.push.OnAnswer(s.sync_final_trid, s.pages == 0 ? "ACS" : "ACR");
  if (!e) return false;  // not in flight: not yet sent, or already answered
  MarkDirty(s);          // a window slot is free
  OnSyncAnswer(now, s, *e, 0);
  return s.initial_sync_done;
}

void SgRole::ListChanged(std::string_view owner) {
  Peer p = Locate(owner);
  if (!p || (p.s->state != SessionState::kOnline && p.s->state != SessionState::kActive)) return;
  if (p.s->sync_running) {
    p.s->sync_again = true;  // SG-SYNC-9: after the running sync completes
    return;
  }
  StartSync(*p.s, p.s->client_version, /*initial=*/false);
}

void SgRole::EnterActive(TimeUs, Session& s) {
  s.state = SessionState::kActive;
  // SG-PRES-3: contacts' presence to the user, the user's presence to its
  // watchers, then offline messages.
  if (auto list = store_.GetContactList(s.account); list.ok()) {
    for (const ContactEntry& e : list->entries) NotifyPair(s.account, e.account);
  }
  backend_.PublishPresence(s.account, s.presence, s.caps);  // CLU-11 (raw: hidden too)
  if (s.presence != "hidden") NotifyWatchers(s.account);
  DeliverOffline(s);
}

}  // namespace mcpsim::reference
