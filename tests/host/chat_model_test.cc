// RapidCheck stateful test of a small chat world (4 users, McClient + SG on
// the simulator) under random loss, duplication and reordering: random
// logins, logouts, invitations, additions, messages, leaves, offline
// messages and contact edits. Checked:
//   - every accepted message reaches every member of its conversation whose
//     SG session stayed the same from the send to the end exactly once, and
//     nobody else more than once (never the sender, never a non-member);
//   - every accepted offline message is shown exactly once, at the latest at
//     the next login (every user logs in at the end);
//   - presence: no more notifications than presence changes can explain (no
//     duplicates), and the final presence view matches the SG;
//   - contact sync converges: each client's list equals the server's.
// Each run ends with a healing phase (no faults) before the final checks.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <map>
#include <set>

#include "tests/host/chat_util.h"

namespace mcpsim::chattest {
namespace {

constexpr int kUsers = 4;

struct Msg {
  std::string text;
  int sender = 0;
  std::uint32_t call = 0;
  bool accepted = false;                 // ASM 0 seen (else the sender gave up)
  std::map<int, std::string> expect;     // member -> its SG session token at send
};

struct Harness {
  explicit Harness(std::uint64_t seed) : s(seed) {
    for (int i = 0; i < kUsers; ++i) {
      McConfig c;
      c.cache_path = ":memory:";  // shown offline messages are remembered across sessions (SG-OFF-6)
      s.AddUser("u" + std::to_string(i) + "@live.cn", c);
    }
    for (int i = 0; i < kUsers; ++i) {
      for (int j = i + 1; j < kUsers; ++j) RC_ASSERT(s.chat->Befriend(s.accounts[i], s.accounts[j]).ok());
    }
    // Everyone starts logged in (no faults yet); commands log users out and in.
    for (int i = 0; i < kUsers; ++i) Login(i);
  }
  bool Active(int i) {
    const auto* sg = s.chat->mc(i).sg();
    return sg && sg->active();
  }
  std::string Token(int i) {
    auto info = s.chat->sg().SessionOf(s.accounts[static_cast<std::size_t>(i)]);
    return info && info->state == reference::SessionState::kActive ? info->token : "";
  }
  // The `r`-th (mod count) user that is / is not active, or -1.
  int Pick(int r, bool active) {
    std::vector<int> v;
    for (int i = 0; i < kUsers; ++i) {
      if (Active(i) == active) v.push_back(i);
    }
    return v.empty() ? -1 : v[static_cast<std::size_t>(r) % v.size()];
  }
  std::vector<std::uint32_t> CallsOf(int i) {
    std::vector<std::uint32_t> out;
    if (!Active(i)) return out;
    for (const auto& [call, conv] : s.chat->mc(i).sg()->conversations()) out.push_back(call);
    return out;
  }
  void Login(int i) {
    ++logins[i];
    segment_start[i].push_back(s.all[static_cast<std::size_t>(i)].size());
    if (s.Login(i).outcome == Outcome::kOk) ++active_entries[i];
  }

