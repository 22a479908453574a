// MC side of the SG session: login order, contact sync, client cache,
// privacy, presence, keep-alive, ROUT and logout — checked on the exact
// commands the MC sends to a scripted SG.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/mc/fake_sg.h"

namespace mcpsim::reference::mctest {
namespace {

std::string TempCache(const std::string& name) {
  std::string path = ::testing::TempDir() + "mc_cache_" + name + ".db";
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return path;
}

std::vector<Rec> FiveContacts() {
  return {{"A", "bob@live.cn", "Bob", "at work", "av-bob", 3, 0},
          {"A", "carol@live.cn", "Carol", "", "av-carol", 1, 0},
          {"A", "dave@live.cn", "Dave", "hi", "", 2, 1},
          {"A", "erin@live.cn", "Erin", "", "", 1, 0},
          {"A", "frank@live.cn", "Frank x", "100%", "", 7, 0}};
}

TEST(McLogin, SeedOrderWithExactBytes) {
  McConfig cfg;
  cfg.cache_path = ":memory:";
  FakeSg sg(cfg);
  sg.mc().AcceptPrivacyAgreement();
  const auto op = sg.mc().Login(sg.now, "alice@live.cn", "s3cret-pass");
  auto d = sg.TakeDatagrams();
  ASSERT_EQ(d.size(), 1u);
  auto rat = sg.Take();  // already drained: parse the datagram instead
  EXPECT_TRUE(rat.empty());
  wire::Command r;
  wire::ParseDatagram(d[0], wire::Limits::Datagram(), [&](const wire::CommandView& v, std::uint64_t) {
    if (v.word() == "RAT") r = wire::Command::FromView(v);
  }, [](const wire::WireError&) {});
  const std::uint32_t t = r.trid;
  EXPECT_GE(t, 1u);
  // PRIV-3: privacy = 1; no padding needed (longer than the largest AAT).
  EXPECT_EQ(d[0], "RAT " + std::to_string(t) + " alice@live.cn s3cret-pass dev-1 1.3.0 1\r\n");
  sg.Deliver(FakeSg::Answer(r, 0, {FakeSg::kToken}));
  auto d2 = sg.TakeDatagrams();
  ASSERT_EQ(d2.size(), 1u);
  // SG-LOGIN-5 / CACHE-3: RSII with token, presence, caps, listVersion 0 (empty cache).
  EXPECT_EQ(d2[0], "RSII " + std::to_string(t + 1) + " " + FakeSg::kToken + " online 7 0\r\n");
  sg.Deliver("ASII " + std::to_string(t + 1) + " 0\r\n" + sg.Request("RCS", {"10", "full", "5"}));
  EXPECT_EQ(sg.TakeDatagrams(), std::vector<std::string>{"ACS 1 0\r\n"});
  auto recs = FiveContacts();
  sg.Deliver(sg.Page(10, 1, 2, {recs.begin(), recs.begin() + 4}));
  EXPECT_EQ(sg.TakeDatagrams(), std::vector<std::string>{"ACR 2 0\r\n"});  // no RPS yet (SG-LOGIN-6)
  EXPECT_TRUE(sg.mc().sg()->contacts().empty());  // nothing applied before completion (SG-SYNC-8)
  EXPECT_EQ(sg.mc().sg()->state(), SgState::kSyncing);
  sg.Deliver(sg.Page(10, 2, 2, {recs[4]}));
  // ACR for the last page, then RPS (first profile: baseVersion 0, the local part).
  EXPECT_EQ(sg.TakeDatagrams(),
            std::vector<std::string>{"ACR 3 0\r\nRPS " + std::to_string(t + 2) + " 0 alice  \r\n"});
  EXPECT_EQ(sg.mc().sg()->contacts().size(), 5u);
  EXPECT_EQ(sg.mc().sg()->list_version(), 10u);
  EXPECT_EQ(sg.mc().sg()->state(), SgState::kProfile);
  EXPECT_TRUE(sg.Events().empty());  // login not done before APS
  sg.Deliver("APS " + std::to_string(t + 2) + " 0 4 Alice hello av-alice\r\n");
  auto ev = sg.Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].op_id, op);
  EXPECT_EQ(ev[0].op, McOp::kLogin);
  EXPECT_EQ(ev[0].outcome, McEvent::Outcome::kOk);
  EXPECT_EQ(ev[0].params, (std::vector<std::string>{"full", "5", "10"}));
  EXPECT_TRUE(sg.mc().sg()->active());
  EXPECT_EQ(sg.mc().sg()->profile(), (McProfile{4, "Alice", "hello", "av-alice"}));
  const auto& frank = sg.mc().sg()->contacts().at("frank@live.cn");
  EXPECT_EQ(frank, (McContact{"Frank x", "100%", "", 7, 0}));
}

