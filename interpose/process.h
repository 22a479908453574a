// The simulator side of the interposer: runs one child process with
// libmcpsim_interpose.so preloaded and serves its calls (interpose/wire.h)
// from an Env — in a simulation, a sim node's Env, so the child's sockets are
// the node's ports, its clocks the virtual clock, its randomness the node's
// seeded stream.
//
// Execution model: the child runs only while the simulator waits for its next
// request; each request is answered at the current virtual time (the child's
// computation takes no virtual time). A request that must wait (poll/epoll
// with nothing ready, a blocking receive, a sleep) leaves the child stopped;
// a datagram for one of its ports or the wait's timer (an Env timer) answers
// it and runs the child again until it waits once more. So a run is a
// function of the seed and the target binary: same answers, same behaviour.
//
// Bounds: each answer from the child must come within `hang_ms` of wall time
// (else it is killed: "hung or busy"); each socket queues at most
// kMaxQueued datagrams (more are dropped, as by a full receive buffer); a
// child that spins on zero-timeout polls is given 1 µs of virtual time per
// spin after kSpinFree spins at one instant, and more than `busy_limit`
// calls at one instant kill it.
//
// Threading: everything runs on the Env's thread. The child is spawned with
// fork+execve (only async-signal-safe calls between them) under /bin/sh -c
// 'exec CMD', stdin from /dev/null, stdout to our stderr (stdout is for
// results), in a fresh network namespace when the kernel allows it (so a call
// that escapes the shim cannot reach a real network).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "interpose/wire.h"

namespace mcpsim::interpose {

// CLOCK_MONOTONIC (and every clock but the real-time ones) at virtual time 0.
inline constexpr TimeUs kMonoBaseUs = kMonoBaseMicros;

struct ProcessOptions {
  std::string command;      // shell command line (run as `exec CMD`)
  std::string preload;      // path of libmcpsim_interpose.so
  int hang_ms = 10000;      // wall-clock bound for each answer of the child
  std::uint64_t busy_limit = 2'000'000;
  // CLOCK_REALTIME at virtual time 0, in µs since the epoch (2026-01-01).
  std::int64_t epoch_us = 1767225600LL * 1000000;
  bool isolate_network = true;  // unshare(CLONE_NEWNET) in the child if allowed
  // The child's stdout goes to a pipe read by ReadStdout() (else to our stderr).
  bool capture_stdout = false;
};

struct ProcessStats {
  std::uint64_t calls = 0, waits = 0, datagrams_in = 0, datagrams_out = 0, dropped_full = 0, spins = 0;
  std::uint64_t accepted = 0, connects = 0, stream_bytes_in = 0, stream_bytes_out = 0;
  std::uint64_t local = 0;  // calls the shim answered without a round trip (clock reads)
  std::uint64_t by_op[64] = {};  // round trips per Op (index = Op value, 63: larger values)
  double wall_wait_s = 0;   // wall time spent waiting for the target's next request (its CPU + switches)
};

// Where libmcpsim_interpose.so is: $MCPSIM_INTERPOSE_LIB, else next to the
// running executable, ../interpose/ (build tree) or ../lib/mcpsim/ (installed).
// "INTERPOSE-1" when none exists.
Result<std::string> FindPreload();

// Refuses, before running it, a command whose program is a statically linked
// ELF (LD_PRELOAD cannot reach it): "INTERPOSE-2" naming the file. Programs
// not found or not ELF (scripts) pass.
Status CheckProgram(const std::string& command);

class Process {
 public:
  // `env` must outlive this object.
  Process(Env& env, ProcessOptions options);
  ~Process();  // kills the child (SIGKILL) if it still runs, reaps it
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Spawns the child and runs it until it first waits. Error: it could not
  // be started, or it died or was refused before it waited.
  Status Start();

  // The Env is gone (its world was destroyed first): kill the child and
  // never touch the Env again.
  void Abandon();

  bool alive() const { return pid_ > 0 && failure_.empty(); }
  // Why the child is no longer served ("" while it is): exited, killed,
  // hung, protocol violation, or a refusal (what it did that we cannot
  // simulate — a second thread, an unknown socket family, ...).
  const std::string& failure() const { return failure_; }
  const std::vector<std::string>& refusals() const { return refusals_; }
  bool network_isolated() const { return isolated_; }
  // capture_stdout: what the child wrote to stdout since the last call (it is
  // stopped whenever the simulator runs, so nothing is half-written).
  std::string ReadStdout();
  const ProcessStats& stats() const { return stats_; }
  // UDP ports the child has bound on the Env, ascending.
  std::vector<std::uint16_t> udp_ports() const;
  // TCP ports the child listens on, ascending.
  std::vector<std::uint16_t> tcp_ports() const;

