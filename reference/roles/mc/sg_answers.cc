// SgSession: what the answers to the MC's own SG requests do (AAT, ASII,
// APS, APOL, ALI, ACE, ASI, ASR, ACM, ASM, ASB, AOM, AOI, AOR, AOC, ALO, ASN),
// and the per-request outcome reports.
#include <algorithm>

#include "reference/roles/mc/sg_session.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {

namespace {
constexpr std::size_t kStaleRloPadTo = 32;
}  // namespace

McOp SgSession::OpOf(Req r) {
  switch (r) {
    case Req::kRat: case Req::kRsii: case Req::kRpsLogin: case Req::kRpol: case Req::kRloStale:
      return McOp::kLogin;
    case Req::kRps: return McOp::kSetProfile;
    case Req::kRli: return McOp::kSetPresence;
    case Req::kRce: return McOp::kEditContact;
    case Req::kRlo: return McOp::kLogout;
    case Req::kRsi: return McOp::kInvite;
    case Req::kRsr: return McOp::kAddMember;
    case Req::kRcm: case Req::kRcmAuto: return McOp::kListMembers;
    case Req::kRsm: return McOp::kSendMessage;
    case Req::kRsb: return McOp::kLeave;
    case Req::kRom: return McOp::kSendOffline;
    case Req::kRoi: case Req::kRot: return McOp::kOfferFile;
    case Req::kRor: return McOp::kFileDecision;
    case Req::kRoc: return McOp::kCancelFile;
    case Req::kRsv: return McOp::kSendVoice;
    case Req::kRsn: return McOp::kSendNudge;
  }
  return McOp::kLogin;
}

namespace {
// The event reporting the outcome of user action `op` (status 0 = ok).
McEvent ActionEvent(TimeUs now, std::uint64_t op, McOp kind, std::uint16_t status) {
  McEvent e;
  e.op_id = op;
  e.op = kind;
  e.status = status;
  e.outcome = status == 0 ? McEvent::Outcome::kOk : McEvent::Outcome::kStatus;
  e.at = now;
  return e;
}
}  // namespace

void SgSession::Report(TimeUs now, std::uint64_t op, McOp kind, std::uint16_t status,
                       const wire::CommandView* answer) {
  if (op == 0) return;
  McEvent e = ActionEvent(now, op, kind, status);
  e.at = now;
  if (status == 0 && answer) {
    for (std::size_t i = 0; i < answer->param_count(); ++i) e.params.push_back(answer->DecodeParam(i));
  }
  sink_.Emit(std::move(e));
}

