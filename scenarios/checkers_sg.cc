// The SG checkers: exactly-once delivery of accepted messages, offline
// messages at the next login, contact lists converging, files intact, and
// login after the faults heal. They read the runner's op records (whose
// message texts are unique), the clients' notifications, the clients' SG
// sessions and caches, and the server's store.
#include <algorithm>
#include <map>
#include <set>

#include "scenarios/checkers.h"
#include "scenarios/scenario.h"
#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {

using reference::McOp;
using Outcome = reference::McEvent::Outcome;
using yaml::FormatDuration;

namespace {

std::string Mc(int c) { return "mc-" + std::to_string(c); }

// Liveness is judged only for what had time to happen: a server push gives
// up after the TIMER-3 budget (31 s, then SG closes that session), so a send
// acknowledged less than this before the end may still be in flight.
constexpr TimeUs kWindow = 33 * kSeconds;
bool Settled(const RunView& v, TimeUs t) { return t + kWindow <= v.end; }

// The SG's session closes the MC is not told of: the in-process SG's own
// record, or what the wire shows of an external target's (TIMER-9 after a
// push gave up, TargetStage::PushesGivenUp).
const std::vector<RefWorld::SgClose>& SgCloses(const RunView& v) {
  static const std::vector<RefWorld::SgClose> kNone;
  if (!v.external) return v.world.sg_closes();
  return v.target_sg_closes ? *v.target_sg_closes : kNone;
}

// Client c is online at the end: its session is ACTIVE and the SG agrees
// (an external SG's view is observable only as far as the wire shows it: a
// push it gave up on after c's last login closed that session, TIMER-9).
bool ActiveAtEnd(const RunView& v, int c) {
  const auto* sg = v.world.mc(c).sg();
  if (!sg || !sg->active()) return false;
  if (v.external) {
    if (static_cast<std::size_t>(c) >= v.accounts.size()) return true;
    TimeUs since = 0;  // the last successful login's answer
    for (const OpRecord& r : v.ops) {
      if (r.client == c && r.op == McOp::kLogin && r.event && r.event->outcome == Outcome::kOk) {
        since = std::max(since, r.event->at);
      }
    }
    for (const RefWorld::SgClose& close : SgCloses(v)) {
      if (close.account == v.accounts[static_cast<std::size_t>(c)] && close.at >= since && close.at <= v.end) return false;
    }
    return true;
  }
  auto info = v.world.sg().SessionOf(sg->account());
  return info && info->state == reference::SessionState::kActive;
}

// The session client c had at `t` ended in a crash: SG crashed within the
// 31 s push budget (plus slack) after t — what it held in memory for c
// (queued pushes, the session) is gone — or client c itself crashed after t
// without logging in again in between, or before t without a successful
// login between that crash and t (a partition can delay both the push
// and the client's discovery of the loss for long, and the crash pre-empts
// the session-lost notice). Durable state (offline messages, lists) is
// judged separately.
bool CrashedAround(const RunView& v, int c, TimeUs t) {
  for (const auto& [at, node] : v.world.crash_log()) {
    if (node == "sg" && at >= t && at < t + 60 * kSeconds) return true;
    if (node != Mc(c)) continue;
    if (at < t) {
      // Client c crashed before t: a restarted phone has no session (its
      // memory is gone, SG-SESS-6 on its side), so it was offline at t unless
      // a login after the crash succeeded by t. SG may still hold the old
      // incarnation's session and acknowledge messages to its call; their
      // pushes go nowhere and give up (TIMER-9). (Sweep sg-chat-partition-heal
      // --swarm seeds 1807, 1892, 1909: mc-1 crashed at 27 s, 28 s, 12 s and
      // logged in again only at 125 s; G-71.)
      bool back = false;
      for (const OpRecord& r : v.ops) {
        back |= r.client == c && r.op == McOp::kLogin && r.issued >= at && r.event &&
                r.event->outcome == Outcome::kOk && r.event->at <= t;
      }
      if (!back) return true;
      continue;
    }
    bool relogged = false;
    for (const OpRecord& r : v.ops) {
      relogged |= r.client == c && r.op == McOp::kLogin && r.issued >= t && r.issued < at;
    }
    if (!relogged) return true;
  }
  return false;
}

// Client c may legitimately have missed something sent at `t`: it left,
// logged out or in again around then, lost its session, or is not online at
// the end.
bool Disturbed(const RunView& v, int c, TimeUs t) {
  if (!ActiveAtEnd(v, c)) return true;
  for (const OpRecord& r : v.ops) {
    if (r.client != c || (r.op != McOp::kLeave && r.op != McOp::kLogout && r.op != McOp::kLogin)) continue;
    if (r.issued < t + 60 * kSeconds && (!r.event || r.event->at >= t)) return true;
  }
  for (const Notice& n : v.notices) {
    if (n.client == c && n.event.at >= t && (n.event.op == McOp::kSessionLost || n.event.op == McOp::kKicked)) {
      return true;
    }
  }
  // SG closed the session without telling the MC (G-46): its pushes gave up
  // (TIMER-9; a burst of loss or a dead phone look the same, G-71) or it
  // idled out (TIMER-10). A push of the message at `t` queued behind a long
  // sync run may take several push budgets, hence the generous window.
  constexpr TimeUs kPushWindow = 10 * 60 * kSeconds;
  if (static_cast<std::size_t>(c) < v.accounts.size()) {
    for (const RefWorld::SgClose& close : SgCloses(v)) {
      using Why = reference::SgRole::CloseWhy;
      if (close.account == v.accounts[static_cast<std::size_t>(c)] && close.at >= t &&
          close.at <= t + kPushWindow && (close.why == Why::kGaveUp || close.why == Why::kIdle)) {
        return true;
      }
    }
  }
  return CrashedAround(v, c, t);
}

// (client, text) -> times shown, for notifications of kind `op`.
std::map<std::pair<int, std::string>, int> Shown(const RunView& v, McOp op) {
  std::map<std::pair<int, std::string>, int> got;
  for (const Notice& n : v.notices) {
    if (n.event.op == op) ++got[{n.client, n.event.text}];
  }
  return got;
}

std::string Preview(const std::string& t) { return "'" + (t.size() > 40 ? t.substr(0, 40) + "..." : t) + "'"; }

}  // namespace