TEST(McLogin, ShortRatIsPaddedToTheLargestAat) {
  FakeSg sg;
  sg.mc().AcceptPrivacyAgreement();
  sg.mc().Login(sg.now, "a@b.cn", "12345678");
  auto d = sg.TakeDatagrams();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_GE(d[0].size(), 51u);  // AMP-4
  EXPECT_EQ(sg.Take().size(), 0u);
}

TEST(McLogin, RefusedBeforePrivacyAndAcceptancePersists) {
  McConfig cfg;
  cfg.cache_path = TempCache("privacy");
  FakeSg sg(cfg);
  EXPECT_FALSE(sg.mc().privacy_accepted());
  const auto op = sg.mc().Login(sg.now, "alice@live.cn", "s3cret-pass");
  auto ev = sg.Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].op_id, op);
  EXPECT_EQ(ev[0].outcome, McEvent::Outcome::kRefused);  // PRIV-1
  EXPECT_TRUE(sg.TakeDatagrams().empty());
  sg.mc().AcceptPrivacyAgreement();
  sg.Restart();  // PRIV-2: persisted per DeviceId, never asked again
  EXPECT_TRUE(sg.mc().privacy_accepted());
  sg.config().device_id = "other-device";
  sg.Restart();
  EXPECT_FALSE(sg.mc().privacy_accepted());
}

TEST(McLogin, AuthFailureEndsTheLogin) {
  FakeSg sg;
  sg.mc().AcceptPrivacyAgreement();
  const auto op = sg.mc().Login(sg.now, "alice@live.cn", "wrong-pass");
  auto rat = sg.TakeOne("RAT");
  sg.Deliver(FakeSg::Answer(rat, 201));
  auto ev = sg.EventsOf(McOp::kLogin);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].op_id, op);
  EXPECT_EQ(ev[0].status, 201);
  EXPECT_EQ(sg.mc().sg()->state(), SgState::kClosed);
  EXPECT_TRUE(sg.Take().empty());  // no RSII
}

