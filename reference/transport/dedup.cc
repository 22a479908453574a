#include "reference/transport/dedup.h"

#include "core/endpoint_hash.h"
#include "core/hash.h"

namespace mcpsim::reference {
namespace {

std::uint64_t Mix(std::uint64_t h) {
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

}  // namespace

std::size_t PeerKeyHash::operator()(const PeerKey& k) const noexcept {
  return static_cast<std::size_t>(Mix(EndpointHash{}(k.endpoint) ^ (k.conn * 0x9e3779b97f4a7c15ULL)));
}

std::uint64_t DedupCache::Hash(const PeerKey& peer, std::uint32_t trid, std::string_view word) {
  return Mix(PeerKeyHash{}(peer) ^ Fnv1a(word, trid));
}

std::uint32_t DedupCache::Lookup(std::uint64_t hash, const PeerKey& peer, std::uint32_t trid,
                                 std::string_view word) const {
  if (slots_.empty()) return kNil;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const std::uint32_t s = slots_[i];
    if (s == 0) return kNil;  // load <= 1/2: an empty slot always ends the probe
    if (s == kDeleted) continue;
    const Entry& e = fifo_[s - 1];
    if (e.trid == trid && e.word() == word && e.peer->first == peer) return s - 1;
  }
}

void DedupCache::IndexAdd(std::uint64_t hash, std::uint32_t pos) {
  if ((used_slots_ + 1) * 2 > slots_.size()) {
    std::size_t cap = 8;
    while (cap < 4 * (live_ + 1)) cap *= 2;
    std::vector<std::uint32_t>(cap, 0).swap(slots_);
    used_slots_ = 0;
    for (std::uint32_t p = static_cast<std::uint32_t>(head_); p < fifo_.size(); ++p) {
      const Entry& e = fifo_[p];
      if (e.peer && p != pos) IndexAdd(Hash(e.peer->first, e.trid, e.word()), p);
    }
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;  // tombstones are not reused: rebuilds purge them
  slots_[i] = pos + 1;
  ++used_slots_;
}

void DedupCache::Kill(std::uint32_t pos) {
  Entry& e = fifo_[pos];
  PeerState& ps = e.peer->second;
  // Index slot.
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = Hash(e.peer->first, e.trid, e.word()) & mask;; i = (i + 1) & mask) {
    if (slots_[i] == pos + 1) {
      slots_[i] = kDeleted;
      break;
    }
  }
  // Peer list (usually the oldest of its peer; otherwise a walk of at most
  // per_peer_max entries).
  if (ps.oldest == pos) {
    ps.oldest = e.next;
    if (ps.newest == pos) ps.newest = kNil;
  } else {
    std::uint32_t prev = ps.oldest;
    while (fifo_[prev].next != pos) prev = fifo_[prev].next;
    fifo_[prev].next = e.next;
    if (ps.newest == pos) ps.newest = prev;
  }
  if (--ps.count == 0) {
    const PeerKey key = e.peer->first;  // not a reference into the node being erased
    peers_.erase(key);
  }
  e.peer = nullptr;
  e.next = kNil;
  if (spare_.size() < 64 && e.data.capacity() <= 256) {
    e.data.clear();
    spare_.push_back(std::move(e.data));
  }
  std::string().swap(e.data);
  --live_;
  while (head_ < fifo_.size() && !fifo_[head_].peer) ++head_;
}

void DedupCache::Compact() {
  if (live_ == 0) {
    // Release everything: an idle cache costs no heap.
    std::vector<Entry>().swap(fifo_);
    std::vector<std::uint32_t>().swap(slots_);
    Peers().swap(peers_);
    std::vector<std::string>().swap(spare_);
    head_ = 0;
    used_slots_ = 0;
    return;
  }
  const std::size_t dead = fifo_.size() - live_;
  if (2 * dead <= live_) return;
  std::erase_if(fifo_, [](const Entry& e) { return e.peer == nullptr; });
  if (fifo_.capacity() >= 2 * fifo_.size() + 8) fifo_.shrink_to_fit();
  head_ = 0;
  // Positions moved: relink the peer lists and rebuild the index.
  for (auto& [key, ps] : peers_) ps.oldest = ps.newest = kNil;  // order-free reset
  for (std::uint32_t p = 0; p < fifo_.size(); ++p) {
    Entry& e = fifo_[p];
    PeerState& ps = e.peer->second;
    e.next = kNil;
    if (ps.newest == kNil) {
      ps.oldest = p;
    } else {
      fifo_[ps.newest].next = p;
    }
    ps.newest = p;
  }
  slots_.clear();
  used_slots_ = 0;
  std::size_t cap = 8;
  while (cap < 4 * live_) cap *= 2;
  std::vector<std::uint32_t>(cap, 0).swap(slots_);
  for (std::uint32_t p = 0; p < fifo_.size(); ++p) {
    const Entry& e = fifo_[p];
    IndexAdd(Hash(e.peer->first, e.trid, e.word()), p);
  }
}

std::optional<std::string_view> DedupCache::Find(TimeUs now, const PeerKey& peer, std::uint32_t trid,
                                                 std::string_view word) const {
  const std::uint32_t i = Lookup(Hash(peer, trid, word), peer, trid, word);
  if (i == kNil || fifo_[i].expires <= now) return std::nullopt;
  return fifo_[i].answer();
}

void DedupCache::Insert(TimeUs now, const PeerKey& peer, std::uint32_t trid,
                        std::string_view word, std::string_view answer) {
  const std::uint64_t hash = Hash(peer, trid, word);
  if (const std::uint32_t old = Lookup(hash, peer, trid, word); old != kNil) Kill(old);
  // Expire(now) without compacting yet: Kill keeps head_ on the oldest live entry.
  while (head_ < fifo_.size() && fifo_[head_].expires <= now) Kill(static_cast<std::uint32_t>(head_));
  // Kill() drops a peer's state when it empties, so look it up afresh each round.
  for (auto p = peers_.find(peer);
       p != peers_.end() && p->second.count >= limits_.per_peer_max; p = peers_.find(peer)) {
    ++evictions_;
    Kill(p->second.oldest);
  }
  while (live_ >= limits_.global_max && head_ < fifo_.size()) {
    ++evictions_;
    Kill(static_cast<std::uint32_t>(head_));
  }
  Compact();
  auto& slot = *peers_.try_emplace(peer).first;
  PeerState& ps = slot.second;
  const auto pos = static_cast<std::uint32_t>(fifo_.size());
  Entry& e = fifo_.emplace_back();
  e.expires = now + limits_.ttl;
  if (!spare_.empty()) {
    e.data = std::move(spare_.back());
    spare_.pop_back();
  }
  e.data.reserve(word.size() + answer.size());
  e.data.append(word).append(answer);
  e.word_len = static_cast<std::uint32_t>(word.size());
  e.peer = &slot;
  e.trid = trid;
  if (ps.newest == kNil) {
    ps.oldest = pos;
  } else {
    fifo_[ps.newest].next = pos;
  }
  ps.newest = pos;
  ++ps.count;
  ++live_;
  IndexAdd(hash, pos);
}

void DedupCache::Expire(TimeUs now) {
  // Insertion order equals expiry order (one TTL, `now` non-decreasing).
  while (head_ < fifo_.size() && fifo_[head_].expires <= now) Kill(static_cast<std::uint32_t>(head_));
  Compact();
}

TimeUs DedupCache::NextDeadline() const {
  return head_ < fifo_.size() ? fifo_[head_].expires : kNever;
}

void DedupCache::Forget(const PeerKey& peer, std::uint32_t trid, std::string_view word) {
  if (const std::uint32_t i = Lookup(Hash(peer, trid, word), peer, trid, word); i != kNil) {
    Kill(i);
    Compact();
  }
}

}  // namespace mcpsim::reference
