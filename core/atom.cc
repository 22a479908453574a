#include "core/atom.h"

#include <atomic>
#include <mutex>
#include <unordered_set>

namespace mcpsim {

struct Atom::Node {
  explicit Node(std::string_view s) : text(s) {}
  std::string text;
  mutable std::atomic<std::uint32_t> refs{0};
};

namespace {

struct NodeHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  std::size_t operator()(const auto& n) const noexcept { return (*this)(std::string_view(n.text)); }
};
struct NodeEq {
  using is_transparent = void;
  static std::string_view V(std::string_view s) { return s; }
  static std::string_view V(const auto& n) { return n.text; }
  bool operator()(const auto& a, const auto& b) const noexcept { return V(a) == V(b); }
};

template <typename NodeT>
struct Pool {
  std::mutex mu;
  std::unordered_set<NodeT, NodeHash, NodeEq> nodes;  // node-based: addresses are stable
};

}  // namespace

// Never destroyed: Atoms in static storage may outlive any static pool.
static Pool<Atom::Node>& ThePool() {
  static auto* pool = new Pool<Atom::Node>();
  return *pool;
}

const std::string& Atom::str() const noexcept {
  static const std::string empty;
  return n_ ? n_->text : empty;
}

Atom::Node* Atom::Intern(std::string_view s) {
  if (s.empty()) return nullptr;
  auto& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  auto it = pool.nodes.find(s);
  if (it == pool.nodes.end()) it = pool.nodes.emplace(s).first;
  const Node& n = *it;
  n.refs.fetch_add(1, std::memory_order_relaxed);
  return const_cast<Node*>(&n);
}

void Atom::Ref(Node* n) noexcept {
  if (n) n->refs.fetch_add(1, std::memory_order_relaxed);
}

void Atom::Unref(Node* n) noexcept {
  if (!n) return;
  // Dropping a reference that is not the last needs no lock. The last one is
  // dropped under the pool lock, where Intern (the only way to revive a node
  // nobody holds) cannot run: so a node is freed exactly once, and never
  // while another thread can still reach it.
  std::uint32_t r = n->refs.load(std::memory_order_relaxed);
  while (r > 1) {
    if (n->refs.compare_exchange_weak(r, r - 1, std::memory_order_acq_rel, std::memory_order_relaxed)) return;
  }
  auto& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  if (n->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;  // revived by Intern meanwhile
  if (auto it = pool.nodes.find(std::string_view(n->text)); it != pool.nodes.end()) pool.nodes.erase(it);
}

std::size_t Atom::pool_size() {
  auto& pool = ThePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  return pool.nodes.size();
}

}  // namespace mcpsim
