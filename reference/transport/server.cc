#include "reference/transport/server.h"

#include <algorithm>
#include <cstring>

#include "core/hash.h"
#include "reference/wire/words.h"
#include "reference/transport/ratelimit.h"

namespace mcpsim::reference {

Reply::Reply(std::string_view request_word, std::uint32_t trid, const wire::Limits& limits)
    : aword_(request_word), trid_(trid), writer_(out_, limits) {
  if (!aword_.empty()) aword_[0] = 'A';
}

wire::LineWriter& Reply::Begin() {
  begun_ = true;
  writer_.Begin(aword_, trid_, 0u);
  return writer_;
}

void Reply::Ok(std::initializer_list<std::string_view> params) {
  Begin();
  for (std::string_view p : params) writer_.Param(p);
}

void Reply::Fail(StatusCode code) {
  begun_ = true;
  writer_.Begin(aword_, trid_, Code(code));
}

std::string Reply::Finish() {
  if (silent_) return {};
  if (!begun_) Fail(StatusCode::kInternal);  // a handler that forgot to answer
  if (!writer_.Finish().ok()) {
    out_.clear();
    writer_.Begin(aword_, trid_, Code(StatusCode::kInternal));
    (void)writer_.Finish();
  }
  return std::move(out_);
}

std::string ErrorAnswer(std::string_view line, const char* clause) {
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return {};
  const std::string_view word = line.substr(0, sp1);
  if (!wire::IsValidWord(word) || word[0] != 'R') return {};
  std::string_view rest = line.substr(sp1 + 1);
  // WIRE-22: the trid counts as decoded only when a SP, CR or LF ends it; a
  // trid cut by the end of the datagram/body may have lost digits.
  const auto end = rest.find_first_of(" \r\n");
  if (end == std::string_view::npos) return {};
  const auto trid = wire::ParseTrid(rest.substr(0, end));
  if (!trid) return {};
  StatusCode code = StatusCode::kMalformed;
  if (!std::strcmp(clause, "LIM-1") || !std::strcmp(clause, "LIM-2")) code = StatusCode::kLineTooLong;
  if (!std::strcmp(clause, "PAY-2") || !std::strcmp(clause, "LIM-4")) code = StatusCode::kBadPayload;
  std::string out;
  wire::LineWriter w(out);
  std::string aword(word);
  aword[0] = 'A';
  w.Begin(aword, *trid, Code(code));
  return w.Finish().ok() ? out : std::string();
}

void PackDatagrams(const std::vector<std::string>& answers, const Endpoint& to,
                   std::size_t max_datagram, std::vector<Output>& out, bool one_each) {
  Output cur;
  cur.kind = Output::Kind::kDatagram;
  cur.to = to;
  for (const std::string& a : answers) {
    if (a.empty()) continue;
    if (!cur.bytes.empty() && (one_each || cur.bytes.size() + a.size() > max_datagram)) {
      out.push_back(cur);
      cur.bytes.clear();
    }
    cur.bytes += a;
  }
  if (!cur.bytes.empty()) out.push_back(std::move(cur));
}

bool IsServerOnlyWord(std::string_view w) {
  return wire::IsServerToClientOnly(w);  // Appendix A's S→C rows (words.h)
}

PeerKey HttpSessionPeer(std::string_view session) {
  PeerKey k;
  k.conn = ~std::uint64_t{0};  // marks HTTP-session keys apart from TCP connections
  const std::uint64_t h1 = Fnv1a(session), h2 = Fnv1a(session, h1 ^ 0x9e3779b97f4a7c15ULL);
  for (int i = 0; i < 8; ++i) {
    k.endpoint.addr[i] = static_cast<std::uint8_t>(h1 >> (8 * i));
    k.endpoint.addr[8 + i] = static_cast<std::uint8_t>(h2 >> (8 * i));
  }
  k.endpoint.v6 = true;
  return k;
}

CommandServer::CommandServer(CommandHandler& handler, ServerConfig config)
    : handler_(handler), config_(config), dedup_(config.dedup) {}

std::string CommandServer::AnswerOne(const RequestContext& ctx, const wire::CommandView& cmd,
                                     bool cacheable, const wire::Limits& limits,
                                     std::shared_ptr<const Work>* work, const WorkResult* resumed) {
  cacheable = cacheable && config_.dedup_enabled &&
              (config_.dedup_skip_word.empty() || cmd.word() != config_.dedup_skip_word);
  const std::string_view key_word = config_.dedup_key_word ? cmd.word() : std::string_view();
  if (cacheable && !resumed) {
    if (const auto cached = dedup_.Find(ctx.now, ctx.peer, cmd.trid(), key_word)) {
      ++stats_.duplicates_replayed;
      return std::string(*cached);  // TIMER-5: byte-for-byte, never executed again
    }
    if (!in_flight_.empty() && in_flight_.count(Key{ctx.peer, cmd.trid(), std::string(cmd.word())})) {
      ++stats_.inflight_dropped;
      return {};  // TIMER-7: a duplicate of a request still being executed
    }
  }
  Reply reply(cmd.word(), cmd.trid(), limits);
  if (work != nullptr) {
    auto mine = parked_by_address_.find(AddressKey(ctx.source));
    const std::size_t from_here = mine == parked_by_address_.end() ? 0 : mine->second;
    if (jobs_.size() >= config_.max_parked) {
      reply.set_can_defer(false, StatusCode::kUnavailable);  // LIM-23
    } else if (config_.max_parked_per_address && from_here >= config_.max_parked_per_address) {
      reply.set_can_defer(false, StatusCode::kRateLimited);  // RATE-10
    } else {
      reply.set_can_defer(true);
    }
  }
  if (resumed) {
    handler_.ResumeRequest(ctx, cmd, *resumed, reply);
  } else {
    handler_.HandleRequest(ctx, cmd, reply);
  }
  if (reply.deferred()) {
    std::shared_ptr<const Work> w = reply.TakeWork();
    if (reply.can_defer()) {
      *work = std::move(w);
      ++stats_.deferred;
      return {};
    }
    // A handler that ignored can_defer(): LIM-23/RATE-10 or a synchronous caller.
    ++stats_.parked_full;
    reply.Fail(work ? reply.busy_status() : StatusCode::kInternal);
  }
  ++stats_.requests_executed;
  const bool undoable = batch_ && reply.wrote();
  if (undoable) ++batch_executed_;
  std::string answer = reply.Finish();
  if (cacheable && !answer.empty()) {
    dedup_.Insert(ctx.now, ctx.peer, cmd.trid(), key_word, answer);
    if (undoable) batch_keys_.emplace_back(ctx.peer, cmd.trid(), std::string(key_word));
  }
  return answer;
}

void CommandServer::EndBatch(bool committed) {
  if (!committed) {
    for (const auto& [peer, trid, word] : batch_keys_) dedup_.Forget(peer, trid, word);
    stats_.requests_executed -= batch_executed_;
  }
  batch_executed_ = 0;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (!it->second.in_batch) {
      ++it;
    } else if (committed) {
      it->second.in_batch = false;
      ++it;
    } else {
      DropJob(it++);  // its kWork output was discarded with the batch
    }
  }
  batch_ = false;
  batch_keys_.clear();
}

