// RapidCheck properties of the wire codec: round trips, escape/unescape
// inverse, robustness on arbitrary bytes, and split invariance of the framer.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "reference/wire/command.h"
#include "reference/wire/framer.h"
#include "reference/wire/parse.h"
#include "tests/wire/wire_test_util.h"

namespace mcpsim::wire {
namespace {

using testing::DatagramEvents;
using testing::Event;
using testing::GenCommand;
using testing::GenUtf8Text;
using testing::GenWireBytes;
using testing::StreamEvents;
using testing::TinyLimits;

RC_GTEST_PROP(WireProps, SerializeThenParseIsIdentity, ()) {
  const Command c = *GenCommand();
  auto wire = Serialize(c, Limits::Datagram());
  RC_ASSERT(wire.ok());
  auto ev = DatagramEvents(*wire, Limits::Datagram());
  RC_ASSERT(ev.size() == 1u);
  RC_ASSERT(!ev[0].is_error);
  RC_ASSERT(ev[0].command == c);
  // The stream framer agrees, with the command split anywhere.
  const auto cut = *rc::gen::inRange<std::size_t>(0, wire->size() + 1);
  std::string_view w(*wire);
  auto st = StreamEvents({w.substr(0, cut), w.substr(cut)}, Limits::Datagram());
  RC_ASSERT(st == ev);
}

RC_GTEST_PROP(WireProps, ManyParamsRoundTrip, ()) {
  Command c = *GenCommand(0);
  const int room = IsPayloadWord(c.word) ? 31 : 32;
  const int n = *rc::gen::inRange(room - 2, room + 1);
  for (int i = 0; i < n; ++i) c.params.push_back(*GenUtf8Text(3));
  auto wire = Serialize(c, Limits::Datagram());
  RC_ASSERT(wire.ok());
  auto ev = DatagramEvents(*wire, Limits::Datagram());
  RC_ASSERT(ev.size() == 1u && !ev[0].is_error && ev[0].command == c);
  while (static_cast<int>(c.params.size()) <= room) c.params.push_back("extra");
  auto over = Serialize(c, Limits::Datagram());
  RC_ASSERT(!over.ok() && over.status().clause() == "LIM-2");
}

RC_GTEST_PROP(WireProps, EscapeUnescapeInverse, ()) {
  const std::string text = *GenUtf8Text(40);
  const std::string esc = Escape(text);
  RC_ASSERT(esc.find_first_of(" \r\n") == std::string::npos);
  auto back = Unescape(esc);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == text);
  // Arbitrary bytes: the unchecked decoder still inverts Escape.
  const std::string bytes = *rc::gen::arbitrary<std::string>();
  std::string out;
  AppendUnescapedUnchecked(Escape(bytes), out);
  RC_ASSERT(out == bytes);
  RC_ASSERT(Unescape(Escape(bytes)).ok() == ValidUtf8(bytes));
}

// Checks one datagram's outcomes: offsets in range, progress, and every parsed
// command re-serializes to bytes that parse back to the same command.
void CheckArbitraryDatagram(const std::string& buf, const Limits& limits) {
  auto ev = DatagramEvents(buf, limits);
  RC_ASSERT(!ev.empty());
  std::uint64_t last = 0;
  for (const Event& e : ev) {
    // Within the buffer; only LIM-1 may point just past it (the first byte
    // beyond max_line when the datagram ends exactly there).
    RC_ASSERT(e.offset <= buf.size());
    if (e.offset == buf.size() && !buf.empty()) RC_ASSERT(e.clause == "LIM-1");
    if (!e.is_error) {
      RC_ASSERT(e.offset >= last);
      last = e.offset;
      auto again = Serialize(e.command, limits);
      RC_ASSERT(again.ok());
      auto ev2 = DatagramEvents(*again, limits);
      RC_ASSERT(ev2.size() == 1u && !ev2[0].is_error && ev2[0].command == e.command);
    } else {
      RC_ASSERT(!e.clause.empty());
    }
  }
}

RC_GTEST_PROP(WireProps, ArbitraryBytesParseOrYieldTypedErrors, ()) {
  const std::string buf = *rc::gen::arbitrary<std::string>();
  CheckArbitraryDatagram(buf, Limits::Datagram());
  const std::string wireish = *GenWireBytes();
  Limits big = Limits::Stream();
  big.max_datagram = 1 << 20;
  CheckArbitraryDatagram(wireish, big);
  CheckArbitraryDatagram(wireish, TinyLimits());
}

// Stream outcomes for every split point equal the whole-input outcomes; and the
// whole stream plus Finish() equals the same bytes parsed as one datagram.
void CheckSplits(const std::string& s, const Limits& limits) {
  const auto whole = StreamEvents({s}, limits);
  std::string_view v(s);
  for (std::size_t i = 0; i <= s.size(); ++i) {
    RC_ASSERT(StreamEvents({v.substr(0, i), v.substr(i)}, limits) == whole);
  }
  // Random multi-splits.
  const auto cuts = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, s.size() + 1));
  std::vector<std::size_t> sorted = cuts;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string_view> chunks;
  std::size_t prev = 0;
  for (std::size_t c : sorted) {
    chunks.push_back(v.substr(prev, c - prev));
    prev = c;
  }
  chunks.push_back(v.substr(prev));
  RC_ASSERT(StreamEvents(chunks, limits) == whole);
  if (!s.empty()) {
    Limits dl = limits;
    dl.max_datagram = s.size();
    RC_ASSERT(DatagramEvents(s, dl) == whole);
  }
}

RC_GTEST_PROP(WireProps, EverySplitPointGivesTheSameOutcomes, ()) {
  const std::string s = *GenWireBytes();
  RC_PRE(s.size() <= 600u);
  CheckSplits(s, Limits::Stream());
  CheckSplits(s, TinyLimits());
}

}  // namespace
}  // namespace mcpsim::wire
