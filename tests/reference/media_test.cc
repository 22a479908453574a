#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/crypto/password.h"
#include "reference/media/captcha.h"
#include "reference/media/voice.h"

namespace mcpsim::reference {
namespace {

TEST(Captcha, IsAPngWithTheAlphabet) {
  Rng rng(1);
  Captcha c = MakeCaptcha(rng, 5);
  ASSERT_EQ(c.text.size(), 5u);
  for (char ch : c.text) EXPECT_NE(kCaptchaAlphabet.find(ch), std::string_view::npos);
  ASSERT_GT(c.png.size(), 8u);
  EXPECT_EQ(c.png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(c.png.substr(12, 4), "IHDR");
  EXPECT_EQ(c.png.substr(c.png.size() - 8, 4), "IEND");
  for (char ch : kCaptchaAlphabet) EXPECT_NE(GlyphRows(ch), nullptr) << ch;
}

TEST(Captcha, SameSeedSameImage) {
  Rng a(9), b(9), c(10);
  EXPECT_EQ(MakeCaptcha(a).png, MakeCaptcha(b).png);
  EXPECT_NE(MakeCaptcha(a).text + MakeCaptcha(a).text, MakeCaptcha(c).text + MakeCaptcha(c).text);
}

TEST(Captcha, PngIsReadableByPython) {
  // Cross-check with an independent decoder when python3 is present.
  Rng rng(3);
  Captcha c = MakeCaptcha(rng);
  const std::string path = "/tmp/mcpsim-captcha-test.png";
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(c.png.data(), 1, c.png.size(), f);
  std::fclose(f);
  if (std::system("python3 -c 'import zlib' 2>/dev/null") != 0) GTEST_SKIP() << "no python3";
  const std::string cmd =
      "python3 -c \"import zlib,struct,sys;d=open('" + path +
      "','rb').read();i=8;raw=b''\nwhile i<len(d):\n n=struct.unpack('>I',d[i:i+4])[0];t=d[i+4:i+8];"
      "c=d[i+8:i+8+n];assert zlib.crc32(t+c)==struct.unpack('>I',d[i+8+n:i+12+n])[0];raw+=c if t==b'IDAT' else b'';"
      "i+=12+n\nw,h=struct.unpack('>II',d[16:24]);assert len(zlib.decompress(raw))==h*(w+1)\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::remove(path.c_str());
}

TEST(Voice, SynthesizedClipsValidate) {
  auto raw = ValidateVoice(SynthesizeGsm(50));
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(raw->frames, 50u);
  EXPECT_EQ(raw->duration_ms, 1000u);
  auto wav = ValidateVoice(SynthesizeWav49(50));
  ASSERT_TRUE(wav.ok()) << wav.status().ToString();
  EXPECT_EQ(wav->container, VoiceInfo::Container::kWav49);
  EXPECT_EQ(wav->frames, 50u);
}

TEST(Voice, OtherFormatsAreRefusedWithOffset) {
  std::string clip = SynthesizeGsm(3);
  clip[33] = 0x12;  // second frame loses its magic
  auto r = ValidateVoice(clip);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().clause(), "VOICE-2");
  EXPECT_EQ(r.status().offset(), 33u);
  EXPECT_FALSE(ValidateVoice("").ok());
  EXPECT_FALSE(ValidateVoice(SynthesizeGsm(2) + "x").ok());
  std::string pcm_wav = SynthesizeWav49(2);
  pcm_wav[20] = 1;  // format tag PCM
  auto w = ValidateVoice(pcm_wav);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().offset(), 20u);
}

RC_GTEST_PROP(Voice, ArbitraryBytesNeverCrash, (const std::string& bytes)) {
  auto r = ValidateVoice(bytes);
  if (!r.ok()) RC_ASSERT(r.status().clause() == "VOICE-2");
}

TEST(Password, HashVerifiesAndRejects) {
  Rng rng(5);
  auto h = HashPassword("s3cret pass", rng, PasswordCost::Minimal());
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=8,t=1,p=1$", 0), 0u) << *h;
  EXPECT_TRUE(VerifyPassword("s3cret pass", *h));
  EXPECT_FALSE(VerifyPassword("s3cret pasS", *h));
  EXPECT_FALSE(VerifyPassword("s3cret pass", "garbage"));
  EXPECT_EQ(h->find("s3cret"), std::string::npos);
  Rng again(5);
  EXPECT_EQ(*HashPassword("s3cret pass", again, PasswordCost::Minimal()), *h);  // salt from seed
}

}  // namespace
}  // namespace mcpsim::reference

namespace mcpsim::reference {
namespace {
TEST(Captcha, SimulatedUserReadsEveryCaptcha) {
  int right = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    Captcha c = MakeCaptcha(rng);
    auto read = ReadCaptcha(c.png);
    ASSERT_TRUE(read.has_value());
    right += *read == c.text;
  }
  EXPECT_EQ(right, 200);
  EXPECT_FALSE(ReadCaptcha("not a png").has_value());
}
}  // namespace
}  // namespace mcpsim::reference