std::string ExactlyOnceMessages(const RunView& v) {
  auto got = Shown(v, McOp::kMessage);
  std::set<std::string> sent;
  for (const OpRecord& r : v.ops) {
    if (r.op == McOp::kSendMessage) sent.insert(r.text);
  }
  for (const auto& [key, n] : got) {
    if (n > 1) return Mc(key.first) + " was shown message " + Preview(key.second) + " " + std::to_string(n) + " times";
    if (!sent.count(key.second)) return Mc(key.first) + " was shown message " + Preview(key.second) + " that no client sent";
  }
  for (const OpRecord& r : v.ops) {
    if (r.op != McOp::kSendMessage || !r.event || r.event->outcome != Outcome::kOk) continue;
    if (!Settled(v, r.event->at)) continue;
    for (int m : r.members) {
      if (got.count({m, r.text}) || Disturbed(v, m, r.issued)) continue;
      return DescribeOp(v, r) + ": message " + Preview(r.text) + " acknowledged (ASM 0) but never shown to " + Mc(m) +
             ", a member of call " + std::to_string(r.call) + " online throughout";
    }
  }
  return "";
}

std::string OfflineDelivered(const RunView& v) {
  auto got = Shown(v, McOp::kOfflineMessage);
  int judged = 0, unjudged = 0;
  std::set<std::string> sent;
  for (const OpRecord& r : v.ops) {
    if (r.op == McOp::kSendOffline) sent.insert(r.text);
  }
  for (const auto& [key, n] : got) {
    if (n > 1) {
      return Mc(key.first) + " was shown offline message " + Preview(key.second) + " " + std::to_string(n) +
             " times (SG-OFF-6)";
    }
    if (!sent.count(key.second)) return Mc(key.first) + " was shown offline message " + Preview(key.second) + " that no client sent";
  }
  for (const OpRecord& r : v.ops) {
    if (r.op != McOp::kSendOffline || r.target < 0 || !r.event || r.event->outcome != Outcome::kOk) continue;
    if (got.count({r.target, r.text})) {
      ++judged;
      continue;
    }
    if (ActiveAtEnd(v, r.target)) {
      // Delivered at the ack (recipient online) or at its last login.
      TimeUs due = r.event->at;
      for (const OpRecord& l : v.ops) {
        if (l.client == r.target && l.op == McOp::kLogin && l.event && l.event->outcome == Outcome::kOk) {
          due = std::max(due, l.event->at);
        }
      }
      if (!Settled(v, due)) continue;
      return DescribeOp(v, r) + ": offline message " + Preview(r.text) + " acknowledged (AOM) but never shown to " +
             Mc(r.target) + ", which is online at the end (SG-OFF-3)";
    }
    if (v.external) {  // "still stored" is the external server's secret
      ++unjudged;
      continue;
    }
    ++judged;
    auto stored = v.world.backend().ListOfflineMessages(r.target_account);
    if (!stored.ok()) return "cannot list offline messages: " + stored.status().ToString();
    bool kept = false;
    for (const auto& m : *stored) kept |= m.text == r.text;
    if (!kept) {
      return DescribeOp(v, r) + ": offline message " + Preview(r.text) + " acknowledged (AOM) but neither shown to " +
             Mc(r.target) + " nor still stored (SG-OFF-1)";
    }
  }
  if (v.external && judged == 0 && unjudged > 0) {
    return NotApplicable(std::to_string(unjudged) +
                         " acknowledged offline message(s) went to recipients offline at the end: whether the "
                         "external server still stores them is not observable");
  }
  return "";
}

