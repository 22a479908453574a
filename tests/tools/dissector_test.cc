// The Wireshark dissector (tools/wireshark/mcp.lua) under tshark: decoded
// fields asserted on pcaps from the simulator, on a crafted capture with
// wire-grammar violations (expert info), on a heuristic (unknown-port) UDP
// and split TCP stream, and on run.pcap of a conformance run. Skipped with a
// message when tshark is absent (tools/setup.sh installs it when it can).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sim/pcap.h"
#include "tests/cli/run_cli.h"

namespace mcpsim::testing {
namespace {

namespace fs = std::filesystem;

const std::string kLua = std::string(MCPSIM_SOURCE_DIR) + "/tools/wireshark/mcp.lua";

bool HaveTshark() { return std::system("command -v tshark >/dev/null 2>&1") == 0; }

std::string TempDir() {
  char t[] = "/tmp/mcpsim-dissector-XXXXXX";
  return mkdtemp(t);
}

// tshark -2 with the dissector; `args` are the output options. Returns stdout.
std::string Tshark(const std::string& pcap, const std::string& args) {
  const std::string out = pcap + ".out";
  const std::string cmd = "tshark -n -X lua_script:" + kLua + " -2 -r " + pcap + " " + args + " >" + out +
                          " 2>" + pcap + ".err";
  const int rc = std::system(cmd.c_str());
  std::string text = ReadWholeFile(out);
  if (rc != 0) text += "\n(tshark failed: " + ReadWholeFile(pcap + ".err") + ")";
  const std::string err = ReadWholeFile(pcap + ".err");
  if (err.find("Lua: Error") != std::string::npos) text += "\n(LUA ERROR: " + err + ")";
  if (err.find("same description") != std::string::npos) {
    text += "\n(ERROR: tshark already loads another mcp.lua — an installed mcpsim package's plugin? "
            "`apt-get remove mcpsim` and rerun)";
  }
  return text;
}

std::vector<std::vector<std::string>> Rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cols;
    std::size_t p = 0;
    for (;;) {
      const std::size_t tab = line.find('\t', p);
      cols.push_back(line.substr(p, tab == std::string::npos ? std::string::npos : tab - p));
      if (tab == std::string::npos) break;
      p = tab + 1;
    }
    rows.push_back(cols);
  }
  return rows;
}

Bytes B(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

class Dissector : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTshark()) GTEST_SKIP() << "tshark absent: install it (tools/setup.sh) to check the dissector";
    dir_ = TempDir();
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(Dissector, DecodesSimulatedDpCsRsTraffic) {
  const std::string pcap = dir_ + "/journey.pcap";
  const auto r = RunCli("run " + std::string(MCPSIM_SOURCE_DIR) + "/scenarios/library/user-journey.yaml --pcap " + pcap);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string text = Tshark(pcap, "-Y mccp -T fields -E occurrence=f -e frame.number -e mccp.command -e mccp.trid "
                                        "-e mccp.status -e mccp.status_name -e mccp.response_in -e mccp.request_in "
                                        "-e mccp.param.platform -e mccp.param.kind -e mccp.param.password "
                                        "-e mccp.param.update -e mccp.payload_len");
  ASSERT_EQ(text.find("ERROR"), std::string::npos) << text;
  std::map<std::string, std::vector<std::string>> first;  // command -> first row
  std::map<std::string, std::string> frame_cmd;
  for (const auto& row : Rows(text)) {
    if (row.size() < 12) continue;
    frame_cmd[row[0]] = row[1];
    first.emplace(row[1], row);
  }
  // DP over HTTP GET (the URL form), decoded and named, linked to its AQQW.
  ASSERT_TRUE(first.count("RQQW")) << text;
  EXPECT_EQ(first["RQQW"][7], "s60");
  EXPECT_EQ(frame_cmd[first["RQQW"][5]], "AQQW") << "response_in of RQQW";
  ASSERT_TRUE(first.count("AQQW"));
  EXPECT_EQ(first["AQQW"][3], "0");
  EXPECT_EQ(first["AQQW"][4], "ok");
  EXPECT_EQ(first["AQQW"][6], first["RQQW"][0]) << "request_in of AQQW";
  // CS over UDP.
  ASSERT_TRUE(first.count("RUP"));
  EXPECT_FALSE(first["RUP"][8].empty());
  EXPECT_EQ(frame_cmd[first["RUP"][5]], "AUP");
  // RS over HTTP POST: escapes undone (WIRE-6), payload lengths of RBIN chunks.
  ASSERT_TRUE(first.count("REG"));
  EXPECT_EQ(first["REG"][9], "correct horse");
  EXPECT_EQ(frame_cmd[first["REG"][5]], "AEG");
  ASSERT_TRUE(first.count("AAP")) << "AAP and the RBIN chunks share a response body";
  bool rbin_len = false;
  for (const auto& row : Rows(Tshark(pcap, "-Y mccp.payload_len -T fields -e mccp.command -e mccp.payload_len"))) {
    if (row.size() == 2 && row[0].find("RBIN") != std::string::npos && row[1].find("1024") != std::string::npos) rbin_len = true;
  }
  EXPECT_TRUE(rbin_len);
}

