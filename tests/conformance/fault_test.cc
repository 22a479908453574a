// `mcpsim conform --fault` (seeded fault proxy in front of `mcpsim serve`)
// and the run's pcap.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "conformance/client_cases.h"
#include "conformance/fault_proxy.h"
#include "reports/report.h"
#include "tests/conformance/pcap_read.h"
#include "tests/cli/run_cli.h"

namespace mcpsim::conformance {
namespace {

namespace fs = std::filesystem;
using testing::ReadWholeFile;
using testing::RunCli;
using testhelp::PcapRecords;
using testhelp::TempDir;

TEST(FaultSpec, ParsesAliasesAndScenarioKeys) {
  auto c = ParseFaultSpec("loss=0.1, dup=5%,reorder=0.1,delay=5ms,jitter=2ms,burst=0.01/0.5,mtu=1400");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_DOUBLE_EQ(c->loss, 0.1);
  EXPECT_DOUBLE_EQ(c->duplicate, 0.05);
  EXPECT_DOUBLE_EQ(c->reorder, 0.1);
  EXPECT_EQ(c->base_delay, 5000);
  EXPECT_EQ(c->jitter, 2000);
  EXPECT_EQ(c->jitter_dist, sim::JitterDist::kUniform);
  EXPECT_TRUE(c->burst.enabled);
  EXPECT_DOUBLE_EQ(c->burst.p_good_bad, 0.01);
  EXPECT_EQ(c->mtu, 1400u);
  EXPECT_GE(WorstDelay(*c), 5000 + 2000 + c->reorder_delay);
  for (const char* bad : {"loss", "loss=2", "nope=1", "delay=5parsecs", "loss=0.1,loss=0.2", "burst=0.1"}) {
    auto r = ParseFaultSpec(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().clause(), "CONF-5") << bad;
    }
  }
  EXPECT_TRUE(ParseFaultSpec("").ok());
}

RC_GTEST_PROP(FaultSpec, NeverCrashes, (const std::string& text)) { (void)ParseFaultSpec(text); }

// An echo server on loopback: every datagram comes back unchanged.
class Echo {
 public:
  Echo() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Echo() { close(fd_); }
  // Echoes what is pending within `ms`.
  void Pump(int ms) {
    char buf[2048];
    pollfd p{fd_, POLLIN, 0};
    while (poll(&p, 1, ms) > 0) {
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      const ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0) sendto(fd_, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }
  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_;
};

// Sends `n` datagrams through a proxy with `spec` to an echo server; returns
// how many came back and the proxy counters.
std::pair<int, std::map<std::string, std::int64_t>> Through(const std::string& spec, int n) {
  Echo echo;
  auto cfg = ParseFaultSpec(spec);
  auto proxy = FaultProxy::Start({"127.0.0.1", echo.port()}, *cfg, 42);
  EXPECT_TRUE(proxy.ok());
  Target t;
  t.udp = (*proxy)->address();
  Ctx ctx(t, 200, 5000, 1);
  int got = 0;
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE(ctx.UdpSend("RPAD " + std::to_string(i) + " 0\r\n").ok());
    echo.Pump(10);
    got += static_cast<int>(ctx.UdpRecv(30, 10).size());
  }
  (*proxy)->Stop();
  return {got, (*proxy)->counters()};
}

TEST(FaultProxy, AppliesTheLinkModelInBothDirections) {
  auto [clean, c0] = Through("", 5);
  EXPECT_EQ(clean, 5);
  EXPECT_EQ(c0["forwarded"], 10);
  auto [none, c1] = Through("loss=1", 3);
  EXPECT_EQ(none, 0);
  EXPECT_EQ(c1["dropped"], 3);
  EXPECT_EQ(c1["dropped_loss"], 3);
  auto [dups, c2] = Through("dup=1,dup_spread=1ms", 3);
  EXPECT_EQ(c2["duplicated"], 3 + 6);  // 3 up, each echoed twice, each echo duplicated
  EXPECT_EQ(dups, 12);
  // Same seed, same datagrams: the same decisions.
  auto [a, ca] = Through("loss=0.5", 10);
  auto [b, cb] = Through("loss=0.5", 10);
  EXPECT_EQ(a, b);
  EXPECT_EQ(ca["dropped"], cb["dropped"]);
  EXPECT_GT(ca["dropped"], 0);
}

TEST(ConformFault, LossAndDuplicationStillOkAgainstServe) {
  const std::string dir = TempDir();
  const auto r = RunCli(std::string("conform --timeout 1000 --seed 7 --fault 'loss=0.2,dup=0.2' --cases "
                                    "'cs.rup.ok,cs.rup.param_count,udp.independent.trids,udp.resend.idempotent,udp.cache.per_endpoint,"
                                    "wire.trid.echo,wire.multi.in_order,amp.rad.pad_flow' "
                                    "--launch '") +
                        MCPSIM_BIN + " serve --udp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory:' --out " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto rep = reports::FromJson(ReadWholeFile(dir + "/report.json"));
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->cases.size(), 8u);
  for (const reports::CaseResult& c : rep->cases) EXPECT_EQ(c.verdict, reports::Verdict::kOk) << c.id << ": " << c.reason;
  EXPECT_EQ(rep->fault, "loss=0.2,dup=0.2");
  EXPECT_GT(rep->fault_counters["forwarded"], 0);
  EXPECT_GT(rep->fault_counters["dropped"], 0);
  EXPECT_GT(rep->fault_counters["duplicated"], 0);
  EXPECT_TRUE(rep->fault_counters.count("reordered"));
  int resends = 0;
  for (const reports::CaseResult& c : rep->cases) resends += static_cast<int>(c.metrics.count("resends") ? c.metrics.at("resends") : 0);
  EXPECT_GT(resends, 0) << "20% loss and no resend at all";
  const std::string html = ReadWholeFile(dir + "/index.html");
  EXPECT_NE(html.find("Fault proxy"), std::string::npos);
  int udp = 0, tcp = 0;
  EXPECT_GT(PcapRecords(ReadWholeFile(dir + "/run.pcap"), &udp, &tcp), 0);
  EXPECT_GT(udp, 0);
  fs::remove_all(dir);
}

TEST(ConformFault, BadSpecIsAUsageError) {
  const auto r = RunCli("conform --udp 127.0.0.1:9 --fault 'loss=7'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--fault"), std::string::npos);
}

TEST(ConformPcap, RecordsUdpAndHttpWithRealTimestamps) {
  const std::string dir = TempDir();
  const auto r = RunCli(std::string("conform --timeout 2000 --cases 'cs.rup.ok,dp.*' --launch '") + MCPSIM_BIN +
                        " serve --udp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory:' --out " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  int udp = 0, tcp = 0;
  const int n = PcapRecords(ReadWholeFile(dir + "/run.pcap"), &udp, &tcp);
  EXPECT_GT(n, 0);
  EXPECT_GE(udp, 2);   // at least one request and its answer
  EXPECT_GE(tcp, 8);   // handshake, request, response, FIN
  if (std::system("command -v tshark >/dev/null 2>&1") == 0) {
    const std::string cmd = "tshark -r '" + dir + "/run.pcap' >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "tshark cannot read run.pcap";
  }
  auto rep = reports::FromJson(ReadWholeFile(dir + "/report.json"));
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->artifacts, std::vector<std::string>{"run.pcap"});
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcpsim::conformance