std::string ContactsConverge(const RunView& v) {
  if (v.external) return NotApplicable("the server's contact lists of an external target are not observable on the wire");
  // The last thing that may have changed a list or started a sync.
  TimeUs last = 0;
  for (const OpRecord& r : v.ops) {
    if (r.op == McOp::kEditContact || r.op == McOp::kSetProfile || r.op == McOp::kLogin) {
      last = std::max(last, r.event ? r.event->at : v.end);
    }
  }
  for (const Notice& n : v.notices) {
    if (n.event.op == McOp::kContactsChanged) last = std::max(last, n.event.at);
  }
  if (!Settled(v, last)) return "";  // a sync may still be running
  for (int c = 0; c < v.world.clients(); ++c) {
    if (!ActiveAtEnd(v, c)) continue;
    const auto& sg = *v.world.mc(c).sg();
    // A sync run still going is a chain of pushes (RCS, then each RCR page
    // after the previous answer, SG-SYNC-5), each bounded by TIMER-3 with
    // the session closed on give-up: on a lossy link it can outlast the 33 s
    // window (sweep failure sg-contact-edit --swarm seed 522). Judge that
    // client only once its run has ended.
    if (auto info = v.world.sg().SessionOf(sg.account()); info && info->sync_running) continue;
    auto list = v.world.backend().GetContactList(sg.account());
    if (!list.ok()) return "cannot read " + sg.account() + "'s list: " + list.status().ToString();
    std::map<std::string, reference::McContact> server;
    for (const auto& e : list->entries) {
      reference::McContact m;
      m.nickname = e.profile.nickname;
      m.psm = e.profile.psm;
      m.avatar_id = e.profile.avatar_id;
      m.profile_version = e.profile.version;
      m.flags = e.blocked ? 1u : 0u;
      server[e.account] = m;
    }
    auto compare = [&](const char* where, std::uint32_t version,
                       const auto& mine) -> std::string {
      if (version != list->version) {
        return Mc(c) + " " + where + " has list version " + std::to_string(version) + ", the server " +
               std::to_string(list->version);
      }
      if (mine.size() != server.size()) {
        return Mc(c) + " " + where + " lists " + std::to_string(mine.size()) + " contacts, the server " +
               std::to_string(server.size());
      }
      for (const auto& [account, m] : server) {
        auto it = mine.find(account);
        if (it == mine.end()) return Mc(c) + " " + where + " lacks contact " + account;
        if (!(it->second == m)) return Mc(c) + " " + where + " has a stale record of " + account;
      }
      return "";
    };
    if (std::string why = compare("(session)", sg.list_version(), sg.contacts()); !why.empty()) return why;
    if (auto* cache = v.world.mc(c).cache()) {
      auto cached = cache->Load("dev-" + std::to_string(c), sg.account());
      if (!cached.ok()) return Mc(c) + " cache: " + cached.status().ToString();
      if (std::string why = compare("(cache)", cached->list_version, cached->contacts); !why.empty()) return why;
    }
  }
  return "";
}

