// AsioEnv streams: TCP and TLS connections behind the Env stream interface.
//
// Invariants: a Conn is in `conns` exactly while !ended; every handler holds
// a shared_ptr to its Conn and returns at once if the Conn ended or the env
// is gone. At most one read and one write are outstanding per Conn; `inflight`
// is the buffer of the outstanding write and is never touched until it
// completes, new bytes queue in `pending`.
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "net/asio_env_impl.h"

namespace mcpsim::net {

namespace {
Status NetError(const char* clause, const std::string& what, const boost::system::error_code& ec) {
  return Status::Error(clause, what + ": " + ec.message());
}
}  // namespace

Result<Endpoint> AsioEnv::Listen(std::uint16_t port,
                                 std::function<StreamHandlers(StreamId, const Endpoint&)> on_accept) {
  return impl_->DoListen(port, impl_->listen_tls, std::move(on_accept));
}

void AsioEnv::SetListenTls(asio::ssl::context* tls) { impl_->listen_tls = tls; }

void AsioEnv::SetListenLimits(const ListenLimits& limits) { impl_->listen_limits = limits; }

Result<Endpoint> AsioEnv::ListenTls(std::uint16_t port, asio::ssl::context& tls,
                                    std::function<StreamHandlers(StreamId, const Endpoint&)> on_accept) {
  return impl_->DoListen(port, &tls, std::move(on_accept));
}

Result<Endpoint> AsioEnv::Impl::DoListen(std::uint16_t port, asio::ssl::context* tls,
                                         std::function<StreamHandlers(StreamId, const Endpoint&)> on_accept) {
  auto l = std::make_shared<Listener>(io);
  l->tls = tls;
  l->limits = listen_limits;
  l->on_accept = std::move(on_accept);
  boost::system::error_code ec;
  tcp::endpoint ep(bind_addr, port);
  l->acceptor.open(ep.protocol(), ec);
  if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) l->acceptor.bind(ep, ec);
  if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return NetError("NET-1", "listen tcp " + ToEndpoint(bind_addr, port).ToString(), ec);
  const auto local = l->acceptor.local_endpoint(ec);
  if (ec) return NetError("NET-1", "listen local_endpoint", ec);
  listeners[local.port()] = l;
  if (receiving) Accept(l);
  return ToEndpoint(local.address(), local.port());
}

void AsioEnv::Impl::Accept(const std::shared_ptr<Listener>& l) {
  auto c = std::make_shared<Conn>(io);
  l->acceptor.async_accept(c->plain, [this, l, c, tok = Token()](const boost::system::error_code& ec) {
    if (tok.expired() || l->closed) return;
    if (ec) {
      // EMFILE and friends: keep accepting later rather than spinning.
      if (ec != asio::error::operation_aborted) {
        auto t = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(50));
        t->async_wait([this, l, t, tok2 = Token()](const boost::system::error_code&) {
          if (!tok2.expired() && !l->closed) Accept(l);
        });
      }
      return;
    }
    Admitted(l, c);
    // Drain what else is queued without a reactor round trip per connection
    // (a connect flood fills the kernel's accept queue faster otherwise).
    boost::system::error_code e3;
    l->acceptor.non_blocking(true, e3);
    std::size_t n = 1;
    for (int i = 0; i < 64 && !l->closed && !tok.expired(); ++i) {
      auto more = std::make_shared<Conn>(io);
      l->acceptor.accept(more->plain, e3);
      if (e3) break;
      Admitted(l, more);
      ++n;
    }
    if (tok.expired()) return;
    StreamEvents(n);  // may run role callbacks
    if (!tok.expired() && !l->closed) Accept(l);  // accepting never stops, whatever the caps (TCP-11)
  });
}

