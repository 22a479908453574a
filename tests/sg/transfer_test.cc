// SG file transfer and voice clips (PROTOCOL.md §7.7, §7.8).
#include <gtest/gtest.h>

#include "reference/media/voice.h"
#include "tests/sg/sg_world.h"

namespace mcpsim::reference::sgtest {
namespace {

using Params = std::vector<std::string>;

struct Pair {
  explicit Pair(std::uint32_t a_caps = 7, std::uint32_t b_caps = 7) {
    for (auto n : {"alice@live.cn", "bob@live.cn", "carol@live.cn"}) w.CreateAccount(n);
    w.Befriend("alice@live.cn", "bob@live.cn");
    w.Befriend("alice@live.cn", "carol@live.cn");
    ok = a.FullLogin(a_caps) && b.FullLogin(b_caps) && a.Status("RSI", {"bob@live.cn"}) == 0;
  }
  World w;
  Client& a = w.NewClient("alice@live.cn", Via::kTcp);
  Client& b = w.NewClient("bob@live.cn", Via::kUdp);
  bool ok = false;
};

std::string Pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 1024) & 0xff);
  return s;
}

// Sends `data` as chunks of `word` with params prefix + (offset, total); returns the statuses.
std::vector<int> Upload(Client& c, const std::string& word, const Params& prefix, const std::string& data) {
  std::vector<int> st;
  for (std::size_t off = 0; off < data.size(); off += 1024) {
    Params p = prefix;
    p.push_back(std::to_string(off));
    p.push_back(std::to_string(data.size()));
    st.push_back(c.Status(word, p, data.substr(off, 1024)));
  }
  return st;
}

TEST(SgFile, AcceptedTwoMegabyteFileIsRelayedChunkByChunk) {
  Pair t;
  ASSERT_TRUE(t.ok);
  const std::string file = Pattern(2097152);
  auto aoi = t.a.Call("ROI", {"1", "big.bin", "2097152"});
  ASSERT_EQ(StatusOf(aoi), 0);
  EXPECT_EQ(aoi->params, Params{"1"});
  EXPECT_EQ(t.b.Received("ROA").at(0).params, (Params{"1", "1", "alice@live.cn", "big.bin", "2097152"}));
  EXPECT_EQ(t.a.Status("ROT", {"1", "0", "2097152"}, file.substr(0, 1024)), 309);  // not accepted yet
  ASSERT_EQ(t.b.Status("ROR", {"1", "accept"}), 0);
  EXPECT_EQ(t.a.Received("ROR").at(0).params, (Params{"1", "accept"}));
  EXPECT_EQ(t.b.Status("ROR", {"1", "accept"}), 309);
  const auto st = Upload(t.a, "ROT", {"1"}, file);
  EXPECT_EQ(std::count(st.begin(), st.end(), 0), 2048);
  const auto rot = t.b.Received("ROT");
  ASSERT_EQ(rot.size(), 2048u);
  std::string got;
  for (std::size_t i = 0; i < rot.size(); ++i) {
    EXPECT_EQ(rot[i].params, (Params{"1", std::to_string(i * 1024), "2097152"}));
    got += *rot[i].payload;
  }
  EXPECT_TRUE(got == file);
  EXPECT_EQ(t.a.Received("ROR").back().params, (Params{"1", "done"}));  // SG-FILE-9
  EXPECT_EQ(t.w.backend().FindTransfer(1)->state, TransferState::kDone);
}

TEST(SgFile, RejectCancelAndErrorStatuses) {
  Pair t;
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.a.Status("ROI", {"1", "big.bin", "2097153"}), 400);
  EXPECT_EQ(t.a.Status("ROI", {"1", "../x", "10"}), 103);
  EXPECT_EQ(t.a.Status("ROI", {"1", "x", "0"}), 103);
  EXPECT_EQ(t.a.Status("ROI", {"7", "x", "10"}), 302);
  // Rejected.
  ASSERT_EQ(t.a.Status("ROI", {"1", "a.txt", "10"}), 0);
  EXPECT_EQ(t.a.Status("ROR", {"1", "accept"}), 308);  // not the receiver
  EXPECT_EQ(t.b.Status("ROR", {"1", "maybe"}), 103);
  ASSERT_EQ(t.b.Status("ROR", {"1", "reject"}), 0);
  EXPECT_EQ(t.a.Received("ROR").back().params, (Params{"1", "reject"}));
  EXPECT_EQ(t.a.Status("ROT", {"1", "0", "10"}, std::string(10, 'x')), 309);
  // Cancelled before any ROT (SG-FILE-7).
  ASSERT_EQ(t.a.Status("ROI", {"1", "b.txt", "2000"}), 0);
  ASSERT_EQ(t.b.Status("ROR", {"2", "accept"}), 0);
  EXPECT_EQ(t.b.Status("ROC", {"2"}), 308);  // not the sender
  ASSERT_EQ(t.a.Status("ROC", {"2"}), 0);
  EXPECT_EQ(t.b.Received("ROC").back().params, Params{"2"});
  EXPECT_EQ(t.a.Status("ROT", {"2", "0", "2000"}, std::string(1024, 'x')), 309);
  EXPECT_EQ(t.a.Status("ROC", {"2"}), 309);
  // After a chunk ROC is refused; bad chunks are 104.
  ASSERT_EQ(t.a.Status("ROI", {"1", "c.txt", "2000"}), 0);
  ASSERT_EQ(t.b.Status("ROR", {"3", "accept"}), 0);
  EXPECT_EQ(t.a.Status("ROT", {"3", "0", "2001"}, std::string(1024, 'x')), 104);  // total != size
  EXPECT_EQ(t.a.Status("ROT", {"3", "0", "2000"}, std::string(1000, 'x')), 104);  // short chunk
  EXPECT_EQ(t.a.Status("ROT", {"3", "5", "2000"}, std::string(1024, 'x')), 104);  // misaligned
  EXPECT_EQ(t.b.Status("ROT", {"3", "0", "2000"}, std::string(1024, 'x')), 308);
  ASSERT_EQ(t.a.Status("ROT", {"3", "0", "2000"}, std::string(1024, 'x')), 0);
  EXPECT_EQ(t.a.Status("ROC", {"3"}), 309);
  // A session close fails the open transfer (SG-FILE-12).
  ASSERT_EQ(t.b.Status("RLO", {}), 0);
  EXPECT_EQ(t.a.Received("ROR").back().params, (Params{"3", "failed"}));
  EXPECT_EQ(t.w.backend().FindTransfer(3)->state, TransferState::kFailed);
}

