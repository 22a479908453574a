// The runner's SG part: provisioning in the store, the SG steps, tracking of
// conversations and file offers from the clients' notifications, the
// receivers' automatic file decisions, and the SG counters.
//
// Invariant: every message / offline text the runner sends ends in a unique
// " #<client>.<seq>" suffix, so the checkers can match deliveries to sends.
#include <algorithm>
#include <cstdio>

#include "reference/deploy/accounts.h"
#include "reference/media/voice.h"
#include "scenarios/execution.h"

namespace mcpsim::scenarios {

using reference::McEvent;
using reference::McOp;
using Outcome = McEvent::Outcome;

namespace {
constexpr const char* kPassword = "correct horse";

std::string Expand(std::string s, int c, int rep) {
  auto rep_all = [&](const std::string& from, const std::string& to) {
    for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  };
  rep_all("{i}", std::to_string(rep));
  rep_all("{c}", std::to_string(c));
  return s;
}

// Deterministic file content, different per offer.
std::string FileBytes(std::uint32_t size, std::uint64_t seq) {
  std::string b(size, '\0');
  for (std::size_t k = 0; k < b.size(); ++k) b[k] = static_cast<char>(k * 7 + k / 1024 + seq * 13);
  return b;
}
}  // namespace

std::string Execution::Provision() {
  reference::Store& store = w_->backend();
  reference::DirectAccounts direct(store, kPassword, Rng::Stream(seed_, "provision"));
  auto account = [&](const std::string& name) -> std::string {
    auto r = direct.Create(name);
    return r.ok() ? "" : r.status().ToString();
  };
  for (const Step& st : s_.steps) {
    if (st.op == StepOp::kNudge && !st.from_client) {
      if (auto got = store.GetAccount(st.from); got.ok() && !got->has_value()) {
        if (std::string e = account(st.from); !e.empty()) return e;
      }
    }
  }
  if (!s_.provision_accounts) return "";
  for (const std::string& a : accounts_) {
    if (std::string e = account(a); !e.empty()) return e;
  }
  auto add = [&](const std::string& owner, const std::string& contact) -> std::string {
    Status st = direct.AddContact(owner, contact);
    return st.ok() ? "" : st.ToString();
  };
  if (s_.provision_contacts) {
    for (const std::string& a : accounts_) {
      for (const std::string& b : accounts_) {
        if (a == b) continue;
        if (std::string e = add(a, b); !e.empty()) return e;
      }
    }
  }
  for (int k = 0; k < s_.extra_contacts; ++k) {
    char name[32];
    std::snprintf(name, sizeof name, "contact-%04d@live.cn", k);
    if (std::string e = account(name); !e.empty()) return e;
    for (const std::string& a : accounts_) {
      if (std::string e = add(a, name); !e.empty()) return e;
    }
  }
  return "";
}

int Execution::ClientOf(const std::string& account) const {
  for (std::size_t c = 0; c < accounts_.size(); ++c) {
    if (accounts_[c] == account) return static_cast<int>(c);
  }
  return -1;
}

std::vector<std::pair<int, std::string>> Execution::Targets(const Step& st, int c) const {
  std::vector<std::pair<int, std::string>> out;
  if (st.to_others) {
    for (int k = 0; k < s_.clients; ++k) {
      if (k != c) out.emplace_back(k, accounts_[static_cast<std::size_t>(k)]);
    }
  }
  for (int k : st.to_clients) out.emplace_back(k, accounts_[static_cast<std::size_t>(k)]);
  for (const std::string& a : st.to_accounts) {
    // On an external target a named account is its provisioned real one.
    const std::string real = stage_ ? const_cast<Execution*>(this)->Map(a).name : a;
    out.emplace_back(ClientOf(real), real);
  }
  return out;
}

void Execution::AddFollowup(int step, TimeUs span, std::function<bool()> done) {
  const TimeUs deadline = w_->Now() + span;
  followups_.push_back({step, deadline, std::move(done)});
  // An event at the deadline so that a run waiting on this step re-checks then.
  w_->world().scheduler().At(deadline, [] {});
}

void Execution::IssueSg(const Step& st, int step, int c, int rep) {
  const std::size_t ci = static_cast<std::size_t>(c);
  const std::uint32_t call = call_[ci];
  auto text = [&] { return Expand(st.text, c, rep) + " #" + std::to_string(c) + "." + std::to_string(++text_seq_); };
  switch (st.op) {
    case StepOp::kLogin: {
      std::string account = Expand(st.account, c, rep), pw = Expand(st.password, c, rep);
      if (external()) {
        // The provisioned real account; its own password where the step uses
        // the provisioning one (a step with another password tests refusal).
        const conformance::ProvisionAccount& real = Map(account);
        account = real.name;
        if (pw == kPassword) pw = real.password;
      }
      accounts_[ci] = account;
      Record(c, step, McOp::kLogin, w_->Act(c, [&](auto& mc, TimeUs now) { return mc.Login(now, account, pw); }));
      return;
    }
    case StepOp::kLogout:
      Record(c, step, McOp::kLogout, w_->Act(c, [](auto& mc, TimeUs now) { return mc.Logout(now); }));
      return;
    case StepOp::kContact:
      for (const auto& target : Targets(st, c)) {
        const std::string account = target.second;
        Record(c, step, McOp::kEditContact, w_->Act(c, [&](auto& mc, TimeUs now) {
                 return mc.EditContact(now, st.contact_op, account);
               })).target_account = account;
      }
      return;
    case StepOp::kPresence:
      Record(c, step, McOp::kSetPresence,
             w_->Act(c, [&](auto& mc, TimeUs now) { return mc.SetPresence(now, st.presence, st.caps); }));
      return;
    case StepOp::kProfile: {
      const std::string nick = Expand(st.nickname, c, rep), psm = Expand(st.psm, c, rep);
      Record(c, step, McOp::kSetProfile,
             w_->Act(c, [&](auto& mc, TimeUs now) { return mc.SetProfile(now, nick, psm, st.avatar); }));
      return;
    }
    case StepOp::kInvite: {
      const auto targets = Targets(st, c);
      if (targets.empty()) return;
      const int k = targets.front().first;
      const std::string account = targets.front().second;
      OpRecord& r = Record(c, step, McOp::kInvite, w_->Act(c, [&](auto& mc, TimeUs now) {
                             return mc.Invite(now, account);
                           }));
      r.target_account = account;
      const std::size_t idx = ops_.size() - 1;
      if (k >= 0) {  // the step also waits until the invitee knows the call
        AddFollowup(step, 40 * kSeconds, [this, idx, k] {
          const OpRecord& o = ops_[idx];
          return o.event && (o.event->outcome != Outcome::kOk || call_[static_cast<std::size_t>(k)] == o.event->call_id);
        });
      }
      return;
    }
    case StepOp::kAddMember:
      for (const auto& target : Targets(st, c)) {
        const int k = target.first;
        const std::string account = target.second;
        Record(c, step, McOp::kAddMember, w_->Act(c, [&](auto& mc, TimeUs now) {
                 return mc.AddMember(now, call, account);
               })).call = call;
        const std::size_t idx = ops_.size() - 1;
        if (k >= 0) {
          AddFollowup(step, 40 * kSeconds, [this, idx, k, call] {
            const OpRecord& o = ops_[idx];
            return o.event && (o.event->outcome != Outcome::kOk || call_[static_cast<std::size_t>(k)] == call);
          });
        }
      }
      return;
    case StepOp::kMessage: {
      // The other clients in the call now, per the back end (who must get it).
      std::vector<int> members;
      std::vector<std::string> accounts;
      if (external()) {
        // The back end is the target's: the sender's own view of the call.
        const auto* sg = w_->mc(c).sg();
        if (sg && sg->conversations().count(call)) {
          for (const auto& m : sg->conversations().at(call).members) accounts.emplace_back(m.str());
        }
      } else {
        accounts = w_->sg_backend().Members(call);
      }
      // The sender's view lags behind a member's own leave (the RRB telling
      // the sender may still be on its way): a member that has itself left
      // this call before the send is not owed the message.
      auto left = [&](int k) {
        for (const OpRecord& o : ops_) {
          if (o.client == k && o.op == McOp::kLeave && o.call == call) return true;
        }
        return false;
      };
      for (const std::string& m : accounts) {
        const int k = ClientOf(m);
        if (k >= 0 && k != c && !(external() && left(k))) members.push_back(k);
      }
      const std::string t = text();
      OpRecord& r = Record(c, step, McOp::kSendMessage,
                           w_->Act(c, [&](auto& mc, TimeUs now) { return mc.SendMessage(now, call, t); }));
      r.text = t;
      r.call = call;
      r.members = std::move(members);
      return;
    }
    case StepOp::kLeave:
      Record(c, step, McOp::kLeave, w_->Act(c, [&](auto& mc, TimeUs now) { return mc.Leave(now, call); })).call = call;
      return;
    case StepOp::kOffline:
      for (const auto& target : Targets(st, c)) {
        const int k = target.first;
        const std::string account = target.second;
        const std::string t = text();
        OpRecord& r = Record(c, step, McOp::kSendOffline,
                             w_->Act(c, [&](auto& mc, TimeUs now) { return mc.SendOffline(now, account, t); }));
        r.text = t;
        r.target = k;
        r.target_account = account;
      }
      return;
    case StepOp::kFile: {
      const std::string name = Expand(st.file_name, c, rep);
      std::string bytes = FileBytes(st.size, ++text_seq_);
      OpRecord& r = Record(c, step, McOp::kOfferFile,
                           w_->Act(c, [&](auto& mc, TimeUs now) { return mc.OfferFile(now, call, name, bytes); }));
      r.call = call;
      r.file_bytes = std::move(bytes);
      Transfer t;
      t.step = step;
      t.sender = c;
      t.op = ops_.size() - 1;
      t.decision = st.decision;
      transfers_.push_back(t);
      const std::size_t ti = transfers_.size() - 1;
      // The step waits until the transfer reached its end on the sender's side.
      AddFollowup(step, 5 * 60 * kSeconds, [this, ti] {
        const Transfer& x = transfers_[ti];
        const OpRecord& offer = ops_[x.op];
        if (!offer.event) return false;
        if (offer.event->outcome != Outcome::kOk) return true;
        if (x.decision == FileDecision::kIgnore) return true;
        if (x.decision == FileDecision::kCancel) return x.cancel_issued && ops_[x.cancel_op].event.has_value();
        for (const Notice& n : notices_) {
          const McOp k = n.event.op;
          if (n.client == x.sender && n.event.object_id == x.id &&
              (k == McOp::kFileDone || k == McOp::kFileFailed || k == McOp::kFileRejected)) {
            return true;
          }
        }
        return false;
      });
      return;
    }
    case StepOp::kVoice: {
      std::string clip = st.voice_valid ? (st.wav ? reference::SynthesizeWav49(st.frames)
                                                  : reference::SynthesizeGsm(st.frames))
                                        : std::string(static_cast<std::size_t>(st.frames) * 33, '\x55');
      Record(c, step, McOp::kSendVoice, w_->Act(c, [&](auto& mc, TimeUs now) {
               return mc.SendVoice(now, call, std::move(clip));
             })).call = call;
      return;
    }
    case StepOp::kNudge:
      if (st.from_client) {
        Record(c, step, McOp::kSendNudge, w_->Act(c, [&](auto& mc, TimeUs now) { return mc.SendNudge(now, call); }))
            .call = call;
      } else if (external()) {
        not_applicable_.push_back("step " + std::to_string(step + 1) +
                                  " (a nudge from a back-end user) needs the server's back end; not done on an "
                                  "external target");
      } else {
        const std::string to = accounts_[ci];
        w_->ActBackend([&](reference::Backend& b, TimeUs now) { return b.InjectNudge(now, st.from, to); });
      }
      return;
    default:
      return;
  }
}

void Execution::OnNotice(int c, const McEvent& e) {
  const std::size_t ci = static_cast<std::size_t>(c);
  switch (e.op) {
    case McOp::kInvited:
    case McOp::kAddedToCall:
      call_[ci] = e.call_id;
      break;
    case McOp::kFileOffered:
      offers_.emplace_back(c, e.object_id);
      break;
    default:
      break;
  }
}

void Execution::OnOpEvent(int c, const OpRecord& r) {
  const McEvent& e = *r.event;
  if (e.op == McOp::kInvite && e.outcome == Outcome::kOk) call_[static_cast<std::size_t>(c)] = e.call_id;
  if (e.op == McOp::kLeave && e.outcome == Outcome::kOk && call_[static_cast<std::size_t>(c)] == r.call) {
    call_[static_cast<std::size_t>(c)] = 0;
  }
  if (e.op == McOp::kOfferFile && e.outcome == Outcome::kOk) {
    for (Transfer& t : transfers_) {
      if (&ops_[t.op] == &r) t.id = e.object_id;
    }
  }
}

void Execution::React() {
  if (reaction_scheduled_) return;
  bool due = false;
  for (const Transfer& t : transfers_) {
    if (t.id == 0) continue;
    if (t.decision == FileDecision::kCancel && !t.cancel_issued) due = true;
    if (t.decision == FileDecision::kAccept || t.decision == FileDecision::kReject) {
      for (const auto& [rc, id] : offers_) due |= id == t.id;
    }
  }
  if (!due) return;
  reaction_scheduled_ = true;
  w_->world().scheduler().At(w_->Now(), [this] {
    reaction_scheduled_ = false;
    for (Transfer& t : transfers_) {
      if (t.id == 0) continue;
      if (t.decision == FileDecision::kCancel && !t.cancel_issued && !w_->mc_up(t.sender)) {
        t.cancel_issued = true;  // the sender crashed: nobody cancels
        continue;
      }
      if (t.decision == FileDecision::kCancel && !t.cancel_issued) {
        const std::uint32_t id = t.id;
        Record(t.sender, t.step, McOp::kCancelFile,
               w_->Act(t.sender, [id](auto& mc, TimeUs now) { return mc.CancelFile(now, id); }));
        t.cancel_issued = true;
        t.cancel_op = ops_.size() - 1;
      }
      if (t.decision != FileDecision::kAccept && t.decision != FileDecision::kReject) continue;
      for (auto it = offers_.begin(); it != offers_.end();) {
        if (it->second != t.id) {
          ++it;
          continue;
        }
        const int rc = it->first;
        const std::uint32_t id = t.id;
        if (!w_->mc_up(rc)) {
          it = offers_.erase(it);
          continue;
        }
        const bool accept = t.decision == FileDecision::kAccept;
        Record(rc, t.step, McOp::kFileDecision, w_->Act(rc, [id, accept](auto& mc, TimeUs now) {
                 return accept ? mc.AcceptFile(now, id) : mc.RejectFile(now, id);
               }));
        it = offers_.erase(it);
      }
    }
  });
}

void Execution::SgCounters(Counters& c) {
  if (s_.sg == 0) return;
  if (!external()) {
    c["sg_executed"] = static_cast<std::int64_t>(w_->sg().server_stats().requests_executed);
    c["sg_replayed"] = static_cast<std::int64_t>(w_->sg().server_stats().duplicates_replayed);
  }
  const std::pair<McOp, const char*> kinds[] = {
      {McOp::kMessage, "messages_received"},   {McOp::kOfflineMessage, "offline_received"},
      {McOp::kPresence, "presence_received"},  {McOp::kFileReceived, "files_received"},
      {McOp::kFileRejected, "files_rejected"}, {McOp::kFileCancelled, "files_cancelled"},
      {McOp::kFileFailed, "files_failed"},     {McOp::kVoiceReceived, "voice_received"},
      {McOp::kNudgeReceived, "nudges_received"}, {McOp::kSessionLost, "sessions_lost"},
      {McOp::kKicked, "sessions_lost"}};
  for (const Notice& n : notices_) {
    for (const auto& [op, name] : kinds) {
      if (n.event.op == op) ++c[name];
    }
  }
  if (external()) return;  // the target's store is not observable
  std::int64_t stored = 0;
  for (const std::string& a : accounts_) {
    auto k = w_->backend().CountOfflineMessages(a);
    stored += k.ok() ? static_cast<std::int64_t>(*k) : 0;
  }
  c["offline_stored"] = stored;
}

const conformance::ProvisionAccount& Execution::Map(const std::string& account) {
  auto it = account_map_.find(account);
  if (it != account_map_.end()) return it->second;
  // An account the run did not provision (a register step's new account, a
  // name that should not exist): a run-unique name of the same shape, so a
  // persistent server never sees a collision with an earlier run.
  const auto at = account.find('@');
  const std::string local = account.substr(0, std::min<std::size_t>(at == std::string::npos ? account.size() : at, 22));
  const std::string domain = at == std::string::npos ? "example.com" : account.substr(at + 1);
  Rng rng = Rng::Stream(nonce() ^ seed_, "account:" + account + "#" + std::to_string(name_serial_++));
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", static_cast<unsigned>(rng.Next()));
  return account_map_[account] = conformance::ProvisionAccount{local + "-" + tag + "@" + domain, kPassword};
}

std::string Execution::ProvisionExternal() {
  // Accounts through the protocol (registered or from --accounts), contacts
  // with RCE; nothing is written into a store the harness does not own.
  auto take = [&](const std::string& name) -> std::string {
    auto a = stage_->Account(name, kPassword);
    if (!a.ok()) return a.status().message();
    account_map_[name] = *a;
    return "";
  };
  if (!s_.provision_accounts) return "";
  for (std::string& a : accounts_) {
    if (std::string e = take(a); !e.empty()) return e;
  }
  std::vector<std::string> extra;
  for (int k = 0; k < s_.extra_contacts; ++k) {
    char name[32];
    std::snprintf(name, sizeof name, "contact-%04d@live.cn", k);
    if (std::string e = take(name); !e.empty()) return e;
    extra.push_back(account_map_[name].name);
  }
  for (const std::string& a : accounts_) {
    std::vector<std::string> contacts;
    if (s_.provision_contacts) {
      for (const std::string& b : accounts_) {
        if (a != b) contacts.push_back(account_map_[b].name);
      }
    }
    contacts.insert(contacts.end(), extra.begin(), extra.end());
    if (Status s = stage_->AddContacts(account_map_[a], contacts); !s.ok()) return "contacts: " + s.message();
  }
  // From here on the clients are their real accounts (offline messages to a
  // client not yet logged in name it).
  for (std::string& a : accounts_) a = account_map_[a].name;
  return "";
}

}  // namespace mcpsim::scenarios
