// Third-party servers inside the simulation, end to end: an independent
// Python DP/CS/MS server (tests/interpose/py_server.py, stdlib only) runs under
// libmcpsim_interpose.so as the cs node of library scenarios; runs pass and
// replay bit for bit; what cannot be simulated is refused with its reason.
// Every target is a child with a wall-clock bound (10 s per call); the
// scenarios are short in virtual time.
#include <gtest/gtest.h>

#include <unistd.h>

#include <regex>
#include <string>

#include "cli/run_cli.h"

namespace mcpsim::testing {
namespace {

const std::string kSrc = MCPSIM_SOURCE_DIR;
const std::string kLib = kSrc + "/scenarios/library";
// Debian's interpreter (dynamically linked against libc), not a wrapper script.
const std::string kPython = "/usr/bin/python3";

std::string PyCs() { return "--sim-launch '" + kPython + " " + kSrc + "/tests/interpose/py_server.py --udp 127.0.0.1:0'"; }

std::string Hash(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("\ntrace-hash: ([0-9a-f]{16})\n$"))) return "";
  return m[1];
}

class Interpose : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kPython.c_str(), X_OK) != 0) GTEST_SKIP() << kPython << " is not installed";
  }
};

TEST_F(Interpose, PythonCsPassesLossyUploadsAndReplays) {
  auto r = RunCli("run " + kLib + "/upload-loss-10.yaml --seed 3 " + PyCs());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^PASS upload-loss-10 seed=3 "))) << r.out;
  const std::string h = Hash(r.out);
  ASSERT_FALSE(h.empty()) << r.out;
  auto again = RunCli("run " + kLib + "/upload-loss-10.yaml --seed 3 " + PyCs());
  EXPECT_EQ(again.out, r.out);  // same scenario + seed + target: same verdict and trace hash
  auto other = RunCli("run " + kLib + "/upload-loss-10.yaml --seed 4 " + PyCs());
  EXPECT_EQ(other.exit_code, 0) << other.out << other.err;
  EXPECT_NE(Hash(other.out), h);  // the seed reaches the faults the target sees
}

TEST_F(Interpose, PythonCsAnswersDuplicatesAndAds) {
  // upload-duplication's `uploads_stored` bound is the target's secret: N/A, not a pass.
  auto r = RunCli("run " + kLib + "/upload-duplication.yaml " + kLib + "/ad-empty-slot.yaml " + kLib +
                  "/upload-resend-until-answered.yaml --seeds 1..2 " + PyCs());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("total: 6 runs, 6 passed, 0 failed"), std::string::npos) << r.out;
}

TEST_F(Interpose, DeterminismCheckerJudgesTheTarget) {
  // A scenario listing the determinism checker reruns the target and compares hashes.
  auto r = RunCli("run " + kSrc + "/tests/interpose/cs-reorder-determinism.yaml --seed 5 " + PyCs());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(Hash(r.out).empty());
}

TEST_F(Interpose, DefectiveTargetFailsReplaysSweepsAndShrinks) {
  const std::string bad =
      "--sim-launch '" + kPython + " " + kSrc + "/tests/interpose/py_server.py --udp 127.0.0.1:0 --reject-after 5'";
  auto r = RunCli("run " + kLib + "/upload-loss-1.yaml --seed 2 " + bad);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^FAIL upload-loss-1 seed=2 expectations: "))) << r.out;
  EXPECT_NE(r.out.find("replay: mcpsim run " + kLib + "/upload-loss-1.yaml --seed 2 --sim-launch "), std::string::npos);
  EXPECT_EQ(RunCli("run " + kLib + "/upload-loss-1.yaml --seed 2 " + bad).out, r.out);  // replays
  auto sw = RunCli("sweep " + kLib + "/upload-loss-1.yaml --seeds 1..4 --jobs 2 " + bad);
  EXPECT_EQ(sw.exit_code, 1) << sw.out << sw.err;
  EXPECT_NE(sw.out.find("sweep: 4 runs, 0 passed, 4 failed"), std::string::npos) << sw.out;
  EXPECT_NE(sw.out.find("--sim-launch"), std::string::npos) << sw.out;
  char dir[] = "/tmp/mcpsim-interpose-XXXXXX";
  const std::string out = std::string(mkdtemp(dir)) + "/min.yaml";
  auto sh = RunCli("shrink " + kLib + "/upload-loss-1.yaml --seed 2 -o " + out + " --max-runs 60 " + bad);
  EXPECT_EQ(sh.exit_code, 0) << sh.out << sh.err;
  EXPECT_NE(sh.out.find("checker=expectations"), std::string::npos) << sh.out;
  auto again = RunCli("run " + out + " --seed 2 " + bad);
  EXPECT_EQ(again.exit_code, 1) << again.out;  // the shrunk scenario still fails against the target
  std::remove(out.c_str());
  rmdir(std::string(dir).c_str());
}

