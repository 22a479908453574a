#include "reference/transport/server.h"

#include <algorithm>
#include <cstring>

#include "core/hash.h"

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
  static constexpr std::string_view kWords[] = {"RBIN", "ROUT", "RCS", "RCR", "RNP", "RRI", "RRR",
                                                "RAC",  "RRM",  "RRB", "RPN", "ROA", "RRV", "RRN"};
  for (std::string_view k : kWords) {
    if (k == w) return true;
  }
  return false;
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
                                     bool cacheable, const wire::Limits& limits) {
  cacheable = cacheable && config_.dedup_enabled &&
              (config_.dedup_skip_word.empty() || cmd.word() != config_.dedup_skip_word);
  const std::string_view key_word = config_.dedup_key_word ? cmd.word() : std::string_view();
  if (cacheable) {
    if (const auto cached = dedup_.Find(ctx.now, ctx.peer, cmd.trid(), key_word)) {
      ++stats_.duplicates_replayed;
      return std::string(*cached);  // TIMER-5: byte-for-byte, never executed again
    }
  }
  Reply reply(cmd.word(), cmd.trid(), limits);
  handler_.HandleRequest(ctx, cmd, reply);
  ++stats_.requests_executed;
  std::string answer = reply.Finish();
  if (cacheable && !answer.empty()) {
    dedup_.Insert(ctx.now, ctx.peer, cmd.trid(), key_word, answer);
    if (batch_) batch_keys_.emplace_back(ctx.peer, cmd.trid(), std::string(key_word));
  }
  return answer;
}

void CommandServer::EndBatch(bool committed) {
  if (!committed) {
    for (const auto& [peer, trid, word] : batch_keys_) dedup_.Forget(peer, trid, word);
  }
  batch_ = false;
  batch_keys_.clear();
}

std::vector<std::string> CommandServer::Execute(const RequestContext& ctx,
                                                std::string_view message,
                                                const wire::Limits& limits) {
  std::vector<std::string> answers;
  // WIRE-16: decode everything first; a message with an error executes nothing.
  std::vector<wire::Outcome> parsed;
  wire::DatagramParser parser(message, limits);
  wire::Outcome o;
  while (parser.Next(o)) {
    if (o.is_error()) {
      ++stats_.decode_errors;
      const std::string_view line =
          o.offset < message.size() ? message.substr(static_cast<std::size_t>(o.offset)) : "";
      std::string a = ErrorAnswer(line, o.error.clause);
      if (!a.empty()) answers.push_back(std::move(a));
      return answers;
    }
    parsed.push_back(o);
  }
  const bool cacheable = ctx.via == Via::kUdp || (ctx.via == Via::kHttp && !ctx.session.empty());
  for (const wire::Outcome& p : parsed) {  // WIRE-17: in order
    const wire::CommandView& cmd = p.command;
    if (cmd.is_answer()) {
      handler_.HandleAnswer(ctx, cmd);
      continue;
    }
    if (cmd.word() == "RPAD") continue;  // UDP-6: never answered, never cached
    std::string a = AnswerOne(ctx, cmd, cacheable, limits);
    if (!a.empty()) answers.push_back(std::move(a));
  }
  return answers;
}

void CommandServer::OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes,
                               std::vector<Output>& out) {
  ++stats_.datagrams_in;
  if (bytes.size() > config_.udp_limits.max_datagram) {  // UDP-1: silent drop
    ++stats_.dropped_oversize;
    return;
  }
  RequestContext ctx;
  ctx.now = now;
  ctx.peer = PeerKey{from, 0};
  ctx.via = Via::kUdp;
  std::vector<std::string> answers = Execute(ctx, bytes, config_.udp_limits);
  if (config_.anti_amplification && !handler_.IsValidated(ctx.peer)) {
    // AMP-1/2: never send more than the datagram carried.
    std::size_t needed = 0;
    for (const std::string& a : answers) needed += a.size();
    std::size_t budget = bytes.size();
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
        std::string small = a.substr(0, sp2) + " " + std::to_string(Code(StatusCode::kPadRequired)) +
                            " " + std::to_string(needed) + "\r\n";
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
  const bool validated = handler_.IsValidated(ctx.peer);
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
  // TRID-6: a second copy of an answer matches nothing at the requester — what
  // a duplicating network does. Only to validated peers (AMP-1 bounds what an
  // unvalidated one may receive).
  if (out.size() > first && validated && FaultPoint(f, "server.udp.duplicate")) {
    out.push_back(out[first]);
  }
}

void CommandServer::OnStreamData(TimeUs now, std::uint64_t conn, const Endpoint& peer,
                                 std::string_view bytes, std::vector<Output>& out) {
  auto [it, inserted] = framers_.try_emplace(conn, config_.stream_limits);
  (void)inserted;
  wire::StreamFramer& framer = it->second;
  framer.Append(bytes);
  RequestContext ctx;
  ctx.now = now;
  ctx.peer = PeerKey{peer, conn};
  ctx.via = Via::kTcp;
  wire::Outcome o;
  for (;;) {
    // The failing command's first bytes, for the WIRE-22 answer (word + trid).
    const std::string head(framer.Pending().substr(0, 32));
    framer.Next(o);
    if (o.need_more()) break;
    Output w;
    w.kind = Output::Kind::kStream;
    w.conn = conn;
    w.to = peer;
    if (o.is_error()) {
      // TCP-3: answer if possible, then close; framing cannot be trusted.
      ++stats_.decode_errors;
      w.bytes = ErrorAnswer(head, o.error.clause);
      if (!w.bytes.empty()) out.push_back(w);
      Output close;
      close.kind = Output::Kind::kCloseStream;
      close.conn = conn;
      close.to = peer;
      out.push_back(close);
      framers_.erase(conn);
      return;
    }
    const wire::CommandView& cmd = o.command;
    if (cmd.is_answer()) {
      handler_.HandleAnswer(ctx, cmd);
      continue;
    }
    if (cmd.word() == "RPAD") continue;
    w.bytes = AnswerOne(ctx, cmd, /*cacheable=*/false, config_.stream_limits);
    if (!w.bytes.empty()) out.push_back(std::move(w));
  }
}

void CommandServer::OnStreamClosed(std::uint64_t conn) { framers_.erase(conn); }

HttpResponse CommandServer::OnHttpBody(TimeUs now, const HttpRequest& req) {
  HttpResponse resp;
  resp.content_type = "application/x-mcp";
  if (req.body.size() > config_.max_http_body) {
    resp.status = 413;
    return resp;
  }
  RequestContext ctx;
  ctx.now = now;
  ctx.via = Via::kHttp;
  if (auto it = req.headers.find("sessionid"); it != req.headers.end()) ctx.session = it->second;
  // Answers are cached per SessionID (TIMER-5 "sender endpoint" on HTTP).
  ctx.peer = HttpSessionPeer(ctx.session);
  std::vector<std::string> answers = Execute(ctx, req.body, config_.stream_limits);
  bool decode_failed = false;
  if (answers.empty()) {
    // Distinguish "nothing to answer" from "undecodable without an answer".
    wire::DatagramParser p(req.body, config_.stream_limits);
    wire::Outcome o;
    while (p.Next(o)) decode_failed |= o.is_error();
  }
  if (decode_failed) {
    resp.status = 400;  // HTTP-5
    resp.content_type = "text/plain; charset=utf-8";
    return resp;
  }
  for (const std::string& a : answers) resp.body += a;
  handler_.AppendHttpPushes(now, ctx.session, resp.body);
  return resp;
}

}  // namespace mcpsim::reference
