// SG offline messages (§7.6: ROM/AOM, RPN/APN, SG-OFF-*). Messages are
// committed to the Store before AOM is sent and deleted only on APN 0.
#include "reference/roles/sg/sg.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {

void SgRole::Rom(const RequestContext& ctx, Session* s, const wire::CommandView& cmd,
                 Reply& reply) {
  const std::string to = cmd.DecodeParam(0);
  std::string text = cmd.DecodeParam(1);
  if (!IsAccountName(to) || to == s->account || text.empty()) {
    return reply.Fail(StatusCode::kBadParam);
  }
  if (text.size() > config_.max_text) return reply.Fail(StatusCode::kTextTooLong);  // LIM-5
  auto listed = store_.GetContact(s->account, to);  // present only if the account exists
  auto back = store_.GetContact(to, s->account);
  if (!listed.ok() || !back.ok()) return reply.Fail(StatusCode::kStorage);
  if (!listed->has_value()) return reply.Fail(StatusCode::kUnknownContact);
  if (back->has_value() && (*back)->blocked) return reply.Fail(StatusCode::kBlocked);
  auto queued = store_.CountOfflineMessages(to);
  if (!queued.ok()) return reply.Fail(StatusCode::kStorage);
  if (*queued >= config_.max_offline) return reply.Fail(StatusCode::kListFull);  // LIM-16
  reply.MarkWrite();
  auto id = StoreOffline(ctx.now, s->account, to, std::move(text));
  if (!id.ok()) return reply.Fail(StatusCode::kStorage);
  reply.Ok({std::to_string(*id)});
}

Result<std::uint64_t> SgRole::StoreOffline(TimeUs now, std::string_view from, std::string_view to,
                                           std::string text) {
  auto acc = store_.GetAccount(to);
  if (!acc.ok()) return acc.status();
  if (!acc->has_value()) return Status::Error("SG-OFF-7", "no such recipient");
  auto queued = store_.CountOfflineMessages(to);
  if (!queued.ok()) return queued.status();
  if (*queued >= config_.max_offline) return Status::Error("LIM-16", "offline queue full");
  OfflineMessage m{0, std::string(to), std::string(from), WallMs(now), std::move(text)};
  auto id = store_.AddOfflineMessage(m);  // SG-OFF-1: committed before AOM
  if (!id.ok()) return id.status();
  // SG-OFF-2: an ACTIVE recipient gets it at once — once it is committed
  // (G-79: a rolled-back msgId may be reused, and SG-OFF-6 would then hide
  // the next message given it).
  AfterCommit([this, recipient = std::string(to), msg = std::move(m), msg_id = *id] {
    if (Peer p = Locate(recipient); p && p.s->state == SessionState::kActive) {
      p.s->rpn_offered.insert(msg_id);
      Enqueue(*p.s, "RPN", {std::to_string(msg_id), msg.sender, std::to_string(msg.timestamp_ms), msg.text},
              msg_id);
    }
  });
  return id;
}

void SgRole::DeliverOffline(Session& s) {
  auto msgs = store_.ListOfflineMessages(s.account);
  s.offline_failed = !msgs.ok();  // G-78: retried (RetryStoreLater / RetryStore)
  if (!msgs.ok()) return RetryStoreLater(s);
  // SG-OFF-4/5: queue order; each message at most once per session.
  for (const OfflineMessage& m : *msgs) {
    if (!s.rpn_offered.insert(m.id).second) continue;
    Enqueue(s, "RPN", {std::to_string(m.id), m.sender, std::to_string(m.timestamp_ms), m.text}, m.id);
  }
}

}  // namespace mcpsim::reference