TEST_F(Interpose, SecondThreadIsRefusedWithItsReason) {
  const std::string cmd = kPython + " -c \"import threading; threading.Thread(target=print).start()\"";
  auto r = RunCli("run " + kLib + "/upload-loss-1.yaml --sim-launch '" + cmd + "'");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("pthread_create"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("replay: mcpsim run"), std::string::npos);
  EXPECT_NE(r.out.find("--sim-launch"), std::string::npos);
}

TEST_F(Interpose, IoUringIsRefusedWithItsReason) {
  // libc has no io_uring wrapper: liburing issues the raw syscall, which the seccomp filter traps.
  const std::string cmd = kPython + " -c \"import ctypes; ctypes.CDLL(None).syscall(425, 8, None)\"";
  auto r = RunCli("run " + kLib + "/upload-loss-1.yaml --sim-launch '" + cmd + "'");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("refused: io_uring: the target submits I/O through a kernel ring"), std::string::npos) << r.out;
}

TEST_F(Interpose, RawSocketsAndOtherFamiliesAreRefused) {
  auto raw = RunCli("run " + kLib + "/upload-loss-1.yaml --sim-launch '" + kPython +
                    " -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)\"'");
  EXPECT_EQ(raw.exit_code, 1);
  EXPECT_NE(raw.out.find("socket type 3 is not simulated"), std::string::npos) << raw.out;
  auto v6 = RunCli("run " + kLib + "/upload-loss-1.yaml --sim-launch '" + kPython +
                   " -c \"import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\"'");
  EXPECT_EQ(v6.exit_code, 1);
  EXPECT_NE(v6.out.find("socket family 10"), std::string::npos) << v6.out;
}

TEST_F(Interpose, StaticBinaryIsRefusedBeforeItRuns) {
  if (access("/sbin/ldconfig", X_OK) != 0) GTEST_SKIP() << "no /sbin/ldconfig";
  auto r = RunCli("run " + kLib + "/upload-loss-1.yaml --sim-launch '/sbin/ldconfig -p'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("statically linked"), std::string::npos) << r.out;
}

TEST_F(Interpose, TargetThatExitsFailsTheRun) {
  auto r = RunCli("run " + kLib + "/upload-loss-1.yaml --sim-launch '" + kPython + " -c \"import sys; sys.exit(3)\"'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("exited with status 3"), std::string::npos) << r.out;
}

TEST_F(Interpose, CrashingTheTargetsNodeIsNotApplicable) {
  auto r = RunCli("run " + kLib + "/cs-crash-window.yaml " + kLib + "/cs-rate-limit.yaml " + PyCs());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("crashes the cs node"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("configures the CS"), std::string::npos) << r.out;
}

// `mcpsim serve` itself (Boost.Asio: epoll, eventfd, timerfd, accept4,
// non-blocking streams; hashing kept on the loop with --limit workers=0) runs
// as the target; the conformance cases of SG and the transports get the same
// verdicts as against the in-process reference, and the run replays.
std::string ServeTarget(int seed) {
  const std::string m = MCPSIM_BIN;
  return "conform --seed " + std::to_string(seed) + " --cases 'sg.login.*,sg.chat.*,sg.list.*,tcp.*,http.*,udp.*,cs.*' " +
         "--sim-launch '" + m + " serve --udp 127.0.0.1:7000 --tcp 127.0.0.1:1864 --http 127.0.0.1:80 --db :memory: " +
         "--limit workers=0 --seed " + std::to_string(seed) + "'";
}

TEST_F(Interpose, ServeAsTargetMatchesTheReferenceAndReplays) {
  auto r = RunCli(ServeTarget(1));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("conform-sim: [0-9]+ cases, ([0-9]+) same verdicts as the "
                                                  "in-process reference, 0 differ\n")))
      << r.out;
  EXPECT_EQ(r.out.find("DIFF"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sg.chat."), std::string::npos) << r.out;
  EXPECT_EQ(RunCli(ServeTarget(1)).out, r.out);  // same hash, same verdicts
  auto other = RunCli(ServeTarget(2));
  EXPECT_EQ(other.exit_code, 0) << other.out << other.err;
  EXPECT_NE(other.out, r.out);  // another seed: other names, other transcripts
}

TEST_F(Interpose, UsageErrors) {
  EXPECT_EQ(RunCli("run " + kLib + "/upload-loss-1.yaml --sim-launch 'x' --sim-roles sg").exit_code, 2);
  EXPECT_EQ(RunCli("run " + kLib + "/upload-loss-1.yaml --sim-launch 'x' --sim-roles nope").exit_code, 2);
  EXPECT_EQ(RunCli("run " + kLib + "/upload-loss-1.yaml --sim-launch 'x' --launch 'y'").exit_code, 2);
}

}  // namespace
}  // namespace mcpsim::testing
