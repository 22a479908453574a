#include "conformance/fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "scenarios/yaml_util.h"

namespace mcpsim::conformance {
namespace {

std::int64_t MonoUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

std::string AddrKey(const sockaddr_storage& a, socklen_t len) {
  return std::string(reinterpret_cast<const char*>(&a), len);
}

}  // namespace

Result<sim::LinkConfig> ParseFaultSpec(std::string_view spec) {
  YAML::Node map(YAML::NodeType::Map);
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', pos), spec.size());
    const std::string item = Trim(spec.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return Status::Error("CONF-5", "expected KEY=VALUE, got '" + item + "'");
    std::string key = Trim(item.substr(0, eq));
    const std::string value = Trim(item.substr(eq + 1));
    if (key == "delay") key = "base_delay";
    if (key == "dup") key = "duplicate";
    if (key == "dup_spread") key = "duplicate_spread";
    if (map[key]) return Status::Error("CONF-5", "key '" + key + "' given twice");
    if (key == "burst") {
      // P_GOOD_BAD/P_BAD_GOOD: every packet of the bad state is lost.
      const auto slash = value.find('/');
      if (slash == std::string::npos) return Status::Error("CONF-5", "burst=P_GOOD_BAD/P_BAD_GOOD");
      YAML::Node b(YAML::NodeType::Map);
      b["p_good_bad"] = value.substr(0, slash);
      b["p_bad_good"] = value.substr(slash + 1);
      map["burst"] = b;
      continue;
    }
    map[key] = value;
  }
  scenarios::yaml::YamlCtx ctx("--fault");
  sim::LinkConfig cfg = ctx.Link(map, sim::LinkConfig{});
  if (ctx.failed()) {
    // "--fault:0:0: message" -> "message"
    std::string msg = ctx.error();
    if (auto p = msg.find(": "); p != std::string::npos) msg = msg.substr(p + 2);
    return Status::Error("CONF-5", msg);
  }
  return cfg;
}

TimeUs WorstDelay(const sim::LinkConfig& c) {
  TimeUs j = 0;
  if (c.jitter_dist == sim::JitterDist::kUniform) j = c.jitter;
  if (c.jitter_dist == sim::JitterDist::kExponential || c.jitter_dist == sim::JitterDist::kPareto) {
    j = std::min<TimeUs>(c.jitter_cap, 4 * c.jitter);  // the tail beyond 4x is rare; capped anyway
  }
  return c.base_delay + j + (c.reorder > 0 ? c.reorder_delay : 0) + (c.duplicate > 0 ? c.duplicate_spread : 0);
}

struct FaultProxy::Impl {
  struct Pending {
    int fd = -1;               // socket to send on
    sockaddr_storage to{};     // destination when `fd` is the listen socket
    socklen_t to_len = 0;      // 0: `fd` is connected
    std::string bytes;
  };
  struct Client {
    sockaddr_storage addr{};
    socklen_t len = 0;
    int fd = -1;  // connected to the upstream
  };

  sim::LinkConfig cfg;
  sim::LinkState up_state, down_state;
  sim::LinkRngs up_rngs, down_rngs;
  sockaddr_storage upstream{};
  socklen_t upstream_len = 0;
  int listen_fd = -1;
  int wake[2] = {-1, -1};
  std::int64_t start_us = 0;
  std::vector<Client> clients;              // in creation order
  std::map<std::string, std::size_t> by_addr;  // AddrKey -> index in clients
  // Due time, then arrival order of the decision (FIFO on ties).
  std::map<std::pair<TimeUs, std::uint64_t>, Pending> queue;
  std::uint64_t seq = 0;
  mutable std::mutex mu;
  std::map<std::string, std::int64_t> counters;
  std::thread thread;
  std::atomic<bool> stop{false};

  Impl(const sim::LinkConfig& c, std::uint64_t seed)
      : cfg(c), up_rngs(seed, "fault/up"), down_rngs(seed, "fault/down") {}

  TimeUs Now() const { return MonoUs() - start_us; }

  void Count(const std::string& k, std::int64_t n = 1) {
    std::lock_guard<std::mutex> g(mu);
    counters[k] += n;
  }

  // Runs one datagram through the link model of its direction.
  void Offer(bool up, std::string bytes, int fd, const sockaddr_storage* to, socklen_t to_len) {
    const TimeUs now = Now();
    Count(up ? "received_up" : "received_down");
    const sim::LinkDecision d =
        sim::DecideLink(cfg, up ? up_state : down_state, up ? up_rngs : down_rngs, now, bytes.size());
    if (d.drop != sim::DropReason::kNone) {
      Count("dropped");
      Count("dropped_" + std::string(sim::DropReasonName(d.drop)));
      return;
    }
    if (d.copies == 2) Count("duplicated");
    if (d.reordered) Count("reordered");
    for (std::uint8_t i = 0; i < d.copies; ++i) {
      Pending p;
      p.fd = fd;
      if (to) p.to = *to;
      p.to_len = to_len;
      p.bytes = bytes;
      if (d.copy[i].flips > 0) {
        sim::ApplyFlips(d.copy[i], std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(p.bytes.data()),
                                                           p.bytes.size()));
        Count("corrupted");
      }
      if (d.copy[i].arrival > now) Count("delayed");
      queue.emplace(std::make_pair(d.copy[i].arrival, seq++), std::move(p));
    }
  }

