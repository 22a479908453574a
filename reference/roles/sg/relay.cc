// Relays between SG processes (relay.h; PROTOCOL.md CLU-10..14): the codec,
// and the Backend's side — emitting them, and applying those of other
// processes to this process's sessions and mirrors.
#include "reference/roles/sg/relay.h"

#include <algorithm>
#include <set>

#include "reference/roles/sg/backend.h"
#include "reference/roles/sg/sg.h"

namespace mcpsim::reference {
namespace {

void Field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool Next(std::string& v) {
    std::size_t len = 0, i = pos_;
    while (i < b_.size() && b_[i] >= '0' && b_[i] <= '9' && i - pos_ < 10) len = len * 10 + (b_[i++] - '0');
    if (i == pos_ || i >= b_.size() || b_[i] != ':' || b_.size() - i - 1 < len) return false;
    v.assign(b_.substr(i + 1, len));
    pos_ = i + 1 + len;
    return true;
  }
  bool Number(std::uint64_t& n) {
    std::string v;
    if (!Next(v) || v.empty() || v.size() > 20) return false;
    n = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
  }
  std::size_t pos() const { return pos_; }
  bool done() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string EncodeRelay(const Relay& r) {
  std::string out;
  Field(out, std::to_string(static_cast<unsigned>(r.kind)));
  Field(out, std::to_string(r.from_sg));
  Field(out, std::to_string(r.to_sg));
  Field(out, r.account);
  Field(out, r.presence);
  Field(out, std::to_string(r.caps));
  Field(out, r.word);
  Field(out, std::to_string(r.tag));
  Field(out, std::to_string(r.call_id));
  Field(out, std::to_string(r.params.size()));
  for (const std::string& p : r.params) Field(out, p);
  Field(out, std::to_string(r.members.size()));
  for (const std::string& m : r.members) Field(out, m);
  Field(out, r.data);
  return out;
}

Result<Relay> DecodeRelay(std::string_view bytes) {
  Reader rd(bytes);
  Relay r;
  std::uint64_t kind = 0, from = 0, to = 0, caps = 0, n = 0;
  auto bad = [&](const char* what) { return Status::Error("CLU-10", std::string("bad relay: ") + what, rd.pos()); };
  if (!rd.Number(kind) || kind < 1 || kind > 6) return bad("kind");
  r.kind = static_cast<Relay::Kind>(kind);
  if (!rd.Number(from) || !rd.Number(to) || from > 0x7fffffff || to > 0x7fffffff) return bad("SG id");
  r.from_sg = static_cast<std::uint32_t>(from);
  r.to_sg = static_cast<std::uint32_t>(to);
  if (!rd.Next(r.account) || !rd.Next(r.presence) || !rd.Number(caps) || caps > 7) return bad("presence");
  r.caps = static_cast<std::uint32_t>(caps);
  if (!rd.Next(r.word) || !rd.Number(r.tag) || !rd.Number(r.call_id)) return bad("request");
  if (!rd.Number(n) || n > 64) return bad("param count");
  r.params.resize(n);
  for (std::string& p : r.params) {
    if (!rd.Next(p)) return bad("param");
  }
  if (!rd.Number(n) || n > 4096) return bad("member count");
  r.members.resize(n);
  for (std::string& m : r.members) {
    if (!rd.Next(m)) return bad("member");
  }
  if (!rd.Next(r.data)) return bad("data");
  if (!rd.done()) return bad("trailing bytes");
  return r;
}

// ---- Backend: emitting ----

void Backend::Emit(Relay r) {
  if (self_sg_ == 0 || muted_) return;
  r.from_sg = self_sg_;
  outbox_.push_back(std::move(r));
}

std::uint32_t Backend::RemoteSgOf(std::string_view account) const {
  if (self_sg_ == 0) return 0;
  auto it = remote_.find(account);
  return it == remote_.end() ? 0 : it->second.sg;
}

void Backend::PublishPresence(std::string_view account, std::string_view presence, std::uint32_t caps) {
  Relay r;
  r.kind = Relay::Kind::kPresence;
  r.account = std::string(account);
  r.presence = std::string(presence);
  r.caps = caps;
  Emit(std::move(r));
}

void Backend::CallChanged(std::uint64_t id, const std::vector<std::string>& before) {
  if (self_sg_ == 0 || muted_) return;
  const Call* call = calls_.Find(id);
  const std::vector<std::string> now = call == nullptr ? std::vector<std::string>{} : call->members;
  std::set<std::uint32_t> sgs;  // ascending: the order reaches the queue
  for (const auto* list : {&before, &now}) {
    for (const std::string& m : *list) {
      if (std::uint32_t sg = RemoteSgOf(m)) sgs.insert(sg);
    }
  }
  for (std::uint32_t sg : sgs) {
    Relay r;
    r.kind = Relay::Kind::kCall;
    r.to_sg = sg;
    r.call_id = id;
    r.members = now;
    Emit(std::move(r));
  }
}

std::vector<Relay> Backend::TakeRelays() {
  std::vector<Relay> out;
  out.swap(outbox_);
  return out;
}

// ---- Backend: inputs ----

void Backend::OnRelay(TimeUs now, const Relay& r) {
  SgRole* sg = AnyRole();
  if (self_sg_ == 0 || r.from_sg == self_sg_ || !sg) return;
  if (r.to_sg != 0 && r.to_sg != self_sg_) return;
  switch (r.kind) {
    case Relay::Kind::kPresence: {
      if (online_.count(r.account)) {
        // Logged in here since (SG-LOGIN-8 across processes): the old
        // session's end is old news; only forget the mirror entry.
        if (auto it = remote_.find(r.account); it != remote_.end() && it->second.sg == r.from_sg) {
          remote_.erase(it);
        }
        return;
      }
      if (r.presence == "offline") {
        auto it = remote_.find(r.account);
        if (it == remote_.end() || it->second.sg != r.from_sg) return;  // a newer session elsewhere
        // Its SG relayed the conversations it left before this (CLU-12); a
        // restarted SG speaking for its killed predecessor did not (CLU-15).
        DropRemote(now, r.account);
        break;
      }
      remote_[r.account] = RemoteUser{r.from_sg, r.presence, r.caps};
      sg->NotifyWatchers(r.account);  // SG-PRES-4/6 for this process's watchers
      break;
    }
    case Relay::Kind::kCall:
      if (r.members.size() < 2) {
        calls_.Erase(r.call_id);
      } else {
        calls_.Put(r.call_id, r.members);
      }
      break;
    case Relay::Kind::kDeliver: {
      if (backend_users_.count(r.account)) {  // CLU-18: a back-end user of this process
        deliveries_.push_back({r.account, r.word, r.params});
        break;
      }
      SgRole::Peer p = sg->Locate(r.account);
      if (!p || p.s->state != SessionState::kActive) {
        KeepAsOffline(now, r);  // the session ended before it arrived
        break;
      }
      if (r.word == "RRM") {  // a member that left meanwhile gets no more (SG-CHAT-7)
        const Call* call = r.params.empty() ? nullptr : calls_.Find(ParseCallId(r.params[0]));
        if (call == nullptr || !CallTable::IsMember(*call, r.account)) {
          break;
        }
      }
      p.sg->Enqueue(*p.s, r.word, r.params, r.tag);
      break;
    }
    case Relay::Kind::kVoice:
      if (SgRole::Peer p = sg->Locate(r.account); p && !r.params.empty()) {
        p.sg->RelayClip(*p.s, r.call_id, r.params[0], r.data);
      }
      break;
    case Relay::Kind::kFile:
      sg->OnFileRelay(now, r);
      break;
    case Relay::Kind::kReplace:
      if (SgRole::Peer p = sg->Locate(r.account)) {
        p.sg->CloseSession(now, *p.s, SgRole::CloseWhy::kReplaced);
      }
      break;
  }
  FlushAll(now);
}

void Backend::OnOrphanRelay(TimeUs now, const Relay& r) {
  if (self_sg_ == 0 || r.kind != Relay::Kind::kDeliver || r.to_sg == self_sg_) return;
  KeepAsOffline(now, r);
  FlushAll(now);
}

void Backend::KeepAsOffline(TimeUs now, const Relay& r) {
  // CLU-13: an acknowledged RSM is never lost with an SG process — what
  // could not be pushed live waits as an offline message from its sender.
  SgRole* sg = AnyRole();
  if (r.word != "RRM" || r.params.size() != 3 || !sg) return;
  if (sg->StoreOffline(now, r.params[1], r.account, r.params[2]).ok()) {
    ++kept_offline_;
  } else {
    ++lost_relays_;  // LIM-16 (queue full), or the store is unreachable
  }
}

std::uint64_t Backend::ParseCallId(std::string_view s) {
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > (~std::uint64_t{0} - 9) / 10) return 0;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

void Backend::RemoteSnapshot(TimeUs now, const std::vector<Relay>& presences) {
  SgRole* sg = AnyRole();
  if (self_sg_ == 0 || !sg) return;
  std::map<std::string, RemoteUser, std::less<>> next;
  for (const Relay& r : presences) {
    if (r.kind != Relay::Kind::kPresence || r.from_sg == self_sg_ || r.presence == "offline") continue;
    if (online_.count(r.account)) continue;
    next[r.account] = RemoteUser{r.from_sg, r.presence, r.caps};
  }
  std::set<std::string> changed;  // ascending: the order reaches output
  for (const auto& [a, u] : remote_) {
    auto it = next.find(a);
    if (it == next.end() || it->second.sg != u.sg || it->second.presence != u.presence ||
        it->second.caps != u.caps) {
      changed.insert(a);
    }
  }
  for (const auto& [a, u] : next) {
    if (!remote_.count(a)) changed.insert(a);
  }
  remote_ = std::move(next);
  for (const std::string& a : changed) sg->NotifyWatchers(a);
  FlushAll(now);
}

void Backend::SgGone(TimeUs now, std::uint32_t gone) {
  SgRole* sg = AnyRole();
  if (self_sg_ == 0 || gone == self_sg_ || !sg) return;
  std::vector<std::string> users;  // ascending
  for (const auto& [a, u] : remote_) {
    if (u.sg == gone) users.push_back(a);
  }
  for (const std::string& a : users) DropRemote(now, a);
  sg->EndTransfersWith(gone);  // CLU-17: its half of a transfer died with it
  // Conversations whose members all were there are of no use here either.
  std::vector<std::uint64_t> useless;
  for (const auto& [id, call] : calls_) {
    bool local = false;
    for (const std::string& m : call.members) local = local || online_.count(m) || backend_users_.count(m);
    if (!local) useless.push_back(id);
  }
  for (std::uint64_t id : useless) calls_.Erase(id);
  FlushAll(now);
}

void Backend::DropRemote(TimeUs now, const std::string& account) {
  SgRole* sg = AnyRole();
  remote_.erase(account);
  if (!sg) return;
  // Every process does this for its own sessions, so nothing of it is
  // relayed (CLU-15).
  muted_ = true;
  const std::vector<std::uint64_t> ids = calls_.CallsOf(account);  // ascending
  for (std::uint64_t id : ids) sg->RemoveMember(now, id, account, "offline");
  muted_ = false;
  sg->NotifyWatchers(account);
}

}  // namespace mcpsim::reference
