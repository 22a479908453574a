// Test helpers for the wire codec: outcome records that compare by value, and
// RapidCheck generators for commands, UTF-8 text and wire-like junk.
#pragma once

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "reference/wire/command.h"
#include "reference/wire/framer.h"
#include "reference/wire/parse.h"

namespace mcpsim::wire::testing {

// One parse outcome, owning (so it survives the framer's buffer).
struct Event {
  bool is_error = false;
  std::uint64_t offset = 0;  // command start (commands) or error offset (errors)
  Command command;
  std::string clause;
  bool operator==(const Event&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Event& e) {
  if (e.is_error) return os << "error " << e.clause << " @" << e.offset;
  os << "cmd " << e.command.word << " " << e.command.trid << " @" << e.offset << " params=" << e.command.params.size();
  if (e.command.payload) os << " payload=" << e.command.payload->size();
  return os;
}

inline Event FromOutcome(const Outcome& o) {
  Event e;
  if (o.is_error()) {
    e.is_error = true;
    e.offset = o.error.offset;
    e.clause = o.error.clause;
  } else {
    e.offset = o.offset;
    e.command = Command::FromView(o.command);
  }
  return e;
}

inline std::vector<Event> DatagramEvents(std::string_view buf, const Limits& limits) {
  std::vector<Event> out;
  DatagramParser p(buf, limits);
  Outcome o;
  while (p.Next(o)) out.push_back(FromOutcome(o));
  return out;
}

// Feeds `chunks` in order to one framer, draining after each; then Finish().
inline std::vector<Event> StreamEvents(const std::vector<std::string_view>& chunks, const Limits& limits) {
  std::vector<Event> out;
  StreamFramer f(limits);
  Outcome o;
  for (std::string_view c : chunks) {
    f.Append(c);
    for (f.Next(o); !o.need_more(); f.Next(o)) out.push_back(FromOutcome(o));
  }
  if (auto err = f.Finish()) {
    Event e;
    e.is_error = true;
    e.offset = err->offset;
    e.clause = err->clause;
    out.push_back(e);
  }
  return out;
}

inline void AppendUtf8(std::uint32_t cp, std::string& s) {
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Code points biased towards the bytes the codec treats specially.
inline rc::Gen<std::uint32_t> GenCodePoint() {
  return rc::gen::oneOf(rc::gen::element<std::uint32_t>('%', ' ', '\r', '\n', '\t', 0, 'a', '5'),
                        rc::gen::inRange<std::uint32_t>(0x20, 0x7F),
                        rc::gen::inRange<std::uint32_t>(0x80, 0x800),
                        rc::gen::inRange<std::uint32_t>(0x800, 0xD800),
                        rc::gen::inRange<std::uint32_t>(0xE000, 0x10000),
                        rc::gen::inRange<std::uint32_t>(0x10000, 0x110000));
}

// Valid UTF-8 text of 0..max_cps code points.
inline rc::Gen<std::string> GenUtf8Text(int max_cps) {
  return rc::gen::mapcat(rc::gen::inRange(0, max_cps + 1), [](int n) {
    return rc::gen::map(rc::gen::container<std::vector<std::uint32_t>>(static_cast<std::size_t>(n), GenCodePoint()),
                        [](const std::vector<std::uint32_t>& cps) {
                          std::string s;
                          for (std::uint32_t cp : cps) AppendUtf8(cp, s);
                          return s;
                        });
  });
}

// A command that serializes within default limits (<= max_params params of
// <= 20 code points each).
inline rc::Gen<Command> GenCommand(int max_params = 10) {
  return rc::gen::exec([max_params] {
    Command c;
    const bool payload_word = *rc::gen::inRange(0, 4) == 0;
    if (payload_word) {
      c.word = *rc::gen::element<std::string>("RBIN", "ROT", "RSV", "RRV");
    } else {
      const bool answer = *rc::gen::arbitrary<bool>();
      c.word = answer ? "A" : "R";
      const int len = *rc::gen::inRange(2, 8);
      for (int i = 0; i < len; ++i) c.word.push_back(*rc::gen::inRange('A', static_cast<char>('Z' + 1)));
      if (answer) c.status = *rc::gen::inRange<std::uint32_t>(0, 65536);
    }
    c.trid = *rc::gen::arbitrary<std::uint32_t>();
    const bool has_payload = IsPayloadWord(c.word);
    const int most = max_params - (has_payload && max_params > 0 ? 1 : 0);
    const int np = *rc::gen::inRange(0, most + 1);
    for (int i = 0; i < np; ++i) c.params.push_back(*GenUtf8Text(20));
    if (has_payload) c.payload = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
    return c;
  });
}

// Bytes that look like wire traffic: valid commands, fragments and junk.
inline rc::Gen<std::string> GenWireBytes() {
  auto piece = rc::gen::oneOf(
      rc::gen::map(GenCommand(6), [](const Command& c) {
        auto s = Serialize(c);
        return s.ok() ? *s : std::string("RSM 1\r\n");
      }),
      rc::gen::container<std::string>(
          rc::gen::element<char>(' ', '\r', '\n', '%', 'R', 'A', 'S', 'M', 'B', 'I', 'N', '0', '1', '9', 'f', '\xC3',
                                 '\xA9', '\xED', '\xF4')),
      rc::gen::element<std::string>("\r\n", "RBIN 1 3\r\n", "RSM 01 a\r\n", "ASM 2 0 %zz\r\n", "RSM 3 \xC3\r\n",
                                    "\r", "\n", "RROT 4 x\r\n"),
      rc::gen::container<std::string>(rc::gen::arbitrary<char>()));
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(piece), [](const std::vector<std::string>& ps) {
    std::string s;
    for (const auto& p : ps) s += p;
    return s;
  });
}

// Small limits that make LIM-1/2/4 reachable by short inputs.
inline Limits TinyLimits() {
  Limits l;
  l.max_line = 40;
  l.max_params = 4;
  l.max_payload = 16;
  l.max_datagram = 1 << 20;
  return l;
}

}  // namespace mcpsim::wire::testing
