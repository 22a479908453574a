// The request-serving front end shared by every MCP server role (RS, SG, CS,
// and DP's HTTP GET binding): decoding datagrams, stream bytes and HTTP
// bodies, duplicate suppression, the WIRE-22 error answers, anti-amplification
// and answer packing. Roles supply a CommandHandler with their semantics.
//
// Clauses implemented here: WIRE-16/17/19/21/22/23, UDP-1/2/6, TIMER-5/6/7,
// AMP-1/2/5/6, TCP-1/3/9, HTTP-3/4/5/7/10 (framing part), LIM-23.
//
// Deferred requests: a handler whose answer needs slow work (a password hash)
// calls Reply::Defer(work) instead of answering. The server then parks the
// request together with the rest of its message — the datagram's or body's
// later commands, or the stream's later bytes — emits Output::kWork, and
// resumes in OnWorkDone with CommandHandler::ResumeRequest: the commands of a
// message still execute in order (WIRE-17) and its answers still leave
// together (AMP-1 budget of the whole datagram, one HTTP response), while
// every other peer is served meanwhile. A resend of a parked request is
// dropped unanswered (TIMER-7). At most ServerConfig::max_parked requests
// wait at once; a request that would wait beyond that is answered 502 (LIM-23).
#pragma once

#include "core/buggify.h"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "reference/io/output.h"
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
  Endpoint source;       // the transport peer (UDP source, TCP/HTTP client address)
  // HTTP-7: a handler that creates an RS session or an SG token during this
  // body sets it; the response carries it as the `SessionID` header and
  // later commands of the same body see it (mutable: per-message scratch).
  mutable std::string issued_session;
  // TEST-1: a captcha text RS discloses in the response's X-MCP-Test-Captcha
  // header (test mode only; same per-message scratch as issued_session).
  mutable std::string test_captcha;
  // The session a command of this HTTP body belongs to: the header's, else
  // the one issued earlier in the body.
  const std::string& http_session() const { return session.empty() ? issued_session : session; }
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
  // The answer needs `work` done first (CommandServer header comment): no
  // Ok/Fail now; CommandHandler::ResumeRequest gets the result later.
  void Defer(Work work) { work_ = std::make_shared<const Work>(std::move(work)); }
  bool deferred() const { return work_ != nullptr; }
  // False when a Defer would not be honoured (the parked-request bound is
  // reached, LIM-23, the source address has its share waiting, RATE-10, or
  // the caller executes synchronously): a handler checks it before side
  // effects and answers busy_status() itself.
  bool can_defer() const { return can_defer_; }
  // 403 when the source address's share is used up (RATE-10), else 502.
  StatusCode busy_status() const { return busy_; }
  void set_can_defer(bool v, StatusCode busy = StatusCode::kUnavailable) {
    can_defer_ = v;
    busy_ = busy;
  }
  std::shared_ptr<const Work> TakeWork() { return std::move(work_); }
  // The handler is about to change the store. Inside a group-commit batch
  // only such executions are undone by a failed commit (their answers are
  // forgotten, CommandServer::EndBatch); call it before the first mutating
  // Store call, whatever that call returns.
  void MarkWrite() { wrote_ = true; }
  bool wrote() const { return wrote_; }

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
  std::shared_ptr<const Work> work_;
  bool can_defer_ = false;
  bool wrote_ = false;
  StatusCode busy_ = StatusCode::kUnavailable;
};

class CommandHandler {
 public:
  virtual ~CommandHandler() = default;
  // Executes a request (word starts with 'R') and fills `reply`.
  virtual void HandleRequest(const RequestContext& ctx, const wire::CommandView& cmd,
                             Reply& reply) = 0;
  // A request that called reply.Defer(work) continues here with the work's
  // result, in a later input (the world may have changed meanwhile: re-check
  // what matters); fills `reply` like HandleRequest (and may Defer again).
  virtual void ResumeRequest(const RequestContext& ctx, const wire::CommandView& cmd,
                             const WorkResult& result, Reply& reply) {
    (void)ctx, (void)cmd, (void)result;
    reply.Fail(StatusCode::kInternal);
  }
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
  std::size_t max_parked = 256;        // LIM-23: requests waiting for work (else 502)
  std::size_t max_parked_per_address = 4;  // RATE-10: of them from one source address (else 403)
  std::size_t max_stream_backlog = 262144;  // TCP-9: unprocessed bytes behind a parked request
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
  // TEST-ONLY (mcpsim serve --mutant), never changed when conforming: false
  // judges AMP-1 validation when the answers are sent instead of when the
  // datagram arrived (violates AMP-6); true keys the per-address limits by
  // address and port (violates RATE-2; read by the roles' rate limits).
  bool amp_judged_on_arrival = true;
  bool test_rate_key_port = false;
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
  std::uint64_t deferred = 0;          // requests parked for work
  std::uint64_t parked_full = 0;       // answered 502/403: too many parked (LIM-23, RATE-10)
  std::uint64_t inflight_dropped = 0;  // resends of a parked request (TIMER-7)
  std::uint64_t backlog_closed = 0;    // streams closed for their backlog (TCP-9)
};

class CommandServer {
 public:
  CommandServer(CommandHandler& handler, ServerConfig config = {});

