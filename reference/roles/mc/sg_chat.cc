// SgSession: conversations (§7.5), offline messages (§7.6) and received
// nudges (§7.8).
#include <algorithm>

#include "reference/roles/mc/sg_session.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {
namespace {
// Offline msgIds remembered in memory (besides the cache) per session.
constexpr std::size_t kMaxSeenInMemory = 256;
}  // namespace

std::uint64_t SgSession::Invite(TimeUs now, const std::string& account) {
  if (auto r = NeedActive(now, McOp::kInvite)) return r;
  Pending p;
  p.op = sink_.NewOp();
  p.arg = account;
  return Send(now, Req::kRsi, "RSI", [&](wire::LineWriter& w) { w.Param(account); }, std::move(p));
}

std::uint64_t SgSession::AddMember(TimeUs now, std::uint32_t call, const std::string& account) {
  if (auto r = NeedActive(now, McOp::kAddMember)) return r;
  Pending p;
  p.op = sink_.NewOp();
  p.id = call;
  p.arg = account;
  return Send(now, Req::kRsr, "RSR", [&](wire::LineWriter& w) { w.ParamNumber(call).Param(account); },
              std::move(p));
}

std::uint64_t SgSession::ListMembers(TimeUs now, std::uint32_t call) {
  if (auto r = NeedActive(now, McOp::kListMembers)) return r;
  Pending p;
  p.op = sink_.NewOp();
  p.id = call;
  return Send(now, Req::kRcm, "RCM", [&](wire::LineWriter& w) { w.ParamNumber(call); }, std::move(p));
}

std::uint64_t SgSession::SendMessage(TimeUs now, std::uint32_t call, const std::string& text) {
  if (auto r = NeedActive(now, McOp::kSendMessage)) return r;
  Pending p;
  p.op = sink_.NewOp();
  p.id = call;
  return Send(now, Req::kRsm, "RSM", [&](wire::LineWriter& w) { w.ParamNumber(call).Param(text); },
              std::move(p));
}

std::uint64_t SgSession::Leave(TimeUs now, std::uint32_t call) {
  if (auto r = NeedActive(now, McOp::kLeave)) return r;
  Pending p;
  p.op = sink_.NewOp();
  p.id = call;
  return Send(now, Req::kRsb, "RSB", [&](wire::LineWriter& w) { w.ParamNumber(call); }, std::move(p));
}

std::uint64_t SgSession::SendOffline(TimeUs now, const std::string& account, const std::string& text) {
  if (auto r = NeedActive(now, McOp::kSendOffline)) return r;
  Pending p;
  p.op = sink_.NewOp();
  p.arg = account;
  return Send(now, Req::kRom, "ROM", [&](wire::LineWriter& w) { w.Param(account).Param(text); },
              std::move(p));
}

void SgSession::OnChatRequest(TimeUs now, const wire::CommandView& c, Reply& reply) {
  const std::string_view w = c.word();
  const std::size_t want = w == "RAC" || w == "RRM" ? 3 : w == "RRB" ? 4 : 2;
  if (c.param_count() != want) return reply.Fail(StatusCode::kBadParamCount);
  const auto call = ParseDec(c.raw_param(0));
  std::string who = c.DecodeParam(1);
  if (!call || *call == 0 || !IsAccountName(who)) return reply.Fail(StatusCode::kBadParam);
  McEvent e;
  e.call_id = *call;
  e.at = now;
  if (w == "RRI") {  // invited into a new two-party conversation (SG-CHAT-1)
    calls_[*call].members = {who, account_};
    e.op = McOp::kInvited;
  } else if (w == "RRR") {  // added to an existing conversation (SG-CHAT-4)
    auto& m = calls_[*call].members;
    if (m.empty()) m = {who, account_};
    e.op = McOp::kAddedToCall;
  } else if (w == "RAC") {
    std::string adder = c.DecodeParam(2);
    if (!IsAccountName(adder)) return reply.Fail(StatusCode::kBadParam);
    auto& m = calls_[*call].members;
    if (std::find(m.begin(), m.end(), who) == m.end()) m.push_back(who);
    e.op = McOp::kMemberAdded;
    e.text = std::move(adder);
  } else if (w == "RRM") {
    e.op = McOp::kMessage;
    e.text = c.DecodeParam(2);  // byte-exact (SG-CHAT-10)
  } else if (w == "RRB") {
    const std::string_view reason = c.raw_param(2);
    const std::string_view ended = c.raw_param(3);
    if ((reason != "left" && reason != "offline" && reason != "rejected") ||
        (ended != "0" && ended != "1")) {
      return reply.Fail(StatusCode::kBadParam);
    }
    if (ended == "1" || who == account_) {
      calls_.erase(*call);
    } else if (auto it = calls_.find(*call); it != calls_.end()) {
      auto& m = it->second.members;
      m.erase(std::remove(m.begin(), m.end(), who), m.end());
    }
    e.op = McOp::kMemberLeft;
    e.text = std::string(reason);
    e.object_id = ended == "1" ? 1 : 0;
  } else {  // RRN: nudges are receive-only for an MC (SG-NUDGE-3)
    e.op = McOp::kNudgeReceived;
  }
  reply.Ok();
  e.account = std::move(who);
  Notify(std::move(e));
  if (w == "RRR" && config_.auto_list_members) {
    // SG-CHAT-5: learn the members; sent after the ARR (UdpLink defers it).
    Pending p;
    p.id = *call;
    Send(now, Req::kRcmAuto, "RCM", [&](wire::LineWriter& lw) { lw.ParamNumber(*call); }, std::move(p));
  }
}

bool SgSession::SeenMessage(std::uint32_t msg_id) {
  if (seen_msgs_.count(msg_id)) return true;
  if (!cache_) return false;
  auto seen = cache_->SeenOfflineMessage(config_.device_id, account_, msg_id);
  if (!seen.ok()) {
    ++cache_errors_;
    return false;
  }
  return *seen;
}

void SgSession::RememberMessage(std::uint32_t msg_id) {
  seen_msgs_.insert(msg_id);
  if (seen_msgs_.size() > kMaxSeenInMemory) seen_msgs_.erase(seen_msgs_.begin());
  if (cache_ && !cache_->AddSeenOfflineMessage(config_.device_id, account_, msg_id).ok()) {
    ++cache_errors_;
  }
}

void SgSession::OnRpn(TimeUs now, const wire::CommandView& c, Reply& reply) {
  if (c.param_count() != 4) return reply.Fail(StatusCode::kBadParamCount);
  const auto msg_id = ParseDec(c.raw_param(0));
  std::string sender = c.DecodeParam(1);
  const auto ts = ParseDec64(c.raw_param(2));
  if (!msg_id || !ts || !IsAccountName(sender)) return reply.Fail(StatusCode::kBadParam);
  // SG-OFF-6: a redelivered msgId (our APN was lost) is acknowledged again but
  // not shown again. The msgId is stored before the APN leaves.
  if (SeenMessage(*msg_id)) return reply.Ok();
  RememberMessage(*msg_id);
  reply.Ok();
  McEvent e;
  e.op = McOp::kOfflineMessage;
  e.object_id = *msg_id;
  e.account = std::move(sender);
  e.text = c.DecodeParam(3);
  e.params = {std::string(c.raw_param(2))};
  e.at = now;
  Notify(std::move(e));
}

}  // namespace mcpsim::reference
