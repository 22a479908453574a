// eventfd, timerfd, sendmmsg/recvmmsg, /dev/urandom and getrandom under the
// interposer: a tiny C target (tests/interpose/fd_target.c) runs as a node of
// a sim::World and reports what it saw in one datagram. Its timers run on
// virtual time (exact values), its randomness is the node's seeded stream.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <regex>
#include <string>

#include "interpose/process.h"
#include "sim/world.h"

namespace mcpsim::interpose {
namespace {

struct Report {
  std::string text, failure;
  std::vector<std::string> got;
};

Report RunFdTarget(std::uint64_t seed, const std::string& args = "") {
  setenv("MCPSIM_INTERPOSE_LIB", MCPSIM_PRELOAD, 1);
  sim::World w(seed);
  const sim::NodeId tgt = w.AddNode("tgt"), peer = w.AddNode("peer");
  ProcessOptions o;
  o.command = std::string(MCPSIM_FD_TARGET) + args;
  o.preload = MCPSIM_PRELOAD;
  Process p(w.env(tgt), o);
  Report rep;
  Status st = p.Start();
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(p.udp_ports().size(), 1u);
  if (p.udp_ports().size() != 1) return rep;
  Env& e = w.env(peer);
  auto port = e.BindDatagram(5000, [&](const Endpoint&, Bytes b) { rep.got.emplace_back(b.begin(), b.end()); });
  EXPECT_TRUE(port.ok());
  const Endpoint to = Endpoint::V4(w.node_ip(tgt), p.udp_ports()[0]);
  const std::uint8_t x[1] = {'x'};
  EXPECT_TRUE(e.SendDatagram(5000, to, Bytes(x, 1)).ok());
  EXPECT_TRUE(e.SendDatagram(5000, to, Bytes(x, 1)).ok());
  EXPECT_TRUE(w.RunUntil(5 * kSeconds).ok());
  rep.failure = p.failure();
  if (!rep.got.empty()) rep.text = rep.got.front();
  return rep;
}

TEST(InterposeFd, EventfdTimerfdMmsgAndRandomnessAreSimulated) {
  const Report r = RunFdTarget(1);
  EXPECT_EQ(r.failure, "exited with status 0");
  ASSERT_EQ(r.got.size(), 2u) << r.failure;
  EXPECT_EQ(r.got[1], "end");
  // t0: CLOCK_MONOTONIC is 1 s at virtual 0 and the target ran at 0; the
  // timer fired exactly 250 ms later; 3 periods of 100 ms passed in the 320 ms
  // nap; both datagrams were queued when recvmmsg ran.
  EXPECT_TRUE(std::regex_search(r.text, std::regex(" ev=7 t0=1000000 t1=250000 exp=3 mm=2$"))) << r.text;
  EXPECT_TRUE(std::regex_search(r.text, std::regex("^tg=1767225600 "))) << r.text;
  const Report again = RunFdTarget(1);
  EXPECT_EQ(again.text, r.text);  // the same seed: the same random bytes
  const Report other = RunFdTarget(2);
  std::smatch a, b;
  ASSERT_TRUE(std::regex_search(r.text, a, std::regex("rand=([0-9a-f]{16}) urand=([0-9a-f]{16})")));
  ASSERT_TRUE(std::regex_search(other.text, b, std::regex("rand=([0-9a-f]{16}) urand=([0-9a-f]{16})")));
  EXPECT_NE(a[1], b[1]);  // another seed: other bytes (getrandom)
  EXPECT_NE(a[2], b[2]);  // (/dev/urandom)
  EXPECT_NE(a[1], a[2]);
}

TEST(InterposeFd, RawSyscallsAndTheVdsoReadVirtualValues) {
  // --raw: syscall(SYS_getrandom) and syscall(SYS_clock_gettime) bypass libc
  // (the seccomp filter traps them into the shim); timespec_get reads the vDSO
  // (patched): 2026-01-01T00:00:00Z at virtual time 0.
  const Report r = RunFdTarget(1, " --raw");
  EXPECT_EQ(r.failure, "exited with status 0");
  EXPECT_TRUE(std::regex_search(r.text, std::regex("^tg=1767225600 "))) << r.text;
  EXPECT_TRUE(std::regex_search(r.text, std::regex(" ev=7 t0=1000000 t1=250000 exp=3 mm=2$"))) << r.text;
  EXPECT_EQ(RunFdTarget(1, " --raw").text, r.text);
  std::smatch a, b;
  const std::string other = RunFdTarget(2, " --raw").text;
  ASSERT_TRUE(std::regex_search(r.text, a, std::regex("rand=([0-9a-f]{16})")));
  ASSERT_TRUE(std::regex_search(other, b, std::regex("rand=([0-9a-f]{16})")));
  EXPECT_NE(a[1], b[1]);  // the raw getrandom drew from the seeded stream
}

}  // namespace
}  // namespace mcpsim::interpose
