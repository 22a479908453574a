#include "net/asio_env_impl.h"

#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <cstring>
#include <random>

namespace mcpsim::net {

namespace {
std::uint64_t OsSeed() {
  std::random_device rd;  // once per process, only when no --seed was given
  return (std::uint64_t{rd()} << 32) ^ rd();
}

void ToSockaddr(const Endpoint& e, sockaddr_storage& ss, socklen_t& len) {
  std::memset(&ss, 0, sizeof ss);
  if (!e.v6) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(e.port);
    std::memcpy(&s->sin_addr, e.addr.data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(e.port);
    std::memcpy(&s->sin6_addr, e.addr.data(), 16);
    len = sizeof(sockaddr_in6);
  }
}

Endpoint FromSockaddr(const sockaddr_storage& ss) {
  Endpoint e;
  if (ss.ss_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
    std::memcpy(e.addr.data(), &s->sin_addr, 4);
    e.port = ntohs(s->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
    std::memcpy(e.addr.data(), &s->sin6_addr, 16);
    e.v6 = true;
    e.port = ntohs(s->sin6_port);
  }
  return e;
}
}  // namespace

Endpoint ToEndpoint(const asio::ip::address& a, std::uint16_t port) {
  Endpoint e;
  if (a.is_v4()) {
    e = Endpoint::V4(a.to_v4().to_uint(), port);
  } else {
    const auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), e.addr.begin());
    e.v6 = true;
    e.port = port;
  }
  return e;
}

asio::ip::address ToAddress(const Endpoint& e) {
  if (!e.v6) return asio::ip::address_v4(e.v4());
  asio::ip::address_v6::bytes_type b;
  std::copy(e.addr.begin(), e.addr.end(), b.begin());
  return asio::ip::address_v6(b);
}

Result<std::pair<std::string, std::uint16_t>> ParseHostPort(std::string_view text) {
  auto bad = [&] { return Status::Error("NET-1", "expected HOST:PORT, got '" + std::string(text) + "'"); };
  std::string host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return bad();
    host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad();
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec || port.empty() || port.size() > 5) return bad();
  unsigned p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return bad();
    p = p * 10 + static_cast<unsigned>(c - '0');
  }
  if (p > 65535) return bad();
  return std::make_pair(host, static_cast<std::uint16_t>(p));
}

AsioEnv::Impl::Impl(AsioEnv& s, asio::io_context& i, AsioEnvOptions o)
    : self(s), io(i), opt(std::move(o)), start(std::chrono::steady_clock::now()),
      rng(opt.seed ? *opt.seed : OsSeed()), timer(i), sweep(i) {
  if (opt.udp_batch == 0) opt.udp_batch = 1;
  if (opt.udp_batch > 256) opt.udp_batch = 256;
}

AsioEnv::AsioEnv(asio::io_context& io, AsioEnvOptions options)
    : impl_(std::make_unique<Impl>(*this, io, std::move(options))) {
  if (Status s = SetBindAddress(impl_->opt.bind_address); !s.ok()) impl_->bind_addr = asio::ip::address_v4::loopback();
}

AsioEnv::~AsioEnv() { Close(); }

asio::io_context& AsioEnv::io() { return impl_->io; }
const AsioEnvStats& AsioEnv::stats() const { return impl_->stats; }
std::size_t AsioEnv::open_streams() const { return impl_->conns.size(); }
Rng& AsioEnv::Random() { return impl_->rng; }

TimeUs AsioEnv::Now() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - impl_->start)
      .count();
}

Status AsioEnv::SetBindAddress(std::string_view ip) {
  std::string host(ip);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto a = asio::ip::make_address(host, ec);
  if (ec) return Status::Error("NET-1", "not an IP address: " + host);
  impl_->bind_addr = a;
  return {};
}

Endpoint AsioEnv::LocalAddress() const { return ToEndpoint(impl_->bind_addr, 0); }

// ---- timers ----

TimerId AsioEnv::StartTimer(TimeUs at, std::function<void()> fn) {
  Impl& m = *impl_;
  const TimerId id = m.next_timer++;
  m.timers.emplace(std::make_pair(at, id), std::move(fn));
  m.timer_due[id] = at;
  if (at <= Now()) {
    // Already due (e.g. RoleHost's end-of-burst timer): run it from the
    // io_context's queue, after the current handler, without re-arming the
    // timerfd (two syscalls and an extra reactor round per burst).
    if (!m.due_posted) {
      m.due_posted = true;
      asio::post(m.io, [&m, tok = m.Token()] {
        if (tok.expired()) return;
        m.due_posted = false;
        m.RunDue();
      });
    }
    return id;
  }
  if (at < m.armed_at) m.ArmTimer();
  return id;
}

