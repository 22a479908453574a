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

std::size_t RequestTracker::IndexOf(std::uint32_t trid, std::string_view word) const {
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].e.trid == trid && items_[i].e.word == word) return i;
  }
  return std::string::npos;
}

void RequestTracker::RemoveAt(std::size_t i) {
  items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
  if (items_.empty()) std::vector<Item>().swap(items_);
}

void RequestTracker::Start(TimeUs now, std::uint32_t trid, std::string_view word,
                           std::string bytes, std::uint64_t tag) {
  Entry e;
  e.trid = trid;
  e.word = std::string(word);
  e.bytes = std::move(bytes);
  e.tag = tag;
  e.sends = 1;
  e.first_sent = now;
  e.timeout = policy_.initial_timeout;
  e.deadline = now + e.timeout;
  const std::size_t i = IndexOf(trid, word);
  if (i != std::string::npos) {
    items_[i] = Item{std::move(e), seq_++};
  } else {
    items_.push_back(Item{std::move(e), seq_++});
  }
}

std::optional<RequestTracker::Entry> RequestTracker::OnAnswer(std::uint32_t trid,
                                                              std::string_view answer_word) {
  if (answer_word.empty() || answer_word[0] != 'A') return std::nullopt;
  for (std::size_t i = 0; i < items_.size(); ++i) {
    const std::string& w = items_[i].e.word;
    if (items_[i].e.trid != trid || w.size() != answer_word.size() || w[0] != 'R' ||
        w.compare(1, std::string::npos, answer_word.substr(1)) != 0) {
      continue;
    }
    Entry e = std::move(items_[i].e);
    RemoveAt(i);
    return e;
  }
  return std::nullopt;
}

void RequestTracker::OnTimer(TimeUs now, std::vector<const Entry*>& resend,
                             std::vector<Entry>& gave_up) {
  // Due items in (deadline, seq) order.
  std::vector<std::pair<std::pair<TimeUs, std::uint64_t>, std::uint32_t>> due;
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].e.deadline <= now) {
      due.push_back({{items_[i].e.deadline, items_[i].seq}, static_cast<std::uint32_t>(i)});
    }
  }
  if (due.empty()) return;
  std::sort(due.begin(), due.end());
  std::vector<std::uint32_t> exhausted, again;
  for (const auto& [key, i] : due) {
    Item& it = items_[i];
    if (it.e.sends > policy_.max_resends) {
      exhausted.push_back(i);
      continue;
    }
    ++it.e.sends;
    it.e.timeout = std::min<TimeUs>(it.e.timeout * policy_.backoff, policy_.max_timeout);
    it.e.deadline = now + it.e.timeout;
    it.seq = seq_++;
    again.push_back(i);
  }
  for (std::uint32_t i : exhausted) gave_up.push_back(std::move(items_[i].e));
  if (!exhausted.empty()) {
    // Remove the exhausted items (their entries were moved out), keeping the
    // positions of the others for `resend`.
    std::vector<std::uint32_t> pos(items_.size());
    std::vector<bool> drop(items_.size(), false);
    for (std::uint32_t i : exhausted) drop[i] = true;
    std::size_t k = 0;
    for (std::size_t i = 0; i < items_.size(); ++i) {
      pos[i] = static_cast<std::uint32_t>(k);
      if (!drop[i]) {
        if (k != i) items_[k] = std::move(items_[i]);
        ++k;
      }
    }
    items_.resize(k);
    for (std::uint32_t& i : again) i = pos[i];
    if (items_.empty()) std::vector<Item>().swap(items_);
  }
  for (std::uint32_t i : again) resend.push_back(&items_[i].e);
}

bool RequestTracker::UpdateBytes(std::uint32_t trid, std::string_view word, std::string bytes) {
  const std::size_t i = IndexOf(trid, word);
  if (i == std::string::npos) return false;
  items_[i].e.bytes = std::move(bytes);
  return true;
}

const RequestTracker::Entry* RequestTracker::Find(std::uint32_t trid, std::string_view word) const {
  const std::size_t i = IndexOf(trid, word);
  return i == std::string::npos ? nullptr : &items_[i].e;
}

bool RequestTracker::Cancel(std::uint32_t trid, std::string_view word) {
  const std::size_t i = IndexOf(trid, word);
  if (i == std::string::npos) return false;
  RemoveAt(i);
  return true;
}

TimeUs RequestTracker::NextDeadline() const {
  TimeUs t = kNever;
  for (const Item& it : items_) t = std::min(t, it.e.deadline);
  return t;
}

}  // namespace mcpsim::reference