void CommandServer::DropJob(std::map<std::uint64_t, Job>::iterator it) {
  const Job& job = it->second;
  if (job.cacheable) in_flight_.erase(Key{job.ctx.peer, job.trid, job.word});
  Unpark(job);
  jobs_.erase(it);
}

void CommandServer::Unpark(const Job& job) {
  auto a = parked_by_address_.find(job.address);
  if (a != parked_by_address_.end() && --a->second == 0) parked_by_address_.erase(a);
}

bool CommandServer::Decode(Job& job, std::string_view message) {
  job.message = message;
  // WIRE-16: decode everything first; a message with an error executes nothing.
  wire::DatagramParser parser(message, job.limits);
  wire::Outcome o;
  while (parser.Next(o)) {
    if (o.is_error()) {
      ++stats_.decode_errors;
      const std::string_view line =
          o.offset < message.size() ? message.substr(static_cast<std::size_t>(o.offset)) : "";
      std::string a = ErrorAnswer(line, o.error.clause);
      if (!a.empty()) job.answers.push_back(std::move(a));
      job.parsed.clear();
      return false;
    }
    job.parsed.push_back(o);
  }
  return true;
}

bool CommandServer::Run(Job& job, std::vector<Output>& out, const WorkResult* resumed) {
  for (; job.next < job.parsed.size(); ++job.next) {  // WIRE-17: in order
    const wire::CommandView& cmd = job.parsed[job.next].command;
    const WorkResult* result = resumed;
    resumed = nullptr;
    if (!result && cmd.is_answer()) {
      handler_.HandleAnswer(job.ctx, cmd);
      continue;
    }
    if (!result && cmd.word() == "RPAD") continue;  // UDP-6: never answered, never cached
    std::shared_ptr<const Work> work;
    std::string a = AnswerOne(job.ctx, cmd, job.cacheable, job.limits,
                              job.origin == Origin::kSync ? nullptr : &work, result);
    if (!work) {
      if (!a.empty()) job.answers.push_back(std::move(a));
      continue;
    }
    // Park: keep the message alive (views into a stable copy), mark the
    // request in flight (TIMER-7) and ask the host for the work.
    job.trid = cmd.trid();
    job.word = std::string(cmd.word());
    job.address = AddressKey(job.ctx.source);
    ++parked_by_address_[job.address];
    if (!job.owned) {
      job.owned = std::make_unique<std::string>(job.origin == Origin::kStream ? cmd.bytes() : job.message);
      job.message = *job.owned;
      if (job.origin == Origin::kStream) {
        wire::Outcome o;
        wire::ParseOneInto(*job.owned, job.limits, /*complete=*/true, o);
        job.parsed.assign(1, o);
      } else {
        job.parsed.clear();
        wire::DatagramParser p(*job.owned, job.limits);
        wire::Outcome o;
        while (p.Next(o)) job.parsed.push_back(o);
      }
    }
    if (job.cacheable && config_.dedup_enabled) in_flight_.insert(Key{job.ctx.peer, job.trid, job.word});
    job.cacheable = job.cacheable && config_.dedup_enabled;
    job.in_batch = batch_;
    const std::uint64_t id = next_work_++;
    Output o;
    o.kind = Output::Kind::kWork;
    o.conn = id;
    o.work = std::move(work);
    out.push_back(std::move(o));
    if (job.origin == Origin::kStream) {
      if (auto st = streams_.find(job.ctx.peer.conn); st != streams_.end()) st->second.parked = true;
    }
    jobs_.emplace(id, std::move(job));
    return false;
  }
  return true;
}

