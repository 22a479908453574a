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
  wire::LineWriter w(bytes, wire::Limits::Datagram());
  w.Begin(word, trid);
  if (params) params(w);
  if (Status s = w.Finish(); !s.ok()) return s;
  if (pad_to > bytes.size()) bytes += Padding(bytes.size(), pad_to, trid);
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

void UdpLink::OnDatagram(TimeUs now, std::string_view bytes, LinkHandler& handler) {
  wire::DatagramParser parser(bytes, wire::Limits::Datagram());
  wire::Outcome o;
  const PeerKey peer{server_, 0};
  while (parser.Next(o)) {
    if (o.is_error()) {
      ++stats_.decode_errors;
      continue;
    }
    const wire::CommandView& cmd = o.command;
    if (cmd.is_answer()) {
      const auto status = cmd.status().value_or(0);
      if (status == Code(StatusCode::kPadRequired) && cmd.param_count() == 1) {
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
        continue;
      }
      auto matched = tracker_.OnAnswer(cmd.trid(), cmd.word());
      if (!matched) {
        ++stats_.late_answers;  // TRID-6
        continue;
      }
      ++stats_.answered;
      handler.OnAnswer(now, matched->tag, cmd);
      continue;
    }
    if (cmd.word() == "RPAD") continue;
    ++stats_.server_requests;
    if (const auto cached = seen_.Find(now, peer, cmd.trid(), cmd.word())) {
      ++stats_.server_duplicates;
      Queue(now, std::string(*cached));
      continue;
    }
    Reply reply(cmd.word(), cmd.trid(), wire::Limits::Datagram());
    in_server_request_ = true;
    handler.OnServerRequest(now, cmd, reply);
    in_server_request_ = false;
    std::string answer = reply.Finish();
    if (!answer.empty()) {
      seen_.Insert(now, peer, cmd.trid(), cmd.word(), answer);
      Queue(now, std::move(answer));
    }
    for (std::string& d : deferred_) pending_.push_back(std::move(d));
    deferred_.clear();
  }
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
}

}  // namespace mcpsim::reference