TEST(SgFile, CapabilityAndConversationSize) {
  Pair t(7, 6);  // bob lacks the file bit
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.a.Status("ROI", {"1", "a.txt", "10"}), 307);
  EXPECT_EQ(t.a.Status("ROI", {"1", "a.txt", "2097153"}), 307);  // 307 before 400
  Client& c = t.w.NewClient("carol@live.cn");
  ASSERT_TRUE(c.FullLogin());
  ASSERT_EQ(t.a.Status("RSR", {"1", "carol@live.cn"}), 0);
  EXPECT_EQ(t.a.Status("ROI", {"1", "a.txt", "10"}), 300);
}

TEST(SgFile, IdleTransferFailsAfterTimer12) {
  Pair t;
  ASSERT_TRUE(t.ok);
  ASSERT_EQ(t.a.Status("ROI", {"1", "a.txt", "10"}), 0);
  for (int i = 0; i < 6; ++i) {  // keep both sessions alive (TIMER-10)
    t.w.Advance(55 * kSeconds);
    t.a.Poll();
    t.b.Poll();
  }
  EXPECT_EQ(t.a.Received("ROR").back().params, (Params{"1", "failed"}));
  EXPECT_EQ(t.b.Received("ROC").back().params, Params{"1"});
}

TEST(SgVoice, ValidClipRelayedOnlyToVoiceCapableMembers) {
  Pair t;
  ASSERT_TRUE(t.ok);
  Client& c = t.w.NewClient("carol@live.cn");
  ASSERT_TRUE(c.FullLogin(1));  // files only
  ASSERT_EQ(t.a.Status("RSR", {"1", "carol@live.cn"}), 0);
  const std::string clip = SynthesizeWav49(100);  // 3310 bytes
  const auto st = Upload(t.a, "RSV", {"1", "77"}, clip);
  EXPECT_EQ(st, std::vector<int>(4, 0));
  const auto rrv = t.b.Received("RRV");
  ASSERT_EQ(rrv.size(), 4u);
  std::string got;
  for (const auto& r : rrv) {
    EXPECT_EQ(r.params[0], "1");
    EXPECT_EQ(r.params[1], "1");  // SG-assigned voiceId
    EXPECT_EQ(r.params[2], "alice@live.cn");
    got += *r.payload;
  }
  EXPECT_TRUE(got == clip);
  EXPECT_TRUE(c.Received("RRV").empty());
  // Raw GSM 6.10 is valid too.
  EXPECT_EQ(Upload(t.a, "RSV", {"1", "78"}, SynthesizeGsm(40)), std::vector<int>(2, 0));
  EXPECT_EQ(t.b.Received("RRV").back().params[1], "2");
}

TEST(SgVoice, InvalidOversizeAndCapabilityErrors) {
  Pair t;
  ASSERT_TRUE(t.ok);
  std::string pcm = SynthesizeWav49(40);
  pcm[20] = 1;  // PCM format tag
  EXPECT_EQ(Upload(t.a, "RSV", {"1", "5"}, pcm), (std::vector<int>{0, 404}));
  std::string bad_size = SynthesizeWav49(40);
  bad_size[4] ^= 1;  // RIFF size != total - 8
  EXPECT_EQ(Upload(t.a, "RSV", {"1", "6"}, bad_size), (std::vector<int>{0, 404}));
  EXPECT_TRUE(t.b.Received("RRV").empty());
  EXPECT_EQ(t.a.Status("RSV", {"1", "7", "0", "2097153"}, std::string(1024, 'x')), 400);
  EXPECT_EQ(t.a.Status("RSV", {"1", "7", "0", "3000"}, std::string(1000, 'x')), 104);
  EXPECT_EQ(t.a.Status("RSV", {"2", "7", "0", "10"}, std::string(10, 'x')), 302);
  EXPECT_EQ(t.a.Status("RSV", {"2", "0", "0", "10"}, std::string(10, 'x')), 103);  // CONV-5
  ASSERT_EQ(t.b.Status("RLI", {"online", "1"}), 0);  // bob drops voice
  EXPECT_EQ(t.a.Status("RSV", {"1", "7", "0", "10"}, std::string(10, 'x')), 307);
  ASSERT_EQ(t.a.Status("RLI", {"online", "1"}), 0);
  ASSERT_EQ(t.b.Status("RLI", {"online", "2"}), 0);
  EXPECT_EQ(t.a.Status("RSV", {"1", "7", "0", "10"}, std::string(10, 'x')), 307);
}

}  // namespace
}  // namespace mcpsim::reference::sgtest
