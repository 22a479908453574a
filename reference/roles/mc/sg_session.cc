#include "reference/roles/mc/sg_session.h"

#include <algorithm>

#include "reference/roles/validate.h"
#include "reference/wire/words.h"

namespace mcpsim::reference {

const char* SgStateName(SgState s) {
  switch (s) {
    case SgState::kAuthenticating: return "authenticating";
    case SgState::kGoingOnline: return "going-online";
    case SgState::kSyncing: return "syncing";
    case SgState::kProfile: return "profile";
    case SgState::kActive: return "active";
    case SgState::kClosed: return "closed";
  }
  return "?";
}

SgSession::SgSession(const McConfig& config, const Endpoint& sg, std::uint32_t first_trid,
                     ClientCache* cache, McEventSink& sink, std::optional<std::uint64_t> stream_conn)
    : config_(config),
      cache_(cache),
      sink_(sink),
      link_(stream_conn ? UdpLink::Stream(sg, *stream_conn, first_trid, config.retry)
                        : UdpLink(sg, first_trid, config.retry, config.faults)),
      poll_interval_(config.poll_interval) {}

std::uint64_t SgSession::Refuse(TimeUs now, McOp op, std::string why) {
  McEvent e;
  e.op_id = sink_.NewOp();
  e.op = op;
  e.outcome = McEvent::Outcome::kRefused;
  e.detail = std::move(why);
  e.at = now;
  const std::uint64_t id = e.op_id;
  sink_.Emit(std::move(e));
  return id;
}

std::uint64_t SgSession::NeedActive(TimeUs now, McOp op) {
  if (state_ == SgState::kActive) return 0;
  return Refuse(now, op, std::string("session is ") + SgStateName(state_) + ", not active (SG-SESS-2)");
}

void SgSession::Notify(McEvent e) {
  e.op_id = 0;
  sink_.Emit(std::move(e));
}

std::uint64_t SgSession::Send(TimeUs now, Req req, std::string_view word, const ParamsFn& params,
                              Pending p, std::size_t pad_to) {
  p.req = req;
  const bool login_step = req == Req::kRat || req == Req::kRsii || req == Req::kRpsLogin ||
                          req == Req::kRlo || req == Req::kRloStale;
  if (!login_step && link_.outstanding() >= config_.session_window) {  // LIM-20
    if (p.op == 0) return 0;
    McEvent e;
    e.op_id = p.op;
    e.outcome = McEvent::Outcome::kRefused;
    e.detail = "LIM-20: " + std::to_string(config_.session_window) + " requests outstanding";
    e.at = now;
    sink_.Emit(std::move(e));
    return p.op;
  }
  const std::uint64_t tag = next_tag_++;
  auto trid = link_.Send(now, word, params, tag, pad_to);
  if (!trid.ok()) {
    if (p.op != 0) {
      McEvent e;
      e.op_id = p.op;
      e.outcome = McEvent::Outcome::kRefused;
      e.detail = trid.status().ToString();
      e.at = now;
      sink_.Emit(std::move(e));
    }
    return p.op;
  }
  p.trid = *trid;
  const std::uint64_t op = p.op;
  pending_.emplace(tag, std::move(p));
  return op;
}

// ---- login, logout, keep-alive -------------------------------------------

std::uint64_t SgSession::Login(TimeUs now, const std::string& account, const std::string& password) {
  login_op_ = sink_.NewOp();
  account_ = account;
  presence_state_ = config_.presence;
  caps_ = config_.caps;
  // CACHE-1/5: only this (DeviceId, account)'s cache; CACHE-4 without one.
  // CACHE-4: a phone may find its cache unusable (mc.cache.unusable); it then
  // logs in like one without a cache (listVersion 0, full sync).
  if (cache_ && FaultPoint(config_.faults, "mc.cache.unusable")) {
    list_version_ = 0;
    profile_ = {};
    contacts_.clear();
  } else if (cache_) {
    auto cached = cache_->Load(config_.device_id, account_);
    if (cached.ok()) {
      list_version_ = cached->list_version;
      profile_ = std::move(cached->profile);
      contacts_.clear();
      for (auto& [name, c] : cached->contacts) contacts_.try_emplace(name, std::move(c));  // ascending
    } else {
      ++cache_errors_;
    }
  }
  password_ = password;
  stale_cleared_ = false;
  SendRat(now);
  return login_op_;
}

void SgSession::SendRat(TimeUs now) {
  Pending p;
  p.op = login_op_;
  Send(now, Req::kRat, "RAT", [&](wire::LineWriter& w) {
    w.Param(account_).Param(password_).Param(config_.device_id).Param(config_.client_version);
    w.Param("1");  // PRIV-3
  }, std::move(p), config_.rat_pad_to);
}

void SgSession::FailLogin(TimeUs now, McEvent::Outcome outcome, std::uint16_t status,
                          std::string detail) {
  if (login_op_ == 0) return;
  McEvent e;
  e.op_id = login_op_;
  e.op = McOp::kLogin;
  e.outcome = outcome;
  e.status = status;
  e.detail = std::move(detail);
  e.at = now;
  login_op_ = 0;
  sink_.Emit(std::move(e));
}

void SgSession::Close(TimeUs now, McOp why_op, std::string detail, std::uint16_t status) {
  if (state_ == SgState::kClosed) return;
  state_ = SgState::kClosed;
  sync_.reset();
  if (login_op_ != 0) {
    FailLogin(now, McEvent::Outcome::kRefused, 0, detail);
  } else if (why_op == McOp::kSessionLost || why_op == McOp::kKicked) {
    McEvent e;
    e.op = why_op;
    e.status = status;
    e.detail = detail;
    e.at = now;
    Notify(std::move(e));
  }
  // Transfers end with the session (SG-SESS-6 on the server side).
  Transfers none;  // (empty maps: no allocation)
  Transfers& x = xfer_ ? *xfer_ : none;
  for (auto& [id, up] : x.files_out_) {
    McEvent e;
    e.op = McOp::kFileFailed;
    e.object_id = id;
    e.call_id = up.call;
    e.detail = "session closed";
    e.at = now;
    Notify(std::move(e));
  }
  for (auto& [id, up] : x.voice_out_) {
    McEvent e;
    e.op_id = up.op;
    e.op = McOp::kSendVoice;
    e.outcome = McEvent::Outcome::kRefused;
    e.object_id = id;
    e.detail = "session closed";
    e.at = now;
    sink_.Emit(std::move(e));
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.req == Req::kRot || it->second.req == Req::kRsv) {
      link_.Cancel(it->second.trid, it->second.req == Req::kRot ? "ROT" : "RSV");
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  x.files_out_.clear();
  x.voice_out_.clear();
  x.files_in_.clear();
  x.voice_in_.clear();
  x.early_decisions_.clear();
  presence_.clear();
  calls_.clear();
}

std::uint64_t SgSession::Logout(TimeUs now) {
  if (state_ == SgState::kClosed) return Refuse(now, McOp::kLogout, "no open session");
  Pending p;
  p.op = sink_.NewOp();
  const std::uint64_t op = Send(now, Req::kRlo, "RLO", nullptr, std::move(p));
  // SG-LOGIN-11: logged out once RLO is sent, whether or not ALO arrives.
  Close(now, McOp::kLogout, "logged out");
  return op;
}

std::uint64_t SgSession::SetPresence(TimeUs now, const std::string& presence, std::uint32_t caps) {
  if (auto r = NeedActive(now, McOp::kSetPresence)) return r;
  if (presence == "offline") return Refuse(now, McOp::kSetPresence, "presence offline: log out instead (SG-PRES-1)");
  Pending p;
  p.op = sink_.NewOp();
  p.arg = presence;
  p.id = caps;
  return Send(now, Req::kRli, "RLI", [&](wire::LineWriter& w) { w.Param(presence).ParamNumber(caps); },
              std::move(p));
}

void SgSession::SendRps(TimeUs now, Req req, std::uint64_t op, const McProfile& prof) {
  Pending p;
  p.op = op;
  Send(now, req, "RPS", [&](wire::LineWriter& w) {
    w.ParamNumber(prof.version).Param(prof.nickname).Param(prof.psm).Param(prof.avatar_id);
  }, std::move(p));
}

std::uint64_t SgSession::SetProfile(TimeUs now, const std::string& nickname, const std::string& psm,
                                    const std::string& avatar_id) {
  if (auto r = NeedActive(now, McOp::kSetProfile)) return r;
  McProfile p = profile_;  // SG-PROF-4: baseVersion = the cached version
  p.nickname = nickname;
  p.psm = psm;
  p.avatar_id = avatar_id;
  const std::uint64_t op = sink_.NewOp();
  SendRps(now, Req::kRps, op, p);
  return op;
}

std::uint64_t SgSession::EditContact(TimeUs now, const std::string& op_token,
                                     const std::string& account) {
  if (auto r = NeedActive(now, McOp::kEditContact)) return r;
  Pending p;
  p.op = sink_.NewOp();
  p.arg = account;
  return Send(now, Req::kRce, "RCE", [&](wire::LineWriter& w) { w.Param(op_token).Param(account); },
              std::move(p));
}

std::uint64_t SgSession::SendNudge(TimeUs now, std::uint32_t call) {
  if (!config_.nonconforming_send_nudge) {
    return Refuse(now, McOp::kSendNudge, "an MC never sends nudges (SG-NUDGE-3)");
  }
  if (auto r = NeedActive(now, McOp::kSendNudge)) return r;
  Pending p;
  p.op = sink_.NewOp();
  p.id = call;
  return Send(now, Req::kRsn, "RSN", [&](wire::LineWriter& w) { w.ParamNumber(call); }, std::move(p));
}

// ---- answers ---------------------------------------------------------------

void SgSession::OnAnswer(TimeUs now, std::uint64_t tag, const wire::CommandView& answer) {
  auto it = pending_.find(tag);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  const auto status = static_cast<std::uint16_t>(answer.status().value_or(0));
  AfterAnswer(now, p, answer, status);
}

void SgSession::OnGaveUp(TimeUs now, std::uint64_t tag) {
  auto it = pending_.find(tag);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  const char* why = "no answer after the resend limit (TIMER-3)";
  switch (p.req) {
    case Req::kRat:
    case Req::kRsii:
    case Req::kRpsLogin:
    case Req::kRloStale:
      FailLogin(now, McEvent::Outcome::kGaveUp, 0, why);
      return Close(now, McOp::kLogin, why);
    case Req::kRpol:
      return Close(now, McOp::kSessionLost, "RPOL gave up (TIMER-3): SG unreachable");
    case Req::kRot:
    case Req::kRsv:
      return OnChunkAnswer(now, p, 0, /*gave_up=*/true);
    case Req::kRcmAuto:
      return;
    case Req::kRoi:
    default: {
      McEvent e;
      e.op_id = p.op;
      e.op = OpOf(p.req);
      e.outcome = McEvent::Outcome::kGaveUp;
      e.detail = why;
      e.at = now;
      if (p.op != 0) sink_.Emit(std::move(e));
      return;
    }
  }
}

// ---- server-initiated requests --------------------------------------------

void SgSession::OnServerRequest(TimeUs now, const wire::CommandView& c, Reply& reply) {
  const std::string_view w = c.word();
  if (w == "ROUT") {
    // SG-LOGIN-9: answer, treat the session as closed, never re-login by itself.
    if (c.param_count() != 1) return reply.Fail(StatusCode::kBadParamCount);
    reply.Ok();
    if (state_ == SgState::kClosed) return;
    const auto reason = ParseDec(c.raw_param(0)).value_or(0);
    const std::string detail = "ROUT " + std::to_string(reason);
    if (login_op_ != 0) {
      FailLogin(now, McEvent::Outcome::kStatus, static_cast<std::uint16_t>(reason), detail);
    }
    return Close(now, McOp::kKicked, detail, static_cast<std::uint16_t>(reason));
  }
  const wire::WordInfo* info = wire::FindWord(w);
  if (!info || info->role != wire::WordRole::kSg || !wire::ServerSends(*info)) {
    return reply.Fail(StatusCode::kUnknownCommand);  // WIRE-21 (incl. RSN at a client)
  }
  if (state_ == SgState::kClosed || state_ == SgState::kAuthenticating) {
    return reply.Fail(StatusCode::kWrongState);
  }
  if (w == "RCS") return OnRcs(now, c, reply);
  if (w == "RCR") return OnRcr(now, c, reply);
  if (w == "RNP") return OnRnp(now, c, reply);
  if (w == "RPN") return OnRpn(now, c, reply);
  if (w == "ROA") return OnRoa(now, c, reply);
  if (w == "ROR") return OnRorFromSg(now, c, reply);
  if (w == "ROC") return OnRocFromSg(now, c, reply);
  if (w == "ROT") return OnChunk(now, c, reply, /*voice=*/false);
  if (w == "RRV") return OnChunk(now, c, reply, /*voice=*/true);
  return OnChatRequest(now, c, reply);  // RRI RRR RAC RRM RRB RRN
}

// ---- driving ----------------------------------------------------------------

void SgSession::OnDatagram(TimeUs now, std::string_view bytes) {
  link_.OnDatagram(now, bytes, *this);
  if (link_.broken()) {
    Close(now, McOp::kSessionLost, "undecodable bytes from SG: connection closed (TCP-3)");
    return;
  }
  PumpChunks(now);
}

void SgSession::OnStreamClosed(TimeUs now) {
  // TCP-2: the session is bound to its connection. A close after logout or
  // ROUT changes nothing (already closed).
  Close(now, McOp::kSessionLost, "the SG connection closed (TCP-2)");
}

void SgSession::OnTimer(TimeUs now) {
  link_.OnTimer(now, *this);
  ExpireIncoming(now);
  const bool logged_in = state_ != SgState::kAuthenticating && state_ != SgState::kClosed;
  if (logged_in && link_.last_send() != kNever && now >= link_.last_send() + poll_interval_) {
    Send(now, Req::kRpol, "RPOL", nullptr, Pending{});  // TIMER-11
  }
  PumpChunks(now);
}

TimeUs SgSession::NextDeadline() const {
  TimeUs t = std::min(link_.NextDeadline(), IncomingDeadline());
  const bool logged_in = state_ != SgState::kAuthenticating && state_ != SgState::kClosed;
  if (logged_in && link_.last_send() != kNever) t = std::min(t, link_.last_send() + poll_interval_);
  return t;
}

}  // namespace mcpsim::reference
