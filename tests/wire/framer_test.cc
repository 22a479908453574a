// StreamFramer: incremental framing, bounded buffering, resync and EOF.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reference/wire/framer.h"
#include "tests/wire/wire_test_util.h"

namespace mcpsim::wire {
namespace {

using testing::Event;
using testing::StreamEvents;

const std::string kTraffic =
    "RSII 12 1 7\r\nASM 3 0\r\nRSM 4 hi%20there \xE4\xBD\xA0\xE5\xA5\xBD\r\n"
    "RBIN 5 cap 0 6\r\n\r\n\r\nxy"  // a payload that contains CRLFs
    "RSM 6 a%zz\r\n"                // WIRE-7, resync
    "ASM 7 0 done\r\n";

TEST(WireFramer, ByteAtATimeEqualsWhole) {
  const auto whole = StreamEvents({kTraffic}, Limits::Stream());
  ASSERT_EQ(whole.size(), 6u);
  EXPECT_EQ(whole[3].command.payload, std::string("\r\n\r\nxy"));
  EXPECT_TRUE(whole[4].is_error);
  EXPECT_EQ(whole[4].clause, "WIRE-7");
  EXPECT_EQ(whole[5].command.trid, 7u);
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < kTraffic.size(); ++i) bytes.push_back(std::string_view(kTraffic).substr(i, 1));
  EXPECT_EQ(StreamEvents(bytes, Limits::Stream()), whole);
  for (std::size_t i = 0; i <= kTraffic.size(); ++i) {  // every single split point
    std::string_view s(kTraffic);
    EXPECT_EQ(StreamEvents({s.substr(0, i), s.substr(i)}, Limits::Stream()), whole) << "split at " << i;
  }
}

TEST(WireFramer, OffsetsCountFromTheFirstByteEver) {
  StreamFramer f;
  f.Append("RSM 1\r\nRSM");
  Outcome o = f.Next();
  ASSERT_TRUE(o.is_command());
  EXPECT_EQ(o.offset, 0u);
  EXPECT_TRUE(f.Next().need_more());
  f.Append(" 2\r\nRSM 0x\r\n");
  o = f.Next();
  ASSERT_TRUE(o.is_command());
  EXPECT_EQ(o.offset, 7u);
  o = f.Next();
  ASSERT_TRUE(o.is_error());
  EXPECT_EQ(o.error.offset, 18u);
  EXPECT_EQ(std::string(o.error.clause), "WIRE-4");
  EXPECT_EQ(f.offset(), 22u);
}

TEST(WireFramer, OverlongLineIsLim1WithBoundedMemory) {
  StreamFramer f;  // max_line 4096
  const std::string junk(1000, 'x');
  std::vector<Outcome> errors;
  for (int i = 0; i < 100; ++i) {  // 100 KB without a CRLF
    f.Append(junk);
    for (Outcome o = f.Next(); !o.need_more(); o = f.Next()) errors.push_back(o);
    EXPECT_LE(f.buffered(), 4096u + junk.size());
  }
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(std::string(errors[0].error.clause), "LIM-1");
  EXPECT_EQ(errors[0].error.offset, 4096u);
  EXPECT_EQ(f.buffered(), 0u);
  f.Append("tail\r");
  f.Append("\nRSM 9\r\n");
  Outcome o = f.Next();
  ASSERT_TRUE(o.is_command());
  EXPECT_EQ(o.command.trid(), 9u);
  EXPECT_EQ(o.offset, 100000u + 6u);
}

TEST(WireFramer, PayloadWaitsThenEofIsWire10) {
  StreamFramer f;
  f.Append("RSV 1 voice 10\r\n12345");
  EXPECT_TRUE(f.Next().need_more());
  f.Append("6789");
  EXPECT_TRUE(f.Next().need_more());
  auto err = f.Finish();
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(std::string(err->clause), "WIRE-10");
  EXPECT_EQ(err->offset, 0u);
  StreamFramer g;
  g.Append("RSM 1\r\n");
  EXPECT_TRUE(g.Next().is_command());
  EXPECT_TRUE(g.Next().need_more());
  EXPECT_FALSE(g.Finish().has_value());
}

TEST(WireFramer, LoneCrIsReportedWithoutWaitingForTheLine) {
  StreamFramer f;
  f.Append("RSM 1 a\rb");
  Outcome o = f.Next();
  ASSERT_TRUE(o.is_error());
  EXPECT_EQ(std::string(o.error.clause), "WIRE-9");
  EXPECT_EQ(o.error.offset, 7u);
  EXPECT_TRUE(f.Next().need_more());
  f.Append("more\r\nRSM 2\r\n");
  o = f.Next();
  ASSERT_TRUE(o.is_command());
  EXPECT_EQ(o.offset, 15u);
}

}  // namespace
}  // namespace mcpsim::wire
