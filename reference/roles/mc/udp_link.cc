#include "reference/roles/mc/udp_link.h"

namespace mcpsim::reference {

UdpLink::UdpLink(Endpoint server, std::uint32_t first_trid, RetryPolicy policy, FaultPoints* faults)
    : server_(server), faults_(faults), trids_(first_trid), tracker_(policy) {}

std::string UdpLink::Padding(std::size_t from, std::size_t to, std::uint32_t trid) {
  // RPAD lines of at most LIM-1 bytes until the datagram reaches `to` bytes.
  std::string pad;
  while (from + pad.size() < to) {
    const std::string head = "RPAD " + std::to_string(trid) + " ";
    std::size_t fill = to - from - pad.size();
    fill = fill > head.size() + 2 ? fill - head.size() - 2 : 1;
    fill = std::min<std::size_t>(fill, 4000);
    pad += head + std::string(fill, '0') + "\r\n";
  }
  return pad;
}

Result<std::uint32_t> UdpLink::Send(TimeUs now, std::string_view word,
                                    const std::function<void(wire::LineWriter&)>& params,
                                    std::uint64_t tag, std::size_t pad_to) {
  const std::uint32_t trid = trids_.Next();
  std::string bytes;
  wire::LineWriter w(bytes, stream_ ? wire::Limits::Stream() : wire::Limits::Datagram());
  w.Begin(word, trid);
  if (params) params(w);
  if (Status s = w.Finish(); !s.ok()) return s;
  if (!stream_ && pad_to > bytes.size()) bytes += Padding(bytes.size(), pad_to, trid);
  ++stats_.requests;
  tracker_.Start(now, trid, word, bytes, tag);
  Queue(now, std::move(bytes));
  return trid;
}

void UdpLink::Queue(TimeUs now, std::string bytes) {
  last_send_ = now;
  // Requests sent while a server-initiated request is being handled go out
  // after its answer (e.g. RPS after the ACR that completes the sync).
  (in_server_request_ ? deferred_ : pending_).push_back(std::move(bytes));
}

UdpLink UdpLink::Stream(Endpoint server, std::uint64_t conn, std::uint32_t first_trid, RetryPolicy policy) {
  // Reliable transport: no resends, but the same give-up budget (TIMER-3).
  const TimeUs budget = policy.GiveUpAfter();
  policy.initial_timeout = budget;
  policy.max_timeout = budget;
  policy.max_resends = 0;
  UdpLink link(server, first_trid, policy);
  link.stream_ = true;
  link.conn_ = conn;
  link.framer_ = std::make_unique<wire::StreamFramer>(wire::Limits::Stream());
  return link;
}

void UdpLink::OnDatagram(TimeUs now, std::string_view bytes, LinkHandler& handler) {
  if (stream_) {
    if (broken_) return;
    framer_->Append(bytes);
    for (wire::Outcome o = framer_->Next(); !o.need_more(); o = framer_->Next()) {
      if (o.is_error()) {
        // TCP-3: framing can no longer be trusted; close the connection.
        ++stats_.decode_errors;
        broken_ = true;
        return;
      }
      Handle(now, o.command, handler);
    }
    return;
  }
  wire::DatagramParser parser(bytes, wire::Limits::Datagram());
  wire::Outcome o;
  while (parser.Next(o)) {
    if (o.is_error()) {
      ++stats_.decode_errors;
      continue;
    }
    Handle(now, o.command, handler);
  }
}

void UdpLink::Handle(TimeUs now, const wire::CommandView& cmd, LinkHandler& handler) {
  if (cmd.is_answer()) {
    const auto status = cmd.status().value_or(0);
    if (!stream_ && status == Code(StatusCode::kPadRequired) && cmd.param_count() == 1) {
      // AMP-3: resend the same request (same trid) padded to `needed`.
      std::string word(cmd.word());
      word[0] = 'R';
      const RequestTracker::Entry* e = tracker_.Find(cmd.trid(), word);
      const auto needed = wire::ParseTrid(cmd.raw_param(0));
      if (e && needed) {
        std::string padded = e->bytes;
        if (*needed > padded.size()) padded += Padding(padded.size(), *needed, cmd.trid());
        tracker_.UpdateBytes(cmd.trid(), word, padded);
        ++stats_.padded;
        Queue(now, std::move(padded));
      }
      return;
    }
    auto matched = tracker_.OnAnswer(cmd.trid(), cmd.word());
    if (!matched) {
      ++stats_.late_answers;  // TRID-6
      return;
    }
    ++stats_.answered;
    handler.OnAnswer(now, matched->tag, cmd);
    return;
  }
  if (cmd.word() == "RPAD") return;
  ++stats_.server_requests;
  if (const auto cached = seen_.Find(now, cmd.trid(), cmd.word())) {
    ++stats_.server_duplicates;
    Queue(now, std::string(*cached));
    return;
  }
  Reply reply(cmd.word(), cmd.trid(), stream_ ? wire::Limits::Stream() : wire::Limits::Datagram());
  in_server_request_ = true;
  handler.OnServerRequest(now, cmd, reply);
  in_server_request_ = false;
  std::string answer = reply.Finish();
  if (!answer.empty()) {
    seen_.Insert(now, cmd.trid(), cmd.word(), answer);
    Queue(now, std::move(answer));
  }
  for (std::string& d : deferred_) pending_.push_back(std::move(d));
  deferred_.clear();
}

void UdpLink::OnTimer(TimeUs now, LinkHandler& handler) {
  std::vector<const RequestTracker::Entry*> resend;
  std::vector<RequestTracker::Entry> gave_up;
  tracker_.OnTimer(now, resend, gave_up);
  for (const auto* e : resend) {
    ++stats_.resends;
    Queue(now, e->bytes);
  }
  for (const auto& e : gave_up) {
    ++stats_.gave_up;
    handler.OnGaveUp(now, e.tag);
  }
  seen_.Expire(now);
}

TimeUs UdpLink::NextDeadline() const {
  return std::min(tracker_.NextDeadline(), seen_.NextDeadline());
}

void UdpLink::Drain(std::vector<Output>& out) {
  if (!stream_) {
    if (pending_.empty()) return;
    // UDP-5/CS-7: batching is a MAY; an RPAD split from its request (AMP-4 is a
    // MAY too) costs a 405 and a padded resend (AMP-3).
    const bool one_each = pending_.size() > 1 && FaultPoint(faults_, "mc.udp.unpacked");
    const std::size_t first = out.size();
    PackDatagrams(pending_, server_, wire::Limits::Datagram().max_datagram, out, one_each);
    std::vector<std::string>().swap(pending_);  // an idle link keeps no buffer
    // TIMER-5/8: the server replays its cached answer to a copy and never
    // executes it twice — a duplicating network does the same.
    if (out.size() > first && FaultPoint(faults_, "mc.udp.duplicate")) out.push_back(out[first]);
    return;
  }
  if (!connect_sent_) {
    Output c;
    c.kind = Output::Kind::kConnect;
    c.to = server_;
    c.conn = conn_;
    out.push_back(std::move(c));
    connect_sent_ = true;
  }
  if (!pending_.empty()) {
    Output o;
    o.kind = Output::Kind::kStream;
    o.to = server_;
    o.conn = conn_;
    for (std::string& p : pending_) o.bytes += p;
    std::vector<std::string>().swap(pending_);
    out.push_back(std::move(o));
  }
  if (broken_ && !close_sent_) {
    Output c;
    c.kind = Output::Kind::kCloseStream;
    c.to = server_;
    c.conn = conn_;
    out.push_back(std::move(c));
    close_sent_ = true;
  }
}

}  // namespace mcpsim::reference