void AsioEnv::CancelTimer(TimerId id) {
  Impl& m = *impl_;
  auto it = m.timer_due.find(id);
  if (it == m.timer_due.end()) return;
  m.timers.erase({it->second, id});
  m.timer_due.erase(it);
}

void AsioEnv::Impl::ArmTimer() {
  if (timers.empty()) {
    armed_at = kNever;
    return;
  }
  armed_at = timers.begin()->first.first;
  timer.expires_at(start + std::chrono::microseconds(std::max<TimeUs>(armed_at, 0)));
  timer.async_wait([this, tok = Token()](const boost::system::error_code& ec) {
    if (tok.expired() || ec == asio::error::operation_aborted) return;
    OnTimer();
  });
}

void AsioEnv::Impl::OnTimer() {
  armed_at = kNever;
  RunDue();
}

void AsioEnv::Impl::RunDue() {
  const TimeUs now = self.Now();
  const TimerId limit = next_timer;  // timers started by these callbacks wait for the next round
  auto tok = Token();
  for (auto it = timers.begin(); it != timers.end() && it->first.first <= now;) {
    if (it->first.second >= limit) {
      ++it;
      continue;
    }
    std::function<void()> fn = std::move(it->second);
    timer_due.erase(it->first.second);
    timers.erase(it);
    fn();
    if (tok.expired()) return;
    it = timers.begin();
  }
  if (timers.empty() || timers.begin()->first.first < armed_at) ArmTimer();
}

// ---- datagrams ----

Result<Endpoint> AsioEnv::BindDatagram(std::uint16_t port,
                                       std::function<void(const Endpoint&, Bytes)> on_datagram) {
  Impl& m = *impl_;
  auto p = std::make_shared<UdpPort>(m.io, m.opt.udp_batch, m.opt.udp_max_datagram);
  boost::system::error_code ec;
  udp::endpoint ep(m.bind_addr, port);
  p->sock.open(ep.protocol(), ec);
  if (!ec) p->sock.bind(ep, ec);
  if (!ec) p->sock.non_blocking(true, ec);
  if (ec) return Status::Error("NET-1", "bind udp " + ToEndpoint(m.bind_addr, port).ToString() + ": " + ec.message());
  // Larger kernel buffers absorb bursts between two io_context turns.
  p->sock.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
  p->sock.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
  const auto local = p->sock.local_endpoint(ec);
  if (ec) return Status::Error("NET-1", "udp local_endpoint: " + ec.message());
  p->port = local.port();
  p->cb = std::move(on_datagram);
  if (m.udp.count(p->port)) return Status::Error("NET-1", "udp port " + std::to_string(p->port) + " already bound");
  m.udp[p->port] = p;
  if (m.receiving) m.ArmReceive(p);
  return ToEndpoint(local.address(), local.port());
}

void AsioEnv::Impl::ArmReceive(const std::shared_ptr<UdpPort>& p) {
  if (p->wait_read || p->closed || !receiving) return;
  p->wait_read = true;
  p->sock.async_wait(udp::socket::wait_read, [this, p, tok = Token()](const boost::system::error_code& ec) {
    p->wait_read = false;
    if (tok.expired() || p->closed || ec == asio::error::operation_aborted) return;
    Receive(p);
  });
}

