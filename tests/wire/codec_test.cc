// Wire codec examples: the seed's own lines (§5.2 format, escaping table,
// empty positional params, the §5.3 out-of-order example) and every
// WIRE/LIM/PAY error with its clause and exact byte offset.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reference/status_codes.h"
#include "reference/wire/base64.h"
#include "reference/wire/command.h"
#include "reference/wire/parse.h"
#include "tests/wire/wire_test_util.h"

namespace mcpsim::wire {
namespace {

using testing::DatagramEvents;
using testing::Event;

// Parses `s` as one datagram expecting exactly one command.
Command One(std::string_view s, const Limits& limits = Limits::Stream()) {
  Limits l = limits;
  l.max_datagram = 1 << 20;
  auto ev = DatagramEvents(s, l);
  EXPECT_EQ(ev.size(), 1u) << s;
  if (ev.size() != 1 || ev[0].is_error) {
    ADD_FAILURE() << "not one command: " << (ev.empty() ? std::string("none") : ev[0].clause);
    return {};
  }
  return ev[0].command;
}

// Parses `s` as one datagram; expects the FIRST outcome to be the given error.
void ExpectError(std::string_view s, const char* clause, std::uint64_t offset,
                 const Limits& limits = Limits::Datagram()) {
  auto ev = DatagramEvents(s, limits);
  ASSERT_FALSE(ev.empty()) << s;
  EXPECT_TRUE(ev[0].is_error) << s;
  EXPECT_EQ(ev[0].clause, clause) << s;
  EXPECT_EQ(ev[0].offset, offset) << s;
}

TEST(WireCodec, FormatLinesOfSection52) {
  Command r = One("RCOMMAND 1 Parameter1 Parameter2 ParameterN\r\n");
  EXPECT_EQ(r.word, "RCOMMAND");
  EXPECT_EQ(r.trid, 1u);
  EXPECT_EQ(r.status, std::nullopt);
  EXPECT_EQ(r.params, (std::vector<std::string>{"Parameter1", "Parameter2", "ParameterN"}));
  EXPECT_EQ(r.payload, std::nullopt);
  Command a = One("ACOMMAND 1 0 Parameter1 Parameter2\r\n");
  EXPECT_EQ(a.word, "ACOMMAND");
  EXPECT_EQ(a.status, 0u);
  EXPECT_EQ(a.params.size(), 2u);
  // A failing answer may carry no params at all (§5.2 d).
  Command f = One("ACOMMAND 1 201\r\n");
  EXPECT_EQ(f.status, 201u);
  EXPECT_TRUE(f.params.empty());
}

TEST(WireCodec, EscapingTable) {
  EXPECT_EQ(Escape("%"), "%25");
  EXPECT_EQ(Escape(" "), "%20");
  EXPECT_EQ(Escape("\r"), "%0D");
  EXPECT_EQ(Escape("\n"), "%0A");
  EXPECT_EQ(Escape("a b%c\r\nd\t"), "a%20b%25c%0D%0Ad\t");
  EXPECT_EQ(*Unescape("%25%20%0D%0A"), "% \r\n");
  EXPECT_EQ(*Unescape("%0d%0a"), "\r\n");           // lower-case hex accepted
  EXPECT_EQ(*Unescape("%41%e4%b8%ad"), "A\xE4\xB8\xAD");  // any well-formed %XX
  Command c = One("RSM 3 hello%20world 100%25 %0D%0A\r\n");
  EXPECT_EQ(c.params, (std::vector<std::string>{"hello world", "100%", "\r\n"}));
}

TEST(WireCodec, EmptyPositionalParams) {
  EXPECT_EQ(One("RSM 7 a  b \r\n").params, (std::vector<std::string>{"a", "", "b", ""}));
  EXPECT_EQ(One("RSM 7\r\n").params.size(), 0u);
  EXPECT_EQ(One("RSM 7 \r\n").params, (std::vector<std::string>{""}));
  EXPECT_EQ(One("ASM 7 0  \r\n").params, (std::vector<std::string>{"", ""}));
  Command c;
  c.word = "RSM";
  c.trid = 7;
  c.params = {"", "x", ""};
  EXPECT_EQ(*Serialize(c), "RSM 7  x \r\n");
}

TEST(WireCodec, OutOfOrderExampleOfSection53) {
  // "RCMD1 trid1" are placeholders; as real lines the words must be letters.
  ExpectError("RCMD1 1\r\n", "WIRE-3", 0);
  const std::string sent = "RCMDA 1\r\nRCMDB 2\r\nRCMDB 3\r\nRCMDC 4\r\nRCMDD 5\r\n";
  const std::string received = "ACMDB 3 0\r\nACMDA 1 0\r\nACMDB 2 0\r\nACMDC 4 0\r\nACMDD 5 0\r\n";
  auto req = DatagramEvents(sent, Limits{});
  auto ans = DatagramEvents(received, Limits{});
  ASSERT_EQ(req.size(), 5u);
  ASSERT_EQ(ans.size(), 5u);
  const std::vector<std::uint32_t> order = {3, 1, 2, 4, 5};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(req[i].command.trid, i + 1);
    EXPECT_EQ(ans[i].command.trid, order[i]);
    EXPECT_EQ(ans[i].offset, i * 11);
    // Pair by trid: the answer's word is the request's with 'A' for 'R'.
    const Command& q = req[order[i] - 1].command;
    EXPECT_EQ("A" + q.word.substr(1), ans[i].command.word);
  }
}

TEST(WireCodec, UnknownWordStillDecodes) {
  Command c = One("RZZZZZZZ 4294967295 x\r\n");
  EXPECT_EQ(c.word, "RZZZZZZZ");
  EXPECT_EQ(c.trid, 4294967295u);
  EXPECT_EQ(One("AQQ 0 65535\r\n").word, "AQQ");
}

TEST(WireCodec, PayloadCommands) {
  auto ev = DatagramEvents(std::string("RBIN 9 obj 0 7\r\nab\r\n\0cd", 23) + "RSM 1\r\n", Limits{});
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].command.params, (std::vector<std::string>{"obj", "0"}));
  EXPECT_EQ(*ev[0].command.payload, std::string("ab\r\n\0cd", 7));
  EXPECT_EQ(ev[1].command.word, "RSM");
  EXPECT_EQ(ev[1].offset, 23u);
  EXPECT_EQ(*One("ROT 2 0\r\n").payload, "");
  EXPECT_EQ(One("ABIN 2 0 5\r\n").payload, std::nullopt);  // answers carry none
  EXPECT_EQ(One("ABIN 2 0 5\r\n").params, (std::vector<std::string>{"5"}));
}