void AsioEnv::Impl::Admitted(const std::shared_ptr<Listener>& l, const std::shared_ptr<Conn>& c) {
  {
    boost::system::error_code e2;
    const auto remote = c->plain.remote_endpoint(e2);
    if (e2 || conns.size() >= opt.max_streams) {
      ++stats.streams_refused;
      c->plain.close(e2);
      return;
    }
    c->peer = ToEndpoint(remote.address(), remote.port());
    const auto akey = std::make_pair(c->peer.addr, c->peer.v6);
    if (l->limits.max_per_address && l->per_address[akey] >= l->limits.max_per_address) {
      // TCP-11: one address holds its share already; the newest goes.
      ++stats.streams_address_capped;
      c->plain.set_option(asio::socket_base::linger(true, 0), e2);
      c->plain.close(e2);
      return;
    }
    if (l->limits.max_conns && l->open >= l->limits.max_conns) {
      // TCP-11: the listener is full; its idlest connection makes room.
      if (!l->by_read.empty()) {
        ++stats.streams_evicted;
        End(conns.at(l->by_read.front()->id), Status::Error("NET-11", "stream evicted: listener full"), true);
      }
    }
    c->listener = l;
    c->read_pos = l->by_read.insert(l->by_read.end(), c.get());
    ++l->open;
    ++l->per_address[akey];
    c->plain.set_option(tcp::no_delay(true), e2);
    c->id = next_stream++;
    c->last_activity = c->last_progress = c->last_read = self.Now();
    conns[c->id] = c;
    ArmSweep();
    auto deliver = [this, l, c] {
      ++stats.streams_accepted;
      c->open = true;
      c->h = l->on_accept(c->id, c->peer);
      if (c->ended) return;
      StartRead(c);
      StartWrite(c);
    };
    if (!l->tls) return deliver();
    c->tls = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(c->plain), *l->tls);
    c->tls->async_handshake(asio::ssl::stream_base::server,
                            [this, c, deliver, tok2 = Token()](const boost::system::error_code& hec) {
                              if (tok2.expired() || c->ended) return;
                              if (hec) {
                                ++stats.tls_handshake_failures;
                                // The role never saw this stream: end it silently.
                                c->h = {};
                                return End(c, NetError("NET-5", "tls handshake", hec), true);
                              }
                              c->last_activity = self.Now();
                              deliver();
                            });
  }
}

Result<StreamId> AsioEnv::Connect(const Endpoint& to, StreamHandlers handlers) {
  Impl& m = *impl_;
  if (m.conns.size() >= m.opt.max_streams) return Status::Error("NET-1", "too many open streams");
  auto c = std::make_shared<Conn>(m.io);
  c->id = m.next_stream++;
  c->h = std::move(handlers);
  c->peer = to;
  c->last_activity = c->last_progress = Now();
  m.conns[c->id] = c;
  m.ArmSweep();
  c->plain.async_connect(tcp::endpoint(ToAddress(to), to.port),
                         [&m, c, tok = m.Token()](const boost::system::error_code& ec) {
                           if (tok.expired() || c->ended) return;
                           if (ec) return m.End(c, NetError("NET-5", "connect " + c->peer.ToString(), ec), true);
                           boost::system::error_code e2;
                           c->plain.set_option(tcp::no_delay(true), e2);
                           c->open = true;
                           c->last_activity = m.self.Now();
                           if (c->h.on_connected) c->h.on_connected();
                           if (c->ended) return;
                           m.StartRead(c);
                           m.StartWrite(c);
                         });
  return c->id;
}

