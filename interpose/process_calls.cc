// The answers to the interposed calls (interpose/wire.h), served from the Env.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "interpose/process.h"

namespace mcpsim::interpose {

namespace {

constexpr std::size_t kMaxQueued = 256;     // datagrams per socket (a full receive buffer drops)
constexpr std::uint64_t kSpinFree = 1000;   // zero-timeout empty polls at one instant before 1 µs passes
constexpr std::size_t kMaxDatagram = 65507;
constexpr std::uint32_t kReportable = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP | EPOLLERR;

SockAddr4 ToSa(const Endpoint& e) {
  SockAddr4 sa{};
  sa.family = AF_INET;
  sa.port_be = htons(e.port);
  sa.addr_be = htonl(e.v4());
  return sa;
}

}  // namespace

TimeUs Process::DeadlineAfterMs(std::int64_t ms, bool first, TimeUs& deadline) const {
  if (first) deadline = ms < 0 ? kNever : env_.Now() + ms * kMillis;
  return deadline;
}

std::uint32_t Process::Readiness(int fd) const {
  auto it = socks_.find(fd);
  if (it == socks_.end()) return 0;
  const Sock& s = it->second;
  if (s.kind == 1) return (s.rx.empty() ? 0u : static_cast<std::uint32_t>(EPOLLIN)) | EPOLLOUT;
  if (s.kind == 3) return StreamReadiness(s);
  if (s.kind == 4) return (s.counter ? static_cast<std::uint32_t>(EPOLLIN) : 0u) | (s.counter < ~0ULL - 1 ? EPOLLOUT : 0u);
  if (s.kind == 5) return s.expirations ? static_cast<std::uint32_t>(EPOLLIN) : 0u;
  // An epoll descriptor is readable when one of its registrations is ready.
  for (const auto& [wfd, reg] : s.regs) {
    if (!reg.disabled && (Readiness(wfd) & (reg.events | EPOLLERR | EPOLLHUP) & kReportable)) return EPOLLIN;
  }
  return 0;
}

void Process::UpdatePage() {
  if (!page_) return;
  // Mirrors the EAGAIN answers of kRecv (udp, tcp, eventfd, timerfd) and
  // kAccept: a descriptor is marked only when a non-blocking call would get
  // EAGAIN from the simulator now.
  std::memset(page_, 0, kPageFds);
  for (const auto& [fd, s] : socks_) {
    if (fd < 0 || static_cast<std::uint32_t>(fd) >= kPageFds) continue;
    bool would_block = false;
    if (s.kind == 1) {
      would_block = s.rx.empty();
    } else if (s.kind == 3 && s.listening) {
      would_block = s.backlog.empty();
    } else if (s.kind == 3 && s.conn) {
      const Conn& c = *s.conn;
      would_block = c.rx.empty() && !c.err_unread && !(c.eof || c.rd_shut || c.gone || c.err);
    } else if (s.kind == 4) {
      would_block = s.counter == 0;
    } else if (s.kind == 5) {
      would_block = s.expirations == 0;
    }
    page_[fd] = static_cast<std::uint8_t>((would_block ? kPageWouldBlock : 0) | (s.nonblock ? kPageNonBlock : 0) |
                                          (s.kind == 3 && s.listening ? kPageListening : 0));
  }
}

std::uint64_t Process::Gen(int fd) const {
  auto it = socks_.find(fd);
  if (it == socks_.end()) return 0;
  return it->second.conn ? it->second.conn->gen : it->second.gen;
}

Status Process::EnsureBound(int fd, Sock& s, std::uint16_t port) {
  if (s.port) return Status();
  auto bound = env_.BindDatagram(port, [this, fd](const Endpoint& from, Bytes data) {
    auto it = socks_.find(fd);
    if (it == socks_.end() || it->second.kind != 1) return;
    Sock& so = it->second;
    if (so.rx.size() >= kMaxQueued) {
      ++stats_.dropped_full;
      return;
    }
    so.rx.emplace_back(from, std::vector<std::uint8_t>(data.begin(), data.end()));
    ++so.gen;
    ++stats_.datagrams_in;
    Retry();
  });
  if (!bound.ok()) return bound.status();
  s.port = bound->port;
  return Status();
}

std::optional<Process::Answer> Process::Handle(const Request& r, const std::vector<std::uint8_t>& p, bool first,
                                               TimeUs& deadline) {
  switch (static_cast<Op>(r.op)) {
    case Op::kHello:
      if (r.a[1] != kWireVersion) {
        Fail("speaks channel version " + std::to_string(r.a[1]) + " (this mcpsim: " + std::to_string(kWireVersion) +
             ")");
        return std::nullopt;
      }
      isolated_ = r.a[2] == 1;
      return Ok(o_.epoch_us);
    case Op::kRefuse: {
      std::string why(p.begin(), p.end());
      refusals_.push_back(why);
      return Ok(0);
    }
    case Op::kSleep: {
      if (first) {
        const std::int64_t ns = r.a[0] - kMonoBaseUs * 1000;
        deadline = std::max<TimeUs>(env_.Now(), (ns + 999) / 1000);
      }
      if (env_.Now() >= deadline) return Ok(0);
      return std::nullopt;
    }
    case Op::kRandom: {
      Answer a;
      const auto n = static_cast<std::size_t>(std::clamp<std::int64_t>(r.a[0], 0, kMaxPayload));
      a.payload.resize(n);
      if (n) env_.Random().Fill(a.payload.data(), n);
      a.reply.ret = static_cast<std::int64_t>(n);
      return a;
    }
    case Op::kPoll:
    case Op::kEpollCreate:
    case Op::kEpollCtl:
    case Op::kEpollWait:
      return HandleWait(r, p, first, deadline);
    default:
      return HandleSocket(r, p, first, deadline);
  }
}

std::optional<Process::Answer> Process::HandleSocket(const Request& r, const std::vector<std::uint8_t>& p, bool first,
                                                     TimeUs& deadline) {
  (void)first, (void)deadline;
  const int fd = static_cast<int>(r.a[0]);
  const Op op = static_cast<Op>(r.op);
  if (op == Op::kEventFd || op == Op::kTimerCreate) {
    Sock s;
    s.kind = op == Op::kEventFd ? 4 : 5;
    s.counter = static_cast<std::uint64_t>(r.a[1]);
    s.clock = r.a[1];
    s.semaphore = op == Op::kEventFd && (r.a[2] & 1);  // EFD_SEMAPHORE
    s.nonblock = (r.a[2] & O_NONBLOCK) != 0;            // EFD_NONBLOCK == TFD_NONBLOCK == O_NONBLOCK
    if (op == Op::kTimerCreate) s.counter = 0;
    socks_[fd] = std::move(s);
    return Ok(0);
  }
  if (op == Op::kSocket) {
    Sock s;
    s.kind = (r.a[2] & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM ? 3 : 1;
    s.nonblock = (r.a[2] & SOCK_NONBLOCK) != 0;
    socks_[fd] = std::move(s);
    return Ok(0);
  }
  auto it = socks_.find(fd);
  if (it == socks_.end()) return Err(EBADF);
  Sock& s = it->second;
  const std::uint32_t node_ip = env_.LocalAddress().v4();
  auto map_ip = [&](std::uint32_t ip) { return ip == 0 || (ip >> 24) == 127 ? node_ip : ip; };
  SockAddr4 sa{};
  if (p.size() >= sizeof sa) std::memcpy(&sa, p.data(), sizeof sa);
  switch (op) {
    case Op::kClose:
      if (s.kind == 1 && s.port) env_.CloseDatagram(s.port);
      if (s.kind == 3) CloseStream(s);
      if (s.kind == 5 && s.timer) env_.CancelTimer(s.timer);
      for (auto& [efd, es] : socks_) es.regs.erase(fd);
      socks_.erase(it);
      return Ok(0);
    case Op::kGetFlags:
      return Ok(O_RDWR | (s.nonblock ? O_NONBLOCK : 0));
    case Op::kSetNonBlock:
      s.nonblock = r.a[1] != 0;
      return Ok(0);
    default:
      break;
  }
  if (s.kind == 3) return HandleStream(r, p, fd, s, first);
  if (s.kind == 4 || s.kind == 5) return HandleFd(r, p, fd, s);
  if (s.kind != 1) return Err(ENOTSOCK);
  switch (op) {
    case Op::kBind: {
      if (p.size() < sizeof sa) return Err(EINVAL);
      const std::uint32_t ip = ntohl(sa.addr_be);
      if (map_ip(ip) != node_ip) return Err(EADDRNOTAVAIL);
      if (s.port) return Err(EINVAL);
      if (!EnsureBound(fd, s, ntohs(sa.port_be)).ok()) return Err(EADDRINUSE);
      return Ok(0);
    }
    case Op::kListen:
      return Err(EOPNOTSUPP);
    case Op::kConnect: {
      if (p.size() < sizeof sa) return Err(EINVAL);
      s.peer = Endpoint::V4(map_ip(ntohl(sa.addr_be)), ntohs(sa.port_be));
      if (!EnsureBound(fd, s, 0).ok()) return Err(EADDRINUSE);
      return Ok(0);
    }
    case Op::kGetSockName: {
      Answer a;
      SockAddr4 out = ToSa(Endpoint::V4(s.port ? node_ip : 0, s.port));
      a.payload.assign(reinterpret_cast<const std::uint8_t*>(&out), reinterpret_cast<const std::uint8_t*>(&out) + sizeof out);
      return a;
    }
    case Op::kGetPeerName: {
      if (!s.peer) return Err(ENOTCONN);
      Answer a;
      SockAddr4 out = ToSa(*s.peer);
      a.payload.assign(reinterpret_cast<const std::uint8_t*>(&out), reinterpret_cast<const std::uint8_t*>(&out) + sizeof out);
      return a;
    }
    case Op::kSetSockOpt:
    case Op::kShutdown:
      return Ok(0);  // options have no effect on the simulated network
    case Op::kGetSockOpt: {
      std::int32_t v = 0;
      if (r.a[1] == SOL_SOCKET) {
        if (r.a[2] == SO_TYPE) v = SOCK_DGRAM;
        if (r.a[2] == SO_RCVBUF || r.a[2] == SO_SNDBUF) v = 212992;
        if (r.a[2] == SO_DOMAIN) v = AF_INET;
        if (r.a[2] == SO_PROTOCOL) v = IPPROTO_UDP;
      }
      Answer a;
      const auto n = static_cast<std::size_t>(std::clamp<std::int64_t>(r.a[3], 0, 4));
      a.payload.assign(reinterpret_cast<const std::uint8_t*>(&v), reinterpret_cast<const std::uint8_t*>(&v) + n);
      return a;
    }
    case Op::kPending:
      return Ok(s.rx.empty() ? 0 : static_cast<std::int64_t>(s.rx.front().second.size()));
    case Op::kSend: {
      if (p.size() < sizeof sa) return Err(EINVAL);
      Endpoint to;
      if (r.a[2]) {
        to = Endpoint::V4(map_ip(ntohl(sa.addr_be)), ntohs(sa.port_be));
      } else if (s.peer) {
        to = *s.peer;
      } else {
        return Err(EDESTADDRREQ);
      }
      const std::size_t n = p.size() - sizeof sa;
      if (n > kMaxDatagram) return Err(EMSGSIZE);
      if (!EnsureBound(fd, s, 0).ok()) return Err(EADDRINUSE);
      if (!env_.SendDatagram(s.port, to, Bytes(p.data() + sizeof sa, n)).ok()) return Err(ENETUNREACH);
      ++stats_.datagrams_out;
      return Ok(static_cast<std::int64_t>(n));
    }
    case Op::kRecv: {
      const std::int64_t flags = r.a[1];
      if (s.rx.empty()) {
        if (s.nonblock || (flags & MSG_DONTWAIT)) return Err(EAGAIN);
        return std::nullopt;  // a blocking receive waits for a datagram
      }
      const auto& [from, data] = s.rx.front();
      const auto max = static_cast<std::size_t>(std::max<std::int64_t>(r.a[2], 0));
      const std::size_t k = std::min(max, data.size());
      Answer a;
      SockAddr4 out = ToSa(from);
      a.payload.assign(reinterpret_cast<const std::uint8_t*>(&out), reinterpret_cast<const std::uint8_t*>(&out) + sizeof out);
      a.payload.insert(a.payload.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(k));
      a.reply.ret = (flags & MSG_TRUNC) ? static_cast<std::int64_t>(data.size()) : static_cast<std::int64_t>(k);
      if (!(flags & MSG_PEEK)) s.rx.pop_front();
      return a;
    }
    default:
      Fail("sent an unknown request (op " + std::to_string(r.op) + ")");
      return std::nullopt;
  }
}

std::optional<Process::Answer> Process::HandleWait(const Request& r, const std::vector<std::uint8_t>& p, bool first,
                                                   TimeUs& deadline) {
  auto timed_out = [&](std::int64_t timeout_ms) {
    DeadlineAfterMs(timeout_ms, first, deadline);
    if (timeout_ms == 0 && first && ++spins_at_instant_ > kSpinFree) {
      ++stats_.spins;
      deadline = env_.Now() + 1;  // a spinning poll lets 1 µs pass
    }
    return env_.Now() >= deadline;
  };
  switch (static_cast<Op>(r.op)) {
    case Op::kPoll: {
      const auto n = static_cast<std::size_t>(std::max<std::int64_t>(r.a[0], 0));
      if (p.size() != n * sizeof(PollEntry)) {
        Fail("violated the channel protocol (poll array)");
        return std::nullopt;
      }
      std::vector<PollEntry> e(n);
      if (n) std::memcpy(e.data(), p.data(), p.size());
      std::int64_t ready = 0;
      for (PollEntry& x : e) {
        x.revents = 0;
        if (x.fd < 0) continue;
        std::uint32_t rd = Readiness(x.fd);
        short rev = 0;
        if ((rd & EPOLLIN) && (x.events & POLLIN)) rev |= POLLIN;
        if ((rd & EPOLLOUT) && (x.events & POLLOUT)) rev |= POLLOUT;
        if ((rd & EPOLLRDHUP) && (x.events & POLLRDHUP)) rev |= POLLRDHUP;
        if (rd & EPOLLHUP) rev |= POLLHUP;  // always reported, as by the kernel
        if (rd & EPOLLERR) rev |= POLLERR;
        x.revents = rev;
        if (rev) ++ready;
      }
      if (ready == 0 && !timed_out(r.a[1])) return std::nullopt;
      Answer a;
      a.reply.ret = ready;
      a.payload.resize(p.size());
      if (n) std::memcpy(a.payload.data(), e.data(), p.size());
      return a;
    }
    case Op::kEpollCreate: {
      Sock s;
      s.kind = 2;
      socks_[static_cast<int>(r.a[0])] = std::move(s);
      return Ok(0);
    }
    case Op::kEpollCtl: {
      auto ep = socks_.find(static_cast<int>(r.a[0]));
      if (ep == socks_.end() || ep->second.kind != 2) return Err(EBADF);
      const int fd = static_cast<int>(r.a[2]);
      auto target = socks_.find(fd);
      const bool real = r.a[5] == 1;  // a real descriptor: watched, never ready
      if (!real && (target == socks_.end() || target->second.kind == 2)) return Err(EPERM);
      auto& regs = ep->second.regs;
      const bool has = regs.count(fd) != 0;
      const std::int64_t op = r.a[1];
      if (op == EPOLL_CTL_ADD && has) return Err(EEXIST);
      if ((op == EPOLL_CTL_MOD || op == EPOLL_CTL_DEL) && !has) return Err(ENOENT);
      if (op == EPOLL_CTL_DEL) {
        regs.erase(fd);
      } else if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
        Reg g;
        g.events = static_cast<std::uint32_t>(r.a[3]);
        g.data = static_cast<std::uint64_t>(r.a[4]);
        regs[fd] = g;
      } else {
        return Err(EINVAL);
      }
      return Ok(0);
    }
    case Op::kEpollWait: {
      auto ep = socks_.find(static_cast<int>(r.a[0]));
      if (ep == socks_.end() || ep->second.kind != 2) return Err(EBADF);
      const auto max = static_cast<std::size_t>(std::max<std::int64_t>(r.a[1], 1));
      std::vector<EpollEntry> out;
      for (auto& [fd, g] : ep->second.regs) {
        if (out.size() >= max) break;
        if (g.disabled) continue;
        const std::uint32_t rd = Readiness(fd);
        if (!(rd & EPOLLOUT)) g.out_reported = false;  // EPOLLOUT edges again once writable
        std::uint32_t ev = rd & (g.events | EPOLLERR | EPOLLHUP) & kReportable;
        const std::uint64_t gen = Gen(fd);
        if (g.events & EPOLLET) {
          // Edge-triggered: input-side bits only after a state change since the last report.
          if (gen == g.seen_gen) ev &= ~static_cast<std::uint32_t>(EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
          if ((ev & EPOLLOUT) && g.out_reported) ev &= ~static_cast<std::uint32_t>(EPOLLOUT);
        }
        if (!ev) continue;
        g.seen_gen = gen;
        if (ev & EPOLLOUT) g.out_reported = true;
        if (g.events & EPOLLONESHOT) g.disabled = true;
        out.push_back({ev, 0, g.data});
      }
      if (out.empty() && !timed_out(r.a[2])) return std::nullopt;
      Answer a;
      a.reply.ret = static_cast<std::int64_t>(out.size());
      a.payload.resize(out.size() * sizeof(EpollEntry));
      if (!out.empty()) std::memcpy(a.payload.data(), out.data(), a.payload.size());
      return a;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace mcpsim::interpose