std::string FilesIntact(const RunView& v) {
  // transferIds come from a counter of the Messenger back end's memory
  // (G-41), so after an SG restart they start again: a received transfer is
  // the latest offer of that id acknowledged before it arrived.
  std::multimap<std::uint32_t, const OpRecord*> offers;
  for (const OpRecord& r : v.ops) {
    if (r.op == McOp::kOfferFile && r.event && r.event->outcome == Outcome::kOk) offers.emplace(r.event->object_id, &r);
  }
  auto offer_of = [&](std::uint32_t id, TimeUs at) -> const OpRecord* {
    const OpRecord* best = nullptr;
    auto [lo, hi] = offers.equal_range(id);
    for (auto it = lo; it != hi; ++it) {
      if (it->second->event->at <= at && (!best || it->second->event->at >= best->event->at)) best = it->second;
    }
    return best;
  };
  std::map<std::pair<int, const OpRecord*>, int> received;
  std::set<std::uint32_t> any_received;
  for (const Notice& n : v.notices) {
    if (n.event.op != McOp::kFileReceived) continue;
    const std::uint32_t id = n.event.object_id;
    const OpRecord* offer = offer_of(id, n.event.at);
    if (!offer) return Mc(n.client) + " received file transfer " + std::to_string(id) + " nobody offered";
    const auto it = std::make_pair(id, offer);
    if (n.event.data != it.second->file_bytes) {
      return Mc(n.client) + " received transfer " + std::to_string(id) + " with " + std::to_string(n.event.data.size()) +
             " bytes that differ from the " + std::to_string(it.second->file_bytes.size()) + " offered";
    }
    if (++received[{n.client, offer}] > 1) return Mc(n.client) + " received transfer " + std::to_string(id) + " twice";
    any_received.insert(id);
  }
  for (const Notice& n : v.notices) {
    if (n.event.op == McOp::kFileDone && !any_received.count(n.event.object_id)) {
      return Mc(n.client) + " was told transfer " + std::to_string(n.event.object_id) +
             " is done (SG-FILE-9) but no client received it";
    }
  }
  return "";
}

std::string LoginAfterHeal(const RunView& v) {
  // Swarm links stay lossy: no client is healthy; fault points may fail a
  // login legally (a store failure answers 501).
  if (v.swarm || v.fault_points) return "";
  TimeUs heal = 0;
  for (const Fault& f : v.scenario.faults) {
    if (f.kind != FaultKind::kLinkChange) heal = std::max(heal, f.end);
  }
  constexpr TimeUs kBound = 60 * kSeconds;
  bool any = false;
  for (const OpRecord& r : v.ops) {
    if (r.op != McOp::kLogin || r.issued < heal) continue;
    any = true;
    if (!r.event) {
      if (v.end - r.issued > kBound) return DescribeOp(v, r) + " after the heal at " + FormatDuration(heal) + " never ended";
      continue;
    }
    if (r.event->outcome != Outcome::kOk) {
      return DescribeOp(v, r) + " after the heal at " + FormatDuration(heal) + " failed: " +
             (r.event->outcome == Outcome::kStatus ? "status " + std::to_string(r.event->status) : r.event->detail);
    }
    if (r.event->at - r.issued > kBound) {
      return DescribeOp(v, r) + " after the heal took " + FormatDuration(r.event->at - r.issued) + " (bound " +
             FormatDuration(kBound) + ")";
    }
  }
  if (!any) return "no login was issued after the faults healed at " + FormatDuration(heal) + " (nothing to check)";
  return "";
}

}  // namespace mcpsim::scenarios
