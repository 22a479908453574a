// MC side of file transfer and voice clips: chunked uploads within the
// windows, per-chunk resends under loss, reassembly of relayed chunks in any
// order, and RapidCheck properties for reassembly and contact sync.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "reference/media/voice.h"
#include "tests/mc/fake_sg.h"

namespace mcpsim::reference::mctest {
namespace {

FakeSg Active(McConfig cfg = {}) {
  FakeSg sg(std::move(cfg));
  sg.Login("alice@live.cn", "full", 10, {{"A", "bob@live.cn", "Bob", "", "", 1, 0}});
  sg.Events();
  return sg;
}

std::string Pattern(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::string s(n, '\0');
  rng.Fill(s.data(), n);
  return s;
}

// Offers `file` in call 17 and accepts it as transfer 3; returns the first
// commands the MC sends after ROR accept (the first ROT chunks).
std::vector<wire::Command> OfferAndAccept(FakeSg& sg, const std::string& file) {
  sg.mc().OfferFile(sg.now, 17, "notes.txt", file);
  auto roi = sg.TakeOne("ROI");
  EXPECT_EQ(roi.params, (std::vector<std::string>{"17", "notes.txt", std::to_string(file.size())}));
  sg.Deliver(FakeSg::Answer(roi, 0, {"3"}));
  EXPECT_TRUE(sg.Take().empty());  // SG-FILE-6: no ROT before ROR accept
  sg.Deliver(sg.Request("ROR", {"3", "accept"}));
  return sg.Take();
}

TEST(McFile, TwoMegabyteUploadUnderLossWithinTheWindow) {
  FakeSg sg = Active();
  const std::string file = Pattern(2097152, 5);
  auto first = OfferAndAccept(sg, file);
  ASSERT_GE(first.size(), 2u);
  EXPECT_EQ(first[0].word, "AOR");
  Rng loss(99);
  std::map<std::uint32_t, std::string> received;        // offset -> bytes (the SG's copy)
  std::map<std::uint32_t, std::string> original;        // trid -> line bytes (resend check)
  std::set<std::uint32_t> outstanding;                  // offsets sent, answer not delivered
  std::size_t max_outstanding = 0, sends = 0, resends = 0;
  std::map<std::uint32_t, std::uint32_t> offset_of;     // trid -> offset
  std::multimap<TimeUs, std::pair<std::uint32_t, std::string>> to_mc;  // delayed answers
  auto handle = [&](const std::vector<wire::Command>& cmds) {
    for (const auto& c : cmds) {
      if (c.word == "AOR") continue;
      ASSERT_EQ(c.word, "ROT");
      ASSERT_EQ(c.params.size(), 3u);  // transferId offset total (+ length)
      EXPECT_EQ(c.params[0], "3");
      EXPECT_EQ(c.params[2], "2097152");
      const auto off = static_cast<std::uint32_t>(std::stoul(c.params[1]));
      const std::string line = Line(c);
      ++sends;
      if (auto it = original.find(c.trid); it != original.end()) {
        ++resends;
        EXPECT_EQ(it->second, line);  // TIMER-4: byte-identical resend
      } else {
        original[c.trid] = line;
      }
      offset_of[c.trid] = off;
      outstanding.insert(off);
      max_outstanding = std::max(max_outstanding, outstanding.size());
      if (loss.Chance(0.1)) continue;  // request lost
      received.emplace(off, *c.payload);  // PAY-9: the first copy is kept
      if (loss.Chance(0.05)) continue;  // answer lost
      to_mc.emplace(sg.now + 40 * kMillis, std::make_pair(c.trid, FakeSg::Answer(c, 0)));
    }
  };
  handle(first);
  std::size_t steps = 0;
  while (received.size() < 2048 || !to_mc.empty()) {
    ASSERT_LT(++steps, 200000u);
    const TimeUs next = std::min(to_mc.empty() ? kNever : to_mc.begin()->first, sg.mc().NextDeadline());
    ASSERT_NE(next, kNever);
    sg.now = std::max(sg.now, next);
    if (!to_mc.empty() && to_mc.begin()->first <= sg.now) {
      const auto [trid, a] = to_mc.begin()->second;
      to_mc.erase(to_mc.begin());
      outstanding.erase(offset_of.at(trid));  // the MC no longer waits for it
      sg.Deliver(a);
    } else {
      sg.mc().OnTimer(sg.now);
    }
    handle(sg.Take());
    if (received.size() == 2048 && outstanding.empty()) break;
  }
  EXPECT_LE(max_outstanding, 8u);  // PAY-8
  EXPECT_EQ(max_outstanding, 8u);  // and the window is used
  EXPECT_GT(resends, 0u);          // PAY-7: lost chunks resent alone
  EXPECT_EQ(original.size(), 2048u);  // one trid per chunk, no whole-object resend
  std::string assembled;
  for (const auto& [off, bytes] : received) assembled += bytes;
  EXPECT_EQ(assembled, file);
  auto uploaded = sg.EventsOf(McOp::kFileUploaded);
  EXPECT_EQ(uploaded.size(), 1u);
  sg.Deliver(sg.Request("ROR", {"3", "done"}));
  sg.Take();
  EXPECT_EQ(sg.EventsOf(McOp::kFileDone).size(), 1u);
  EXPECT_EQ(sg.mc().sg()->open_transfers(), 0u);
}

TEST(McFile, GaveUpChunkFailsTheTransfer) {
  FakeSg sg = Active();
  auto first = OfferAndAccept(sg, Pattern(3000, 1));
  ASSERT_EQ(first.size(), 4u);  // AOR + 3 chunks
  sg.Advance(40 * kSeconds);    // the SG never answers (TIMER-3)
  sg.Take();
  auto failed = sg.EventsOf(McOp::kFileFailed);
  ASSERT_EQ(failed.size(), 1u);  // PAY-11, once for the whole object
  EXPECT_EQ(failed[0].object_id, 3u);
  EXPECT_EQ(sg.mc().sg()->open_transfers(), 0u);
}

TEST(McFile, CancelOnlyBeforeTheFirstChunkAndRejection) {
  FakeSg sg = Active();
  sg.mc().OfferFile(sg.now, 17, "a.bin", "xyz");
  auto roi = sg.TakeOne("ROI");
  sg.Deliver(FakeSg::Answer(roi, 0, {"4"}));
  sg.mc().CancelFile(sg.now, 4);
  auto roc = sg.TakeOne("ROC");
  EXPECT_EQ(roc.params, std::vector<std::string>{"4"});
  sg.Deliver(sg.Request("ROR", {"4", "accept"}));  // too late: no ROT after ROC (SG-FILE-7)
  EXPECT_EQ(sg.TakeOne("AOR").status, 0u);
  sg.Deliver(FakeSg::Answer(roc, 0));
  EXPECT_EQ(sg.mc().sg()->open_transfers(), 0u);
  sg.Events();
  // A second offer is sent, then cancelling after a chunk went out is refused.
  auto first = OfferAndAccept(sg, "hello");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[1].word, "ROT");
  EXPECT_EQ(*first[1].payload, "hello");
  sg.Events();
  sg.mc().CancelFile(sg.now, 3);
  EXPECT_EQ(sg.Events().at(0).outcome, McEvent::Outcome::kRefused);
  sg.Deliver(sg.Request("ROR", {"3", "failed"}));
  sg.Take();
  EXPECT_EQ(sg.EventsOf(McOp::kFileFailed).size(), 1u);
  // Rejection.
  sg.mc().OfferFile(sg.now, 17, "b.bin", "abc");
  roi = sg.TakeOne("ROI");
  sg.Deliver(FakeSg::Answer(roi, 0, {"5"}));
  sg.Deliver(sg.Request("ROR", {"5", "reject"}));
  sg.Take();
  EXPECT_EQ(sg.EventsOf(McOp::kFileRejected).size(), 1u);
}

TEST(McFile, ReceiveOfferAcceptAndReassembleOutOfOrder) {
  FakeSg sg = Active();
  const std::string file = Pattern(2500, 8);
  sg.Deliver(sg.Request("ROA", {"18", "3", "bob@live.cn", "notes.txt", "2500"}));
  EXPECT_EQ(sg.TakeOne("AOA").status, 0u);  // at once (SG-FILE-3)
  auto offered = sg.EventsOf(McOp::kFileOffered);
  ASSERT_EQ(offered.size(), 1u);
  EXPECT_EQ(offered[0].text, "notes.txt");
  EXPECT_EQ(offered[0].params, std::vector<std::string>{"2500"});
  sg.mc().AcceptFile(sg.now, 3);
  auto ror = sg.TakeOne("ROR");
  EXPECT_EQ(ror.params, (std::vector<std::string>{"3", "accept"}));
  sg.Deliver(FakeSg::Answer(ror, 0));
  auto chunk = [&](std::uint32_t off, std::string total = "2500") {
    return sg.Request("ROT", {"3", std::to_string(off), total},
                      file.substr(off, std::min<std::size_t>(1024, file.size() - off)));
  };
  sg.Deliver(chunk(2048));
  sg.Deliver(chunk(0) + chunk(0));  // duplicate chunk with a new trid: 0, first copy kept
  sg.Deliver(sg.Request("ROT", {"3", "1024", "2600"}, file.substr(1024, 1024)));  // PAY-6
  auto answers = sg.Take();
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0].status, 0u);
  EXPECT_EQ(answers[1].status, 0u);
  EXPECT_EQ(answers[2].status, 0u);
  EXPECT_EQ(answers[3].status, 104u);
  EXPECT_TRUE(sg.EventsOf(McOp::kFileReceived).empty());
  sg.Deliver(chunk(1024));
  EXPECT_EQ(sg.TakeOne("AOT").status, 0u);
  auto got = sg.EventsOf(McOp::kFileReceived);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, file);
  EXPECT_EQ(got[0].account, "bob@live.cn");
  sg.Deliver(chunk(0));  // a late duplicate after completion is still 0 (PAY-9)
  EXPECT_EQ(sg.TakeOne("AOT").status, 0u);
  EXPECT_EQ(sg.mc().sg()->open_transfers(), 0u);
  // An offer the SG cancels.
  sg.Deliver(sg.Request("ROA", {"18", "9", "bob@live.cn", "x", "10"}));
  sg.Deliver(sg.Request("ROC", {"9"}));
  sg.Take();
  EXPECT_EQ(sg.EventsOf(McOp::kFileCancelled).size(), 1u);
  EXPECT_EQ(sg.mc().sg()->open_transfers(), 0u);
}