void CommandServer::Complete(Job& job, std::vector<Output>& out) {
  switch (job.origin) {
    case Origin::kSync:
      return;
    case Origin::kDatagram: {
      const Endpoint& from = job.ctx.peer.endpoint;
      // AMP-6: judged on arrival (or validated by the datagram itself).
      const bool validated = (config_.amp_judged_on_arrival && job.validated_at_arrival) ||
                             handler_.IsValidated(job.ctx.peer);
      std::vector<std::string>& answers = job.answers;
      if (config_.anti_amplification && !validated) {
        // AMP-1/2: never send more than the datagram carried.
        std::size_t needed = 0;
        for (const std::string& a : answers) needed += a.size();
        std::size_t budget = job.arrival_bytes;
        if (needed > budget) {
          ++stats_.amp_limited;
          std::vector<std::string> limited;
          for (std::string& a : answers) {
            if (a.size() <= budget) {
              budget -= a.size();
              limited.push_back(std::move(a));
              continue;
            }
            // "A<word> <trid> 405 <needed>" (AMP-3); never cached (AMP-5).
            const auto sp1 = a.find(' ');
            const auto sp2 = a.find(' ', sp1 + 1);
            std::string small = a.substr(0, sp2) + " " +
                                std::to_string(Code(StatusCode::kPadRequired)) + " " +
                                std::to_string(needed) + "\r\n";
            if (small.size() <= budget) {
              budget -= small.size();
              limited.push_back(std::move(small));
            }
          }
          answers = std::move(limited);
        }
      }
      FaultPoints* const f = config_.faults;
      bool one_each = false;
      if (answers.size() > 1 && validated && FaultPoint(f, "server.udp.reorder")) {
        // TRID-9: requesters accept answers in any order; in separate datagrams
        // (UDP-7 keeps the produced order only within one datagram), as a
        // reordering network would deliver them. Validated peers only: AMP-2
        // keeps the order of what an unvalidated one receives.
        std::reverse(answers.begin(), answers.end());
        one_each = true;
      } else if (answers.size() > 1 && FaultPoint(f, "server.udp.unpacked")) {
        one_each = true;  // UDP-7: packing several answers is a MAY
      }
      const std::size_t first = out.size();
      PackDatagrams(answers, from, config_.udp_limits.max_datagram, out, one_each);
      // TRID-6: a second copy of an answer matches nothing at the requester —
      // what a duplicating network does. Only to validated peers (AMP-1 bounds
      // what an unvalidated one may receive).
      if (out.size() > first && validated && FaultPoint(f, "server.udp.duplicate")) {
        out.push_back(out[first]);
      }
      return;
    }
    case Origin::kStream: {
      for (std::string& a : job.answers) {
        Output w;
        w.kind = Output::Kind::kStream;
        w.conn = job.ctx.peer.conn;
        w.to = job.ctx.peer.endpoint;
        w.bytes = std::move(a);
        out.push_back(std::move(w));
      }
      return;
    }
    case Origin::kHttp: {
      HttpResponse resp;
      resp.content_type = "application/x-mcp";
      for (const std::string& a : job.answers) resp.body += a;
      handler_.AppendHttpPushes(job.ctx.now, job.ctx.http_session(), resp.body);
      if (!job.ctx.issued_session.empty()) resp.headers["sessionid"] = job.ctx.issued_session;  // HTTP-7
      if (!job.ctx.test_captcha.empty()) resp.headers["x-mcp-test-captcha"] = job.ctx.test_captcha;  // TEST-1
      out.push_back(HttpAnswer(job.exchange, std::move(resp)));
      return;
    }
  }
}