bool AsioEnv::Impl::Admit(const Endpoint& from) {
  if (opt.udp_rate_per_s <= 0) return true;
  const double burst = opt.udp_burst > 0 ? opt.udp_burst : opt.udp_rate_per_s;
  const TimeUs now = self.Now();
  const BucketKey key{from.addr, from.v6};
  auto it = buckets.find(key);
  if (it == buckets.end()) {
    if (buckets.size() >= std::max<std::size_t>(1, opt.udp_rate_keys)) {
      buckets.erase(bucket_lru.front());
      bucket_lru.pop_front();
    }
    it = buckets.emplace(key, Bucket{burst, now, bucket_lru.insert(bucket_lru.end(), key)}).first;
  } else {
    Bucket& b = it->second;
    b.tokens = std::min(burst, b.tokens + static_cast<double>(now - b.at) * opt.udp_rate_per_s / 1e6);
    b.at = now;
    bucket_lru.splice(bucket_lru.end(), bucket_lru, b.lru);
  }
  Bucket& b = it->second;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void AsioEnv::Impl::StreamEvents(std::size_t n) {
  if (opt.udp_poll_every == 0 || !receiving || udp.empty()) return;
  stream_events += n;
  if (stream_events < opt.udp_poll_every) return;
  stream_events = 0;
  ++stats.datagram_polls;
  std::vector<std::shared_ptr<UdpPort>> ports;  // a role callback may bind or close ports
  ports.reserve(udp.size());
  for (const auto& [port, p] : udp) ports.push_back(p);
  for (const std::shared_ptr<UdpPort>& p : ports) {
    if (!p->closed && !p->in_receive) Receive(p, 1);  // one batch: streams keep their turn
  }
}

void AsioEnv::Impl::Receive(const std::shared_ptr<UdpPort>& p, int rounds) {
  const std::size_t batch = opt.udp_batch;
  std::vector<mmsghdr>& msgs = p->msgs;
  std::vector<iovec>& iov = p->iov;
  std::vector<sockaddr_storage>& from = p->addrs;
  auto tok = Token();
  // A few batches per wake-up, then yield to other sockets and timers.
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < batch; ++i) {
      iov[i] = {p->buf.data() + i * p->bufsize, p->bufsize};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(p->sock.native_handle(), msgs.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
    if (n <= 0) break;  // EAGAIN, or a pending socket error (consumed by the call)
    ++stats.receive_batches;
    for (int i = 0; i < n; ++i) {
      const std::size_t len = msgs[i].msg_len;
      if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len > opt.udp_max_datagram) {
        ++stats.datagrams_oversize;
        continue;
      }
      const Endpoint src = FromSockaddr(from[i]);
      if (!Admit(src)) {
        ++stats.datagrams_rate_limited;
        continue;
      }
      ++stats.datagrams_received;
      p->in_receive = true;
      p->cb(src, Bytes(p->buf.data() + static_cast<std::size_t>(i) * p->bufsize, len));
      if (tok.expired()) return;
      p->in_receive = false;
      if (p->closed) return;
    }
    // The answers to this batch leave together, without a trip through the queue.
    if (!p->wait_write) Flush(p);
    if (static_cast<std::size_t>(n) < batch) break;
  }
  ArmReceive(p);
}

Status AsioEnv::SendDatagram(std::uint16_t from_port, const Endpoint& to, Bytes payload) {
  Impl& m = *impl_;
  auto it = m.udp.find(from_port);
  if (it == m.udp.end() || it->second->closed) {
    return Status::Error("NET-2", "no bound udp port " + std::to_string(from_port));
  }
  if (payload.size() > 65507) return Status::Error("NET-2", "datagram too large");
  UdpPort& p = *it->second;
  if (p.sendq.size() >= m.opt.udp_send_queue) {
    ++m.stats.datagrams_send_dropped;  // UDP may drop; the sender's resends cover it
    return {};
  }
  std::vector<std::uint8_t> bytes;
  if (!p.spare.empty()) {
    bytes = std::move(p.spare.back());
    p.spare.pop_back();
  }
  bytes.assign(payload.begin(), payload.end());
  p.sendq.push_back({to, std::move(bytes)});
  if (!p.flush_posted && !p.wait_write && !p.in_receive) {
    // Sends queued by one batch of callbacks leave together in one sendmmsg.
    p.flush_posted = true;
    asio::post(m.io, [&m, sp = it->second, tok = m.Token()] {
      sp->flush_posted = false;
      if (!tok.expired()) m.Flush(sp);
    });
  }
  return {};
}

void AsioEnv::CloseDatagram(std::uint16_t port) {
  Impl& m = *impl_;
  auto it = m.udp.find(port);
  if (it == m.udp.end()) return;
  std::shared_ptr<UdpPort> p = it->second;
  m.udp.erase(it);
  p->closed = true;  // handlers holding `p` see it; `cb` stays valid while running
  boost::system::error_code ec;
  p->sock.close(ec);
  p->sendq.clear();
}