TEST_F(Dissector, DecodesSgSessionFileTransferAndLinksResends) {
  const std::string pcap = dir_ + "/file.pcap";
  const auto r = RunCli("run " + std::string(MCPSIM_SOURCE_DIR) + "/scenarios/library/sg-file-accept.yaml --pcap " + pcap);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string v = Tshark(pcap, "-Y mccp -V");
  ASSERT_EQ(v.find("ERROR"), std::string::npos) << v.substr(0, 2000);
  for (const char* s : {"Command word: RAT", "account: ", "Status name: ok", "Command word: ROT", "Payload length: 1024",
                        "transferId: ", "Command word: RCR", "op: A", "profileVersion: ", "Resend of: ",
                        "Response in: ", "Request in: ", "Time since request: "}) {
    EXPECT_NE(v.find(s), std::string::npos) << s;
  }
  const std::string f = Tshark(pcap, "-Y \"mccp.command == \\\"ROA\\\"\" -T fields -e mccp.param.fileName -e mccp.param.size");
  EXPECT_NE(f.find('\t'), std::string::npos) << f;
}

TEST_F(Dissector, ExpertInfoNamesTheViolatedClause) {
  const std::string pcap = dir_ + "/bad.pcap";
  sim::PcapWriter w;
  ASSERT_TRUE(w.Open(pcap).ok());
  const std::uint32_t mc = 0x0a000006, cs = 0x0a000003;
  const std::vector<std::string> bad = {"rsm 14 12 x\r\n",    "RSM 015 12 x\r\n",    "ASM 16 00\r\n",
                                        "RSM 10 12 50%\r\n",  "RSM 12 12 %C0%AF\r\n", "RSM 13 12 a\rb\r\n",
                                        "RSM 5 12 no-crlf",   "AUP 9 999\r\n"};
  TimeUs t = 0;
  for (const std::string& d : bad) w.WriteUdp(t += 1000, mc, 40000, cs, 7000, B(d));
  // A valid request and answer on a port the dissector does not know: heuristics.
  w.WriteUdp(t += 1000, mc, 40001, cs, 45123, B("RUP 77 6f1c0d2a9b3e4f5061728394a5b6c7d8 launch 1700000000000 \r\n"));
  w.WriteUdp(t += 1000, cs, 45123, mc, 40001, B("AUP 77 0\r\n"));
  w.Close();
  const std::string text = Tshark(pcap, "-T fields -e frame.number -e _ws.expert.message -e mccp.command");
  ASSERT_EQ(text.find("ERROR"), std::string::npos) << text;
  const auto rows = Rows(text);
  ASSERT_GE(rows.size(), 10u) << text;
  const char* expected[] = {"WIRE-3", "WIRE-4", "WIRE-5", "WIRE-7", "WIRE-8", "WIRE-9", "WIRE-10", "STATUS-1"};
  for (int i = 0; i < 8; ++i) {
    ASSERT_GE(rows[static_cast<std::size_t>(i)].size(), 2u);
    EXPECT_NE(rows[static_cast<std::size_t>(i)][1].find(expected[i]), std::string::npos)
        << "frame " << i + 1 << ": " << rows[static_cast<std::size_t>(i)][1];
  }
  EXPECT_NE(rows[3][1].find("offset 12"), std::string::npos) << rows[3][1];  // the % of "50%" (PROTOCOL.md §5.3)
  ASSERT_GE(rows[8].size(), 3u);
  EXPECT_EQ(rows[8][2], "RUP") << "heuristic on an unknown UDP port";
  EXPECT_EQ(rows[9][2], "AUP");
}