TEST(McVoice, SendsAValidClipInChunks) {
  FakeSg sg = Active();
  const std::string clip = SynthesizeWav49(100);
  ASSERT_GT(clip.size(), 2048u);
  const auto op = sg.mc().SendVoice(sg.now, 17, clip);
  auto cmds = sg.Take();
  const std::size_t n = (clip.size() + 1023) / 1024;
  ASSERT_EQ(cmds.size(), n);
  std::string joined;
  for (const auto& c : cmds) {
    ASSERT_EQ(c.word, "RSV");
    EXPECT_EQ(c.params[0], "17");
    EXPECT_EQ(c.params[1], "1");  // voiceId chosen by the client
    EXPECT_EQ(c.params[3], std::to_string(clip.size()));
    joined += *c.payload;
  }
  EXPECT_EQ(joined, clip);
  for (const auto& c : cmds) sg.Deliver(FakeSg::Answer(c, 0));
  auto ev = sg.Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].op_id, op);
  EXPECT_EQ(ev[0].outcome, McEvent::Outcome::kOk);
  sg.mc().SendVoice(sg.now, 17, "not audio");
  EXPECT_TRUE(sg.Take().empty());
  EXPECT_EQ(sg.Events().at(0).outcome, McEvent::Outcome::kRefused);  // SG-VOICE-5
}