std::vector<std::string> CommandServer::Execute(const RequestContext& ctx,
                                                std::string_view message,
                                                const wire::Limits& limits) {
  Job job;
  job.origin = Origin::kSync;
  job.ctx = ctx;
  job.limits = limits;
  job.cacheable = ctx.via == Via::kUdp || (ctx.via == Via::kHttp && !ctx.session.empty());
  if (Decode(job, message)) {
    std::vector<Output> none;
    Run(job, none);
  }
  return std::move(job.answers);
}

void CommandServer::OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes,
                               std::vector<Output>& out) {
  ++stats_.datagrams_in;
  if (bytes.size() > config_.udp_limits.max_datagram) {  // UDP-1: silent drop
    ++stats_.dropped_oversize;
    return;
  }
  Job job;
  job.origin = Origin::kDatagram;
  job.ctx.now = now;
  job.ctx.peer = PeerKey{from, 0};
  job.ctx.via = Via::kUdp;
  job.ctx.source = from;
  job.limits = config_.udp_limits;
  job.cacheable = true;
  job.arrival_bytes = bytes.size();
  job.validated_at_arrival = handler_.IsValidated(job.ctx.peer);
  job.parsed.swap(spare_parsed_);
  job.answers.swap(spare_answers_);
  if (!Decode(job, bytes) || Run(job, out)) {
    Complete(job, out);
    job.parsed.clear();
    job.answers.clear();
    spare_parsed_.swap(job.parsed);
    spare_answers_.swap(job.answers);
  }
}

bool CommandServer::OnWorkDone(TimeUs now, std::uint64_t id, const WorkResult& result,
                               std::vector<Output>& out) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return false;
  Job job = std::move(it->second);
  if (job.cacheable) in_flight_.erase(Key{job.ctx.peer, job.trid, job.word});
  Unpark(job);
  jobs_.erase(it);
  job.ctx.now = now;
  if (!Run(job, out, &result)) return true;  // parked again
  Complete(job, out);
  if (job.origin == Origin::kStream) {
    if (auto st = streams_.find(job.ctx.peer.conn); st != streams_.end()) {
      st->second.parked = false;
      PumpStream(now, job.ctx.peer.conn, out);
    }
  }
  return true;
}