void AsioEnv::Impl::StartRead(const std::shared_ptr<Conn>& c) {
  if (c->reading || c->ended || c->got_eof || c->tls_closing) return;
  c->reading = true;
  auto on_read = [this, c, tok = Token()](const boost::system::error_code& ec, std::size_t n, const std::uint8_t* buf) {
    c->reading = false;
    if (tok.expired() || c->ended) return;
    if (c->tls_closing) {
      // The read was cancelled to send close_notify (see StreamShutdownWrite).
      c->tls->async_shutdown([this, c, tok2 = Token()](const boost::system::error_code&) {
        if (!tok2.expired() && !c->ended) End(c, Status(), false);
      });
      return;
    }
    if (n > 0) {
      c->last_activity = c->last_read = self.Now();
      if (c->listener) c->listener->by_read.splice(c->listener->by_read.end(), c->listener->by_read, c->read_pos);
      if (c->h.on_data) c->h.on_data(Bytes(buf, n));
      if (c->ended || tok.expired()) return;
    }
    if (!ec) return StartRead(c);
    if (ec == asio::error::eof || (c->tls && ec == asio::ssl::error::stream_truncated)) {
      c->got_eof = true;
      if (c->h.on_eof) c->h.on_eof();
      if (c->ended || tok.expired()) return;
      if (c->shut_done) End(c, Status(), false);
      return;
    }
    End(c, NetError("NET-5", "stream " + std::to_string(c->id), ec), true);
  };
  if (c->tls) {
    if (!c->tls_rbuf) c->tls_rbuf = std::make_unique<std::array<std::uint8_t, 16384>>();
    c->tls->async_read_some(asio::buffer(*c->tls_rbuf),
                            [c, on_read = std::move(on_read)](const boost::system::error_code& ec, std::size_t n) {
                              on_read(ec, n, c->tls_rbuf->data());
                            });
    return;
  }
  // Plain: wait until readable, then read what is there into the shared
  // buffer; on_data consumes it before the next handler runs (one thread).
  c->plain.async_wait(tcp::socket::wait_read, [this, c, on_read = std::move(on_read),
                                                tok = Token()](const boost::system::error_code& wec) {
    if (tok.expired()) return;
    StreamEvents(1);  // may run role callbacks: `c` may have ended (on_read checks)
    if (tok.expired()) return;
    if (wec) return on_read(wec, 0, nullptr);
    boost::system::error_code ec;
    if (!c->plain.non_blocking()) c->plain.non_blocking(true, ec);
    std::size_t n = 0;
    if (!ec) n = c->plain.read_some(asio::buffer(stream_rbuf), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      // Spurious wakeup: wait again (on_read with no bytes and no error restarts the read).
      return on_read(boost::system::error_code(), 0, nullptr);
    }
    on_read(ec, n, stream_rbuf.data());
  });
}

Status AsioEnv::StreamSend(StreamId id, Bytes data) {
  Impl& m = *impl_;
  auto it = m.conns.find(id);
  if (it == m.conns.end()) return Status::Error("NET-2", "unknown or closed stream " + std::to_string(id));
  std::shared_ptr<Conn> c = it->second;
  if (c->shut_requested) return Status::Error("NET-2", "stream " + std::to_string(id) + " is shut down for writing");
  if (c->inflight.size() + c->pending.size() + data.size() > m.opt.stream_send_buffer) {
    // The peer is not reading what we send: give up on it.
    ++m.stats.streams_overflowed;
    Status why = Status::Error("NET-3", "stream " + std::to_string(id) + " send buffer full; reset");
    m.End(c, why, true);
    return why;
  }
  if (c->pending.empty() && c->inflight.empty()) c->last_progress = Now();
  c->pending.append(reinterpret_cast<const char*>(data.data()), data.size());
  m.StartWrite(c);
  return {};
}

void AsioEnv::Impl::StartWrite(const std::shared_ptr<Conn>& c) {
  if (!c->open || c->ended || c->writing) return;
  if (c->pending.empty()) return FinishWrite(c);
  c->inflight.swap(c->pending);
  c->writing = true;
  auto on_write = [this, c, tok = Token()](const boost::system::error_code& ec, std::size_t) {
    c->writing = false;
    if (tok.expired() || c->ended) return;
    c->inflight.clear();
    if (ec) return End(c, NetError("NET-5", "stream " + std::to_string(c->id) + " write", ec), true);
    c->last_activity = c->last_progress = self.Now();
    StartWrite(c);
  };
  if (c->tls) {
    asio::async_write(*c->tls, asio::buffer(c->inflight), std::move(on_write));
  } else {
    asio::async_write(c->plain, asio::buffer(c->inflight), std::move(on_write));
  }
}

void AsioEnv::Impl::FinishWrite(const std::shared_ptr<Conn>& c) {
  if (!c->shut_requested || c->shut_done || c->writing || !c->pending.empty()) return;
  c->shut_done = true;
  if (c->tls) {
    c->tls_closing = true;
    boost::system::error_code ec;
    if (c->reading) {
      c->raw().cancel(ec);  // the read handler starts the TLS shutdown
    } else {
      c->tls->async_shutdown([this, c, tok = Token()](const boost::system::error_code&) {
        if (!tok.expired() && !c->ended) End(c, Status(), false);
      });
    }
    return;
  }
  boost::system::error_code ec;
  c->plain.shutdown(tcp::socket::shutdown_send, ec);
  if (c->got_eof) End(c, Status(), false);
}

