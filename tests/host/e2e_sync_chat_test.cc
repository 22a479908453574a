// End-to-end through McClient + SG on the simulator (host/chat_world.h):
// first login with a paged full sync of 1000 contacts, a cached login after
// a client restart receiving only a 3-contact delta, multi-party chat with
// RSR/RAC and leaving with a reason, privacy refusal, and logout.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "tests/host/chat_util.h"

namespace mcpsim::chattest {
namespace {

std::string Contact(int k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "c%04d@live.cn", k);
  return buf;
}

// The server's list of `owner` as account -> profile version.
std::map<std::string, std::uint32_t> ServerList(SimChat& s, const std::string& owner) {
  auto list = s.chat->store().GetContactList(owner);
  EXPECT_TRUE(list.ok());
  std::map<std::string, std::uint32_t> out;
  for (const auto& e : list->entries) out[e.account] = e.profile.version;
  return out;
}
std::map<std::string, std::uint32_t> ClientList(SimChat& s, int i) {
  std::map<std::string, std::uint32_t> out;
  for (const auto& [account, c] : s.chat->mc(i).sg()->contacts()) out[account] = c.profile_version;
  return out;
}

// A temp directory removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("mcpsim-stack3-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(SyncChatE2e, FirstLoginSyncsAThousandContactsInPages) {
  SimChat s(31, 0.02);
  const int a = s.AddUser("alice@live.cn");
  for (int k = 0; k < 1000; ++k) {
    ASSERT_TRUE(s.chat->CreateAccount(Contact(k)).ok());
    ASSERT_TRUE(s.chat->AddContact("alice@live.cn", Contact(k)).ok());
  }
  auto login = s.Login(a);
  ASSERT_EQ(login.outcome, Outcome::kOk) << login.status << " " << login.detail;
  ASSERT_EQ(login.params.size(), 3u);
  EXPECT_EQ(login.params[0], "full");   // no cache: listVersion 0 (CACHE-4, SG-SYNC-2)
  EXPECT_EQ(login.params[1], "1000");
  EXPECT_EQ(login.params[2], "1001");   // version 1 + 1000 adds
  EXPECT_EQ(ClientList(s, a), ServerList(s, "alice@live.cn"));
  EXPECT_EQ(s.chat->mc(a).sg()->list_version(), 1001u);
  // 250 RCR pages of 4 records (LIM-15), stop-and-wait: each answered once.
  EXPECT_GE(s.chat->mc(a).sg()->link_stats().server_requests, 1u + 250u);
  EXPECT_EQ(s.Count(a, McOp::kContactsChanged), 0);  // the initial sync is the login's
}

TEST(SyncChatE2e, CachedLoginAfterRestartGetsOnlyAThreeContactDelta) {
  TempDir dir;
  McConfig cfg;
  cfg.cache_path = (dir.path / "phone.db").string();
  SimChat s(32, 0.02);
  const int a = s.AddUser("alice@live.cn", cfg);
  for (int k = 0; k < 20; ++k) {
    ASSERT_TRUE(s.chat->CreateAccount(Contact(k)).ok());
    ASSERT_TRUE(s.chat->AddContact("alice@live.cn", Contact(k)).ok());
  }
  ASSERT_TRUE(s.chat->CreateAccount(Contact(100)).ok());
  auto first = s.Login(a);
  ASSERT_EQ(first.outcome, Outcome::kOk) << first.detail;
  EXPECT_EQ(first.params[0], "full");
  EXPECT_EQ(first.params[1], "20");
  auto out = s.Do(a, [](auto& mc, TimeUs now) { return mc.Logout(now); });
  EXPECT_TRUE(out.outcome == Outcome::kOk || out.outcome == Outcome::kGaveUp);  // SG-LOGIN-11
  s.RunFor(5 * kSeconds);

  // While alice is away: one contact added, one removed, one changes profile.
  ASSERT_TRUE(s.chat->AddContact("alice@live.cn", Contact(100)).ok());
  ASSERT_TRUE(s.chat->store().EditContact("alice@live.cn", Contact(3), reference::ContactEdit::kDelete).ok());
  reference::Profile p;
  p.nickname = "Seven";
  p.psm = "new phone";
  ASSERT_TRUE(s.chat->store().UpdateProfile(Contact(7), p).ok());

  // The app restarts: a new client object on the same cache file. The privacy
  // acceptance persisted with the cache (PRIV-2), so it is not asked again.
  s.Restart(a, cfg, /*accept_privacy=*/false);
  EXPECT_TRUE(s.chat->mc(a).privacy_accepted());
  auto second = s.Login(a);
  ASSERT_EQ(second.outcome, Outcome::kOk) << second.detail;
  ASSERT_EQ(second.params.size(), 3u);
  EXPECT_EQ(second.params[0], "delta");
  EXPECT_EQ(second.params[1], "3");
  EXPECT_EQ(ClientList(s, a), ServerList(s, "alice@live.cn"));
  const auto& contacts = s.chat->mc(a).sg()->contacts();
  ASSERT_TRUE(contacts.count(Contact(7)));
  EXPECT_EQ(contacts.at(Contact(7)).nickname, "Seven");
  EXPECT_FALSE(contacts.count(Contact(3)));
  EXPECT_TRUE(contacts.count(Contact(100)));
  // And the cache itself holds the new state for the next restart.
  auto cached = s.chat->mc(a).cache()->Load(s.chat->config(a).device_id, "alice@live.cn");
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->contacts.size(), 20u);
  EXPECT_EQ(cached->list_version, s.chat->mc(a).sg()->list_version());
}