TEST(WireCodec, ViewAccessorsDoNotNeedDecoding) {
  const std::string line = "RSM 5 plain a%20b %41\r\n";
  Outcome o = ParseOne(line, Limits{}, true);
  ASSERT_TRUE(o.is_command());
  const CommandView& v = o.command;
  EXPECT_TRUE(v.is_request());
  EXPECT_EQ(v.param_count(), 3u);
  EXPECT_TRUE(v.ParamIsPlain(0));
  EXPECT_FALSE(v.ParamIsPlain(1));
  EXPECT_EQ(v.raw_param(1), "a%20b");
  EXPECT_TRUE(v.ParamEquals(0, "plain"));
  EXPECT_FALSE(v.ParamEquals(0, "plai"));
  EXPECT_TRUE(v.ParamEquals(1, "a b"));
  EXPECT_FALSE(v.ParamEquals(1, "a bc"));
  EXPECT_TRUE(v.ParamEquals(2, "A"));
  EXPECT_EQ(v.DecodeParam(1), "a b");
  EXPECT_EQ(v.bytes(), line);
  EXPECT_EQ(o.consumed, line.size());
}

TEST(WireCodec, FramingErrorsWire9) {
  ExpectError("RSM 1 a\n", "WIRE-9", 7);
  ExpectError("RSM 1 a\rb\r\n", "WIRE-9", 7);
  ExpectError("\n", "WIRE-9", 0);
  // Resync after the next CRLF: the lone LF's line and the next one are lost.
  auto ev = DatagramEvents("RSM 1 a\nRSM 2\r\nRSM 3\r\n", Limits{});
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].command.trid, 3u);
  // A lone CR resyncs at its own line's CRLF.
  ev = DatagramEvents("RSM 1 a\rb\r\nRSM 3\r\n", Limits{});
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].command.trid, 3u);
}

