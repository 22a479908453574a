// `mcpsim wire decode|encode`: the JSON Lines form exactly, error lines, exit
// codes and the round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/cli/run_cli.h"

namespace mcpsim::testing {
namespace {

TEST(WireCli, DecodePrintsTheExactJsonForm) {
  auto r = RunCli("wire decode", "RSM 7 a \r\nASM 7 0 hi%20there\r\nRBIN 8 obj 3\r\nxyz");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"command\":\"RSM\",\"trid\":7,\"status\":null,\"params\":[\"a\",\"\"],\"payload\":null}\n"
            "{\"command\":\"ASM\",\"trid\":7,\"status\":0,\"params\":[\"hi there\"],\"payload\":null}\n"
            "{\"command\":\"RBIN\",\"trid\":8,\"status\":null,\"params\":[\"obj\"],\"payload\":\"eHl6\"}\n");
}

TEST(WireCli, DecodeReportsErrorsResyncsAndExitsOne) {
  auto r = RunCli("wire decode", "RSM 1 ok\r\nRSM 2 a%zz\r\nRZZZ 3\r\nRSM 4");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out,
            "{\"command\":\"RSM\",\"trid\":1,\"status\":null,\"params\":[\"ok\"],\"payload\":null}\n"
            "{\"error\":{\"clause\":\"WIRE-7\",\"offset\":17,\"message\":\"'%' not followed by two hex digits\"}}\n"
            "{\"command\":\"RZZZ\",\"trid\":3,\"status\":null,\"params\":[],\"payload\":null}\n"
            "{\"error\":{\"clause\":\"WIRE-10\",\"offset\":30,\"message\":\"incomplete command at the end of the "
            "stream\"}}\n");
}

TEST(WireCli, DecodeDatagramUsesUdpLimits) {
  auto r = RunCli("wire decode --datagram", "RBIN 1 2000\r\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("\"clause\":\"LIM-4\""), std::string::npos) << r.out;
  auto s = RunCli("wire decode", "RBIN 1 2000\r\n");  // stream: waits, then EOF
  EXPECT_NE(s.out.find("\"clause\":\"WIRE-10\""), std::string::npos) << s.out;
  auto e = RunCli("wire decode --datagram", "");
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_NE(e.out.find("\"clause\":\"WIRE-10\",\"offset\":0"), std::string::npos) << e.out;
}

TEST(WireCli, EncodeWritesWireBytes) {
  auto r = RunCli("wire encode",
                  "{\"command\":\"RSM\",\"trid\":7,\"status\":null,\"params\":[\"a b\",\"\"],\"payload\":null}\n"
                  "{\"command\":\"ROT\",\"trid\":9,\"status\":null,\"params\":[\"f\"],\"payload\":\"eHl6\"}\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "RSM 7 a%20b \r\nROT 9 f 3\r\nxyz");
}

TEST(WireCli, EncodeRejectsBadLinesWithLineNumber) {
  auto r = RunCli("wire encode",
                  "{\"command\":\"RSM\",\"trid\":1,\"params\":[]}\n"
                  "{not json\n"
                  "{\"command\":\"rsm\",\"trid\":2,\"params\":[]}\n"
                  "{\"command\":\"RSM\",\"trid\":3,\"params\":[],\"payload\":\"eHl6\"}\n"
                  "{\"command\":\"RSM\",\"trid\":4,\"params\":[]}\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "RSM 1\r\nRSM 4\r\n");  // nothing of the bad lines
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 3) << r.err;
  EXPECT_NE(r.err.find("line 2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 3: [WIRE-3]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 4: [PAY-1]"), std::string::npos) << r.err;
}

TEST(WireCli, DecodeEncodeRoundTrip) {
  static const char wire[] =
      "RSII 12 1 7\r\nASM 3 0\r\nRSM 4 hi%20there \xE4\xBD\xA0\xE5\xA5\xBD 100%25\r\n"
      "RBIN 5 cap 0 6\r\n\r\n\r\n\x00y"
      "ACMDB 3 201\r\n";
  const std::string bytes(wire, sizeof wire - 1);  // keeps the NUL in the payload
  auto d = RunCli("wire decode", bytes);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto e = RunCli("wire encode", d.out);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out, bytes);
  auto d2 = RunCli("wire decode", e.out);
  EXPECT_EQ(d2.out, d.out);
}

}  // namespace
}  // namespace mcpsim::testing
