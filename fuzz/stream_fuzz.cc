// libFuzzer target: the stream path of the CommandServer (framer + deferred
// requests + backlog bound, WIRE-24, TCP-3, TCP-9). The input is split into
// stream segments; requests whose word is RSLOW wait for work that completes
// when the input says so. Checks (trap on failure):
//  1. answers leave in request order, one per request, with the request's
//     trid — compared with an independent StreamFramer over the same bytes —
//     until the server closes the connection (decode error or backlog);
//  2. after a close nothing more is sent, and nothing stays parked.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "reference/transport/server.h"
#include "reference/wire/framer.h"

namespace {

using namespace mcpsim;
using namespace mcpsim::reference;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

class Handler : public CommandHandler {
 public:
  void HandleRequest(const RequestContext&, const wire::CommandView& cmd, Reply& reply) override {
    if (cmd.word() == "RSLOW") {
      if (!reply.can_defer()) return reply.Fail(reply.busy_status());
      Work w;
      w.kind = Work::Kind::kVerifyPassword;
      return reply.Defer(w);
    }
    reply.Ok();
  }
  void ResumeRequest(const RequestContext&, const wire::CommandView&, const WorkResult&, Reply& reply) override {
    reply.Ok();
  }
  bool IsValidated(const PeerKey&) const override { return true; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Handler h;
  ServerConfig cfg;
  cfg.max_stream_backlog = 512;
  CommandServer s(h, cfg);
  const Endpoint peer = Endpoint::V4(0x0A000002, 4000);
  std::string sent;       // bytes given to the server
  std::string answered;   // bytes it sent back
  std::vector<std::uint64_t> work;
  bool closed = false;
  std::vector<Output> out;
  auto drain = [&] {
    for (const Output& o : out) {
      if (o.kind == Output::Kind::kWork) work.push_back(o.conn);
      if (o.kind == Output::Kind::kStream) {
        Check(!closed);
        answered += o.bytes;
      }
      if (o.kind == Output::Kind::kCloseStream) closed = true;
    }
    out.clear();
  };
  std::size_t i = 0;
  while (i < size && !closed) {
    const std::uint8_t op = data[i++];
    if (op < 200) {  // a segment of op % 64 bytes
      const std::size_t n = std::min<std::size_t>(op % 64, size - i);
      const std::string seg(reinterpret_cast<const char*>(data + i), n);
      i += n;
      sent += seg;
      s.OnStreamData(0, 1, peer, seg, out);
    } else if (!work.empty()) {  // the oldest (or newest) work completes
      const std::uint64_t id = (op & 1) ? work.back() : work.front();
      work.erase((op & 1) ? work.end() - 1 : work.begin());
      Check(s.OnWorkDone(0, id, WorkResult{}, out));
    }
    drain();
  }
  while (!closed && !work.empty()) {
    const std::uint64_t id = work.front();
    work.erase(work.begin());
    s.OnWorkDone(0, id, WorkResult{}, out);
    drain();
  }
  if (closed) {
    s.OnStreamClosed(1);
    Check(s.parked() == 0);
  }
  Check(s.parked() == 0 || !work.empty());
  // The answers are, in order, one per request of the independent framing.
  wire::StreamFramer ref(wire::Limits::Stream());
  ref.Append(sent);
  wire::StreamFramer got(wire::Limits::Stream());
  got.Append(answered);
  for (;;) {
    wire::Outcome a = got.Next();
    if (a.need_more()) break;
    Check(a.is_command() && a.command.is_answer());
    wire::Outcome q;
    do {
      q = ref.Next();
    } while (q.is_command() && (q.command.is_answer() || q.command.word() == "RPAD"));
    Check(!q.need_more());
    const std::string aword = std::string(a.command.word()).substr(1);
    if (q.is_command()) {
      Check(a.command.trid() == q.command.trid());
      Check(aword == std::string(q.command.word()).substr(1));
    } else {
      Check(closed);  // WIRE-22 answer to the command that broke framing, then TCP-3
    }
  }
  return 0;
}