  // One UDP datagram from `from`; answers are appended to `out` as datagrams
  // (now, or when the work of a parked request completes).
  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes,
                  std::vector<Output>& out);
  // Stream (TCP) bytes for connection `conn`. While a request of `conn` is
  // parked, later bytes are only buffered (bounded: TCP-9).
  void OnStreamData(TimeUs now, std::uint64_t conn, const Endpoint& peer, std::string_view bytes,
                    std::vector<Output>& out);
  // Forgets the connection, its framer and any request of it still parked.
  void OnStreamClosed(std::uint64_t conn);
  // A POST /mcp body (HTTP-3..5, HTTP-7): appends the Output::kHttpResponse
  // answering `exchange` to `out`, now or when its parked request resumes.
  void OnHttpBody(TimeUs now, std::uint64_t exchange, const HttpRequest& req,
                  std::vector<Output>& out);
  // The work of an Output::kWork this server emitted is done: resumes its
  // parked request and the rest of its message. False if `id` is unknown
  // (not ours, or the request was dropped: connection closed, failed batch).
  bool OnWorkDone(TimeUs now, std::uint64_t id, const WorkResult& result,
                  std::vector<Output>& out);
  // Executes one complete message (datagram or body) and returns the answer
  // bytes in order (one string per answer), without AMP or packing. Public for
  // DP's GET binding. REQUIRES: no handler defers (a Defer is answered 500).
  std::vector<std::string> Execute(const RequestContext& ctx, std::string_view message,
                                   const wire::Limits& limits);

  // Group commit (Role::BeginBatch/EndBatch): the answers cached from
  // BeginBatch on by executions that wrote (Reply::MarkWrite) are
  // remembered, and forgotten by EndBatch(false), which also drops the
  // requests parked during the batch (their kWork outputs are discarded by
  // the host, Role::EndBatch). Such an execution did not happen (its writes
  // and its answer are gone, so a resend executes it again): EndBatch(false)
  // takes it out of requests_executed. An execution that wrote nothing did
  // happen (its pushes and session changes stand): its cached answer stays,
  // and a resend replays it instead of repeating its effects (G-79).
  void BeginBatch() {
    batch_ = true;
    batch_keys_.clear();
    batch_executed_ = 0;
  }
  void EndBatch(bool committed);

  void Expire(TimeUs now) { dedup_.Expire(now); }
  TimeUs NextDeadline() const { return dedup_.NextDeadline(); }
  const ServerStats& stats() const { return stats_; }
  // Requests waiting for work now.
  std::size_t parked() const { return jobs_.size(); }

 private:
  // One message being executed: a datagram, an HTTP body, one stream command,
  // or a synchronous Execute. Parked jobs own a copy of their bytes.
  enum class Origin : std::uint8_t { kSync, kDatagram, kStream, kHttp };
  struct Job {
    Origin origin = Origin::kSync;
    RequestContext ctx;
    wire::Limits limits;
    bool cacheable = false;
    std::string_view message;            // the bytes being executed
    std::unique_ptr<std::string> owned;  // their copy once parked (stable address)
    std::vector<wire::Outcome> parsed;   // views into the message
    std::size_t next = 0;                // the next command to execute
    std::vector<std::string> answers;
    // kDatagram
    std::size_t arrival_bytes = 0;
    bool validated_at_arrival = false;
    bool in_batch = false;
    // kHttp
    std::uint64_t exchange = 0;
    // the parked request's dedup key (TIMER-7) and source address (RATE-10)
    std::uint32_t trid = 0;
    std::string word;
    std::string address;
  };
  using Key = std::tuple<PeerKey, std::uint32_t, std::string>;

  // Decodes the whole message into job.parsed (WIRE-16); false on a decode
  // error, with the WIRE-22 answer (if any) in job.answers.
  bool Decode(Job& job, std::string_view message);
  // Answers one request; sets `work` instead if the handler deferred.
  std::string AnswerOne(const RequestContext& ctx, const wire::CommandView& cmd, bool cacheable,
                        const wire::Limits& limits, std::shared_ptr<const Work>* work,
                        const WorkResult* resumed);
  // Runs `job` from job.next; true when it finished (then Complete it), false
  // when it parked (then it was moved into jobs_ and `job` is empty).
  bool Run(Job& job, std::vector<Output>& out, const WorkResult* resumed = nullptr);
  void Complete(Job& job, std::vector<Output>& out);
  // Executes the stream's buffered commands until one parks or none is left.
  void PumpStream(TimeUs now, std::uint64_t conn, std::vector<Output>& out);
  void DropJob(std::map<std::uint64_t, Job>::iterator it);
  void Unpark(const Job& job);

  struct Stream {
    wire::StreamFramer framer;
    Endpoint peer;
    bool parked = false;  // a command of this stream waits for work
    explicit Stream(const wire::Limits& l) : framer(l) {}
  };

  CommandHandler& handler_;
  ServerConfig config_;
  DedupCache dedup_;
  bool batch_ = false;
  std::vector<Key> batch_keys_;
  std::uint64_t batch_executed_ = 0;  // requests executed since BeginBatch
  std::map<std::uint64_t, Stream> streams_;
  std::map<std::uint64_t, Job> jobs_;  // parked, by work id
  std::set<Key> in_flight_;            // keys of parked cacheable requests
  std::map<std::string, std::size_t> parked_by_address_;  // RATE-10
  std::uint64_t next_work_ = 1;
  ServerStats stats_;
  // A finished datagram job's vectors, reused by the next datagram (the
  // answer path allocates nothing for them per datagram).
  std::vector<wire::Outcome> spare_parsed_;
  std::vector<std::string> spare_answers_;
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
