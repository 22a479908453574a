// Internal to net/: the state behind AsioEnv, shared by asio_env.cc (clock,
// timers, datagrams) and asio_stream.cc (TCP and TLS streams).
#pragma once

#include <utility>  // before Asio: Boost 1.74 + g++ 12 (see notes/toolchain.md)

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <deque>
#include <list>
#include <map>
#include <vector>

#include <sys/socket.h>
#include <sys/uio.h>

#include "net/asio_env.h"

namespace mcpsim::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

Endpoint ToEndpoint(const asio::ip::address& a, std::uint16_t port);
asio::ip::address ToAddress(const Endpoint& e);

struct UdpPort;
struct Listener;
struct Conn;

struct AsioEnv::Impl {
  Impl(AsioEnv& self, asio::io_context& io, AsioEnvOptions o);

  AsioEnv& self;
  asio::io_context& io;
  // Plain streams read into this one buffer when their socket is readable
  // (async_wait + a non-blocking read_some), so an idle connection holds no
  // read buffer (issue 15: 4096 idle connections cost 64 MiB of 16 KiB ones).
  std::array<std::uint8_t, 16384> stream_rbuf{};
  AsioEnvOptions opt;
  std::chrono::steady_clock::time_point start;
  Rng rng;
  asio::ip::address bind_addr;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  AsioEnvStats stats;
  bool receiving = true;
  asio::ssl::context* listen_tls = nullptr;  // SetListenTls
  ListenLimits listen_limits;                // SetListenLimits
  // Offload: the worker pool (created on first use) and the token its
  // completions check (replaced by Close, so none runs afterwards).
  std::unique_ptr<asio::thread_pool> pool;
  std::shared_ptr<bool> work_alive = std::make_shared<bool>(true);

  // Timers: ordered by (due time, id); ids grow, so ties fire in start order.
  std::map<std::pair<TimeUs, TimerId>, std::function<void()>> timers;
  std::map<TimerId, TimeUs> timer_due;
  TimerId next_timer = 1;
  asio::steady_timer timer;
  TimeUs armed_at = kNever;
  bool due_posted = false;  // a RunDue is queued on the io_context
  void ArmTimer();
  void OnTimer();
  // Runs the timers that are due (not those started meanwhile), then arms
  // the steady timer for the earliest one left if it is not armed earlier.
  void RunDue();

  // Datagrams.
  std::map<std::uint16_t, std::shared_ptr<UdpPort>> udp;
  // Per-source-address datagram buckets, at most opt.udp_rate_keys addresses;
  // the least recently seen is forgotten first (RATE-1), so forged sources
  // cost O(log n) per datagram, never a scan.
  using BucketKey = std::pair<std::array<std::uint8_t, 16>, bool>;
  struct Bucket {
    double tokens = 0;
    TimeUs at = 0;
    std::list<BucketKey>::iterator lru;
  };
  std::map<BucketKey, Bucket> buckets;
  std::list<BucketKey> bucket_lru;  // least recently seen first
  bool Admit(const Endpoint& from);
  void ArmReceive(const std::shared_ptr<UdpPort>& p);
  // Reads and delivers up to `rounds` recvmmsg batches, then re-arms.
  void Receive(const std::shared_ptr<UdpPort>& p, int rounds = 8);
  void Flush(const std::shared_ptr<UdpPort>& p);
  // Counts `n` stream events; every opt.udp_poll_every of them, reads the
  // datagram sockets (Receive) without waiting for the reactor, whose ready
  // list would serve them only after every connection that became ready
  // before them. REQUIRES: called from a completion handler, outside any
  // role callback.
  void StreamEvents(std::size_t n);
  std::size_t stream_events = 0;