  SimChat s;
  std::vector<Msg> msgs;
  std::map<std::string, int> roms;  // accepted offline text -> recipient
  std::map<int, int> logins, active_entries, edits;
  std::map<int, std::vector<std::size_t>> segment_start;
  std::uint64_t next_text = 1;
};

struct Model {};
using Cmd = rc::state::Command<Model, Harness>;

int AnyUser() { return *rc::gen::inRange(0, kUsers); }

struct LogIn : Cmd {
  int i = AnyUser();
  void run(const Model&, Harness& h) const override {
    if (const int u = h.Pick(i, false); u >= 0) h.Login(u);
  }
  void show(std::ostream& os) const override { os << "LogIn(" << i << ")"; }
};

struct LogOut : Cmd {
  int i = AnyUser();
  void run(const Model&, Harness& h) const override {
    if (const int u = h.Pick(i, true); u >= 0) h.s.Do(u, [](auto& mc, TimeUs now) { return mc.Logout(now); });
  }
  void show(std::ostream& os) const override { os << "LogOut(" << i << ")"; }
};

struct Invite : Cmd {
  int i = AnyUser(), j = AnyUser();
  void run(const Model&, Harness& h) const override {
    const int u = h.Pick(i, true), v = h.Pick(j, true);
    if (u < 0 || v < 0 || u == v) return;
    h.s.Do(u, [&](auto& mc, TimeUs now) { return mc.Invite(now, h.s.accounts[static_cast<std::size_t>(v)]); });
  }
  void show(std::ostream& os) const override { os << "Invite(" << i << "->" << j << ")"; }
};

struct AddMember : Cmd {
  int i = AnyUser(), j = AnyUser(), pick = *rc::gen::inRange(0, 8);
  void run(const Model&, Harness& h) const override {
    const int i = h.Pick(this->i, true);
    auto calls = i < 0 ? std::vector<std::uint32_t>{} : h.CallsOf(i);
    if (calls.empty() || i == j) return;
    const std::uint32_t call = calls[static_cast<std::size_t>(pick) % calls.size()];
    h.s.Do(i, [&](auto& mc, TimeUs now) { return mc.AddMember(now, call, h.s.accounts[static_cast<std::size_t>(j)]); });
  }
  void show(std::ostream& os) const override { os << "AddMember(" << i << " adds " << j << ")"; }
};

struct Say : Cmd {
  int i = AnyUser(), pick = *rc::gen::inRange(0, 8);
  void run(const Model&, Harness& h) const override {
    const int i = h.Pick(this->i, true);
    auto calls = i < 0 ? std::vector<std::uint32_t>{} : h.CallsOf(i);
    if (calls.empty()) return;
    Msg m;
    m.sender = i;
    m.call = calls[static_cast<std::size_t>(pick) % calls.size()];
    m.text = "msg " + std::to_string(h.next_text++);
    auto ev = h.s.Do(i, [&](auto& mc, TimeUs now) { return mc.SendMessage(now, m.call, m.text); });
    if (ev.outcome == Outcome::kOk) {
      m.accepted = true;
      for (const std::string& member : h.s.chat->backend().Members(m.call)) {
        const int k = std::stoi(member.substr(1));
        if (k != i) m.expect[k] = h.Token(k);
      }
    }
    if (ev.outcome == Outcome::kOk || ev.outcome == Outcome::kGaveUp) h.msgs.push_back(std::move(m));
  }
  void show(std::ostream& os) const override { os << "Say(" << i << ")"; }
};

struct Leave : Cmd {
  int i = AnyUser(), pick = *rc::gen::inRange(0, 8);
  void run(const Model&, Harness& h) const override {
    const int i = h.Pick(this->i, true);
    auto calls = i < 0 ? std::vector<std::uint32_t>{} : h.CallsOf(i);
    if (calls.empty()) return;
    const std::uint32_t call = calls[static_cast<std::size_t>(pick) % calls.size()];
    h.s.Do(i, [&](auto& mc, TimeUs now) { return mc.Leave(now, call); });
  }
  void show(std::ostream& os) const override { os << "Leave(" << i << ")"; }
};

struct LeaveMessage : Cmd {
  int i = AnyUser(), j = AnyUser();
  void run(const Model&, Harness& h) const override {
    const int i = h.Pick(this->i, true);
    if (i < 0 || i == j) return;
    const std::string text = "rom " + std::to_string(h.next_text++);
    auto ev = h.s.Do(i, [&](auto& mc, TimeUs now) {
      return mc.SendOffline(now, h.s.accounts[static_cast<std::size_t>(j)], text);
    });
    if (ev.outcome == Outcome::kOk) h.roms[text] = j;
  }
  void show(std::ostream& os) const override { os << "LeaveMessage(" << i << "->" << j << ")"; }
};

struct EditContact : Cmd {
  int i = AnyUser(), j = AnyUser();
  bool add = *rc::gen::arbitrary<bool>();
  void run(const Model&, Harness& h) const override {
    const int i = h.Pick(this->i, true);
    if (i < 0 || i == j) return;
    ++h.edits[i];
    ++h.edits[j];
    h.s.Do(i, [&](auto& mc, TimeUs now) {
      return mc.EditContact(now, add ? "add" : "del", h.s.accounts[static_cast<std::size_t>(j)]);
    });
  }
  void show(std::ostream& os) const override { os << "EditContact(" << i << (add ? " add " : " del ") << j << ")"; }
};

struct Wait : Cmd {
  TimeUs span = *rc::gen::inRange<TimeUs>(1, 20) * kSeconds;
  void run(const Model&, Harness& h) const override { h.s.RunFor(span); }
  void show(std::ostream& os) const override { os << "Wait(" << span / kSeconds << "s)"; }
};

struct Faults : Cmd {
  int loss = *rc::gen::inRange(0, 11), dup = *rc::gen::inRange(0, 11), reorder = *rc::gen::inRange(0, 21);
  void run(const Model&, Harness& h) const override {
    sim::LinkConfig l = LossyLink(loss / 100.0);
    l.duplicate = dup / 100.0;
    l.reorder = reorder / 100.0;
    l.reorder_delay = 300 * kMillis;
    h.s.world->SetDefaultLink(l);
  }
  void show(std::ostream& os) const override {
    os << "Faults(loss=" << loss << "% dup=" << dup << "% reorder=" << reorder << "%)";
  }
};

void Heal(Harness& h) {
  h.s.world->SetDefaultLink(LossyLink(0));
  h.s.RunFor(60 * kSeconds);  // resends finish, give-ups happen
  for (int i = 0; i < kUsers; ++i) {
    // An MC whose SG session was closed behind its back (the SG gave up on a
    // push) still believes it is active: log out first.
    if (h.Active(i) && h.Token(i).empty()) h.s.Do(i, [](auto& mc, TimeUs now) { return mc.Logout(now); });
    if (!h.Active(i)) h.Login(i);
    RC_ASSERT(h.Active(i));
  }
  h.s.RunFor(60 * kSeconds);
}

void CheckWorld(Harness& h) {
  // Messages.
  std::map<std::pair<int, std::string>, int> got;  // (receiver, text) -> times shown
  for (int i = 0; i < kUsers; ++i) {
    for (const McEvent& e : h.s.Events(i, McOp::kMessage)) ++got[{i, e.text}];
  }
  for (const Msg& m : h.msgs) {
    for (int k = 0; k < kUsers; ++k) {
      const int n = got.count({k, m.text}) ? got[{k, m.text}] : 0;
      RC_ASSERT(n <= 1);
      if (k == m.sender) RC_ASSERT(n == 0);
      auto it = m.expect.find(k);
      if (it != m.expect.end() && !it->second.empty() && it->second == h.Token(k)) RC_ASSERT(n == 1);
    }
  }
  // Offline messages: exactly once, to the recipient; none left stored.
  std::map<std::string, int> shown;
  for (int i = 0; i < kUsers; ++i) {
    for (const McEvent& e : h.s.Events(i, McOp::kOfflineMessage)) {
      RC_ASSERT(h.roms.count(e.text) == 1);
      RC_ASSERT(h.roms.at(e.text) == i);
      ++shown[e.text];
    }
  }
  for (const auto& [text, to] : h.roms) RC_ASSERT(shown[text] == 1);
  for (int i = 0; i < kUsers; ++i) {
    RC_ASSERT(*h.s.chat->store().CountOfflineMessages(h.s.accounts[static_cast<std::size_t>(i)]) == 0u);
  }
  for (int i = 0; i < kUsers; ++i) {
    const auto* sg = h.s.chat->mc(i).sg();
    // Contact sync converged to the server's list.
    auto list = h.s.chat->store().GetContactList(h.s.accounts[static_cast<std::size_t>(i)]);
    RC_ASSERT(list.ok());
    std::set<std::string> server, client;
    for (const auto& e : list->entries) server.insert(e.account);
    for (const auto& [a, c] : sg->contacts()) client.insert(a);
    RC_ASSERT(server == client);
    RC_ASSERT(sg->list_version() == list->version);
    // Presence view: every listed contact is online (all are ACTIVE and
    // visible now) and nobody else is shown... unless they list us only.
    for (const std::string& c : server) RC_ASSERT(sg->presence().count(c) == 1);
    // No duplicate notifications: per watched account, at most one RNP per
    // session of the watcher plus one per ACTIVE entry / close of the
    // watched user and per contact edit touching either.
    std::map<std::string, int> per;
    for (const McEvent& e : h.s.Events(i, McOp::kPresence)) ++per[e.account];
    for (const auto& [account, n] : per) {
      const int k = std::stoi(account.substr(1));
      RC_ASSERT(n <= h.logins[i] + 2 * h.logins[k] + 2 * (h.edits[i] + h.edits[k]));
    }
  }
}

// Regressions the property found (SG-PRES-8), replayed deterministically.
// A lost RNP `offline` resent after the RNP `online` of the re-login must not
// leave the user shown offline.
TEST(ChatModel, StaleOfflineRnpAfterReloginIsIgnored) {
  Harness h(50531320483221ull);
  h.s.world->SetDefaultLink(LossyLink(0.02));
  h.s.Do(0, [](auto& mc, TimeUs now) { return mc.Logout(now); });
  h.Login(0);
  h.s.world->SetDefaultLink(LossyLink(0));
  h.s.RunFor(60 * kSeconds);
  for (int i = 1; i < kUsers; ++i) EXPECT_EQ(h.s.chat->mc(i).sg()->presence().count("u0@live.cn"), 1u) << i;
}

// The RNP that follows a re-add can overtake the pages of the earlier
// removal's sync; committing that removal must not forget the newer presence.
TEST(ChatModel, ReaddedContactStaysOnlineWhenTheRemovalSyncCommitsLate) {
  Harness h(1);
  h.s.Do(0, [](auto& mc, TimeUs now) { return mc.Logout(now); });  // (the timing that showed it)
  h.s.Do(3, [](auto& mc, TimeUs now) { return mc.EditContact(now, "del", "u2@live.cn"); });
  h.s.Do(3, [](auto& mc, TimeUs now) { return mc.EditContact(now, "add", "u2@live.cn"); });
  h.s.RunFor(60 * kSeconds);
  EXPECT_EQ(h.s.chat->mc(3).sg()->contacts().count("u2@live.cn"), 1u);
  EXPECT_EQ(h.s.chat->mc(3).sg()->presence().count("u2@live.cn"), 1u);
}

TEST(ChatModel, MessagesOfflineMessagesPresenceAndSyncUnderFaults) {
  rc::detail::TestMetadata meta;
  meta.id = "ChatModel/MessagesOfflineMessagesPresenceAndSyncUnderFaults";
  meta.description = meta.id;
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = std::min(params.maxSuccess, 25);  // each run simulates minutes of a world
  params.maxSize = std::min(params.maxSize, 80);
  const auto result = rc::detail::checkProperty(
      rc::detail::toProperty([] {
        Harness h(*rc::gen::arbitrary<std::uint64_t>());
        Model m;
        rc::state::check(m, h,
                         rc::state::gen::execOneOfWithArgs<LogIn, LogOut, Invite, Invite, AddMember, Say, Say,
                                                           Say, Say, Leave, LeaveMessage, EditContact, Wait,
                                                           Faults>());
        Heal(h);
        CheckWorld(h);
        // Shows how much each run exercised (printed by RapidCheck).
        RC_CLASSIFY(h.msgs.size() >= 5, "5+ messages");
        RC_CLASSIFY(!h.roms.empty(), "offline messages");
        int inv = 0, logins = 0;
        for (int i = 0; i < kUsers; ++i) inv += h.s.Count(i, McOp::kInvited), logins += h.logins[i];
        RC_CLASSIFY(inv > 0, "invited");
        RC_CLASSIFY(logins > 4, "5+ logins");
        int added = 0;
        for (int i = 0; i < kUsers; ++i) added += h.s.Count(i, McOp::kAddedToCall);
        RC_CLASSIFY(added > 0, "multi-party");
      }),
      meta, params);
  if (result.is<rc::detail::SuccessResult>()) {
    rc::detail::printResultMessage(result, std::cout);
    std::cout << std::endl;
  } else {
    std::ostringstream ss;
    rc::detail::printResultMessage(result, ss);
    FAIL() << ss.str();
  }
}

}  // namespace
}  // namespace mcpsim::chattest