TEST_F(Dissector, ReassemblesASplitTcpStream) {
  const std::string pcap = dir_ + "/tcp.pcap";
  sim::PcapWriter w;
  ASSERT_TRUE(w.Open(pcap).ok());
  const std::uint32_t mc = 0x0a000006, sg = 0x0a000005;
  const std::string stream = "RAT 1 alice@live.cn correct%20horse dev 1.0.0 1\r\nRSII 2 0123456789abcdef0123456789abcdef online 7 0\r\n";
  // Handshake, then the bytes in three segments cut mid-line, on port 1863.
  w.WriteTcp(0, mc, 40000, sg, 1863, 0, 0, 0x02, {});
  w.WriteTcp(10, sg, 1863, mc, 40000, 0, 1, 0x12, {});
  w.WriteTcp(20, mc, 40000, sg, 1863, 1, 1, 0x10, {});
  std::uint32_t seq = 1;
  for (auto [from, len] : {std::pair<std::size_t, std::size_t>{0, 20}, {20, 40}, {60, stream.size() - 60}}) {
    w.WriteTcp(30 + static_cast<TimeUs>(from), mc, 40000, sg, 1863, seq, 1, 0x18, B(stream.substr(from, len)));
    seq += static_cast<std::uint32_t>(len);
  }
  w.WriteTcp(200, sg, 1863, mc, 40000, 1, seq, 0x18, B("AAT 1 0 0123456789abcdef0123456789abcdef\r\n"));
  w.Close();
  const std::string text =
      Tshark(pcap, "-Y mccp -T fields -e frame.number -e mccp.command -e mccp.param.password -e mccp.request_in");
  ASSERT_EQ(text.find("ERROR"), std::string::npos) << text;
  // Frames 4..6 carry 20+40+rest bytes: RAT completes in frame 5, RSII in 6.
  EXPECT_NE(text.find("5\tRAT\tcorrect horse\t\n"), std::string::npos) << text;
  EXPECT_NE(text.find("6\tRSII\t\t\n"), std::string::npos) << text;
  EXPECT_NE(text.find("7\tAAT\t\t5\n"), std::string::npos) << "AAT links to the RAT's frame\n" << text;
}

TEST_F(Dissector, DecodesAConformanceRunCapture) {
  const std::string out = dir_ + "/conf";
  const auto r = RunCli(std::string("conform --cases 'cs.rup.ok,dp.rqqw.ok,sg.login.ok' --launch '") + MCPSIM_BIN +
                        " serve --udp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory:' --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string text = Tshark(out + "/run.pcap", "-Y mccp -T fields -e mccp.command");
  ASSERT_EQ(text.find("ERROR"), std::string::npos) << text;
  for (const char* w : {"RUP", "AUP", "RQQW", "AQQW", "RAP", "REG", "AEG"}) {
    EXPECT_NE(text.find(w), std::string::npos) << w << " (ephemeral ports: heuristics)\n" << text;
  }
}

// Every param name in the dissector appears in its command's section of
// PROTOCOL.md, so the names cannot drift from the spec unnoticed.
TEST(DissectorNames, ParamNamesComeFromProtocolMd) {
  const std::string lua = ReadWholeFile(kLua);
  const std::string md = ReadWholeFile(std::string(MCPSIM_SOURCE_DIR) + "/reference/PROTOCOL.md");
  ASSERT_FALSE(lua.empty());
  ASSERT_FALSE(md.empty());
  const std::regex entry(R"(\n  ([RA][A-Z]{2,7}) = \{([^}]*)\})");
  int words = 0;
  for (std::sregex_iterator it(lua.begin(), lua.end(), entry), end; it != end; ++it) {
    ++words;
    const std::string word = (*it)[1];
    std::string req = word, ans = word;
    req[0] = 'R';
    ans[0] = 'A';
    // The command's section: from its "REQ / ANS" heading to 2500 characters on.
    std::string heading = req;
    heading += " / ";
    heading += ans;
    std::size_t at = md.find(heading);
    if (word == "RPAD") at = md.find("RPAD trid pad");  // §6.3, no heading of its own
    if (word == "RSN") at = md.find("RSN trid callId");  // SG-NUDGE-4
    ASSERT_NE(at, std::string::npos) << word;
    const std::string section = md.substr(at, 2500);
    const std::string names = (*it)[2];
    const std::regex name_re("\"([A-Za-z]+)\"");
    for (std::sregex_iterator n(names.begin(), names.end(), name_re), e2; n != e2; ++n) {
      EXPECT_NE(section.find((*n)[1].str()), std::string::npos) << word << ": " << (*n)[1];
    }
  }
  EXPECT_GE(words, 45);
}

}  // namespace
}  // namespace mcpsim::testing