TEST(WireCodec, WordErrorsWire3) {
  for (const char* s : {"rsm 1\r\n", "Rsm 1\r\n", "RS 1\r\n", "RABCDEFGH 1\r\n", "XSM 1\r\n", "\r\n", " RSM 1\r\n",
                        "R%53M 1\r\n"}) {
    ExpectError(s, "WIRE-3", 0);
  }
}

TEST(WireCodec, TridErrorsWire4) {
  ExpectError("RSM\r\n", "WIRE-4", 3);
  ExpectError("RSM 01\r\n", "WIRE-4", 4);
  ExpectError("RSM -1\r\n", "WIRE-4", 4);
  ExpectError("RSM +1\r\n", "WIRE-4", 4);
  ExpectError("RSM 4294967296\r\n", "WIRE-4", 4);
  ExpectError("RSM 12345678901\r\n", "WIRE-4", 4);
  ExpectError("RSM  1\r\n", "WIRE-4", 4);
  ExpectError("RSM 1a x\r\n", "WIRE-4", 4);
  EXPECT_EQ(One("RSM 0\r\n").trid, 0u);
}

TEST(WireCodec, StatusErrorsWire5) {
  ExpectError("ASM 1\r\n", "WIRE-5", 5);
  ExpectError("ASM 1 65536\r\n", "WIRE-5", 6);
  ExpectError("ASM 1 00\r\n", "WIRE-5", 6);
  ExpectError("ASM 1  x\r\n", "WIRE-5", 6);
  ExpectError("ASM 1 2x\r\n", "WIRE-5", 6);
  EXPECT_EQ(One("ASM 1 65535\r\n").status, 65535u);
}

TEST(WireCodec, EscapeErrorsWire7) {
  ExpectError("RSM 1 a%2\r\n", "WIRE-7", 7);
  ExpectError("RSM 1 a%zz b\r\n", "WIRE-7", 7);
  ExpectError("RSM 1 %2 b\r\n", "WIRE-7", 6);
  ExpectError("RSM 1 ok %\r\n", "WIRE-7", 9);
  EXPECT_EQ(Unescape("ab%4").status().clause(), "WIRE-7");
  EXPECT_EQ(Unescape("ab%4").status().offset(), 2u);
}

TEST(WireCodec, Utf8ErrorsWire8) {
  ExpectError("RSM 1 ab\xC3\r\n", "WIRE-8", 8);           // truncated sequence
  ExpectError("RSM 1 %C3%28\r\n", "WIRE-8", 6);           // escaped, bad continuation
  ExpectError("RSM 1 x \xC0\x80\r\n", "WIRE-8", 8);       // overlong NUL
  ExpectError("RSM 1 \xED\xA0\x80\r\n", "WIRE-8", 6);     // surrogate U+D800
  ExpectError("RSM 1 \xF4\x90\x80\x80\r\n", "WIRE-8", 6); // > U+10FFFF
  ExpectError("RSM 1 \x80\r\n", "WIRE-8", 6);             // stray continuation
  ExpectError("RSM 1 \xC3 \xA9\r\n", "WIRE-8", 6);        // a sequence may not span SP
  EXPECT_EQ(One("RSM 1 \xE4\xB8\xAD%E6%96%87 \xF0\x9F\x98\x80\r\n").params[0], "\xE4\xB8\xAD\xE6\x96\x87");
  EXPECT_TRUE(ValidUtf8("\xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(ValidUtf8("\xE0\x9F\xBF"));  // overlong 3-byte
}

TEST(WireCodec, IncompleteWire10) {
  ExpectError("", "WIRE-10", 0);
  ExpectError("RSM 1 a", "WIRE-10", 0);
  ExpectError("RSM 1 a\r", "WIRE-10", 0);
  ExpectError("RBIN 1 5\r\nabcd", "WIRE-10", 0);
  auto ev = DatagramEvents("RSM 1\r\nRSM 2", Limits{});
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_FALSE(ev[0].is_error);
  EXPECT_EQ(ev[1].clause, "WIRE-10");
  EXPECT_EQ(ev[1].offset, 7u);
  // In a stream, the same bytes wait for more.
  EXPECT_TRUE(ParseOne("RBIN 1 5\r\nabcd", Limits{}, false).need_more());
}

TEST(WireCodec, LineLimitLim1) {
  const std::string ok = "RSM 1 " + std::string(4096 - 8, 'x') + "\r\n";  // exactly 4096 bytes
  ASSERT_EQ(ok.size(), 4096u);
  EXPECT_EQ(One(ok).params[0].size(), 4088u);
  const std::string bad = "RSM 1 " + std::string(4096 - 7, 'x') + "\r\nRSM 2\r\n";
  ExpectError(bad, "LIM-1", 4096);
  auto ev = DatagramEvents(bad, Limits{});
  ASSERT_EQ(ev.size(), 2u);  // resyncs at the over-long line's CRLF
  EXPECT_EQ(ev[1].command.trid, 2u);
  Limits l;
  l.max_line = 10;
  ExpectError("RSM 1 abcdefgh\r\n", "LIM-1", 10, l);
}

TEST(WireCodec, ParamLimitLim2) {
  std::string line = "RSM 1";
  for (int i = 0; i < 32; ++i) line += " p";
  EXPECT_EQ(One(line + "\r\n").params.size(), 32u);
  const std::size_t at = line.size() + 1;
  ExpectError(line + " q\r\n", "LIM-2", at);
  Limits l;
  l.max_params = 2;
  ExpectError("RSM 1 a b c\r\n", "LIM-2", 10, l);
}

TEST(WireCodec, DatagramLimitLim3) {
  const std::string big(8193, 'x');
  auto ev = DatagramEvents(big, Limits{});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].clause, "LIM-3");
  EXPECT_EQ(ev[0].offset, 8192u);
}

