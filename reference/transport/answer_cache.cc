#include "reference/transport/answer_cache.h"

#include <algorithm>
#include <iterator>

namespace mcpsim::reference {

std::optional<std::string_view> AnswerCache::Find(TimeUs now, std::uint32_t trid,
                                                  std::string_view word) const {
  for (const Entry& e : entries_) {
    if (e.trid == trid && e.word() == word) {
      if (e.expires <= now) return std::nullopt;
      return e.answer();
    }
  }
  return std::nullopt;
}

void AnswerCache::Insert(TimeUs now, std::uint32_t trid, std::string_view word, std::string_view answer) {
  auto same = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.trid == trid && e.word() == word; });
  if (same != entries_.end()) entries_.erase(same);
  // Expired entries are at the front (one TTL, `now` non-decreasing).
  std::size_t drop = 0;
  while (drop < entries_.size() && entries_[drop].expires <= now) ++drop;
  // Then the oldest, while the cache is full.
  while (drop < entries_.size() && entries_.size() - drop >= limits_.max_entries) {
    ++evictions_;
    ++drop;
  }
  if (drop > 0) entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop));
  if (entries_.size() == entries_.capacity()) {
    // Grow by half (at least 4) rather than double: little slack per phone.
    entries_.reserve(entries_.size() + std::max<std::size_t>(4, entries_.size() / 2));
  }
  Entry& e = entries_.emplace_back();
  e.expires = now + limits_.ttl;
  e.trid = trid;
  e.word_len = static_cast<std::uint32_t>(word.size());
  e.data.reserve(word.size() + answer.size());
  e.data.append(word).append(answer);
  Trim();
}

void AnswerCache::Expire(TimeUs now) {
  std::size_t drop = 0;
  while (drop < entries_.size() && entries_[drop].expires <= now) ++drop;
  if (drop > 0) DropFront(drop);
}

void AnswerCache::DropFront(std::size_t n) {
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n));
  Trim();
}

void AnswerCache::Trim() {
  if (entries_.empty()) {
    Clear();  // an idle cache owns no heap
    return;
  }
  if (entries_.capacity() < 8 || entries_.size() * 4 > entries_.capacity()) return;
  std::vector<Entry> smaller;
  smaller.reserve(entries_.size() + entries_.size() / 2);
  std::move(entries_.begin(), entries_.end(), std::back_inserter(smaller));
  entries_.swap(smaller);
}

}  // namespace mcpsim::reference
