// The request-serving front end shared by every MCP server role (RS, SG, CS,
// and DP's HTTP GET binding): decoding datagrams, stream bytes and HTTP
// bodies, duplicate suppression, the WIRE-22 error answers, anti-amplification
// and answer packing. Roles supply a CommandHandler with their semantics.
//
// Clauses implemented here: WIRE-16/17/19/21/22/23, UDP-1/2/6, TIMER-5/6,
// AMP-1/2/5, TCP-1/3, HTTP-3/4/5/10 (framing part).
#pragma once

#include "core/buggify.h"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "reference/roles/role.h"
#include "reference/status_codes.h"
#include "reference/transport/dedup.h"
#include "reference/wire/command.h"
#include "reference/wire/framer.h"
#include "reference/wire/parse.h"

namespace mcpsim::reference {

enum class Via : std::uint8_t { kUdp, kTcp, kHttp };

struct RequestContext {
  TimeUs now = 0;
  PeerKey peer;          // UDP endpoint, or stream connection (conn != 0)
  Via via = Via::kUdp;
  std::string session;   // HTTP `SessionID` header value ("" if absent)
};

// The answer to one request. Exactly one of Ok()/Fail() must be used.
class Reply {
 public:
  Reply(std::string_view request_word, std::uint32_t trid, const wire::Limits& limits);

  // Begins "A<word> <trid> 0"; append params to the returned writer.
  wire::LineWriter& Begin();
  // A success answer with exactly these (decoded) params.
  void Ok(std::initializer_list<std::string_view> params = {});
  // A failure answer: no params (WIRE-20).
  void Fail(StatusCode code);
  // The request is not answered (only RPAD-like cases; never for normal requests).
  void Silence() { silent_ = true; }

  // The finished answer bytes; a serialization failure becomes status 500.
  // Empty iff Silence() was called.
  std::string Finish();
  std::string_view answer_word() const { return aword_; }
  std::uint32_t trid() const { return trid_; }

 private:
  std::string aword_;
  std::uint32_t trid_;
  std::string out_;
  wire::LineWriter writer_;
  bool begun_ = false;
  bool silent_ = false;
};

class CommandHandler {
 public:
  virtual ~CommandHandler() = default;
  // Executes a request (word starts with 'R') and fills `reply`.
  virtual void HandleRequest(const RequestContext& ctx, const wire::CommandView& cmd,
                             Reply& reply) = 0;
  // An answer (word starts with 'A') to a server-initiated request; answers
  // that match nothing must be ignored (WIRE-23).
  virtual void HandleAnswer(const RequestContext& ctx, const wire::CommandView& cmd) {
    (void)ctx, (void)cmd;
  }
  // AMP: true once `peer` has proven it receives our datagrams. Unvalidated UDP
  // peers never get more bytes than they sent.
  virtual bool IsValidated(const PeerKey& peer) const {
    (void)peer;
    return false;
  }
  // HTTP-4/HTTP-8: server-initiated requests queued for an HTTP session,
  // appended after the answers of a POST response.
  virtual void AppendHttpPushes(TimeUs now, const std::string& session, std::string& body) {
    (void)now, (void)session, (void)body;
  }
};

struct ServerConfig {
  wire::Limits udp_limits = wire::Limits::Datagram();
  wire::Limits stream_limits = wire::Limits::Stream();
  DedupCache::Limits dedup;
  bool anti_amplification = true;      // AMP-1
  std::size_t max_http_body = 131072;  // LIM-21
  // TEST-ONLY fault injection: false makes the server execute every resend
  // again (violates TIMER-5). Exists so scenario checkers can be shown to
  // catch a broken reference; never false in a conforming configuration.
  bool dedup_enabled = true;
  // TEST-ONLY (mcpsim serve --mutant), never changed when conforming:
  // false keys the answer cache by (endpoint, trid) without the command word
  // (violates TIMER-5, TRID-5); a non-empty word is never cached, so its
  // resends are executed again (violates TIMER-5 for that word only).
  bool dedup_key_word = true;
  std::string dedup_skip_word;
  // Fault points (reference/fault_sites.h: server.udp.*); nullptr outside a
  // simulation that enables them (never set by `mcpsim serve`). Not owned.
  FaultPoints* faults = nullptr;
};

// Counters for traces and checkers.
struct ServerStats {
  std::uint64_t datagrams_in = 0;
  std::uint64_t requests_executed = 0;
  std::uint64_t duplicates_replayed = 0;
  std::uint64_t decode_errors = 0;
  std::uint64_t dropped_oversize = 0;
  std::uint64_t amp_limited = 0;
};

class CommandServer {
 public:
  CommandServer(CommandHandler& handler, ServerConfig config = {});

  // One UDP datagram from `from`; answers are appended to `out` as datagrams.
  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes,
                  std::vector<Output>& out);
  // Stream (TCP) bytes for connection `conn`.
  void OnStreamData(TimeUs now, std::uint64_t conn, const Endpoint& peer, std::string_view bytes,
                    std::vector<Output>& out);
  void OnStreamClosed(std::uint64_t conn);
  // A POST /mcp body (HTTP-3..5): returns the HTTP response.
  HttpResponse OnHttpBody(TimeUs now, const HttpRequest& req);
  // Executes one complete message (datagram or body) and returns the answer
  // bytes in order (one string per answer), without AMP or packing. Public for
  // DP's GET binding.
  std::vector<std::string> Execute(const RequestContext& ctx, std::string_view message,
                                   const wire::Limits& limits);

  // Group commit (Role::BeginBatch/EndBatch): the answers cached from
  // BeginBatch on are remembered, and forgotten by EndBatch(false).
  void BeginBatch() {
    batch_ = true;
    batch_keys_.clear();
  }
  void EndBatch(bool committed);

  void Expire(TimeUs now) { dedup_.Expire(now); }
  TimeUs NextDeadline() const { return dedup_.NextDeadline(); }
  const ServerStats& stats() const { return stats_; }

 private:
  std::string AnswerOne(const RequestContext& ctx, const wire::CommandView& cmd, bool cacheable,
                        const wire::Limits& limits);

  CommandHandler& handler_;
  ServerConfig config_;
  DedupCache dedup_;
  bool batch_ = false;
  std::vector<std::tuple<PeerKey, std::uint32_t, std::string>> batch_keys_;
  std::map<std::uint64_t, wire::StreamFramer> framers_;
  ServerStats stats_;
};

// WIRE-22: the answer to a command that failed to decode, if its word (a
// request word) and trid can be read from the start of `line`; "" otherwise.
std::string ErrorAnswer(std::string_view line, const char* clause);

// Appendix A: request words defined only in the server->client direction. A
// server receiving one answers 310 (WIRE-21).
bool IsServerOnlyWord(std::string_view word);

// The dedup key of an HTTP client: its SessionID (TIMER-5 "sender endpoint").
PeerKey HttpSessionPeer(std::string_view session);

// Packs `answers` (each a complete command) into datagrams of at most
// `max_datagram` bytes, in order, appending kDatagram outputs to `to`.
// `one_each`: every command in its own datagram (UDP-7: packing is a MAY).
void PackDatagrams(const std::vector<std::string>& answers, const Endpoint& to,
                   std::size_t max_datagram, std::vector<Output>& out, bool one_each = false);

}  // namespace mcpsim::reference
