#include "reference/transport/dedup.h"

namespace mcpsim::reference {

const std::string* DedupCache::Find(TimeUs now, const PeerKey& peer, std::uint32_t trid,
                                    std::string_view word) const {
  auto it = entries_.find(Key{peer, trid, std::string(word)});
  if (it == entries_.end() || it->second.expires <= now) return nullptr;
  return &it->second.answer;
}

void DedupCache::Erase(std::map<Key, Value>::iterator it) {
  const std::uint64_t seq = it->second.seq;
  const PeerKey& peer = std::get<0>(it->first);
  by_age_.erase(seq);
  auto p = by_peer_.find(peer);
  p->second.erase(seq);
  if (p->second.empty()) by_peer_.erase(p);
  entries_.erase(it);
}

void DedupCache::Insert(TimeUs now, const PeerKey& peer, std::uint32_t trid,
                        std::string_view word, std::string answer) {
  Key key{peer, trid, std::string(word)};
  if (auto old = entries_.find(key); old != entries_.end()) Erase(old);
  Expire(now);
  // Erase() drops a peer's map when it empties, so look it up afresh each round.
  for (auto p = by_peer_.find(peer);
       p != by_peer_.end() && p->second.size() >= limits_.per_peer_max; p = by_peer_.find(peer)) {
    ++evictions_;
    Erase(entries_.find(p->second.begin()->second));
  }
  while (entries_.size() >= limits_.global_max && !by_age_.empty()) {
    ++evictions_;
    Erase(entries_.find(by_age_.begin()->second));
  }
  const std::uint64_t seq = seq_++;
  entries_.emplace(key, Value{std::move(answer), now + limits_.ttl, seq});
  by_age_.emplace(seq, key);
  by_peer_[peer].emplace(seq, key);
}

void DedupCache::Expire(TimeUs now) {
  // Insertion order equals expiry order (one TTL for all entries).
  while (!by_age_.empty()) {
    auto it = entries_.find(by_age_.begin()->second);
    if (it->second.expires > now) break;
    Erase(it);
  }
}

TimeUs DedupCache::NextDeadline() const {
  if (by_age_.empty()) return kNever;
  return entries_.find(by_age_.begin()->second)->second.expires;
}

void DedupCache::Forget(const PeerKey& peer, std::uint32_t trid, std::string_view word) {
  auto it = entries_.find(Key{peer, trid, std::string(word)});
  if (it != entries_.end()) Erase(it);
}

}  // namespace mcpsim::reference
