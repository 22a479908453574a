// The answers to the interposed calls on stream (TCP) sockets, served from
// the Env's stream API: listen/accept, connect (blocking or EINPROGRESS +
// SO_ERROR), send/recv, shutdown, close, and their readiness for
// poll/select/epoll. The simulated network's streams are reliable and have no
// send-buffer limit, so a send always takes all its bytes at once.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "interpose/process.h"

namespace mcpsim::interpose {

namespace {

constexpr std::size_t kMaxBacklog = 128;  // established, not accepted; more are reset

std::vector<std::uint8_t> SaBytes(const Endpoint& e) {
  SockAddr4 sa{};
  sa.family = AF_INET;
  sa.port_be = htons(e.port);
  sa.addr_be = htonl(e.v4());
  const auto* b = reinterpret_cast<const std::uint8_t*>(&sa);
  return {b, b + sizeof sa};
}

// The errno a failed stream shows the target, by the simulator's clause.
int ErrnoOf(const Status& st) {
  const std::string& c = st.clause();
  if (c == "SIM-20") return ECONNREFUSED;
  if (c == "SIM-21") return ETIMEDOUT;
  if (c == "SIM-28") return ENETUNREACH;
  return ECONNRESET;
}

}  // namespace

StreamHandlers Process::Handlers(const std::shared_ptr<Conn>& c) {
  StreamHandlers h;
  std::shared_ptr<bool> alive = alive_;
  h.on_connected = [this, alive, c] {
    if (!*alive) return;
    c->connected = true;
    ++c->gen;
    Retry();
  };
  h.on_data = [this, alive, c](Bytes b) {
    if (!*alive || c->gone) return;
    if (c->orphan || c->rd_shut) {  // data for a closed descriptor: the kernel answers with a reset
      c->gone = true;
      env_.StreamReset(c->id);
      return;
    }
    c->rx.insert(c->rx.end(), b.begin(), b.end());
    stats_.stream_bytes_in += b.size();
    ++c->gen;
    Retry();
  };
  h.on_eof = [this, alive, c] {
    if (!*alive || c->gone) return;
    c->eof = true;
    ++c->gen;
    Retry();
  };
  h.on_closed = [this, alive, c](const Status& st) {
    if (!*alive || c->gone) return;
    c->gone = true;
    if (!st.ok()) {
      c->err = ErrnoOf(st);
      c->err_unread = true;
    } else {
      c->eof = true;
    }
    ++c->gen;
    Retry();
  };
  return h;
}

std::uint32_t Process::StreamReadiness(const Sock& s) const {
  if (s.listening) return s.backlog.empty() ? 0u : static_cast<std::uint32_t>(EPOLLIN);
  if (!s.conn) return EPOLLOUT | EPOLLHUP;  // an unconnected TCP socket, as the kernel reports it
  const Conn& c = *s.conn;
  if (c.err) {
    return EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP | (c.err_unread ? static_cast<std::uint32_t>(EPOLLERR) : 0u);
  }
  if (!c.connected) return 0;
  std::uint32_t m = EPOLLOUT;
  if (!c.rx.empty() || c.eof || c.rd_shut) m |= EPOLLIN;
  if (c.eof) m |= EPOLLRDHUP;
  if ((c.eof && c.wrote_fin) || c.gone) m |= EPOLLHUP;
  return m;
}

void Process::CloseStream(Sock& s) {
  auto reset = [&](Conn& c) {
    if (c.gone || c.id == 0) return;
    c.gone = true;
    env_.StreamReset(c.id);
  };
  for (auto& c : s.backlog) reset(*c);  // connections never accepted
  s.backlog.clear();
  s.listening = false;
  if (!s.conn) return;
  Conn& c = *s.conn;
  c.orphan = true;
  if (c.gone) return;
  if (!c.connected || !c.rx.empty()) {
    reset(c);  // unread data or a pending connect: the kernel resets
  } else if (!c.wrote_fin) {
    c.wrote_fin = true;
    (void)env_.StreamShutdownWrite(c.id);
  }
}

std::optional<Process::Answer> Process::HandleStream(const Request& r, const std::vector<std::uint8_t>& p, int fd,
                                                     Sock& s, bool first) {
  const std::uint32_t node_ip = env_.LocalAddress().v4();
  auto map_ip = [&](std::uint32_t ip) { return ip == 0 || (ip >> 24) == 127 ? node_ip : ip; };
  SockAddr4 sa{};
  if (p.size() >= sizeof sa) std::memcpy(&sa, p.data(), sizeof sa);
  const bool retry = !first;  // a blocking call being re-evaluated
  Conn* c = s.conn.get();
  switch (static_cast<Op>(r.op)) {
    case Op::kBind: {
      if (p.size() < sizeof sa) return Err(EINVAL);
      if (map_ip(ntohl(sa.addr_be)) != node_ip) return Err(EADDRNOTAVAIL);
      if (s.bound || s.conn) return Err(EINVAL);
      s.bound = true;
      s.port = ntohs(sa.port_be);  // the Env reserves stream ports at listen()
      return Ok(0);
    }
    case Op::kListen: {
      if (s.conn) return Err(EINVAL);
      if (s.listening) return Ok(0);
      std::shared_ptr<bool> alive = alive_;
      Env* env = &env_;
      auto bound = env_.Listen(s.port, [this, alive, env, fd](StreamId id, const Endpoint& peer) -> StreamHandlers {
        auto it = *alive ? socks_.find(fd) : socks_.end();
        if (it == socks_.end() || !it->second.listening || it->second.backlog.size() >= kMaxBacklog) {
          // Closed listener (the Env has no unlisten) or full backlog: reset, from an event.
          env->StartTimer(env->Now(), [env, id] { env->StreamReset(id); });
          return {};
        }
        auto conn = std::make_shared<Conn>();
        conn->id = id;
        conn->peer = peer;
        conn->local_port = it->second.port;
        conn->connected = true;
        it->second.backlog.push_back(conn);
        ++it->second.gen;
        ++stats_.accepted;
        // The target learns of it when the simulator runs it next (Retry from a timer: never re-entrant).
        env->StartTimer(env->Now(), [this, alive] {
          if (*alive) Retry();
        });
        return Handlers(conn);
      });
      if (!bound.ok()) return Err(EADDRINUSE);
      s.port = bound->port;
      s.bound = s.listening = true;
      return Ok(0);
    }
    case Op::kAccept: {
      if (!s.listening) return Err(EINVAL);
      if (s.backlog.empty()) {
        if (s.nonblock) return Err(EAGAIN);
        return std::nullopt;
      }
      const int nfd = static_cast<int>(r.a[1]);
      Sock n;
      n.kind = 3;
      n.nonblock = (r.a[2] & SOCK_NONBLOCK) != 0;
      n.conn = s.backlog.front();
      s.backlog.pop_front();
      std::vector<std::uint8_t> peer = SaBytes(n.conn->peer);
      socks_[nfd] = std::move(n);
      return Ok(nfd, std::move(peer));
    }
    case Op::kConnect: {
      if (c && retry) {  // a blocking connect being re-evaluated
        if (c->err) {
          c->err_unread = false;
          return Err(c->err);
        }
        if (c->connected) return Ok(0);
        return std::nullopt;
      }
      if (s.listening) return Err(EINVAL);
      if (c) return Err(c->connected ? EISCONN : c->err ? c->err : EALREADY);
      if (p.size() < sizeof sa) return Err(EINVAL);
      auto conn = std::make_shared<Conn>();
      conn->peer = Endpoint::V4(map_ip(ntohl(sa.addr_be)), ntohs(sa.port_be));
      auto id = env_.Connect(conn->peer, Handlers(conn));
      if (!id.ok()) return Err(ErrnoOf(id.status()));
      conn->id = *id;
      s.conn = conn;
      ++stats_.connects;
      if (s.nonblock) return Err(EINPROGRESS);
      return std::nullopt;
    }
    case Op::kGetSockName: {
      const std::uint16_t port = c ? c->local_port : s.port;
      return Ok(0, SaBytes(Endpoint::V4(s.bound || c ? node_ip : 0, port)));
    }
    case Op::kGetPeerName:
      if (!c || !c->connected) return Err(ENOTCONN);
      return Ok(0, SaBytes(c->peer));
    case Op::kSetSockOpt:
      return Ok(0);  // TCP_NODELAY, SO_REUSEADDR, buffers...: no effect on the simulated network
    case Op::kGetSockOpt: {
      std::int32_t v = 0;
      if (r.a[1] == SOL_SOCKET) {
        if (r.a[2] == SO_ERROR && c && c->err_unread) v = c->err, c->err_unread = false;
        if (r.a[2] == SO_TYPE) v = SOCK_STREAM;
        if (r.a[2] == SO_RCVBUF || r.a[2] == SO_SNDBUF) v = 212992;
        if (r.a[2] == SO_DOMAIN) v = AF_INET;
        if (r.a[2] == SO_PROTOCOL) v = IPPROTO_TCP;
        if (r.a[2] == SO_ACCEPTCONN) v = s.listening ? 1 : 0;
      }
      const auto n = static_cast<std::size_t>(std::clamp<std::int64_t>(r.a[3], 0, 4));
      const auto* b = reinterpret_cast<const std::uint8_t*>(&v);
      return Ok(0, std::vector<std::uint8_t>(b, b + n));
    }
    case Op::kShutdown: {
      if (!c || !c->connected) return Err(ENOTCONN);
      const std::int64_t how = r.a[1];
      if (how == SHUT_RD || how == SHUT_RDWR) c->rd_shut = true;
      if ((how == SHUT_WR || how == SHUT_RDWR) && !c->wrote_fin) {
        c->wrote_fin = true;
        if (!c->gone) (void)env_.StreamShutdownWrite(c->id);
      }
      ++c->gen;
      return Ok(0);
    }
    case Op::kPending:
      return Ok(c ? static_cast<std::int64_t>(c->rx.size()) : 0);
    case Op::kSend: {
      if (!c) return Err(ENOTCONN);
      if (c->err_unread) {
        c->err_unread = false;
        return Err(c->err);
      }
      if (c->err || c->wrote_fin || c->gone) return Err(EPIPE);
      if (!c->connected) return Err(s.nonblock ? EAGAIN : ENOTCONN);
      const std::size_t n = p.size() >= sizeof sa ? p.size() - sizeof sa : 0;
      if (n && !env_.StreamSend(c->id, Bytes(p.data() + sizeof sa, n)).ok()) return Err(EPIPE);
      stats_.stream_bytes_out += n;
      return Ok(static_cast<std::int64_t>(n));
    }
    case Op::kRecv: {
      if (!c) return Err(ENOTCONN);
      const std::int64_t flags = r.a[1];
      if (!c->rx.empty()) {
        const auto max = static_cast<std::size_t>(std::max<std::int64_t>(r.a[2], 0));
        const std::size_t k = std::min(max, c->rx.size());
        std::vector<std::uint8_t> out = SaBytes(c->peer);
        out.insert(out.end(), c->rx.begin(), c->rx.begin() + static_cast<std::ptrdiff_t>(k));
        if (!(flags & MSG_PEEK)) c->rx.erase(c->rx.begin(), c->rx.begin() + static_cast<std::ptrdiff_t>(k));
        return Ok(static_cast<std::int64_t>(k), std::move(out));
      }
      if (c->err_unread) {
        c->err_unread = false;
        return Err(c->err);
      }
      if (c->eof || c->rd_shut || c->gone || c->err) return Ok(0, SaBytes(c->peer));
      if (s.nonblock || (flags & MSG_DONTWAIT)) return Err(EAGAIN);
      return std::nullopt;  // a blocking receive waits for bytes, EOF or a reset
    }
    default:
      Fail("sent an unknown request (op " + std::to_string(r.op) + ") on a stream socket");
      return std::nullopt;
  }
}

std::vector<std::uint16_t> Process::tcp_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& [fd, s] : socks_) {
    if (s.kind == 3 && s.listening) out.push_back(s.port);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mcpsim::interpose