TEST(McSync, CacheSurvivesRestartAndGetsOnlyTheDelta) {
  McConfig cfg;
  cfg.cache_path = TempCache("restart");
  FakeSg sg(cfg);
  sg.Login("alice@live.cn", "full", 10, FiveContacts(), {"3", "Alice", "hello", "av-alice"});
  sg.Events();
  sg.mc().Logout(sg.now);
  sg.TakeOne("RLO");
  sg.Restart();  // a new McClient on the same cache file
  std::vector<Rec> delta = {{"A", "ann@live.cn", "Ann", "", "", 1, 0},
                            {"M", "bob@live.cn", "Bobby", "away", "av-bob2", 4, 0},
                            {"D", "carol@live.cn", "", "", "", 0, 0}};
  auto rsii = sg.Login("alice@live.cn", "delta", 13, delta);
  ASSERT_EQ(rsii.params.size(), 4u);
  EXPECT_EQ(rsii.params[3], "10");  // the cached listVersion (CACHE-3)
  // SG-PROF-4: the first RPS carries the cached profile and version.
  EXPECT_EQ(sg.last_rps.params, (std::vector<std::string>{"3", "Alice", "hello", "av-alice"}));
  auto login = sg.EventsOf(McOp::kLogin);
  ASSERT_EQ(login.size(), 1u);
  EXPECT_EQ(login[0].params, (std::vector<std::string>{"delta", "3", "13"}));
  const auto& c = sg.mc().sg()->contacts();
  std::vector<std::string> names;
  for (const auto& [n, rec] : c) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"ann@live.cn", "bob@live.cn", "dave@live.cn",
                                             "erin@live.cn", "frank@live.cn"}));
  EXPECT_EQ(c.at("bob@live.cn"), (McContact{"Bobby", "away", "av-bob2", 4, 0}));
  // The cache file holds exactly the same (CACHE-2), keyed by (DeviceId, account).
  ClientCache file(cfg.cache_path);
  auto cached = file.Load(cfg.device_id, "alice@live.cn");
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->list_version, 13u);
  EXPECT_EQ(cached->contacts, c);
  EXPECT_EQ(cached->profile, (McProfile{1, "alice", "", ""}));  // the last APS (FakeSg default)
  auto other = file.Load(cfg.device_id, "zed@live.cn");  // CACHE-5
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->list_version, 0u);
  EXPECT_TRUE(other->contacts.empty());
}

TEST(McSync, FullReplacesTheCachedList) {
  McConfig cfg;
  cfg.cache_path = TempCache("full");
  FakeSg sg(cfg);
  sg.Login("alice@live.cn", "full", 10, FiveContacts());
  sg.mc().Logout(sg.now);
  sg.Take();
  sg.Restart();
  auto rsii = sg.Login("alice@live.cn", "full", 20,
                       {{"A", "bob@live.cn", "B2", "", "", 9, 1}, {"A", "zoe@live.cn", "Zoe", "", "", 1, 0}});
  EXPECT_EQ(rsii.params[3], "10");
  const auto& c = sg.mc().sg()->contacts();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.at("bob@live.cn").flags, 1u);
  EXPECT_TRUE(c.count("zoe@live.cn"));
  ClientCache file(cfg.cache_path);
  EXPECT_EQ(file.Load(cfg.device_id, "alice@live.cn")->contacts, c);
}

TEST(McSync, CurrentKeepsTheCachedList) {
  McConfig cfg;
  cfg.cache_path = TempCache("current");
  FakeSg sg(cfg);
  sg.Login("alice@live.cn", "full", 10, FiveContacts());
  sg.mc().Logout(sg.now);
  sg.Take();
  sg.Restart();
  sg.Login("alice@live.cn", "current", 10, {});
  EXPECT_EQ(sg.mc().sg()->contacts().size(), 5u);
  EXPECT_TRUE(sg.mc().sg()->active());
}

TEST(McSync, WithoutCacheEveryLoginSendsVersionZero) {
  FakeSg sg;  // cache_path empty: CACHE-4
  auto rsii = sg.Login("alice@live.cn", "full", 10, FiveContacts(), {"5", "Alice", "", ""});
  EXPECT_EQ(rsii.params[3], "0");
  EXPECT_EQ(sg.last_rps.params[0], "0");
  sg.mc().Logout(sg.now);
  sg.Take();
  rsii = sg.Login("alice@live.cn", "full", 10, FiveContacts());
  EXPECT_EQ(rsii.params[3], "0");
  EXPECT_EQ(sg.last_rps.params[0], "0");  // baseVersion 0 without a cache
}

