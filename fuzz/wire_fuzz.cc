// libFuzzer target for the wire codec. The first input byte picks the limits
// and the split pattern; the rest is the wire bytes. Checks (trap on failure):
//  1. ParseDatagram: every outcome is a command or a typed error whose offset
//     lies within the input (LIM-1 may point one past its end);
//  2. every parsed command re-serializes, and the bytes parse back to the same
//     command (round trip);
//  3. the stream framer yields the same outcomes for the whole input and for
//     the input split into pieces, and (plus Finish) the same as the datagram.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/wire/command.h"
#include "reference/wire/framer.h"
#include "reference/wire/parse.h"

namespace {

using mcpsim::wire::Command;
using mcpsim::wire::Limits;
using mcpsim::wire::Outcome;

struct Event {
  bool error = false;
  std::uint64_t offset = 0;
  std::string clause;
  Command command;
  bool operator==(const Event&) const = default;
};

Event FromOutcome(const Outcome& o) {
  Event e;
  e.error = o.is_error();
  if (e.error) {
    e.offset = o.error.offset;
    e.clause = o.error.clause;
  } else {
    e.offset = o.offset;
    e.command = Command::FromView(o.command);
  }
  return e;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

std::vector<Event> StreamRun(std::string_view in, const Limits& limits, std::uint32_t split_seed) {
  std::vector<Event> out;
  mcpsim::wire::StreamFramer f(limits);
  Outcome o;
  std::size_t pos = 0;
  std::uint32_t x = split_seed | 1;
  while (pos < in.size()) {
    std::size_t n = in.size() - pos;
    if (split_seed != 0) {  // xorshift32 piece sizes 0..15
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      n = std::min<std::size_t>(n, x % 16);
    }
    f.Append(in.substr(pos, n));
    pos += n;
    for (f.Next(o); !o.need_more(); f.Next(o)) out.push_back(FromOutcome(o));
  }
  if (auto err = f.Finish()) {
    Event e;
    e.error = true;
    e.offset = err->offset;
    e.clause = err->clause;
    out.push_back(e);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t cfg = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  Limits limits = Limits::Stream();
  if (cfg & 1) {  // tiny limits make LIM-1/2/4 reachable
    limits.max_line = 24 + (cfg >> 4);
    limits.max_params = 1 + ((cfg >> 1) & 3);
    limits.max_payload = 8;
  }
  limits.max_datagram = in.size() ? in.size() : 1;

  // 1 + 2: datagram outcomes and the round trip of each command.
  std::vector<Event> datagram;
  mcpsim::wire::DatagramParser p(in, limits);
  Outcome o;
  std::string wire;
  while (p.Next(o)) {
    datagram.push_back(FromOutcome(o));
    const Event& e = datagram.back();
    if (e.error) {
      Check(e.offset < in.size() || (e.offset == in.size() && (in.empty() || e.clause == "LIM-1")));
      continue;
    }
    Check(o.offset < in.size());
    wire.clear();
    Check(mcpsim::wire::AppendCommand(e.command, wire, limits).ok());
    Outcome again = mcpsim::wire::ParseOne(wire, limits, true);
    Check(again.is_command() && again.consumed == wire.size());
    Check(Command::FromView(again.command) == e.command);
  }
  if (in.empty()) return 0;

  // 3: split invariance and stream/datagram agreement.
  const std::vector<Event> whole = StreamRun(in, limits, 0);
  Check(whole == datagram);
  Check(StreamRun(in, limits, 0x9E3779B9u ^ (cfg * 2654435761u)) == whole);
  Check(StreamRun(in, limits, 1) == whole);
  return 0;
}
