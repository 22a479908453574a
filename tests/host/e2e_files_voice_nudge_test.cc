// End-to-end through McClient + SG on the simulator: file transfer (2 MB
// accepted, rejected, cancelled before ROT, oversize refused), voice clips
// (valid GSM 6.10 WAV relayed, another codec refused by the MC and — from a
// nonconforming client — by the SG) and nudges (received from a back-end
// user; a client's own nudge refused by the SG).
#include <gtest/gtest.h>

#include "reference/media/voice.h"
#include "tests/host/chat_util.h"

namespace mcpsim::chattest {
namespace {

std::string Pattern(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::string s(n, '\0');
  rng.Fill(s.data(), n);
  return s;
}

// alice (client 0) and bob (client 1) on each other's lists, logged in, in
// one conversation. Alice is a TEST-ONLY nonconforming client (it sends
// nudges and unchecked voice) so that the SG's refusals can be observed.
class FilesVoiceNudgeE2e : public ::testing::Test {
 protected:
  FilesVoiceNudgeE2e() : s(41, 0.01) {
    McConfig odd;
    odd.nonconforming_send_nudge = true;
    odd.nonconforming_unchecked_voice = true;
    s.AddUser("alice@live.cn", odd);
    s.AddUser("bob@live.cn");
    EXPECT_TRUE(s.chat->Befriend("alice@live.cn", "bob@live.cn").ok());
  }
  void SetUp() override {
    for (int i = 0; i < 2; ++i) ASSERT_EQ(s.Login(i).outcome, Outcome::kOk);
    ASSERT_TRUE(s.Until([&] { return s.chat->mc(0).sg()->presence().count("bob@live.cn") > 0; }));
    auto invite = s.Do(0, [](auto& mc, TimeUs now) { return mc.Invite(now, "bob@live.cn"); });
    ASSERT_EQ(invite.outcome, Outcome::kOk);
    call = invite.call_id;
    ASSERT_TRUE(s.Until([&] { return s.Count(1, McOp::kInvited) == 1; }));
  }
  // Alice offers `bytes`; returns the transferId bob was offered (0 if none).
  std::uint32_t Offer(const std::string& bytes, const std::string& name = "photo.jpg") {
    const int before = s.Count(1, McOp::kFileOffered);
    auto offer = s.Do(0, [&](auto& mc, TimeUs now) { return mc.OfferFile(now, call, name, bytes); });
    EXPECT_EQ(offer.outcome, Outcome::kOk) << offer.status;
    if (offer.outcome != Outcome::kOk) return 0;
    EXPECT_TRUE(s.Until([&] { return s.Count(1, McOp::kFileOffered) == before + 1; }));
    const McEvent* roa = s.Last(1, McOp::kFileOffered);
    EXPECT_EQ(roa->object_id, offer.object_id);
    EXPECT_EQ(roa->text, name);
    EXPECT_EQ(roa->params, std::vector<std::string>{std::to_string(bytes.size())});
    return roa->object_id;
  }
  SimChat s;
  std::uint32_t call = 0;
};

TEST_F(FilesVoiceNudgeE2e, TwoMegabyteFileAcceptedAndRelayedIntact) {
  const std::string file = Pattern(2097152, 7);  // exactly LIM-7
  const std::uint32_t t = Offer(file);
  ASSERT_NE(t, 0u);
  EXPECT_EQ(s.Do(1, [&](auto& mc, TimeUs now) { return mc.AcceptFile(now, t); }).outcome, Outcome::kOk);
  ASSERT_TRUE(s.Until([&] { return s.Count(1, McOp::kFileReceived) == 1 && s.Count(0, McOp::kFileDone) == 1; },
                      600 * kSeconds));
  EXPECT_EQ(s.Count(0, McOp::kFileAccepted), 1);
  const McEvent* got = s.Last(1, McOp::kFileReceived);
  EXPECT_EQ(got->object_id, t);
  EXPECT_EQ(got->account, "alice@live.cn");
  EXPECT_TRUE(got->data == file);
  EXPECT_EQ(s.chat->mc(0).sg()->open_transfers(), 0u);  // buffers freed
  EXPECT_EQ(s.chat->mc(1).sg()->open_transfers(), 0u);
}

TEST_F(FilesVoiceNudgeE2e, FileRejected) {
  const std::uint32_t t = Offer(Pattern(5000, 8));
  ASSERT_NE(t, 0u);
  EXPECT_EQ(s.Do(1, [&](auto& mc, TimeUs now) { return mc.RejectFile(now, t); }).outcome, Outcome::kOk);
  ASSERT_TRUE(s.Until([&] { return s.Count(0, McOp::kFileRejected) == 1; }));
  s.RunFor(30 * kSeconds);
  EXPECT_EQ(s.Count(0, McOp::kFileUploaded), 0);  // no ROT after a reject
  EXPECT_EQ(s.Count(1, McOp::kFileReceived), 0);
  EXPECT_EQ(s.chat->backend().FindTransfer(t)->state, reference::TransferState::kRejected);
}

TEST_F(FilesVoiceNudgeE2e, FileCancelledBeforeAnyChunk) {
  const std::uint32_t t = Offer(Pattern(3000, 9));
  ASSERT_NE(t, 0u);
  EXPECT_EQ(s.Do(0, [&](auto& mc, TimeUs now) { return mc.CancelFile(now, t); }).outcome, Outcome::kOk);
  ASSERT_TRUE(s.Until([&] { return s.Count(1, McOp::kFileCancelled) == 1; }));  // ROC relayed (SG-FILE-7)
  EXPECT_EQ(s.Last(1, McOp::kFileCancelled)->object_id, t);
  // Accepting now is too late: the SG answers 309 (not OFFERED).
  auto late = s.Do(1, [&](auto& mc, TimeUs now) { return mc.AcceptFile(now, t); });
  EXPECT_NE(late.outcome, Outcome::kOk);
  s.RunFor(30 * kSeconds);
  EXPECT_EQ(s.Count(1, McOp::kFileReceived), 0);
  EXPECT_EQ(s.chat->backend().FindTransfer(t)->state, reference::TransferState::kCancelled);
}

TEST_F(FilesVoiceNudgeE2e, OversizeFileRefusedWith400) {
  const std::string big = Pattern(2097153, 10);  // one byte over LIM-7
  auto offer = s.Do(0, [&](auto& mc, TimeUs now) { return mc.OfferFile(now, call, "big.bin", big); });
  EXPECT_EQ(offer.outcome, Outcome::kStatus);
  EXPECT_EQ(offer.status, 400);
  s.RunFor(10 * kSeconds);
  EXPECT_EQ(s.Count(1, McOp::kFileOffered), 0);
  EXPECT_EQ(s.chat->mc(0).sg()->open_transfers(), 0u);
}

TEST_F(FilesVoiceNudgeE2e, ValidVoiceClipRelayed) {
  const std::string clip = reference::SynthesizeWav49(100);  // 2 s of GSM 6.10 in WAV
  ASSERT_TRUE(reference::ValidateVoice(clip).ok());
  auto sent = s.Do(1, [&](auto& mc, TimeUs now) { return mc.SendVoice(now, call, clip); });
  EXPECT_EQ(sent.outcome, Outcome::kOk) << sent.status << " " << sent.detail;
  ASSERT_TRUE(s.Until([&] { return s.Count(0, McOp::kVoiceReceived) == 1; }));
  const McEvent* got = s.Last(0, McOp::kVoiceReceived);
  EXPECT_EQ(got->account, "bob@live.cn");
  EXPECT_EQ(got->call_id, call);
  EXPECT_TRUE(got->data == clip);
  // Raw GSM frames are the other valid container (SG-VOICE-6 a).
  auto raw = s.Do(1, [&](auto& mc, TimeUs now) { return mc.SendVoice(now, call, reference::SynthesizeGsm(40)); });
  EXPECT_EQ(raw.outcome, Outcome::kOk) << raw.status;
  ASSERT_TRUE(s.Until([&] { return s.Count(0, McOp::kVoiceReceived) == 2; }));
}

TEST_F(FilesVoiceNudgeE2e, VoiceInAnotherCodecRefused) {
  // A PCM WAV (format 1), not GSM 6.10.
  std::string pcm = reference::SynthesizeWav49(10);
  pcm[20] = 1;
  pcm[21] = 0;
  ASSERT_FALSE(reference::ValidateVoice(pcm).ok());
  // A conforming MC will not send it (SG-VOICE-5)...
  auto local = s.Do(1, [&](auto& mc, TimeUs now) { return mc.SendVoice(now, call, pcm); });
  EXPECT_EQ(local.outcome, Outcome::kRefused);
  // ...and the SG refuses it from one that does, on the completing chunk (SG-VOICE-6).
  auto sg = s.Do(0, [&](auto& mc, TimeUs now) { return mc.SendVoice(now, call, pcm); });
  EXPECT_EQ(sg.outcome, Outcome::kStatus);
  EXPECT_EQ(sg.status, 404);
  s.RunFor(30 * kSeconds);
  EXPECT_EQ(s.Count(1, McOp::kVoiceReceived), 0);
}

TEST_F(FilesVoiceNudgeE2e, NudgeFromBackEndUserReceived) {
  ASSERT_TRUE(s.chat->CreateAccount("carol@live.cn").ok());
  ASSERT_TRUE(s.chat->backend().SetPresence(s.world->Now(), "carol@live.cn", "online").ok());
  // Bob and carol share no conversation: SG creates one (RRI), then RRN (SG-NUDGE-2).
  ASSERT_TRUE(s.chat->backend().InjectNudge(s.world->Now(), "carol@live.cn", "bob@live.cn"));
  s.chat->PumpSg();
  ASSERT_TRUE(s.Until([&] { return s.Count(1, McOp::kNudgeReceived) == 1; }));
  const McEvent* nudge = s.Last(1, McOp::kNudgeReceived);
  EXPECT_EQ(nudge->account, "carol@live.cn");
  const McEvent* invited = s.Last(1, McOp::kInvited);
  ASSERT_NE(invited, nullptr);
  EXPECT_EQ(invited->account, "carol@live.cn");
  EXPECT_EQ(nudge->call_id, invited->call_id);
  s.RunFor(30 * kSeconds);
  EXPECT_EQ(s.Count(1, McOp::kNudgeReceived), 1);  // once, despite resends
}

TEST_F(FilesVoiceNudgeE2e, NudgeSentByAClientRefused) {
  // A conforming MC refuses locally (SG-NUDGE-3)...
  auto local = s.Do(1, [&](auto& mc, TimeUs now) { return mc.SendNudge(now, call); });
  EXPECT_EQ(local.outcome, Outcome::kRefused);
  // ...and the SG answers a nonconforming client's RSN with 310 (SG-NUDGE-4).
  auto sent = s.Do(0, [&](auto& mc, TimeUs now) { return mc.SendNudge(now, call); });
  EXPECT_EQ(sent.outcome, Outcome::kStatus);
  EXPECT_EQ(sent.status, 310);
  s.RunFor(10 * kSeconds);
  EXPECT_EQ(s.Count(1, McOp::kNudgeReceived), 0);
}

}  // namespace
}  // namespace mcpsim::chattest
