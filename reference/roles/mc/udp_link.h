// The client side of MCP over UDP to one server endpoint (PROTOCOL.md TRID-*,
// TIMER-1..8, UDP-*, AMP-3): trid allocation, outstanding requests matched by
// (trid, A-word), resends with backoff and a "gave up" outcome, several
// commands per datagram, answers in any order, 405 padding, and duplicate
// suppression of server-initiated requests (answered from a cache).
//
// Stream mode (MCP over TCP, §6.6; UdpLink::Stream): the same bookkeeping on
// one connection the link opens itself (Output::kConnect on the first Drain,
// id `conn`): commands are written as stream bytes, the input is framed
// (TCP-1, any split), nothing is resent (the stream is reliable: a request
// still gives up after RetryPolicy::GiveUpAfter()), no padding (AMP is UDP
// only), and a decode error closes the connection (TCP-3).
#pragma once

#include "core/buggify.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/roles/role.h"
#include "reference/transport/answer_cache.h"
#include "reference/transport/retry.h"
#include "reference/transport/server.h"
#include "reference/wire/command.h"
#include "reference/wire/framer.h"

namespace mcpsim::reference {

// Receives what a link learns. Callbacks run inside OnDatagram/OnTimer.
class LinkHandler {
 public:
  virtual ~LinkHandler() = default;
  // The answer to the request tagged `tag` (exactly once per request, unless
  // it gave up first).
  virtual void OnAnswer(TimeUs now, std::uint64_t tag, const wire::CommandView& answer) = 0;
  // The request tagged `tag` exhausted its resends (TIMER-3).
  virtual void OnGaveUp(TimeUs now, std::uint64_t tag) = 0;
  // A server-initiated request (executed once; resends are answered from the
  // cache). Requests the handler sends from inside go out after this answer.
  virtual void OnServerRequest(TimeUs now, const wire::CommandView& req, Reply& reply) {
    (void)now, (void)req;
    reply.Fail(StatusCode::kUnknownCommand);
  }
};

struct LinkStats {
  std::uint64_t requests = 0, resends = 0, answered = 0, gave_up = 0;
  std::uint64_t late_answers = 0;   // answers matching nothing outstanding (TRID-6)
  std::uint64_t padded = 0;         // AMP-3 padded resends
  std::uint64_t server_requests = 0, server_duplicates = 0;
  std::uint64_t decode_errors = 0;
};

class UdpLink {
 public:
  // `first_trid` comes from the client's random source (TRID-4).
  // `faults`: the fault points mc.udp.* (reference/fault_sites.h); nullptr
  // outside a simulation that enables them. Not owned.
  UdpLink(Endpoint server, std::uint32_t first_trid, RetryPolicy policy = {},
          FaultPoints* faults = nullptr);
  // A link in stream mode on a connection it opens to `server` (no fault
  // points: they model datagram effects).
  static UdpLink Stream(Endpoint server, std::uint64_t conn, std::uint32_t first_trid, RetryPolicy policy = {});
  bool stream() const { return stream_; }
  std::uint64_t conn() const { return conn_; }
  // Stream mode: the link closed the connection after a decode error (TCP-3).
  bool broken() const { return broken_; }

  const Endpoint& server() const { return server_; }

  // Sends a request: `params` adds the params (and payload) to a LineWriter that
  // has begun `word trid`. `pad_to` > 0 pads the datagram with RPAD to at
  // least that many bytes (AMP-4). Returns the trid, or an error if the
  // command could not be serialized (nothing is sent then).
  Result<std::uint32_t> Send(TimeUs now, std::string_view word,
                             const std::function<void(wire::LineWriter&)>& params,
                             std::uint64_t tag, std::size_t pad_to = 0);

  // A datagram (UDP) or the next stream bytes (stream mode).
  void OnDatagram(TimeUs now, std::string_view bytes, LinkHandler& handler);
  void OnTimer(TimeUs now, LinkHandler& handler);
  TimeUs NextDeadline() const;
  // Moves the datagrams to send (answers and requests packed per LIM-3).
  void Drain(std::vector<Output>& out);

  // Cancels an outstanding request (no answer or give-up will be reported).
  bool Cancel(std::uint32_t trid, std::string_view word) { return tracker_.Cancel(trid, word); }
  // The cached answers to server-initiated requests (TIMER-8), moved out so
  // that the next session on the same server keeps them for their TTL: a
  // delayed duplicate of the previous session's push is then answered from
  // the cache, not executed again (SG-LOGIN-13, G-80). Leaves this link's
  // cache empty.
  AnswerCache TakeServerAnswers() { return std::exchange(seen_, AnswerCache()); }
  void AdoptServerAnswers(AnswerCache answers) { seen_ = std::move(answers); }

  std::size_t outstanding() const { return tracker_.outstanding(); }
  // When the link last queued anything to send (request, resend or answer);
  // kNever before the first send. For keep-alives (TIMER-11).
  TimeUs last_send() const { return last_send_; }
  const LinkStats& stats() const { return stats_; }

 private:
  void Queue(TimeUs now, std::string bytes);
  void Handle(TimeUs now, const wire::CommandView& cmd, LinkHandler& handler);
  static std::string Padding(std::size_t from, std::size_t to, std::uint32_t trid);

  Endpoint server_;
  FaultPoints* faults_ = nullptr;
  TridAllocator trids_;
  RequestTracker tracker_;
  AnswerCache seen_;  // server-initiated requests already answered (TIMER-8)
  std::vector<std::string> pending_;  // commands to pack into datagrams
  std::vector<std::string> deferred_;  // queued inside OnServerRequest
  bool in_server_request_ = false;
  LinkStats stats_;
  TimeUs last_send_ = kNever;
  // Stream mode.
  bool stream_ = false;
  std::uint64_t conn_ = 0;
  bool connect_sent_ = false;
  bool broken_ = false;
  bool close_sent_ = false;
  std::unique_ptr<wire::StreamFramer> framer_;
};

}  // namespace mcpsim::reference
