#include "reference/transport/push.h"

namespace mcpsim::reference {
namespace {
RetryPolicy PolicyFor(PushTransport t, RetryPolicy udp) {
  if (t != PushTransport::kTcp) return udp;
  // TIMER-13: no resends on TCP; give up after the whole UDP budget.
  RetryPolicy p;
  p.initial_timeout = udp.GiveUpAfter();
  p.max_resends = 0;
  return p;
}
}  // namespace

PushChannel::PushChannel(PushTransport transport, RetryPolicy udp_policy, PushLimits limits,
                         std::uint32_t first_trid)
    : transport_(transport), limits_(limits), trids_(first_trid), tracker_(PolicyFor(transport, udp_policy)) {}

void PushChannel::Push(std::uint32_t trid, std::string_view word, std::string bytes,
                       std::uint64_t tag, std::uint64_t group) {
  queue_.push_back(Entry{trid, std::string(word), std::move(bytes), tag, group});
}

bool PushChannel::Admit(std::vector<const Entry*>* admitted) {
  bool any = false;
  // LIM-20/PAY-8 are maxima: now and then admit at most one more request
  // (push.window.shrink). The queue stays FIFO, and the next answer (which
  // frees a slot and flushes the session) admits the rest, as after a full
  // window.
  std::size_t window = limits_.window;
  if (!queue_.empty() && flight_.size() < window && FaultPoint(limits_.faults, "push.window.shrink")) {
    window = flight_.size() + 1;
  }
  // Strict FIFO: a blocked head blocks the queue, so chunks stay in order.
  while (!queue_.empty() && flight_.size() < window) {
    const Entry& head = queue_.front();
    if (head.group != 0 && group_load_[head.group] >= limits_.group_window) break;
    if (head.group != 0) ++group_load_[head.group];
    Key key{head.trid, head.word};
    auto [it, inserted] = flight_.emplace(key, Flight{std::move(queue_.front()), 0});
    (void)inserted;
    queue_.pop_front();
    if (admitted) admitted->push_back(&it->second.entry);
    any = true;
  }
  return any;
}

void PushChannel::TakeSends(TimeUs now, std::vector<std::string>& out) {
  std::vector<const Entry*> admitted;
  Admit(&admitted);
  for (const Entry* e : admitted) {
    tracker_.Start(now, e->trid, e->word, e->bytes, e->tag);
    out.push_back(e->bytes);
    // TIMER-8: the client suppresses duplicates of server-initiated requests,
    // so a second copy on UDP is what a duplicating network delivers anyway.
    if (transport_ == PushTransport::kUdp && FaultPoint(limits_.faults, "push.udp.duplicate")) {
      out.push_back(e->bytes);
    }
  }
}

void PushChannel::OnTimer(TimeUs now, std::vector<std::string>& out, std::vector<Entry>& gave_up) {
  std::vector<const RequestTracker::Entry*> resend;
  std::vector<RequestTracker::Entry> exhausted;
  tracker_.OnTimer(now, resend, exhausted);
  for (const auto* r : resend) out.push_back(r->bytes);
  for (const auto& x : exhausted) {
    auto it = flight_.find(Key{x.trid, x.word});
    if (it == flight_.end()) continue;
    if (it->second.entry.group != 0) --group_load_[it->second.entry.group];
    gave_up.push_back(std::move(it->second.entry));
    flight_.erase(it);
  }
  if (!exhausted.empty()) TakeSends(now, out);
}

void PushChannel::AppendHttp(std::string& body, std::vector<Entry>& gave_up) {
  Admit(nullptr);
  for (auto it = flight_.begin(); it != flight_.end();) {
    Flight& f = it->second;
    if (f.inclusions >= limits_.http_inclusions) {
      if (f.entry.group != 0) --group_load_[f.entry.group];
      gave_up.push_back(std::move(f.entry));
      it = flight_.erase(it);
      continue;
    }
    ++f.inclusions;
    ++it;
  }
  // Included in trid order (the map's order) — i.e. the order they were pushed,
  // except across a trid wrap, which a 32-entry window never straddles in practice.
  for (const auto& [key, f] : flight_) body += f.entry.bytes;
}

std::optional<PushChannel::Entry> PushChannel::OnAnswer(std::uint32_t trid,
                                                        std::string_view answer_word) {
  if (answer_word.empty() || answer_word[0] != 'A') return std::nullopt;
  Key key{trid, std::string(answer_word)};
  key.second[0] = 'R';
  auto it = flight_.find(key);
  if (it == flight_.end()) return std::nullopt;
  if (transport_ != PushTransport::kHttp) tracker_.Cancel(key.first, key.second);
  Entry e = std::move(it->second.entry);
  flight_.erase(it);
  if (e.group != 0) --group_load_[e.group];
  return e;
}

void PushChannel::Clear() {
  for (const auto& [key, f] : flight_) tracker_.Cancel(key.first, key.second);
  flight_.clear();
  queue_.clear();
  group_load_.clear();
}

void PushChannel::DropGroup(std::uint64_t group) {
  if (group == 0) return;
  for (auto it = queue_.begin(); it != queue_.end();) {
    it = it->group == group ? queue_.erase(it) : it + 1;
  }
  for (auto it = flight_.begin(); it != flight_.end();) {
    if (it->second.entry.group != group) {
      ++it;
      continue;
    }
    tracker_.Cancel(it->first.first, it->first.second);
    it = flight_.erase(it);
  }
  group_load_.erase(group);
}

TimeUs PushChannel::NextDeadline() const {
  return transport_ == PushTransport::kHttp ? kNever : tracker_.NextDeadline();
}

bool PushChannel::HasGroup(std::uint64_t group) const {
  for (const Entry& e : queue_) {
    if (e.group == group) return true;
  }
  for (const auto& [key, f] : flight_) {
    if (f.entry.group == group) return true;
  }
  return false;
}

}  // namespace mcpsim::reference
