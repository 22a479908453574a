#include "reference/transport/retry.h"

#include <algorithm>

namespace mcpsim::reference {

TimeUs RetryPolicy::GiveUpAfter() const {
  TimeUs total = 0, t = initial_timeout;
  for (std::uint32_t i = 0; i <= max_resends; ++i) {
    total += t;
    t = std::min<TimeUs>(t * backoff, max_timeout);
  }
  return total;
}

std::string AnswerWord(std::string_view request_word) {
  std::string a(request_word);
  if (!a.empty()) a[0] = 'A';
  return a;
}

void RequestTracker::Schedule(const Key& key, Entry& e) {
  auto old = deadline_of_.find(key);
  if (old != deadline_of_.end()) {
    by_deadline_.erase(old->second);
    deadline_of_.erase(old);
  }
  const std::pair<TimeUs, std::uint64_t> slot{e.deadline, seq_++};
  by_deadline_.emplace(slot, key);
  deadline_of_.emplace(key, slot);
}

void RequestTracker::Start(TimeUs now, std::uint32_t trid, std::string_view word,
                           std::string bytes, std::uint64_t tag) {
  Key key{trid, std::string(word)};
  Entry e;
  e.trid = trid;
  e.word = key.second;
  e.bytes = std::move(bytes);
  e.tag = tag;
  e.sends = 1;
  e.first_sent = now;
  e.timeout = policy_.initial_timeout;
  e.deadline = now + e.timeout;
  auto [it, inserted] = by_key_.insert_or_assign(key, std::move(e));
  (void)inserted;
  Schedule(key, it->second);
}

std::optional<RequestTracker::Entry> RequestTracker::OnAnswer(std::uint32_t trid,
                                                              std::string_view answer_word) {
  if (answer_word.empty() || answer_word[0] != 'A') return std::nullopt;
  Key key{trid, std::string(answer_word)};
  key.second[0] = 'R';
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  Entry e = std::move(it->second);
  by_key_.erase(it);
  auto d = deadline_of_.find(key);
  by_deadline_.erase(d->second);
  deadline_of_.erase(d);
  return e;
}

void RequestTracker::OnTimer(TimeUs now, std::vector<const Entry*>& resend,
                             std::vector<Entry>& gave_up) {
  // Collect due keys first: rescheduling inserts into by_deadline_ while we walk.
  std::vector<Key> due;
  for (auto it = by_deadline_.begin(); it != by_deadline_.end() && it->first.first <= now; ++it) {
    due.push_back(it->second);
  }
  for (const Key& key : due) {
    auto it = by_key_.find(key);
    Entry& e = it->second;
    if (e.sends > policy_.max_resends) {
      auto d = deadline_of_.find(key);
      by_deadline_.erase(d->second);
      deadline_of_.erase(d);
      gave_up.push_back(std::move(e));
      by_key_.erase(it);
      continue;
    }
    ++e.sends;
    e.timeout = std::min<TimeUs>(e.timeout * policy_.backoff, policy_.max_timeout);
    e.deadline = now + e.timeout;
    Schedule(key, e);
    resend.push_back(&e);
  }
}

bool RequestTracker::UpdateBytes(std::uint32_t trid, std::string_view word, std::string bytes) {
  auto it = by_key_.find(Key{trid, std::string(word)});
  if (it == by_key_.end()) return false;
  it->second.bytes = std::move(bytes);
  return true;
}

const RequestTracker::Entry* RequestTracker::Find(std::uint32_t trid, std::string_view word) const {
  auto it = by_key_.find(Key{trid, std::string(word)});
  return it == by_key_.end() ? nullptr : &it->second;
}

bool RequestTracker::Cancel(std::uint32_t trid, std::string_view word) {
  Key key{trid, std::string(word)};
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return false;
  by_key_.erase(it);
  auto d = deadline_of_.find(key);
  by_deadline_.erase(d->second);
  deadline_of_.erase(d);
  return true;
}

TimeUs RequestTracker::NextDeadline() const {
  return by_deadline_.empty() ? kNever : by_deadline_.begin()->first.first;
}

}  // namespace mcpsim::reference
