// SG contact edits (§7.4.4: RCE, SG-CONT-*) and presence (§7.4.5: RNP,
// SG-PRES-*).
#include "reference/roles/sg/sg.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {

void SgRole::Rce(const RequestContext&, Session* s, const wire::CommandView& cmd, Reply& reply) {
  const std::string op = cmd.DecodeParam(0), contact = cmd.DecodeParam(1);
  ContactEdit edit;
  if (op == "add") {
    edit = ContactEdit::kAdd;
  } else if (op == "del") {
    edit = ContactEdit::kDelete;
  } else if (op == "block") {
    edit = ContactEdit::kBlock;
  } else if (op == "unblock") {
    edit = ContactEdit::kUnblock;
  } else {
    return reply.Fail(StatusCode::kBadParam);
  }
  if (!IsAccountName(contact) || contact == s->account) return reply.Fail(StatusCode::kBadParam);
  auto entry = store_.GetContact(s->account, contact);
  if (!entry.ok()) return reply.Fail(StatusCode::kStorage);
  const bool listed = entry->has_value();
  if (edit == ContactEdit::kAdd) {
    auto acc = store_.GetAccount(contact);
    if (!acc.ok()) return reply.Fail(StatusCode::kStorage);
    if (!acc->has_value()) return reply.Fail(StatusCode::kUnknownContact);
    if (!listed) {
      auto n = store_.CountContacts(s->account);
      if (!n.ok()) return reply.Fail(StatusCode::kStorage);
      if (*n >= config_.max_contacts) return reply.Fail(StatusCode::kListFull);  // LIM-6
    }
  } else if (!listed) {
    return reply.Fail(StatusCode::kUnknownContact);
  }
  reply.MarkWrite();
  auto r = store_.EditContact(s->account, contact, edit);
  if (!r.ok()) return reply.Fail(StatusCode::kStorage);
  reply.Ok({std::to_string(r->version)});
  if (!r->changed) return;  // SG-CONT-1
  // Announced once committed (G-79); the editing session is looked up again.
  AfterCommit([this, account = s->account, contact, edit] {
    if (edit == ContactEdit::kDelete) {
      if (Peer p = Locate(account)) p.s->rnp_sent.erase(contact);
    }
    ListChanged(account);  // SG-CONT-2 → SG-SYNC-9
    // SG-CONT-4: re-evaluate what each side of the pair sees of the other.
    NotifyPair(account, contact);
    NotifyPair(contact, account);
  });
}

bool SgRole::IsOnline(std::string_view account) {
  if (Peer p = Locate(account)) return p.s->state == SessionState::kActive;
  return backend_.backend_users_.count(account) != 0 || backend_.remote_.count(account) != 0;
}

std::pair<std::string, std::uint32_t> SgRole::VisiblePresence(std::string_view u,
                                                              std::string_view w) {
  const std::pair<std::string, std::uint32_t> offline{"offline", 0};
  std::pair<std::string, std::uint32_t> p;
  if (Peer peer = Locate(u)) {
    if (peer.s->state != SessionState::kActive) return offline;
    p = {peer.s->presence, peer.s->caps};
  } else if (auto b = backend_.backend_users_.find(u); b != backend_.backend_users_.end()) {
    p = {b->second.presence, b->second.caps};
  } else if (auto r = backend_.remote_.find(u); r != backend_.remote_.end()) {
    p = {r->second.presence, r->second.caps};  // ACTIVE at another SG process (CLU-11)
  } else {
    return offline;
  }
  if (p.first == "hidden") return offline;  // SG-PRES-2
  auto e = store_.GetContact(u, w);
  if (!e.ok() || (e->has_value() && (*e)->blocked)) return offline;
  return p;
}

void SgRole::NotifyPair(std::string_view watcher, std::string_view subject) {
  Peer p = Locate(watcher);
  if (!p || p.s->state != SessionState::kActive) return;
  Session& s = *p.s;
  const auto now_seen = VisiblePresence(subject, watcher);
  auto last = s.rnp_sent.find(subject);
  // SG-PRES-4: never repeat the values last sent; nothing sent means offline.
  if (last == s.rnp_sent.end() ? now_seen.first == "offline" : last->second == now_seen) return;
  auto listed = store_.GetContact(watcher, subject);
  if (!listed.ok() || !listed->has_value()) return;  // only list entries are watched
  s.rnp_sent[std::string(subject)] = now_seen;
  Enqueue(s, "RNP", {std::string(subject), now_seen.first, std::to_string(now_seen.second)});
}

void SgRole::NotifyWatchers(std::string_view subject) {
  auto owners = store_.ListOwnersOf(subject);  // ascending (SG-SESS-5)
  if (!owners.ok()) return;
  for (const std::string& o : *owners) NotifyPair(o, subject);
}

}  // namespace mcpsim::reference