 private:
  struct Reg {
    std::uint32_t events = 0;
    std::uint64_t data = 0;
    std::uint64_t seen_gen = 0;  // EPOLLET: arrivals already reported
    bool out_reported = false;   // EPOLLET: EPOLLOUT already reported
    bool disabled = false;       // EPOLLONESHOT fired
  };
  // One stream connection (TCP), shared between the Env's handlers and the
  // socket that owns it (a listener's backlog until accepted).
  struct Conn {
    StreamId id = 0;
    Endpoint peer;
    std::uint16_t local_port = 0;
    bool connected = false;  // handshake done
    bool eof = false;        // the peer half-closed (FIN)
    bool gone = false;       // on_closed ran or we reset it: no more Env calls
    bool wrote_fin = false;  // shutdown(SHUT_WR) or close
    bool rd_shut = false;    // shutdown(SHUT_RD)
    bool orphan = false;     // the target closed its descriptor
    int err = 0;             // errno of a reset / refusal / timeout (0: none)
    bool err_unread = false; // SO_ERROR not yet read
    std::deque<std::uint8_t> rx;
    std::uint64_t gen = 0;   // state changes (EPOLLET)
  };
  struct Sock {
    int kind = 1;  // 1 udp, 2 epoll, 3 tcp, 4 eventfd, 5 timerfd
    bool nonblock = false;
    std::uint16_t port = 0;  // bound local port (0: not bound); tcp: bind()'s port
    std::optional<Endpoint> peer;
    std::deque<std::pair<Endpoint, std::vector<std::uint8_t>>> rx;
    std::uint64_t gen = 0;  // datagrams / connections that ever arrived
    std::map<int, Reg> regs;  // epoll: watched fd -> registration
    // tcp
    bool bound = false, listening = false;
    std::deque<std::shared_ptr<Conn>> backlog;  // listener: established, not yet accepted
    std::shared_ptr<Conn> conn;                 // connecting or connected
    // eventfd
    std::uint64_t counter = 0;
    bool semaphore = false;
    // timerfd (on the Env's clock; `clock` only maps absolute settings)
    std::int64_t clock = 0;
    TimeUs due = kNever, interval = 0;
    std::uint64_t expirations = 0;
    TimerId timer = 0;
  };
  struct Answer {
    Reply reply{};
    std::vector<std::uint8_t> payload;
  };
  // A call's answer: return value `ret` (and its out-data), or -1 with errno `err`.
  static std::optional<Answer> Ok(std::int64_t ret, std::vector<std::uint8_t> payload = {}) {
    Answer a;
    a.reply.ret = ret;
    a.payload = std::move(payload);
    return a;
  }
  static std::optional<Answer> Err(int err) {
    Answer a;
    a.reply.ret = -1;
    a.reply.err = err;
    return a;
  }
  struct Pending {
    bool active = false;
    Request req{};
    std::vector<std::uint8_t> payload;
    TimeUs deadline = kNever;
    TimerId timer = 0;
  };

  void Pump();                  // runs the child until it waits, dies or fails
  void Retry();                 // the pending wait may be answerable now
  // nullopt: the request must wait (`deadline` set by the handler).
  std::optional<Answer> Handle(const Request& r, const std::vector<std::uint8_t>& p, bool first, TimeUs& deadline);
  std::optional<Answer> HandleSocket(const Request& r, const std::vector<std::uint8_t>& p, bool first,
                                     TimeUs& deadline);
  std::optional<Answer> HandleWait(const Request& r, const std::vector<std::uint8_t>& p, bool first,
                                   TimeUs& deadline);
  Status EnsureBound(int fd, Sock& s, std::uint16_t port);
  std::optional<Answer> HandleStream(const Request& r, const std::vector<std::uint8_t>& p, int fd, Sock& s,
                                     bool first);
  std::optional<Answer> HandleFd(const Request& r, const std::vector<std::uint8_t>& p, int fd, Sock& s);
  void ArmTimer(int fd, Sock& s);  // starts the Env timer of a timerfd at s.due
  StreamHandlers Handlers(const std::shared_ptr<Conn>& c);
  void CloseStream(Sock& s);  // the target closed a tcp descriptor
  std::uint32_t Readiness(int fd) const;  // EPOLL* bits of a simulated descriptor (0 unknown)
  std::uint64_t Gen(int fd) const;
  std::uint32_t StreamReadiness(const Sock& s) const;        // state changes of a descriptor (EPOLLET)
  bool ReadRequest(Request& r, std::vector<std::uint8_t>& p);
  void DrainStdout();  // captured stdout -> stdout_ (non-blocking)
  void UpdatePage();   // the readiness page (wire.h) from socks_, before each reply
  bool WriteAnswer(const Answer& a);
  void Fail(const std::string& why);  // kills the child, records why
  std::string Reap();                 // waits for the exited child: "exited with status N" / "killed by signal S"
  TimeUs DeadlineAfterMs(std::int64_t ms, bool first, TimeUs& deadline) const;

  Env& env_;
  ProcessOptions o_;
  int pid_ = -1, chan_ = -1, out_ = -1;
  std::string stdout_;               // captured, not yet read by ReadStdout()
  std::vector<std::uint8_t> rx_;     // the channel's receive buffer (one request)
  std::uint8_t* page_ = nullptr;     // the readiness page shared with the child (kPageFds bytes)
  std::string failure_;
  std::vector<std::string> refusals_;
  bool isolated_ = false, in_pump_ = false, env_gone_ = false;
  std::map<int, Sock> socks_;
  Pending pending_;
  // Cleared when this object dies: Env handlers (streams, listeners) outlive it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  ProcessStats stats_;
  TimeUs instant_ = -1;
  std::uint64_t calls_at_instant_ = 0, spins_at_instant_ = 0;
};

}  // namespace mcpsim::interpose