TEST(SyncChatE2e, LoginRefusedUntilThePrivacyAgreementIsAccepted) {
  SimChat s(33);
  ASSERT_TRUE(s.chat->CreateAccount("alice@live.cn").ok());
  s.accounts.push_back("alice@live.cn");
  s.all.emplace_back();
  s.ops.emplace_back();
  auto added = s.chat->AddClient(McConfig{}, "mc-alice", /*accept_privacy=*/false);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  const int a = *added;
  auto refused = s.Login(a);
  EXPECT_EQ(refused.outcome, Outcome::kRefused);
  EXPECT_NE(refused.detail.find("PRIV-1"), std::string::npos);
  EXPECT_EQ(s.chat->sg().session_count(), 0u);  // nothing reached the SG
  s.chat->mc(a).AcceptPrivacyAgreement();
  EXPECT_EQ(s.Login(a).outcome, Outcome::kOk);
}

class MultiPartyChatE2e : public ::testing::Test {
 protected:
  MultiPartyChatE2e() : s(34, 0.03) {
    for (const char* u : {"alice@live.cn", "bob@live.cn", "carol@live.cn"}) s.AddUser(u);
    for (int x = 0; x < 3; ++x) {
      for (int y = x + 1; y < 3; ++y) EXPECT_TRUE(s.chat->Befriend(s.accounts[x], s.accounts[y]).ok());
    }
  }
  void LoginAll() {
    for (int i = 0; i < 3; ++i) ASSERT_EQ(s.Login(i).outcome, Outcome::kOk);
    // Everyone sees the two others online (SG-PRES-3/4).
    ASSERT_TRUE(s.Until([&] {
      for (int i = 0; i < 3; ++i) {
        if (s.chat->mc(i).sg()->presence().size() < 2) return false;
      }
      return true;
    }));
  }
  SimChat s;
};