TEST(McVoice, ReceivedClipIsReassembledAndValidated) {
  FakeSg sg = Active();
  const std::string clip = SynthesizeGsm(100);  // 3300 bytes, 4 chunks
  auto chunk = [&](std::uint32_t id, std::uint32_t off, const std::string& c) {
    return sg.Request("RRV", {"17", std::to_string(id), "bob@live.cn", std::to_string(off),
                              std::to_string(c.size())},
                      c.substr(off, std::min<std::size_t>(1024, c.size() - off)));
  };
  sg.Deliver(chunk(5, 3072, clip) + chunk(5, 1024, clip) + chunk(5, 1024, clip) + chunk(5, 0, clip));
  EXPECT_TRUE(sg.EventsOf(McOp::kVoiceReceived).empty());
  sg.Deliver(chunk(5, 2048, clip));
  auto answers = sg.Take();
  ASSERT_EQ(answers.size(), 5u);
  for (const auto& a : answers) EXPECT_EQ(a.status, 0u);
  auto got = sg.EventsOf(McOp::kVoiceReceived);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, clip);
  EXPECT_EQ(got[0].call_id, 17u);
  // An invalid clip: the completing chunk is answered 104 (PAY-10).
  const std::string junk(1500, 'x');
  sg.Deliver(chunk(6, 0, junk));
  sg.Deliver(chunk(6, 1024, junk));
  answers = sg.Take();
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].status, 0u);
  EXPECT_EQ(answers[1].status, 104u);
  // A partial clip is discarded after the transfer-idle timeout (PAY-11).
  sg.Deliver(chunk(7, 0, clip));
  sg.Take();
  EXPECT_EQ(sg.mc().sg()->open_transfers(), 1u);
  sg.Advance(301 * kSeconds);
  EXPECT_EQ(sg.mc().sg()->open_transfers(), 0u);
}

