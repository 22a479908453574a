// `mcpsim client` SG commands against an `mcpsim serve` process over
// loopback: two accounts registered, bob logged in interactively (pushes
// printed as they arrive, files auto-accepted), alice chatting and sending a
// file, then offline messages delivered at bob's next login.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "reference/media/voice.h"
#include "tests/cli/run_cli.h"
#include "tests/net/child_process.h"

namespace mcpsim {
namespace {

using mcpsim::testing::Child;
using mcpsim::testing::ReadWholeFile;
using mcpsim::testing::RunCli;

bool Has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

class ClientSg : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mcpsim-client-sg-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "bob-files");
    std::ofstream(dir_ / "serve.yaml") << "rs:\n  password_cost: minimal\n";
    serve_ = std::make_unique<Child>(std::vector<std::string>{
        "serve", "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--db",
        (dir_ / "server.db").string(), "--config", (dir_ / "serve.yaml").string(), "--seed", "9"});
    auto l = serve_->Listeners(3);
    ASSERT_EQ(l.size(), 3u);
    dp_ = l["http"];
  }
  void TearDown() override {
    if (serve_) {
      serve_->Signal(SIGTERM);
      EXPECT_EQ(serve_->Wait(), 0);
    }
    std::filesystem::remove_all(dir_);
  }
  // Common options of one user's client (own cache and captcha file).
  std::vector<std::string> Args(const std::string& user) const {
    return {"client", "--dp", dp_, "--cache", (dir_ / (user + ".db")).string(), "--captcha-file",
            (dir_ / (user + ".png")).string(), "--password", "pw-" + user + "-1", "--timeout-ms", "15000"};
  }
  std::string Shell(const std::string& user) const {
    std::string s;
    for (const std::string& a : Args(user)) s += (s.empty() ? a : "'" + a + "'") + " ";
    return s;
  }
  void Register(const std::string& user) {
    auto r = RunCli(Shell(user) + "--accept-privacy register " + user + "@live.cn --auto-captcha");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_TRUE(Has(r.out, "ok register " + user + "@live.cn")) << r.out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Child> serve_;
  std::string dp_;
};

TEST_F(ClientSg, ChatFileAndOfflineMessagesBetweenTwoClients) {
  Register("alice");
  Register("bob");
  // Login needs the privacy agreement (PRIV-1): a fresh cache has not accepted it.
  auto r = RunCli("client --dp " + dp_ + " --cache '" + (dir_ / "fresh.db").string() +
                  "' login alice@live.cn pw-alice-1");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(Has(r.out, "refused login")) << r.out;

  auto bob_args = Args("bob");
  for (const char* a : {"--accept-files", "--download-dir"}) bob_args.push_back(a);
  bob_args.push_back((dir_ / "bob-files").string());
  bob_args.push_back("--interactive");
  Child bob(bob_args, (dir_ / "bob.log").string());
  ASSERT_TRUE(bob.Write("login bob@live.cn\nadd alice@live.cn\n"));
  ASSERT_NE(bob.WaitPrefix("ok login bob@live.cn contacts=0"), "") << bob.Transcript();
  ASSERT_NE(bob.WaitPrefix("ok add alice@live.cn version="), "") << bob.Transcript();

  std::string file(50000, '\0');
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>(i * 31 + i / 1000);
  std::ofstream(dir_ / "photo.bin", std::ios::binary) << file;
  // Alice: a script on stdin. `wait presence` = bob is seen online once both
  // lists hold each other (SG-PRES-4); EOF then waits for the transfer to end
  // and logs out.
  r = RunCli(Shell("alice") + "-i", "login alice@live.cn\nadd bob@live.cn\nwait presence 10000\n"
                                    "send bob@live.cn hello  bob, 再见\nsendfile bob@live.cn " +
                                        (dir_ / "photo.bin").string() + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "ok login alice@live.cn contacts=0")) << r.out;
  EXPECT_TRUE(Has(r.out, "event presence account=bob@live.cn state=online")) << r.out;
  EXPECT_TRUE(Has(r.out, "ok send bob@live.cn call=")) << r.out;
  EXPECT_TRUE(Has(r.out, "ok sendfile bob@live.cn transfer=")) << r.out;
  EXPECT_TRUE(Has(r.out, "event file-done transfer=")) << r.out;
  EXPECT_TRUE(Has(r.out, "ok logout")) << r.out;

  EXPECT_NE(bob.WaitPrefix("event invited call="), "") << bob.Transcript();
  EXPECT_NE(bob.WaitLine([](const std::string& l) {
              return l.rfind("event message call=", 0) == 0 && Has(l, " from=alice@live.cn text=hello  bob, 再见");
            }),
            "")
      << bob.Transcript();
  EXPECT_NE(bob.WaitLine([](const std::string& l) {
              return l.rfind("event file-offered", 0) == 0 && Has(l, "size=50000 name=photo.bin");
            }),
            "")
      << bob.Transcript();
  const std::string got = bob.WaitPrefix("event file-received");
  ASSERT_NE(got, "") << bob.Transcript();
  EXPECT_TRUE(Has(got, "from=alice@live.cn size=50000 saved=")) << got;
  EXPECT_EQ(ReadWholeFile((dir_ / "bob-files" / "photo.bin").string()), file);

  // Bob leaves; alice's `send` falls back to an offline message (RSI 304 ->
  // ROM), and a one-shot `offline` stores another.
  ASSERT_TRUE(bob.Write("logout\n"));
  ASSERT_NE(bob.WaitPrefix("ok logout"), "") << bob.Transcript();
  r = RunCli(Shell("alice") + "--account alice@live.cn send bob@live.cn are you there?");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "ok send bob@live.cn offline id=")) << r.out;
  r = RunCli(Shell("alice") + "--account alice@live.cn offline bob@live.cn 'call me' later");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "ok offline bob@live.cn id=")) << r.out;

  ASSERT_TRUE(bob.Write("login bob@live.cn\nwait offline-message 10000\nwait offline-message 10000\n"));
  const std::string m1 = bob.WaitPrefix("event offline-message");
  const std::string m2 = bob.WaitPrefix("event offline-message");
  EXPECT_TRUE(Has(m1, "from=alice@live.cn") && Has(m1, "text=are you there?")) << bob.Transcript();
  EXPECT_TRUE(Has(m2, "text=call me later")) << bob.Transcript();
  bob.CloseStdin();  // EOF: logs out and exits
  EXPECT_EQ(bob.Wait(), 0) << bob.Transcript() << ReadWholeFile((dir_ / "bob.log").string());
  EXPECT_TRUE(Has(bob.Transcript(), "ok logout\n"));
}