Status AsioEnv::StreamShutdownWrite(StreamId id) {
  Impl& m = *impl_;
  auto it = m.conns.find(id);
  if (it == m.conns.end()) return Status::Error("NET-2", "unknown or closed stream " + std::to_string(id));
  std::shared_ptr<Conn> c = it->second;
  if (c->shut_requested) return {};
  c->shut_requested = true;
  if (c->open && !c->writing && c->pending.empty()) {
    // Completion (and maybe on_closed) must not run inside this call.
    asio::post(m.io, [&m, c, tok = m.Token()] {
      if (!tok.expired() && !c->ended) m.FinishWrite(c);
    });
  }
  return {};
}

void AsioEnv::StreamReset(StreamId id) {
  Impl& m = *impl_;
  auto it = m.conns.find(id);
  if (it == m.conns.end()) return;
  m.End(it->second, Status::Error("NET-6", "stream reset locally"), true);
}

void AsioEnv::Impl::End(std::shared_ptr<Conn> c, Status why, bool abortive) {
  if (c->ended) return;
  c->ended = true;
  c->open = false;
  conns.erase(c->id);
  if (c->listener) {  // TCP-11 accounting
    Listener& l = *c->listener;
    l.by_read.erase(c->read_pos);
    --l.open;
    auto it = l.per_address.find(std::make_pair(c->peer.addr, c->peer.v6));
    if (it != l.per_address.end() && --it->second == 0) l.per_address.erase(it);
    c->listener.reset();
  }
  boost::system::error_code ec;
  if (abortive) c->raw().set_option(asio::socket_base::linger(true, 0), ec);
  c->raw().close(ec);
  c->inflight.clear();
  c->pending.clear();
  // Never inside an Env call: deliver on_closed from a fresh handler.
  if (c->h.on_closed) {
    asio::post(io, [fn = std::move(c->h.on_closed), why = std::move(why), tok = Token()] {
      if (!tok.expired()) fn(why);
    });
  }
  c->h = {};
}

void AsioEnv::Impl::ArmSweep() {
  if (sweeping) return;
  TimeUs period = std::min(opt.stream_idle_timeout, opt.stream_stall_timeout);
  if (period == kNever) return;
  period = std::clamp<TimeUs>(period / 4, 5 * kMillis, kSeconds);
  sweeping = true;
  sweep.expires_after(std::chrono::microseconds(period));
  sweep.async_wait([this, tok = Token()](const boost::system::error_code& ec) {
    if (tok.expired()) return;
    sweeping = false;
    if (ec) return;
    Sweep();
    if (!conns.empty()) ArmSweep();
  });
}

void AsioEnv::Impl::Sweep() {
  const TimeUs now = self.Now();
  std::vector<std::shared_ptr<Conn>> dead;
  for (auto& [id, c] : conns) {
    const bool idle = opt.stream_idle_timeout != kNever && now - c->last_activity >= opt.stream_idle_timeout;
    const bool stalled = opt.stream_stall_timeout != kNever && (c->writing || c->tls_closing) &&
                         now - c->last_progress >= opt.stream_stall_timeout;
    if (idle || stalled) dead.push_back(c);
  }
  for (auto& c : dead) {
    ++stats.streams_timed_out;
    End(c, Status::Error("NET-4", "stream " + std::to_string(c->id) + " timed out"), true);
  }
}

void AsioEnv::Impl::CloseAll() {
  boost::system::error_code ec;
  for (auto& [port, l] : listeners) {
    l->closed = true;
    l->acceptor.close(ec);
  }
  listeners.clear();
  for (auto& [id, c] : conns) {
    c->ended = true;
    c->h = {};
    c->listener.reset();
    c->raw().close(ec);
  }
  conns.clear();
  sweep.cancel();
}

}  // namespace mcpsim::net