// Any order of the chunks of a relayed file, with duplicates, reassembles
// exactly the sent bytes; every chunk is answered 0.
RC_GTEST_PROP(McProps, RelayedChunksInAnyOrderReassemble, ()) {
  const auto size = *rc::gen::inRange<std::uint32_t>(1, 9000);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  const std::string file = Pattern(size, seed);
  const std::uint32_t n = (size + 1023) / 1024;
  std::vector<std::uint32_t> order;
  for (std::uint32_t i = 0; i < n; ++i) order.push_back(i);
  const auto extra = *rc::gen::container<std::vector<std::uint32_t>>(rc::gen::inRange<std::uint32_t>(0, n));
  order.insert(order.end(), extra.begin(), extra.end());
  Rng shuffle(seed ^ 0x5a5a);
  std::vector<std::uint32_t> shuffled = order;
  for (std::size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[shuffle.Below(i)]);
  FakeSg sg = Active();
  sg.Deliver(sg.Request("ROA", {"18", "3", "bob@live.cn", "f", std::to_string(size)}));
  sg.mc().AcceptFile(sg.now, 3);
  sg.Take();
  for (std::uint32_t i : shuffled) {
    const std::uint32_t off = i * 1024;
    sg.Deliver(sg.Request("ROT", {"3", std::to_string(off), std::to_string(size)},
                          file.substr(off, std::min<std::size_t>(1024, size - off))));
    auto a = sg.Take();
    RC_ASSERT(a.size() == 1u);
    RC_ASSERT(a[0].status == std::optional<std::uint32_t>(0));
  }
  auto got = sg.EventsOf(McOp::kFileReceived);
  RC_ASSERT(got.size() == 1u);
  RC_ASSERT(got[0].data == file);
}

// A contact sync whose requests are duplicated (resends with the same trid,
// arriving at random later points) converges to the server's list.
RC_GTEST_PROP(McProps, SyncWithDuplicatedPagesConvergesToTheServerList, ()) {
  const auto nold = *rc::gen::inRange<int>(0, 12);
  const auto nnew = *rc::gen::inRange<int>(0, 14);
  auto name = [](int i) {
    std::string n = "c";
    n += std::to_string(i);
    n += "@live.cn";
    return n;
  };
  std::vector<Rec> old_recs;
  for (int i = 0; i < nold; ++i) old_recs.push_back({"A", name(i * 2), "Old", "", "", 1, 0});
  // The server's list: a random subset of old ones kept/modified plus new ones.
  std::map<std::string, McContact> server;
  std::vector<Rec> delta;
  for (const Rec& r : old_recs) {
    const int fate = *rc::gen::inRange(0, 3);  // 0 keep, 1 modify, 2 delete
    if (fate == 2) {
      delta.push_back({"D", r.account, "", "", "", 0, 0});
    } else if (fate == 1) {
      delta.push_back({"M", r.account, "New", "psm", "", 2, 1});
      server[r.account] = McContact{"New", "psm", "", 2, 1};
    } else {
      server[r.account] = McContact{r.nick, r.psm, r.avatar, r.pv, r.flags};
    }
  }
  for (int i = 0; i < nnew; ++i) {
    delta.push_back({"A", name(i * 2 + 1), "Fresh", "", "av-1", 1, 0});
    server[name(i * 2 + 1)] = McContact{"Fresh", "", "av-1", 1, 0};
  }
  std::sort(delta.begin(), delta.end(), [](const Rec& a, const Rec& b) { return a.account < b.account; });
  FakeSg sg;
  sg.Login("alice@live.cn", "full", 5, old_recs);
  sg.Events();
  std::vector<std::string> sent;  // everything the SG sent so far (for duplicates)
  auto deliver = [&](const std::string& bytes) {
    sent.push_back(bytes);
    sg.Deliver(bytes);
    // Sometimes a stale copy of an earlier request (a resend) arrives too.
    if (*rc::gen::inRange(0, 3) == 0) sg.Deliver(sent[*rc::gen::inRange<std::size_t>(0, sent.size())]);
    for (const auto& c : sg.Take()) RC_ASSERT(c.status == std::optional<std::uint32_t>(0));
  };
  const auto count = static_cast<std::uint32_t>(delta.size());
  deliver(sg.Request("RCS", {"9", count ? "delta" : "current", std::to_string(count)}));
  const std::uint32_t pages = (count + 3) / 4;
  for (std::uint32_t pg = 1; pg <= pages; ++pg) {
    std::vector<Rec> slice(delta.begin() + (pg - 1) * 4, delta.begin() + std::min(pg * 4, count));
    deliver(sg.Page(9, pg, pages, slice));
  }
  RC_ASSERT(sg.mc().sg()->contacts() == server);
  RC_ASSERT(sg.mc().sg()->list_version() == 9u);
  RC_ASSERT(sg.mc().sg()->active());
}

}  // namespace
}  // namespace mcpsim::reference::mctest
