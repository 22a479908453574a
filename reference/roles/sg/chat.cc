// SG conversations (§7.5: RSI/RRI, RSR/RRR/RAC, RCM, RSM/RRM, RSB/RRB,
// SG-CHAT-*) and nudges (§7.8: RRN, SG-NUDGE-1/2).
#include <algorithm>

#include "reference/roles/sg/sg.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {

Call* SgRole::MemberCall(const wire::CommandView& cmd, std::size_t i, const Session& s,
                         Reply& reply) {
  const auto id = ParseDec(cmd.DecodeParam(i));
  if (!id) {
    reply.Fail(StatusCode::kBadParam);
    return nullptr;
  }
  Call* call = backend_.calls_.Find(*id);
  if (call == nullptr) {
    reply.Fail(StatusCode::kUnknownCall);
    return nullptr;
  }
  if (!CallTable::IsMember(*call, s.account)) {
    reply.Fail(StatusCode::kNotMember);
    return nullptr;
  }
  return call;
}

void SgRole::DeliverTo(std::string_view account, std::string_view word,
                       const std::vector<std::string>& params, std::uint64_t tag) {
  if (Peer p = Locate(account)) {
    if (p.s->state == SessionState::kActive) Enqueue(*p.s, word, params, tag);
    return;
  }
  if (backend_.backend_users_.count(account)) {
    backend_.deliveries_.push_back({std::string(account), std::string(word), params});
  } else if (const std::uint32_t sg = backend_.RemoteSgOf(account)) {
    Relay r;  // CLU-13: to the SG process holding the session
    r.kind = Relay::Kind::kDeliver;
    r.to_sg = sg;
    r.account = std::string(account);
    r.word = std::string(word);
    r.params = params;
    r.tag = tag;
    backend_.Emit(std::move(r));
  }
}

void SgRole::Rsi(const RequestContext&, Session* s, const wire::CommandView& cmd, Reply& reply) {
  const std::string invitee = cmd.DecodeParam(0);
  if (!IsAccountName(invitee) || invitee == s->account) return reply.Fail(StatusCode::kBadParam);
  auto listed = store_.GetContact(s->account, invitee);
  auto back = store_.GetContact(invitee, s->account);
  if (!listed.ok() || !back.ok()) return reply.Fail(StatusCode::kStorage);
  if (!listed->has_value()) return reply.Fail(StatusCode::kUnknownContact);
  if (back->has_value() && (*back)->blocked) return reply.Fail(StatusCode::kBlocked);
  if (VisiblePresence(invitee, s->account).first == "offline") {
    return reply.Fail(StatusCode::kContactOffline);
  }
  // SG-CHAT-1/3: a new conversation every time, established at once.
  auto next = backend_.NextCallId();
  if (!next.ok()) return reply.Fail(StatusCode::kStorage);  // CLU-9: shared ids unreachable
  const std::uint64_t id = *next;
  backend_.calls_.Put(id, {s->account, invitee});
  backend_.CallChanged(id, {});  // CLU-12: before the RRI it explains
  reply.Ok({std::to_string(id)});
  DeliverTo(invitee, "RRI", {std::to_string(id), s->account}, id);
}

void SgRole::Rsr(const RequestContext&, Session* s, const wire::CommandView& cmd, Reply& reply) {
  Call* call = MemberCall(cmd, 0, *s, reply);
  if (!call) return;
  const std::string added = cmd.DecodeParam(1);
  if (!IsAccountName(added) || added == s->account) return reply.Fail(StatusCode::kBadParam);
  auto listed = store_.GetContact(s->account, added);
  auto back = store_.GetContact(added, s->account);
  if (!listed.ok() || !back.ok()) return reply.Fail(StatusCode::kStorage);
  if (!listed->has_value()) return reply.Fail(StatusCode::kUnknownContact);
  if (std::find(call->members.begin(), call->members.end(), added) != call->members.end()) {
    return reply.Fail(StatusCode::kAlreadyMember);
  }
  if (back->has_value() && (*back)->blocked) return reply.Fail(StatusCode::kBlocked);
  if (VisiblePresence(added, s->account).first == "offline") {
    return reply.Fail(StatusCode::kContactOffline);
  }
  if (call->members.size() >= config_.max_members) return reply.Fail(StatusCode::kListFull);
  // SG-CHAT-4: RRR to the added member, then RAC to the others (member order).
  const std::vector<std::string> before = call->members;
  const std::string id = std::to_string(call->id);
  backend_.calls_.AddMember(*call, added);
  backend_.CallChanged(call->id, before);
  reply.Ok();
  DeliverTo(added, "RRR", {id, s->account}, call->id);
  for (const std::string& m : before) {
    if (m != s->account) DeliverTo(m, "RAC", {id, added, s->account});
  }
}