TEST(WireCodec, PayloadLimitLim4AndPay2) {
  ExpectError("RBIN 1 a 1025\r\n", "LIM-4", 9);
  ExpectError("RBIN 1 4294967295\r\n", "LIM-4", 7);
  const std::string chunk(1024, '\xFF');
  EXPECT_EQ(One("RBIN 1 1024\r\n" + chunk, Limits{}).payload->size(), 1024u);
  const std::string big(65536, 'z');
  EXPECT_EQ(One("RSV 1 65536\r\n" + big, Limits::Stream()).payload->size(), 65536u);
  ExpectError("RBIN 1\r\n", "PAY-2", 6);
  ExpectError("RBIN 1 x\r\n", "PAY-2", 7);
  ExpectError("RBIN 1 a 01\r\n", "PAY-2", 9);
  ExpectError("RRV 1 a \r\n", "PAY-2", 8);
  ExpectError("RRV 1 a 4294967296\r\n", "PAY-2", 8);
}

TEST(WireCodec, ErrorToStatus) {
  Outcome o = ParseOne("RSM 1 a%zz\r\n", Limits{}, true);
  ASSERT_TRUE(o.is_error());
  Status s = o.error.ToStatus();
  EXPECT_EQ(s.clause(), "WIRE-7");
  EXPECT_EQ(s.offset(), 7u);
  EXPECT_EQ(o.consumed, 12u);
}

TEST(WireBase64, Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(plain[i]), enc[i]);
    EXPECT_EQ(*Base64Decode(enc[i]), plain[i]);
  }
  EXPECT_FALSE(Base64Decode("Zg=").ok());
  EXPECT_FALSE(Base64Decode("Zh==").ok());  // non-zero padding bits
  EXPECT_FALSE(Base64Decode("Z===").ok());
  EXPECT_FALSE(Base64Decode("Zm9v!A==").ok());
  EXPECT_FALSE(Base64Decode("Zg==Zg==").ok());  // padding only at the end
}

TEST(WireStatusCodes, NamesAreKebabCase) {
  using reference::StatusName;
  EXPECT_EQ(StatusName(0), "ok");
  EXPECT_EQ(StatusName(100), "unknown-command");
  EXPECT_EQ(StatusName(208), "logged-in-elsewhere");
  EXPECT_EQ(StatusName(503), "upstream");
  EXPECT_EQ(StatusName(1), "unassigned");
  EXPECT_EQ(StatusName(65535), "unassigned");
  for (unsigned c = 0; c < 65536; ++c) {
    std::string_view n = StatusName(static_cast<std::uint16_t>(c));
    ASSERT_FALSE(n.empty());
    for (char ch : n) ASSERT_TRUE((ch >= 'a' && ch <= 'z') || ch == '-') << c;
  }
}

}  // namespace
}  // namespace mcpsim::wire