void SgSession::AfterAnswer(TimeUs now, const Pending& p, const wire::CommandView& a,
                            std::uint16_t status) {
  const McOp kind = OpOf(p.req);
  // SG-LOGIN-14: 200/202 after AAT 0 means SG closed the session without
  // ROUT (TIMER-9/10). RAT and RSII refusals are login failures handled below.
  const bool gone = (status == Code(StatusCode::kNotAuthenticated) ||
                     status == Code(StatusCode::kUnknownSession)) &&
                    p.req != Req::kRat && p.req != Req::kRsii &&
                    state_ != SgState::kAuthenticating && state_ != SgState::kClosed;
  if (gone) {
    const std::string why = std::string(a.word()) + " " + std::to_string(status) +
                            ": SG closed the session (SG-LOGIN-14)";
    if (login_op_ != 0) {
      FailLogin(now, McEvent::Outcome::kStatus, status, why);
      return Close(now, McOp::kLogin, why);
    }
    if (p.req != Req::kRot && p.req != Req::kRsv && p.req != Req::kRpol &&
        p.req != Req::kRcmAuto) {
      Report(now, p.op, kind, status, nullptr);  // chunks end with their transfer in Close
    }
    return Close(now, McOp::kSessionLost, why, status);
  }
  switch (p.req) {
    case Req::kRat:
      if (state_ != SgState::kAuthenticating) return;
      if (status == Code(StatusCode::kAlreadyLoggedIn) && !stale_cleared_) {
        // SG-LOGIN-15: SG still holds a session on this binding (our RLO was
        // lost, or we restarted): end it with RLO, then RAT once more.
        stale_cleared_ = true;
        // Padded (AMP-4): once the stale session is closed the endpoint is
        // no longer validated, and a resent RLO must still get its ALO
        // ("ALO <trid> 0" or "... 200", at most 20 bytes) through AMP-1.
        Pending rlo;
        Send(now, Req::kRloStale, "RLO", nullptr, std::move(rlo), kStaleRloPadTo);
        return;
      }
      if (status != 0 || a.param_count() != 1 || !IsHex32(a.raw_param(0))) {
        FailLogin(now, McEvent::Outcome::kStatus, status ? status : Code(StatusCode::kBadParam),
                  status ? "RAT refused" : "AAT without a valid token");
        return Close(now, McOp::kLogin, "login failed");
      } else {
        token_ = std::string(a.raw_param(0));
        state_ = SgState::kGoingOnline;
        Pending next;
        Send(now, Req::kRsii, "RSII", [&](wire::LineWriter& w) {  // SG-LOGIN-5, CACHE-3
          w.Param(token_).Param(presence_state_).ParamNumber(caps_).ParamNumber(list_version_);
        }, std::move(next));
      }
      return;
    case Req::kRloStale:
      // ALO 0 (the stale session is closed) or 200 (none was left): either
      // way the binding is free now (SG-LOGIN-15).
      if (state_ == SgState::kAuthenticating && login_op_ != 0) SendRat(now);
      return;
    case Req::kRsii:
      if (status != 0) {
        FailLogin(now, McEvent::Outcome::kStatus, status, "RSII refused");
        return Close(now, McOp::kLogin, "login failed");
      }
      if (state_ == SgState::kGoingOnline) state_ = SgState::kSyncing;
      return;
    case Req::kRpsLogin:
    case Req::kRps:
      return OnAps(now, p, a, status);
    case Req::kRpol:
      if (status == 0 && a.param_count() == 1) {
        if (auto s = ParseDec(a.raw_param(0)); s && *s > 0) poll_interval_ = TimeUs{*s} * kSeconds;
      }
      return;
    case Req::kRli:
      if (status == 0) {
        presence_state_ = p.arg;
        caps_ = p.id;
      }
      return Report(now, p.op, kind, status, &a);
    case Req::kRsi:
      if (status == 0 && a.param_count() == 1) {
        if (auto call = ParseDec(a.raw_param(0))) {
          calls_[*call].members = {account_, p.arg};
          McEvent e;
          e.op_id = p.op;
          e.op = kind;
          e.call_id = *call;
          e.params = {std::string(a.raw_param(0))};
          e.at = now;
          return sink_.Emit(std::move(e));
        }
      }
      return Report(now, p.op, kind, status ? status : Code(StatusCode::kBadParam), nullptr);
    case Req::kRsr:
      if (status == 0) {
        auto& m = calls_[p.id].members;
        if (std::find(m.begin(), m.end(), p.arg) == m.end()) m.push_back(p.arg);
      }
      return Report(now, p.op, kind, status, &a);
    case Req::kRcm:
    case Req::kRcmAuto: {
      std::vector<std::string> members;
      if (status == 0 && a.param_count() >= 1) {
        auto n = ParseDec(a.raw_param(0));
        if (n && *n + 1 == a.param_count()) {
          for (std::size_t i = 1; i < a.param_count(); ++i) members.push_back(a.DecodeParam(i));
          if (calls_.count(p.id)) calls_[p.id].members.assign(members.begin(), members.end());
        }
      }
      if (p.req == Req::kRcmAuto || p.op == 0) return;
      McEvent e = ActionEvent(now, p.op, kind, status);
      e.call_id = p.id;
      e.params = std::move(members);
      e.at = now;
      return sink_.Emit(std::move(e));
    }
    case Req::kRsb:
      if (status == 0) calls_.erase(p.id);
      return Report(now, p.op, kind, status, &a);
    case Req::kRom: {
      McEvent e = ActionEvent(now, p.op, kind, status);
      e.account = p.arg;
      e.at = now;
      if (status == 0 && a.param_count() == 1) {
        e.object_id = ParseDec(a.raw_param(0)).value_or(0);
        e.params = {std::string(a.raw_param(0))};
      }
      return sink_.Emit(std::move(e));
    }
    case Req::kRoi: {
      McEvent e = ActionEvent(now, p.op, kind, status);
      e.call_id = p.id;
      e.at = now;
      std::optional<std::uint32_t> id;
      if (status == 0 && a.param_count() == 1) id = ParseDec(a.raw_param(0));
      if (status == 0 && !id) {
        e.outcome = McEvent::Outcome::kStatus;
        e.status = Code(StatusCode::kBadParam);
      }
      if (id) {
        e.object_id = *id;
        e.params = {std::string(a.raw_param(0))};
        Upload up;
        up.call = p.id;
        up.id = *id;
        up.data = p.arg;
        xfer().files_out_[*id] = std::move(up);
      }
      sink_.Emit(std::move(e));
      if (id) {
        // A decision that overtook our AOI (SG-FILE-5 relay racing a lost AOI).
        if (auto d = xfer().early_decisions_.find(*id); d != xfer().early_decisions_.end()) {
          const std::string decision = d->second;
          xfer().early_decisions_.erase(d);
          auto& up = xfer().files_out_[*id];
          if (decision == "accept") {
            up.sending = true;
            McEvent acc;
            acc.op = McOp::kFileAccepted;
            acc.object_id = *id;
            acc.call_id = up.call;
            acc.at = now;
            Notify(std::move(acc));
            PumpChunks(now);
          } else {
            McEvent ev;
            ev.op = decision == "reject" ? McOp::kFileRejected : McOp::kFileFailed;
            ev.object_id = *id;
            ev.call_id = up.call;
            ev.at = now;
            xfer().files_out_.erase(*id);
            Notify(std::move(ev));
          }
        }
      }
      return;
    }
    case Req::kRor: {
      if (status != 0 || p.arg == "reject") xfer().files_in_.erase(p.id);
      McEvent e = ActionEvent(now, p.op, kind, status);
      e.object_id = p.id;
      e.text = p.arg;
      e.at = now;
      return sink_.Emit(std::move(e));
    }
    case Req::kRoc: {
      if (status == 0) xfer().files_out_.erase(p.id);
      McEvent e = ActionEvent(now, p.op, kind, status);
      e.object_id = p.id;
      e.at = now;
      return sink_.Emit(std::move(e));
    }
    case Req::kRot:
    case Req::kRsv:
      return OnChunkAnswer(now, p, status, /*gave_up=*/false);
    case Req::kRce:
    case Req::kRlo:
    case Req::kRsm:
    case Req::kRsn:
      return Report(now, p.op, kind, status, &a);
  }
}

}  // namespace mcpsim::reference