TEST(McSync, SkippedPageIsRefusedWith103AndNothingIsApplied) {
  McConfig cfg;
  cfg.cache_path = TempCache("skip");
  FakeSg sg(cfg);
  sg.Login("alice@live.cn", "full", 10, FiveContacts());
  sg.Events();
  const auto before = sg.mc().sg()->contacts();
  sg.Deliver(sg.Request("RCS", {"11", "delta", "5"}));
  EXPECT_EQ(sg.TakeOne("ACS").status, 0u);
  std::vector<Rec> one = {{"D", "bob@live.cn", "", "", "", 0, 0}};
  const std::string page2 = sg.Page(11, 2, 2, one);
  sg.Deliver(page2);  // page 1 skipped
  auto acr = sg.TakeOne("ACR");
  EXPECT_EQ(acr.status, 103u);  // SG-SYNC-10
  EXPECT_EQ(sg.mc().sg()->contacts(), before);
  EXPECT_EQ(sg.mc().sg()->list_version(), 10u);
  EXPECT_EQ(sg.mc().sg()->state(), SgState::kClosed);  // SG-SYNC-6
  auto lost = sg.EventsOf(McOp::kSessionLost);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].status, 103);
  ClientCache file(cfg.cache_path);
  EXPECT_EQ(file.Load(cfg.device_id, "alice@live.cn")->list_version, 10u);
}

TEST(McSync, PartialSyncIsDiscardedOnRestart) {
  McConfig cfg;
  cfg.cache_path = TempCache("partial");
  FakeSg sg(cfg);
  sg.Login("alice@live.cn", "full", 10, FiveContacts());
  sg.Deliver(sg.Request("RCS", {"12", "delta", "6"}));
  sg.Take();
  std::vector<Rec> four(4, Rec{"D", "bob@live.cn", "", "", "", 0, 0});
  four[1].account = "carol@live.cn";
  four[2].account = "dave@live.cn";
  four[3].account = "erin@live.cn";
  sg.Deliver(sg.Page(12, 1, 2, four));
  EXPECT_EQ(sg.TakeOne("ACR").status, 0u);
  EXPECT_EQ(sg.mc().sg()->contacts().size(), 5u);  // not applied yet
  sg.Restart();
  ClientCache file(cfg.cache_path);
  auto cached = file.Load(cfg.device_id, "alice@live.cn");
  EXPECT_EQ(cached->list_version, 10u);
  EXPECT_EQ(cached->contacts.size(), 5u);
}

TEST(McSync, LaterDeltaIsReportedAndResentPagesAnsweredFromCache) {
  FakeSg sg;
  sg.Login("alice@live.cn", "full", 10, FiveContacts());
  sg.Events();
  const std::string rcs = sg.Request("RCS", {"11", "delta", "1"});
  sg.Deliver(rcs);
  const auto acs = sg.TakeDatagrams();
  sg.Deliver(rcs);  // a resend (our ACS was lost): same answer, not executed again
  EXPECT_EQ(sg.TakeDatagrams(), acs);
  const std::string page = sg.Page(11, 1, 1, {{"A", "zed@live.cn", "Zed", "", "", 1, 0}});
  sg.Deliver(page);
  const auto acr = sg.TakeDatagrams();
  sg.Deliver(page);
  EXPECT_EQ(sg.TakeDatagrams(), acr);
  auto ev = sg.EventsOf(McOp::kContactsChanged);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].params, (std::vector<std::string>{"delta", "1", "11"}));
  EXPECT_EQ(sg.mc().sg()->contacts().size(), 6u);
}

TEST(McPresence, RnpForUnknownAccountIsKeptAndOfflineRemoves) {
  FakeSg sg;
  sg.Login("alice@live.cn", "full", 10, FiveContacts());
  sg.Events();
  sg.Deliver(sg.Request("RNP", {"zed@live.cn", "busy", "3"}));  // SG-PRES-7
  EXPECT_EQ(sg.TakeOne("ANP").status, 0u);
  EXPECT_EQ(sg.mc().sg()->presence().at("zed@live.cn"), (McPresence{"busy", 3}));
  sg.Deliver(sg.Request("RCS", {"11", "delta", "1"}) );
  sg.Take();
  sg.Deliver(sg.Page(11, 1, 1, {{"A", "zed@live.cn", "Zed", "", "", 1, 0}}));
  sg.Take();
  EXPECT_TRUE(sg.mc().sg()->contacts().count("zed@live.cn"));
  EXPECT_TRUE(sg.mc().sg()->presence().count("zed@live.cn"));
  auto pres = sg.EventsOf(McOp::kPresence);
  ASSERT_EQ(pres.size(), 1u);
  EXPECT_EQ(pres[0].account, "zed@live.cn");
  EXPECT_EQ(pres[0].text, "busy");
  sg.Deliver(sg.Request("RNP", {"zed@live.cn", "offline", "0"}));
  sg.Take();
  EXPECT_FALSE(sg.mc().sg()->presence().count("zed@live.cn"));
  sg.Deliver(sg.Request("RNP", {"zed@live.cn", "hidden", "0"}));  // never sent by SG
  EXPECT_EQ(sg.TakeOne("ANP").status, 103u);
}

