// Client conformance (`mcpsim conform --client`) against `mcpsim client`
// (all OK) and against a broken fake client that never resends (FAILED).
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

std::string ClientLaunch() {
  return std::string(MCPSIM_BIN) +
         " client --dp {dp} --cache {dir}/client.db --captcha-file {dir}/captcha.png --accept-privacy "
         "--retry-ms 100,400,5 --interactive";
}

TEST(ConformClient, MpcsimClientIsAllOk) {
  const std::string dir = TempDir();
  const auto r = RunCli("conform --client --listen 127.0.0.1:0 --client-timers 100,400,5 --launch '" +
                        ClientLaunch() + "' --out " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto rep = reports::FromJson(ReadWholeFile(dir + "/report.json"));
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->kind, "client-conformance");
  EXPECT_EQ(rep->cases.size(), ClientCatalog().size());
  int sg_cases = 0;
  for (const reports::CaseResult& c : rep->cases) {
    sg_cases += c.id.rfind("client.sg.", 0) == 0;
    if (c.id == "client.trid.wrap") {
      EXPECT_EQ(c.verdict, reports::Verdict::kInformational) << c.reason;
    } else {
      EXPECT_EQ(c.verdict, reports::Verdict::kOk) << c.id << ": " << c.reason << " / " << c.actual;
    }
  }
  EXPECT_EQ(sg_cases, 5);
  int udp = 0, tcp = 0;
  EXPECT_GT(PcapRecords(ReadWholeFile(dir + "/run.pcap"), &udp, &tcp), 0);
  EXPECT_GT(udp, 0);
  EXPECT_GT(tcp, 0);
  fs::remove_all(dir);
}

TEST(ConformClient, ClientThatNeverResendsFails) {
  const std::string dir = TempDir();
  // Reads the operations and sends each upload once, never resending.
  {
    std::ofstream f(dir + "/fake.sh");
    f << "host=${1%:*}; port=${1##*:}\n"
         "while read op kind data; do\n"
         "  if [ \"$op\" = upload ]; then\n"
         "    printf 'RUP 7 58d05d6affef8ab9dd5a8be7afdf1c83 %s 1700000000000 x\\r\\n' \"$kind\" > /dev/udp/$host/$port\n"
         "  fi\n"
         "done\n"
         "sleep 1\n";
  }
  const auto r = RunCli("conform --client --client-timers 100,400,5 --cases 'client.udp.*' --launch 'bash " + dir +
                        "/fake.sh {udp}' --out " + dir + "/out");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAILED client.udp.resend_timing"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED client.udp.resend_stops"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

// A fake SG client (python): queries DP, logs in over UDP and answers SG's
// requests, but in mode `norcr` never answers RCR, in mode `wrong` answers
// with trid + 1 and sends a nudge (RSN), in mode `once` ignores a resent request.
constexpr const char* kBrokenSgClient = R"PY(
import socket, sys, time, urllib.request
host, port = sys.argv[1].rsplit(':', 1)
mode = sys.argv[2]
urllib.request.urlopen('http://%s:%s/mcp?q=RQQW%%201%%201.0.0%%20py%%20dev1%%0D%%0A' % (host, port)).read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.1)
trid = 100
seen = set()
def send(line):
    s.sendto(line.encode() + b'\r\n', (host, int(port)))
def pump(seconds):
    global trid
    end = time.time() + seconds
    while time.time() < end:
        try:
            data = s.recv(65536).decode()
        except socket.timeout:
            continue
        for line in data.split('\r\n'):
            f = line.split(' ')
            if len(f) < 2:
                continue
            if f[0] == 'AAT':
                send('RSII %d %s online 0 0' % (trid, f[3])); trid += 1
            elif f[0] == 'RCR' and mode == 'norcr':
                pass
            elif mode == 'once' and (f[0], f[1]) in seen:
                pass
            elif f[0][0] == 'R':
                seen.add((f[0], f[1]))
                send('A%s %d 0' % (f[0][1:], int(f[1]) + (1 if mode == 'wrong' else 0)))
                if f[0] == 'RCR' and f[3] == f[4]:  # the last page: the sync is complete
                    send('RPS %d 0 alice hi av-1' % trid); trid += 1
for op in sys.stdin.read().splitlines():
    w = op.split(' ')
    if w[0] == 'login':
        send('RAT %d %s %s dev1 1.0.0 1' % (trid, w[1], w[2])); trid += 1
        pump(0.4)
        if mode == 'wrong':
            send('RSN %d 41' % trid); trid += 1
    elif w[0] == 'logout':
        send('RLO %d' % trid); trid += 1
        pump(0.1)
)PY";

TEST(ConformClient, BrokenSgClientsFail) {
  const std::string dir = TempDir();
  {
    std::ofstream f(dir + "/fake.py");
    f << kBrokenSgClient;
  }
  // The system python: a pyenv shim costs ~2 s per start.
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  for (const std::string mode : {"norcr", "wrong"}) {
    const std::string out = dir + "/" + mode;
    const auto r = RunCli("conform --client --client-timers 100,400,5 --cases 'client.sg.login_order,"
                          "client.sg.answers_server,client.words.no_nudge' --launch '" + python + " " + dir +
                          "/fake.py {udp} " + mode + "' --out " + out);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("FAILED client.sg.login_order"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("FAILED client.sg.answers_server"), std::string::npos) << r.out;
    auto rep = reports::FromJson(ReadWholeFile(out + "/report.json"));
    ASSERT_TRUE(rep.ok()) << rep.status().ToString();
    for (const reports::CaseResult& c : rep->cases) {
      if (c.id == "client.sg.login_order") {
        // norcr: the sync stalls at RCR; wrong: ACS with trid + 1 matches no RCS.
        EXPECT_NE(c.reason.find(mode == "norcr" ? "RCR" : "RCS"), std::string::npos) << c.reason;
        EXPECT_NE(c.reason.find("unanswered"), std::string::npos) << c.reason;
      }
      if (c.id == "client.words.no_nudge") {
        EXPECT_EQ(c.verdict, mode == "wrong" ? reports::Verdict::kFailed : reports::Verdict::kOk) << c.reason;
      }
    }
  }
  const auto r = RunCli("conform --client --client-timers 100,400,5 --cases 'client.sg.login_order,"
                        "client.sg.answers_server,client.sg.dedup_resent' --launch '" + python + " " +
                        dir + "/fake.py {udp} once' --out " + dir + "/once");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // The fake SG's trids start at random per session (TRID-4): match around the number.
  const auto failed = r.out.find("FAILED client.sg.dedup_resent: RCS ");
  ASSERT_NE(failed, std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" resent, not answered again", failed), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK client.sg.answers_server"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK client.sg.login_order"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

TEST(ConformClient, TimersAndUsage) {
  auto t = ParseClientTimers("1000,8000,5");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->SendAt(5), 23000 * kMillis);
  EXPECT_EQ(t->GiveUp(), 31000 * kMillis);  // TIMER-3's figures
  EXPECT_FALSE(ParseClientTimers("0").ok());
  EXPECT_FALSE(ParseClientTimers("10,5").ok());
  EXPECT_EQ(RunCli("conform --client").exit_code, 2);
  const auto l = RunCli("conform --client --list");
  EXPECT_EQ(l.exit_code, 0);
  EXPECT_NE(l.out.find("client.udp.resend_timing client TIMER-1,TIMER-2,TIMER-3,TIMER-4"), std::string::npos) << l.out;
}

}  // namespace
}  // namespace mcpsim::conformance