TEST_F(MultiPartyChatE2e, MultiPartyMessagesReachEveryMemberExactlyOnce) {
  LoginAll();
  auto invite = s.Do(0, [](auto& mc, TimeUs now) { return mc.Invite(now, "bob@live.cn"); });
  ASSERT_EQ(invite.outcome, Outcome::kOk) << invite.status;
  const std::uint32_t call = invite.call_id;
  ASSERT_NE(call, 0u);
  ASSERT_TRUE(s.Until([&] { return s.Count(1, McOp::kInvited) == 1; }));
  auto add = s.Do(0, [&](auto& mc, TimeUs now) { return mc.AddMember(now, call, "carol@live.cn"); });
  ASSERT_EQ(add.outcome, Outcome::kOk) << add.status;
  ASSERT_TRUE(s.Until([&] { return s.Count(2, McOp::kAddedToCall) == 1 && s.Count(1, McOp::kMemberAdded) == 1; }));
  EXPECT_EQ(s.Last(2, McOp::kAddedToCall)->account, "alice@live.cn");   // RRR names the adder
  EXPECT_EQ(s.Last(1, McOp::kMemberAdded)->account, "carol@live.cn");   // RAC to the others
  // Carol's conversation lists all three members (ACM after RRR, SG-CHAT-5).
  ASSERT_TRUE(s.Until([&] {
    auto it = s.chat->mc(2).sg()->conversations().find(call);
    return it != s.chat->mc(2).sg()->conversations().end() && it->second.members.size() == 3;
  }));

  const int per_member = 4;
  for (int k = 0; k < per_member; ++k) {
    for (int i = 0; i < 3; ++i) {
      const std::string text = s.accounts[i] + " says " + std::to_string(k);
      auto sent = s.Do(i, [&](auto& mc, TimeUs now) { return mc.SendMessage(now, call, text); });
      EXPECT_EQ(sent.outcome, Outcome::kOk) << sent.status;
    }
  }
  ASSERT_TRUE(s.Until([&] {
    for (int i = 0; i < 3; ++i) {
      if (s.Count(i, McOp::kMessage) < 2 * per_member) return false;
    }
    return true;
  }));
  s.RunFor(60 * kSeconds);  // late duplicates would show up now
  for (int i = 0; i < 3; ++i) {
    std::multiset<std::string> got;
    for (const McEvent& e : s.Events(i, McOp::kMessage)) {
      EXPECT_EQ(e.call_id, call);
      EXPECT_NE(e.account, s.accounts[i]);  // never one's own message (SG-CHAT-7)
      got.insert(e.text);
    }
    std::multiset<std::string> want;
    for (int k = 0; k < per_member; ++k) {
      for (int j = 0; j < 3; ++j) {
        if (j != i) want.insert(s.accounts[j] + " says " + std::to_string(k));
      }
    }
    EXPECT_EQ(got, want) << "member " << i;
  }

  // Carol leaves: the two others learn it with reason "left", not ended.
  EXPECT_EQ(s.Do(2, [&](auto& mc, TimeUs now) { return mc.Leave(now, call); }).outcome, Outcome::kOk);
  ASSERT_TRUE(s.Until([&] { return s.Count(0, McOp::kMemberLeft) == 1 && s.Count(1, McOp::kMemberLeft) == 1; }));
  for (int i = 0; i < 2; ++i) {
    const McEvent* left = s.Last(i, McOp::kMemberLeft);
    EXPECT_EQ(left->account, "carol@live.cn");
    EXPECT_EQ(left->text, "left");
    EXPECT_EQ(left->object_id, 0u);
  }
  // Bob leaves: alice is the last member, the conversation ends (SG-CHAT-14).
  EXPECT_EQ(s.Do(1, [&](auto& mc, TimeUs now) { return mc.Leave(now, call); }).outcome, Outcome::kOk);
  ASSERT_TRUE(s.Until([&] { return s.Count(0, McOp::kMemberLeft) == 2; }));
  EXPECT_EQ(s.Last(0, McOp::kMemberLeft)->account, "bob@live.cn");
  EXPECT_EQ(s.Last(0, McOp::kMemberLeft)->object_id, 1u);
  EXPECT_TRUE(s.chat->backend().Members(call).empty());
  auto late = s.Do(0, [&](auto& mc, TimeUs now) { return mc.SendMessage(now, call, "anyone?"); });
  EXPECT_NE(late.outcome, Outcome::kOk);  // 302 (unknown callId) or refused locally
}

TEST_F(MultiPartyChatE2e, LogoutEndsTheSessionAndOthersSeeOffline) {
  LoginAll();
  auto invite = s.Do(0, [](auto& mc, TimeUs now) { return mc.Invite(now, "bob@live.cn"); });
  ASSERT_EQ(invite.outcome, Outcome::kOk);
  ASSERT_TRUE(s.Until([&] { return s.Count(1, McOp::kInvited) == 1; }));
  auto out = s.Do(1, [](auto& mc, TimeUs now) { return mc.Logout(now); });
  EXPECT_TRUE(out.outcome == Outcome::kOk || out.outcome == Outcome::kGaveUp);  // SG-LOGIN-11
  EXPECT_EQ(s.chat->mc(1).sg()->state(), reference::SgState::kClosed);
  ASSERT_TRUE(s.Until([&] { return !s.chat->sg().SessionOf("bob@live.cn").has_value(); }));
  // Alice and carol see bob go offline (SG-PRES-5); alice's call ends with
  // reason "offline" (SG-SESS-6, SG-CHAT-14).
  ASSERT_TRUE(s.Until([&] {
    return s.chat->mc(0).sg()->presence().count("bob@live.cn") == 0 &&
           s.chat->mc(2).sg()->presence().count("bob@live.cn") == 0 && s.Count(0, McOp::kMemberLeft) == 1;
  }));
  EXPECT_EQ(s.Last(0, McOp::kMemberLeft)->text, "offline");
  EXPECT_EQ(s.Last(0, McOp::kMemberLeft)->object_id, 1u);
  // Bob can log in again afterwards.
  EXPECT_EQ(s.Login(1).outcome, Outcome::kOk);
}

}  // namespace
}  // namespace mcpsim::chattest