void CommandServer::OnStreamData(TimeUs now, std::uint64_t conn, const Endpoint& peer,
                                 std::string_view bytes, std::vector<Output>& out) {
  auto [it, inserted] = streams_.try_emplace(conn, config_.stream_limits);
  if (inserted) it->second.peer = peer;
  Stream& st = it->second;
  st.framer.Append(bytes);
  if (!st.parked) return PumpStream(now, conn, out);
  if (st.framer.buffered() > config_.max_stream_backlog) {
    // TCP-9: a peer that keeps sending behind a parked request is cut off.
    ++stats_.backlog_closed;
    Output close;
    close.kind = Output::Kind::kCloseStream;
    close.conn = conn;
    close.to = peer;
    out.push_back(close);
    OnStreamClosed(conn);
  }
}

void CommandServer::PumpStream(TimeUs now, std::uint64_t conn, std::vector<Output>& out) {
  auto it = streams_.find(conn);
  if (it == streams_.end()) return;
  wire::StreamFramer& framer = it->second.framer;
  const Endpoint peer = it->second.peer;
  wire::Outcome o;
  for (;;) {
    // The failing command's first bytes, for the WIRE-22 answer (word + trid).
    const std::string_view pending = framer.Pending();
    const std::string head(pending.substr(0, 32));
    framer.Next(o);
    if (o.need_more()) break;
    if (o.is_error()) {
      // TCP-3: answer if possible, then close; framing cannot be trusted.
      ++stats_.decode_errors;
      Output w;
      w.kind = Output::Kind::kStream;
      w.conn = conn;
      w.to = peer;
      w.bytes = ErrorAnswer(head, o.error.clause);
      if (!w.bytes.empty()) out.push_back(w);
      Output close;
      close.kind = Output::Kind::kCloseStream;
      close.conn = conn;
      close.to = peer;
      out.push_back(close);
      streams_.erase(conn);
      return;
    }
    Job job;
    job.origin = Origin::kStream;
    job.ctx.now = now;
    job.ctx.peer = PeerKey{peer, conn};
    job.ctx.via = Via::kTcp;
    job.ctx.source = peer;
    job.limits = config_.stream_limits;
    job.cacheable = false;
    job.message = o.command.bytes();
    job.parsed.assign(1, o);
    if (!Run(job, out)) return;  // parked: the stream waits for it
    Complete(job, out);
  }
}

void CommandServer::OnStreamClosed(std::uint64_t conn) {
  streams_.erase(conn);
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const bool mine = it->second.origin == Origin::kStream && it->second.ctx.peer.conn == conn;
    if (mine) {
      DropJob(it++);
    } else {
      ++it;
    }
  }
}

void CommandServer::OnHttpBody(TimeUs now, std::uint64_t exchange, const HttpRequest& req,
                               std::vector<Output>& out) {
  HttpResponse resp;
  resp.content_type = "application/x-mcp";
  if (req.body.size() > config_.max_http_body) {
    resp.status = 413;
    out.push_back(HttpAnswer(exchange, std::move(resp)));
    return;
  }
  Job job;
  job.origin = Origin::kHttp;
  job.exchange = exchange;
  job.ctx.now = now;
  job.ctx.via = Via::kHttp;
  job.ctx.source = req.peer;
  if (auto it = req.headers.find("sessionid"); it != req.headers.end()) job.ctx.session = it->second;
  // Answers are cached per SessionID (TIMER-5 "sender endpoint" on HTTP).
  job.ctx.peer = HttpSessionPeer(job.ctx.session);
  job.limits = config_.stream_limits;
  job.cacheable = !job.ctx.session.empty();
  if (!Decode(job, req.body) && job.answers.empty()) {
    resp.status = 400;  // HTTP-5: undecodable, no WIRE-22 answer
    resp.content_type = "text/plain; charset=utf-8";
    out.push_back(HttpAnswer(exchange, std::move(resp)));
    return;
  }
  if (job.parsed.empty() || Run(job, out)) Complete(job, out);
}

}  // namespace mcpsim::reference