// `voice CONTACT PATH`: a WAV-GSM and a raw GSM 6.10 clip reach bob, who
// saves them in --download-dir; a file that is not GSM 6.10 is refused
// before anything is sent (SG-VOICE-5).
TEST_F(ClientSg, VoiceClipsAreValidatedSentAndSaved) {
  Register("alice");
  Register("bob");
  auto bob_args = Args("bob");
  for (const char* a : {"--download-dir"}) bob_args.push_back(a);
  bob_args.push_back((dir_ / "bob-files").string());
  bob_args.push_back("--interactive");
  Child bob(bob_args, (dir_ / "bob.log").string());
  ASSERT_TRUE(bob.Write("login bob@live.cn\nadd alice@live.cn\n"));
  ASSERT_NE(bob.WaitPrefix("ok login bob@live.cn"), "") << bob.Transcript();
  ASSERT_NE(bob.WaitPrefix("ok add alice@live.cn version="), "") << bob.Transcript();

  const std::string wav = reference::SynthesizeWav49(100);  // 2 s, 3250 bytes of blocks
  const std::string gsm = reference::SynthesizeGsm(40, 880);
  std::string bad = gsm;
  bad[33] = 0x00;  // frame 2 loses its 0xD magic nibble
  std::ofstream(dir_ / "hello.wav", std::ios::binary) << wav;
  std::ofstream(dir_ / "beep.gsm", std::ios::binary) << gsm;
  std::ofstream(dir_ / "bad.gsm", std::ios::binary) << bad;
  auto r = RunCli(Shell("alice") + "-i", "login alice@live.cn\nadd bob@live.cn\nwait presence 10000\n"
                                         "voice bob@live.cn " + (dir_ / "bad.gsm").string() + "\n"
                                         "voice bob@live.cn " + (dir_ / "hello.wav").string() + "\n"
                                         "voice bob@live.cn " + (dir_ / "beep.gsm").string() + "\n");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // the refused clip
  EXPECT_TRUE(Has(r.out, "refused voice " + (dir_ / "bad.gsm").string() + " is not a GSM 6.10 clip")) << r.out;
  EXPECT_TRUE(Has(r.out, "ok voice bob@live.cn id=1 call=")) << r.out;
  EXPECT_TRUE(Has(r.out, "size=" + std::to_string(wav.size()) + " format=wav ms=2000")) << r.out;
  EXPECT_TRUE(Has(r.out, "ok voice bob@live.cn id=2 call=")) << r.out;
  EXPECT_TRUE(Has(r.out, "size=1320 format=gsm ms=800")) << r.out;
  EXPECT_TRUE(Has(r.out, "ok logout")) << r.out;

  const std::string v1 = bob.WaitPrefix("event voice-received");
  const std::string v2 = bob.WaitPrefix("event voice-received");
  EXPECT_TRUE(Has(v1, "from=alice@live.cn size=" + std::to_string(wav.size()) + " format=wav ms=2000 saved=")) << v1;
  EXPECT_TRUE(Has(v2, "from=alice@live.cn size=1320 format=gsm ms=800 saved=")) << v2;
  const std::string saved1 = v1.substr(v1.find("saved=") + 6), saved2 = v2.substr(v2.find("saved=") + 6);
  EXPECT_EQ(ReadWholeFile(saved1), wav) << saved1;
  EXPECT_EQ(ReadWholeFile(saved2), gsm) << saved2;
  EXPECT_EQ(saved1, (dir_ / "bob-files" / "voice-alice@live.cn-1.wav").string());
  bob.CloseStdin();
  EXPECT_EQ(bob.Wait(), 0) << bob.Transcript() << ReadWholeFile((dir_ / "bob.log").string());
  EXPECT_EQ(bob.Transcript().find("voice-received", bob.Transcript().find(v2) + v2.size()), std::string::npos)
      << "bad.gsm reached bob";
}

}  // namespace
}  // namespace mcpsim