TEST(McSession, PollsAfterSixtySecondsOfSilence) {
  FakeSg sg;
  sg.Login("alice@live.cn", "current", 10, {});
  sg.Take();
  sg.Advance(59 * kSeconds);
  EXPECT_TRUE(sg.Take().empty());
  sg.Advance(1 * kSeconds);
  auto rpol = sg.TakeOne("RPOL");  // TIMER-11
  EXPECT_TRUE(rpol.params.empty());
  sg.Deliver(FakeSg::Answer(rpol, 0, {"60"}));
  sg.Advance(59 * kSeconds);
  EXPECT_TRUE(sg.Take().empty());
  sg.Advance(1 * kSeconds);
  sg.TakeOne("RPOL");
}

TEST(McSession, RoutIsAnsweredAndThereIsNoAutomaticRelogin) {
  FakeSg sg;
  sg.Login("alice@live.cn", "current", 10, {});
  sg.Events();
  const std::string rout = sg.Request("ROUT", {"208"});
  sg.Deliver(rout);
  const auto aout = sg.TakeDatagrams();
  EXPECT_EQ(aout, std::vector<std::string>{"AOUT 2 0\r\n"});  // SG-LOGIN-9 (RCS was trid 1)
  auto kicked = sg.EventsOf(McOp::kKicked);
  ASSERT_EQ(kicked.size(), 1u);
  EXPECT_EQ(kicked[0].status, 208);
  EXPECT_EQ(sg.mc().sg()->state(), SgState::kClosed);
  sg.Deliver(rout);  // resent ROUT: answered again from the cache, no second event
  EXPECT_EQ(sg.TakeDatagrams(), aout);
  EXPECT_TRUE(sg.Events().empty());
  sg.Advance(600 * kSeconds);
  EXPECT_TRUE(sg.Take().empty());  // no RAT, no RPOL
  // Other server requests after the close are refused (wrong state).
  sg.Deliver(sg.Request("RRM", {"3", "bob@live.cn", "hi"}));
  EXPECT_EQ(sg.TakeOne("ARM").status, 300u);
  EXPECT_TRUE(sg.Events().empty());
}

TEST(McSession, LogoutIsImmediateAndEditsNeedAnActiveSession) {
  FakeSg sg;
  sg.Login("alice@live.cn", "current", 10, {});
  sg.Events();
  const auto op = sg.mc().EditContact(sg.now, "add", "zed@live.cn");
  auto rce = sg.TakeOne("RCE");
  EXPECT_EQ(rce.params, (std::vector<std::string>{"add", "zed@live.cn"}));
  sg.Deliver(FakeSg::Answer(rce, 0, {"11"}));
  auto ev = sg.Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].op_id, op);
  EXPECT_EQ(ev[0].params, std::vector<std::string>{"11"});
  sg.mc().SetPresence(sg.now, "away", 3);
  auto rli = sg.TakeOne("RLI");
  EXPECT_EQ(rli.params, (std::vector<std::string>{"away", "3"}));
  const auto lo = sg.mc().Logout(sg.now);
  auto rlo = sg.TakeOne("RLO");
  EXPECT_EQ(sg.mc().sg()->state(), SgState::kClosed);  // SG-LOGIN-11
  EXPECT_EQ(sg.mc().Invite(sg.now, "bob@live.cn"), lo + 1);
  EXPECT_EQ(sg.Events().back().outcome, McEvent::Outcome::kRefused);
  sg.Deliver(FakeSg::Answer(rlo, 0));
  auto done = sg.EventsOf(McOp::kLogout);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].op_id, lo);
  EXPECT_EQ(done[0].outcome, McEvent::Outcome::kOk);
}