void SgRole::Rcm(const RequestContext&, Session* s, const wire::CommandView& cmd, Reply& reply) {
  Call* call = MemberCall(cmd, 0, *s, reply);
  if (!call) return;
  wire::LineWriter& w = reply.Begin();
  w.ParamNumber(call->members.size());
  for (const std::string& m : call->members) w.Param(m);
}

void SgRole::Rsm(const RequestContext&, Session* s, const wire::CommandView& cmd, Reply& reply) {
  Call* call = MemberCall(cmd, 0, *s, reply);
  if (!call) return;
  std::string text = cmd.DecodeParam(1);  // SG-CHAT-10: relayed byte-exactly
  if (text.empty()) return reply.Fail(StatusCode::kBadParam);  // SG-CHAT-12
  if (text.size() > config_.max_text) return reply.Fail(StatusCode::kTextTooLong);
  reply.Ok();
  // SG-CHAT-7/8: every other member, member order; per-session FIFO queues.
  const std::string id = std::to_string(call->id);
  const std::vector<std::string> members = call->members;
  for (const std::string& m : members) {
    if (m != s->account) DeliverTo(m, "RRM", {id, s->account, text}, call->id);
  }
}

void SgRole::Rsb(const RequestContext& ctx, Session* s, const wire::CommandView& cmd,
                 Reply& reply) {
  Call* call = MemberCall(cmd, 0, *s, reply);
  if (!call) return;
  reply.Ok();
  RemoveMember(ctx.now, call->id, s->account, "left");  // SG-CHAT-11
}

void SgRole::RemoveMember(TimeUs, std::uint64_t id, std::string_view account,
                          std::string_view reason) {
  Call* call = backend_.calls_.Find(id);
  if (call == nullptr || !backend_.calls_.RemoveMember(*call, account)) return;
  const std::vector<std::string> remaining = call->members;
  std::vector<std::string> before = remaining;
  before.emplace_back(account);
  // SG-CHAT-14: a conversation left with one member ends; its id is never reused.
  const bool ends = remaining.size() <= 1;
  if (ends) backend_.calls_.Erase(id);
  backend_.CallChanged(id, before);
  EndTransfersOf(account, id);
  EndVoiceOf(account, id);
  const std::string sid = std::to_string(id);
  for (const std::string& r : remaining) {
    DeliverTo(r, "RRB", {sid, std::string(account), std::string(reason), ends ? "1" : "0"});
  }
  if (ends) {  // SG-CHAT-15
    EndTransfersOf("", id);
    EndVoiceOf("", id);
  }
}

bool SgRole::Nudge(TimeUs, std::string_view from, std::string_view to) {
  Peer p = Locate(to);
  // CLU-18: a session ACTIVE at another SG process gets it relayed.
  auto remote = p ? backend_.remote_.end() : backend_.remote_.find(to);
  const bool here = p && p.s->state == SessionState::kActive && (p.s->caps & kCapNudge);
  const bool there = remote != backend_.remote_.end() && (remote->second.caps & kCapNudge);
  // SG-NUDGE-1: only to an ACTIVE, nudge-capable session; dropped silently otherwise.
  if (!here && !there) return false;
  std::uint64_t id = 0;
  for (std::uint64_t cid : backend_.calls_.CallsOf(from)) {  // ascending
    if (CallTable::IsMember(*backend_.calls_.Find(cid), to)) {
      id = cid;  // the oldest shared conversation
      break;
    }
  }
  if (id == 0) {  // SG-NUDGE-2: create one first
    auto next = backend_.NextCallId();
    if (!next.ok()) return false;  // CLU-9: dropped, as an undeliverable nudge is
    id = *next;
    backend_.calls_.Put(id, {std::string(from), std::string(to)});
    backend_.CallChanged(id, {});  // CLU-12: copied to `to`'s process first
    DeliverTo(to, "RRI", {std::to_string(id), std::string(from)}, id);
  }
  DeliverTo(to, "RRN", {std::to_string(id), std::string(from)});
  return true;
}

}  // namespace mcpsim::reference