  void Flush() {
    const TimeUs now = Now();
    while (!queue.empty() && queue.begin()->first.first <= now) {
      const Pending& p = queue.begin()->second;
      const ssize_t n = p.to_len ? sendto(p.fd, p.bytes.data(), p.bytes.size(), 0,
                                          reinterpret_cast<const sockaddr*>(&p.to), p.to_len)
                                 : send(p.fd, p.bytes.data(), p.bytes.size(), 0);
      Count(n >= 0 ? "forwarded" : "send_errors");
      queue.erase(queue.begin());
    }
  }

  std::size_t ClientFor(const sockaddr_storage& from, socklen_t len) {
    const std::string key = AddrKey(from, len);
    if (auto it = by_addr.find(key); it != by_addr.end()) return it->second;
    Client c;
    c.addr = from;
    c.len = len;
    c.fd = socket(upstream.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c.fd >= 0 && connect(c.fd, reinterpret_cast<const sockaddr*>(&upstream), upstream_len) != 0) {
      close(c.fd);
      c.fd = -1;
    }
    clients.push_back(c);
    by_addr[key] = clients.size() - 1;
    Count("upstream_endpoints");
    return clients.size() - 1;
  }

  void Loop() {
    std::string buf(65536, '\0');
    while (!stop.load()) {
      Flush();
      int wait_ms = 200;
      if (!queue.empty()) {
        const TimeUs left = queue.begin()->first.first - Now();
        wait_ms = static_cast<int>(std::clamp<TimeUs>((left + 999) / 1000, 0, 200));
      }
      std::vector<pollfd> fds{{wake[0], POLLIN, 0}, {listen_fd, POLLIN, 0}};
      for (const Client& c : clients) fds.push_back({c.fd, static_cast<short>(c.fd >= 0 ? POLLIN : 0), 0});
      if (poll(fds.data(), fds.size(), wait_ms) <= 0) continue;
      if (fds[0].revents) break;
      if (fds[1].revents & POLLIN) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        const ssize_t n = recvfrom(listen_fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n >= 0) {
          const Client& c = clients[ClientFor(from, len)];
          if (c.fd >= 0) Offer(true, buf.substr(0, static_cast<std::size_t>(n)), c.fd, nullptr, 0);
        }
      }
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLERR))) continue;
        const Client& c = clients[i - 2];
        const ssize_t n = recv(c.fd, buf.data(), buf.size(), 0);
        if (n >= 0) Offer(false, buf.substr(0, static_cast<std::size_t>(n)), listen_fd, &c.addr, c.len);
      }
    }
    Count("discarded_at_stop", static_cast<std::int64_t>(queue.size()));
    queue.clear();
  }
};

Result<std::unique_ptr<FaultProxy>> FaultProxy::Start(const HostPort& up, const sim::LinkConfig& cfg,
                                                      std::uint64_t seed) {
  auto p = std::unique_ptr<FaultProxy>(new FaultProxy());
  p->impl_ = std::make_unique<Impl>(cfg, seed);
  Impl& m = *p->impl_;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(up.host.c_str(), std::to_string(up.port).c_str(), &hints, &res) != 0 || !res) {
    return Status::Error("CONF-3", "fault proxy: cannot resolve " + up.ToString());
  }
  std::memcpy(&m.upstream, res->ai_addr, res->ai_addrlen);
  m.upstream_len = res->ai_addrlen;
  freeaddrinfo(res);
  const bool v6 = m.upstream.ss_family == AF_INET6;
  m.listen_fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_storage self{};
  socklen_t self_len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&self);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    self_len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&self);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    self_len = sizeof *a;
  }
  if (m.listen_fd < 0 || bind(m.listen_fd, reinterpret_cast<sockaddr*>(&self), self_len) != 0 ||
      getsockname(m.listen_fd, reinterpret_cast<sockaddr*>(&self), &self_len) != 0 || pipe2(m.wake, O_CLOEXEC) != 0) {
    return Status::Error("CONF-3", std::string("fault proxy: ") + std::strerror(errno));
  }
  const std::uint16_t port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&self)->sin6_port
                                      : reinterpret_cast<sockaddr_in*>(&self)->sin_port);
  p->address_ = HostPort{v6 ? "::1" : "127.0.0.1", port};
  m.start_us = MonoUs();
  m.thread = std::thread([&m] { m.Loop(); });
  return p;
}

void FaultProxy::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->stop = true;
  (void)!write(impl_->wake[1], "x", 1);
  impl_->thread.join();
}

FaultProxy::~FaultProxy() {
  if (!impl_) return;
  Stop();
  for (const Impl::Client& c : impl_->clients) {
    if (c.fd >= 0) close(c.fd);
  }
  for (int fd : {impl_->listen_fd, impl_->wake[0], impl_->wake[1]}) {
    if (fd >= 0) close(fd);
  }
}

std::map<std::string, std::int64_t> FaultProxy::counters() const {
  std::lock_guard<std::mutex> g(impl_->mu);
  std::map<std::string, std::int64_t> c = impl_->counters;
  for (const char* k : {"received_up", "received_down", "forwarded", "dropped", "duplicated", "reordered"}) c[k] += 0;
  return c;
}

}  // namespace mcpsim::conformance