// SG-LOGIN-14: SG closed the session without ROUT (TIMER-9 after a push gave
// up); the MC learns it from the 200 to its next request.
TEST(McSession, AnswerNotAuthenticatedMeansTheSessionWasLost) {
  FakeSg sg;
  sg.Login("alice@live.cn", "current", 10, {});
  sg.Events();
  const auto op = sg.mc().EditContact(sg.now, "add", "zed@live.cn");
  auto rce = sg.TakeOne("RCE");
  sg.Deliver(FakeSg::Answer(rce, 200));
  auto ev = sg.Events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].op_id, op);
  EXPECT_EQ(ev[0].outcome, McEvent::Outcome::kStatus);
  EXPECT_EQ(ev[0].status, 200);
  EXPECT_EQ(ev[1].op, McOp::kSessionLost);
  EXPECT_EQ(ev[1].op_id, 0u);
  EXPECT_EQ(ev[1].status, 200);
  EXPECT_NE(ev[1].detail.find("SG-LOGIN-14"), std::string::npos) << ev[1].detail;
  EXPECT_EQ(sg.mc().sg()->state(), SgState::kClosed);
  // Closed: no keep-alive, and user actions are refused locally.
  sg.Advance(120 * kSeconds);
  EXPECT_TRUE(sg.Take().empty());
  sg.mc().SetPresence(sg.now, "away", 3);
  EXPECT_TRUE(sg.Take().empty());
  auto refused = sg.Events();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].outcome, McEvent::Outcome::kRefused);
}

// The same during login: an APS 200 fails the login (no kSessionLost), and a
// 200 after a logout is just that request's status.
TEST(McSession, AnswerNotAuthenticatedDuringLoginFailsTheLogin) {
  FakeSg sg;
  sg.mc().AcceptPrivacyAgreement();
  const auto op = sg.mc().Login(sg.now, "alice@live.cn", "s3cret-pass");
  auto rat = sg.TakeOne("RAT");
  sg.Deliver(FakeSg::Answer(rat, 0, {FakeSg::kToken}));
  auto rsii = sg.TakeOne("RSII");
  sg.Deliver(FakeSg::Answer(rsii, 0) + sg.Request("RCS", {"4", "current", "0"}));
  auto cmds = sg.Take();
  ASSERT_EQ(cmds.size(), 2u);
  ASSERT_EQ(cmds[1].word, "RPS");
  sg.Deliver(FakeSg::Answer(cmds[1], 200));
  auto ev = sg.Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].op_id, op);
  EXPECT_EQ(ev[0].op, McOp::kLogin);
  EXPECT_EQ(ev[0].status, 200);
  EXPECT_EQ(sg.mc().sg()->state(), SgState::kClosed);
}

TEST(McSession, LostAsiiIsRecoveredByTheRcs) {
  FakeSg sg;
  sg.mc().AcceptPrivacyAgreement();
  sg.mc().Login(sg.now, "alice@live.cn", "s3cret-pass");
  auto rat = sg.TakeOne("RAT");
  sg.Deliver(FakeSg::Answer(rat, 0, {FakeSg::kToken}));
  sg.TakeOne("RSII");
  sg.Deliver(sg.Request("RCS", {"4", "current", "0"}));  // the ASII was lost
  auto cmds = sg.Take();
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0].word, "ACS");
  EXPECT_EQ(cmds[1].word, "RPS");
}

}  // namespace
}  // namespace mcpsim::reference::mctest