  // Streams.
  std::map<std::uint16_t, std::shared_ptr<Listener>> listeners;
  std::map<StreamId, std::shared_ptr<Conn>> conns;
  StreamId next_stream = 1;
  asio::steady_timer sweep;
  bool sweeping = false;
  Result<Endpoint> DoListen(std::uint16_t port, asio::ssl::context* tls,
                            std::function<StreamHandlers(StreamId, const Endpoint&)> on_accept);
  void Accept(const std::shared_ptr<Listener>& l);
  // Registers one accepted connection (caps, TCP-11) and hands it to on_accept.
  void Admitted(const std::shared_ptr<Listener>& l, const std::shared_ptr<Conn>& c);
  void Admit(const std::shared_ptr<Conn>& c);  // registers an accepted/connected stream
  void StartRead(const std::shared_ptr<Conn>& c);
  void StartWrite(const std::shared_ptr<Conn>& c);
  void FinishWrite(const std::shared_ptr<Conn>& c);
  // Ends the stream: closes the socket, forgets it, then calls on_closed(why).
  void End(std::shared_ptr<Conn> c, Status why, bool abortive);  // by value: it erases the map entry
  void ArmSweep();
  void Sweep();
  void CloseAll();

  std::weak_ptr<bool> Token() const { return alive; }
};

struct UdpPort {
  UdpPort(asio::io_context& io, std::size_t batch, std::size_t max_size)
      : sock(io), buf(batch * (max_size + 1)), bufsize(max_size + 1), msgs(batch), iov(batch), addrs(batch),
        smsgs(batch), siov(batch), saddrs(batch) {}
  udp::socket sock;
  std::uint16_t port = 0;
  std::function<void(const Endpoint&, Bytes)> cb;
  std::vector<std::uint8_t> buf;  // batch slots of bufsize bytes (one spare to detect oversize)
  std::size_t bufsize;
  struct Out {
    Endpoint to;
    std::vector<std::uint8_t> bytes;
  };
  std::deque<Out> sendq;
  std::vector<std::vector<std::uint8_t>> spare;  // sent payload buffers, reused (bounded)
  std::vector<mmsghdr> msgs;                     // recvmmsg/sendmmsg scratch, batch entries
  std::vector<iovec> iov;
  std::vector<sockaddr_storage> addrs;
  std::vector<mmsghdr> smsgs;                    // the same for Flush (sendmmsg)
  std::vector<iovec> siov;
  std::vector<sockaddr_storage> saddrs;
  bool flush_posted = false;
  bool wait_write = false;
  bool wait_read = false;
  bool in_receive = false;  // inside Receive: sends are flushed at the end of the batch
  bool closed = false;
};

struct Listener {
  explicit Listener(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  asio::ssl::context* tls = nullptr;
  std::function<StreamHandlers(StreamId, const Endpoint&)> on_accept;
  bool closed = false;
  ListenLimits limits;
  std::size_t open = 0;                                          // its accepted conns not yet ended
  std::map<std::pair<std::array<std::uint8_t, 16>, bool>, std::size_t> per_address;  // open per address
  // Its open conns, least recently read first (accept time until the first
  // byte): TCP-11 evicts the front in O(1), not by a scan of every stream.
  std::list<Conn*> by_read;
};

struct Conn {
  explicit Conn(asio::io_context& io) : plain(io) {}
  StreamId id = 0;
  tcp::socket plain;                                    // the socket unless `tls`
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;  // owns the socket when set
  tcp::socket& raw() { return tls ? tls->next_layer() : plain; }
  StreamHandlers h;
  Endpoint peer;
  std::unique_ptr<std::array<std::uint8_t, 16384>> tls_rbuf;  // TLS streams only, from the first read
  std::string inflight, pending;  // bytes being written / queued behind them
  bool open = false;              // connected (and handshaken) and not ended
  bool ended = false;
  bool reading = false, writing = false;
  bool shut_requested = false, shut_done = false, got_eof = false;
  bool tls_closing = false;
  TimeUs last_activity = 0, last_progress = 0;
  TimeUs last_read = 0;               // accept time until the first byte arrives
  std::shared_ptr<Listener> listener;  // accepted connections: counted there until End
  std::list<Conn*>::iterator read_pos;  // in listener->by_read while `listener` is set
};

}  // namespace mcpsim::net