void AsioEnv::Impl::Flush(const std::shared_ptr<UdpPort>& p) {
  if (p->closed) return;
  const std::size_t batch = opt.udp_batch;
  std::vector<mmsghdr>& msgs = p->smsgs;  // not Receive's scratch: Flush runs inside Receive
  std::vector<iovec>& iov = p->siov;
  std::vector<sockaddr_storage>& to = p->saddrs;
  while (!p->sendq.empty()) {
    const std::size_t n = std::min(batch, p->sendq.size());
    for (std::size_t i = 0; i < n; ++i) {
      UdpPort::Out& o = p->sendq[i];
      socklen_t len = 0;
      ToSockaddr(o.to, to[i], len);
      iov[i] = {o.bytes.data(), o.bytes.size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &to[i];
      msgs[i].msg_hdr.msg_namelen = len;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int sent = sendmmsg(p->sock.native_handle(), msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        p->wait_write = true;
        p->sock.async_wait(udp::socket::wait_write, [this, p, tok = Token()](const boost::system::error_code& ec) {
          p->wait_write = false;
          if (!tok.expired() && !ec) Flush(p);
        });
        return;
      }
      // This datagram cannot be sent (e.g. an address of the wrong family): drop it.
      ++stats.datagrams_send_dropped;
      p->sendq.pop_front();
      continue;
    }
    stats.datagrams_sent += static_cast<std::uint64_t>(sent);
    for (int i = 0; i < sent && p->spare.size() < opt.udp_batch * 8; ++i) {
      if (p->sendq[static_cast<std::size_t>(i)].bytes.capacity() <= 2048) {
        p->spare.push_back(std::move(p->sendq[static_cast<std::size_t>(i)].bytes));
      }
    }
    p->sendq.erase(p->sendq.begin(), p->sendq.begin() + sent);
  }
}

void AsioEnv::StopReceiving() {
  Impl& m = *impl_;
  m.receiving = false;
  boost::system::error_code ec;
  for (auto& entry : m.udp) {
    std::shared_ptr<UdpPort> p = entry.second;
    if (p->wait_read) p->sock.cancel(ec);  // also cancels a write wait; Flush re-arms via post
    if (p->wait_write) {
      p->wait_write = false;
      asio::post(m.io, [&m, p, tok = m.Token()] {
        if (!tok.expired()) m.Flush(p);
      });
    }
  }
  for (auto& [port, l] : m.listeners) {
    l->closed = true;
    l->acceptor.close(ec);
  }
}

bool AsioEnv::HasPendingOutput() const {
  for (const auto& [port, p] : impl_->udp) {
    if (!p->closed && !p->sendq.empty()) return true;
  }
  for (const auto& [id, c] : impl_->conns) {
    if (!c->inflight.empty() || !c->pending.empty()) return true;
  }
  return false;
}

void AsioEnv::Offload(TimeUs, std::function<void()> work, std::function<void()> done) {
  Impl& m = *impl_;
  if (m.opt.workers == 0) {  // no threads: on the loop, from a timer (never inside this call)
    ++m.stats.work_offloaded;
    Env::Offload(0, std::move(work), [impl = &m, done = std::move(done)] {
      ++impl->stats.work_completed;
      if (done) done();
    });
    return;
  }
  if (!m.pool) m.pool = std::make_unique<asio::thread_pool>(std::max<std::size_t>(1, m.opt.workers));
  ++m.stats.work_offloaded;
  std::weak_ptr<bool> token = m.work_alive;
  Impl* impl = &m;
  asio::io_context& io = m.io;
  // The guard keeps the io_context from running out of work (and stopping)
  // while the job is away on the pool.
  auto guard = asio::make_work_guard(io);
  asio::post(*m.pool, [&io, impl, token, guard = std::move(guard), work = std::move(work),
                       done = std::move(done)]() mutable {
    if (work) work();  // on a worker thread: touches only its own captures
    asio::post(io, [impl, token, guard = std::move(guard), done = std::move(done)] {
      if (token.expired()) return;  // Close() ran: the Impl may be gone
      ++impl->stats.work_completed;
      if (done) done();
    });
  });
}

void AsioEnv::Close() {
  Impl& m = *impl_;
  if (m.pool) {
    m.pool->stop();  // queued jobs are abandoned; running ones finish
    m.pool->join();
    m.pool.reset();
  }
  m.work_alive = std::make_shared<bool>(true);
  boost::system::error_code ec;
  for (auto& [port, p] : m.udp) {
    p->closed = true;
    p->sock.close(ec);
  }
  m.udp.clear();
  m.timers.clear();
  m.timer_due.clear();
  m.timer.cancel();
  m.armed_at = kNever;
  m.CloseAll();
}

}  // namespace mcpsim::net
