#include "reference/transport/dedup.h"

#include <algorithm>

#include "core/hash.h"

namespace mcpsim::reference {

std::uint64_t DedupCache::Hash(const PeerKey& peer, std::uint32_t trid, std::string_view word) {
  const Endpoint& e = peer.endpoint;
  std::uint64_t h = Fnv1a(std::string_view(reinterpret_cast<const char*>(e.addr.data()), e.addr.size()));
  const std::uint64_t mixed[3] = {(std::uint64_t{e.port} << 1) | (e.v6 ? 1u : 0u), peer.conn, trid};
  h = Fnv1a(std::string_view(reinterpret_cast<const char*>(mixed), sizeof mixed), h);
  return Fnv1a(word, h);
}

std::size_t DedupCache::Lookup(std::uint64_t hash, const PeerKey& peer, std::uint32_t trid,
                               std::string_view word) const {
  auto [lo, hi] = index_.equal_range(hash);
  for (auto it = lo; it != hi; ++it) {
    const std::size_t i = IndexOf(it->second);
    const Entry& e = fifo_[i];
    // The index holds live entries only; compare the full key (collisions).
    if (e.trid == trid && e.word == word && e.peer->first == peer) return i;
  }
  return kNone;
}

std::size_t DedupCache::IndexOf(std::uint64_t seq) const {
  // fifo_ is sorted by seq and every live seq lies at or after head_.
  auto it = std::lower_bound(fifo_.begin() + static_cast<std::ptrdiff_t>(head_), fifo_.end(), seq,
                             [](const Entry& e, std::uint64_t s) { return e.seq < s; });
  return static_cast<std::size_t>(it - fifo_.begin());
}

const std::string* DedupCache::Find(TimeUs now, const PeerKey& peer, std::uint32_t trid,
                                    std::string_view word) const {
  const std::size_t i = Lookup(Hash(peer, trid, word), peer, trid, word);
  if (i == kNone || fifo_[i].expires <= now) return nullptr;
  return &fifo_[i].answer;
}

void DedupCache::Kill(Entry& e) {
  auto [lo, hi] = index_.equal_range(Hash(e.peer->first, e.trid, e.word));
  for (auto it = lo; it != hi; ++it) {
    if (it->second == e.seq) {
      index_.erase(it);
      break;
    }
  }
  auto& seqs = e.peer->second;
  seqs.erase(std::find(seqs.begin(), seqs.end(), e.seq));  // usually the front
  if (seqs.empty()) peers_.erase(e.peer);
  e.live = false;
  e.peer = Peers::iterator{};
  std::string().swap(e.answer);
  std::string().swap(e.word);
  --live_;
  while (head_ < fifo_.size() && !fifo_[head_].live) ++head_;
}

void DedupCache::Compact() {
  if (live_ == 0) {
    // Release everything: an idle cache costs no heap.
    std::vector<Entry>().swap(fifo_);
    std::unordered_multimap<std::uint64_t, std::uint64_t>().swap(index_);
    head_ = 0;
    return;
  }
  // Tombstones never exceed half the live entries: each compaction moves at
  // most 3x the tombstones it drops (amortized O(1) per removal).
  const std::size_t dead = fifo_.size() - live_;
  if (2 * dead <= live_) return;
  std::erase_if(fifo_, [](const Entry& e) { return !e.live; });
  head_ = 0;
  if (fifo_.capacity() >= 2 * fifo_.size() + 8) fifo_.shrink_to_fit();
}

void DedupCache::Insert(TimeUs now, const PeerKey& peer, std::uint32_t trid,
                        std::string_view word, std::string answer) {
  const std::uint64_t hash = Hash(peer, trid, word);
  if (const std::size_t old = Lookup(hash, peer, trid, word); old != kNone) Kill(fifo_[old]);
  // Expire(now) without compacting yet: Kill keeps head_ on the oldest live entry.
  while (head_ < fifo_.size() && fifo_[head_].expires <= now) Kill(fifo_[head_]);
  // Kill() drops a peer's node when it empties, so look it up afresh each round.
  for (auto p = peers_.find(peer);
       p != peers_.end() && p->second.size() >= limits_.per_peer_max; p = peers_.find(peer)) {
    ++evictions_;
    Kill(fifo_[IndexOf(p->second.front())]);
  }
  while (live_ >= limits_.global_max && head_ < fifo_.size()) {
    ++evictions_;
    Kill(fifo_[head_]);
  }
  Compact();
  auto p = peers_.try_emplace(peer).first;
  const std::uint64_t seq = seq_++;
  p->second.push_back(seq);
  index_.emplace(hash, seq);
  fifo_.push_back(Entry{seq, now + limits_.ttl, p, trid, true, std::string(word), std::move(answer)});
  ++live_;
}

void DedupCache::Expire(TimeUs now) {
  // Insertion order equals expiry order (one TTL, `now` non-decreasing).
  while (head_ < fifo_.size() && fifo_[head_].expires <= now) Kill(fifo_[head_]);
  Compact();
}

TimeUs DedupCache::NextDeadline() const {
  return head_ < fifo_.size() ? fifo_[head_].expires : kNever;
}

void DedupCache::Forget(const PeerKey& peer, std::uint32_t trid, std::string_view word) {
  if (const std::size_t i = Lookup(Hash(peer, trid, word), peer, trid, word); i != kNone) {
    Kill(fifo_[i]);
    Compact();
  }
}

}  // namespace mcpsim::reference
