// The interposer's channel: a small fixed binary message format between the
// preloaded shim (libmcpsim_interpose.so, in the target process) and the
// simulator side (interpose/process.h), over one inherited AF_UNIX stream
// socket whose number the target finds in MCPSIM_INTERPOSE_FD.
//
// Strictly request/answer, one at a time: the shim writes one Request
// (header + `len` payload bytes) and blocks until it has read one Reply
// (header + `len` payload bytes). While the target waits for an answer it is
// stopped; virtual time only moves when the simulator answers. Both sides run
// on one host and one ABI, so integers are native-endian and the headers are
// fixed-size PODs (static_asserts below). A payload is at most kMaxPayload
// bytes; the simulator side treats anything else as a protocol violation and
// kills the target.
//
// Clocks cost no round trip (version 3): every Reply carries the virtual
// time it was written at, and the target runs only between a reply and its
// next request, so virtual time cannot move while it runs — the shim answers
// clock_gettime/gettimeofday/time (libc, raw syscall, vDSO) from the last
// reply's `now_us` and the hello reply's epoch. Each Request reports how many
// calls were answered that way since the previous one (`local`), for the
// simulator's counters.
//
// This header is shared by the shim (no C++ runtime beyond these PODs) and
// the simulator side; it has no dependencies.
#pragma once

#include <cstdint>

namespace mcpsim::interpose {

inline constexpr std::uint32_t kWireVersion = 3;
inline constexpr std::uint32_t kMaxPayload = 256 * 1024;
inline constexpr const char* kFdEnv = "MCPSIM_INTERPOSE_FD";
// The readiness page (version 3): a shared memory file (its descriptor in
// MCPSIM_INTERPOSE_PAGE_FD, mapped read-only by the shim) with one byte per
// descriptor number, rewritten by the simulator before every reply — exact
// while the target runs, as virtual time is. A non-blocking receive, read or
// accept on a descriptor marked kPageWouldBlock gets EAGAIN from the shim
// without a round trip (event loops try one speculatively after each event).
inline constexpr const char* kPageEnv = "MCPSIM_INTERPOSE_PAGE_FD";
inline constexpr std::uint32_t kPageFds = 4096;       // descriptor numbers covered (the shim's bound)
inline constexpr std::uint8_t kPageWouldBlock = 1;    // recv/read/accept now: EAGAIN if non-blocking
inline constexpr std::uint8_t kPageNonBlock = 2;      // the descriptor has O_NONBLOCK
inline constexpr std::uint8_t kPageListening = 4;     // a listening stream socket (the bit is about accept)
// CLOCK_MONOTONIC (and every clock but the real-time ones) at virtual time 0, in µs.
inline constexpr std::int64_t kMonoBaseMicros = 1000000;

// Operations. Arguments a[0..5] as listed; "fd" is the target's descriptor
// number (the shim reserves it with a placeholder so the kernel never hands
// it out twice); "sa" is a 16-byte sockaddr_in (network byte order fields).
enum class Op : std::uint32_t {
  kHello = 1,        // a0 pid, a1 kWireVersion, a2 1: in a fresh network namespace -> ret CLOCK_REALTIME at virtual 0 (µs)
  kRefuse = 2,       // payload: why (text). The target did something we cannot simulate; answer ret 0.
  kSocket = 10,      // a0 fd, a1 domain, a2 type (SOCK_DGRAM/SOCK_STREAM with SOCK_NONBLOCK/SOCK_CLOEXEC), a3 protocol
  kBind = 11,        // a0 fd; payload sa
  kListen = 12,      // a0 fd, a1 backlog
  kConnect = 13,     // a0 fd; payload sa
  kGetSockName = 14, // a0 fd -> payload sa
  kGetPeerName = 15, // a0 fd -> payload sa
  kSetSockOpt = 16,  // a0 fd, a1 level, a2 name; payload value
  kGetSockOpt = 17,  // a0 fd, a1 level, a2 name, a3 optlen -> payload value
  kSetNonBlock = 18, // a0 fd, a1 on (1/0)
  kGetFlags = 19,    // a0 fd -> ret O_RDWR | O_NONBLOCK?
  kPending = 20,     // a0 fd -> ret bytes of the next datagram (FIONREAD)
  kSend = 21,        // a0 fd, a1 flags, a2 has_addr; payload [sa][data] -> ret bytes sent (tcp: all of them)
  kRecv = 22,        // a0 fd, a1 flags, a2 max bytes -> ret datagram length (tcp: bytes, 0 at EOF); payload [sa][data (<= max)]
  kClose = 23,       // a0 fd
  kShutdown = 24,    // a0 fd, a1 how
  kAccept = 25,      // a0 listening fd, a1 new fd (reserved by the shim), a2 SOCK_NONBLOCK? -> payload sa (peer)
  kEventFd = 26,     // a0 fd, a1 initial value, a2 flags (EFD_SEMAPHORE, EFD_NONBLOCK). read/write: kRecv/kSend (8 bytes)
  kTimerCreate = 27, // a0 fd, a1 clockid, a2 flags (TFD_NONBLOCK). read: kRecv (8 bytes: expirations)
  kTimerSet = 28,    // a0 fd, a1 flags (TFD_TIMER_ABSTIME), a2 value ns, a3 interval ns -> payload TimerSpec (old)
  kTimerGet = 29,    // a0 fd -> payload TimerSpec
  kPoll = 30,        // a0 count, a1 timeout ms (-1 forever); payload count x PollEntry -> same array, revents set
  kEpollCreate = 31, // a0 fd
  kEpollCtl = 32,    // a0 epfd, a1 op, a2 fd, a3 events, a4 data, a5 1: a real descriptor (never ready)
  kEpollWait = 33,   // a0 epfd, a1 max events, a2 timeout ms -> ret n; payload n x EpollEntry
  // 40 was kClock (version 2): clocks are read from Reply::now_us now.
  kSleep = 41,       // a0 absolute CLOCK_MONOTONIC deadline in ns
  kRandom = 42,      // a0 bytes (<= kMaxPayload) -> payload
};

// The operation's name for counters ("?" for an unknown value).
constexpr const char* OpName(std::uint32_t op) {
  switch (static_cast<Op>(op)) {
    case Op::kHello: return "hello";
    case Op::kRefuse: return "refuse";
    case Op::kSocket: return "socket";
    case Op::kBind: return "bind";
    case Op::kListen: return "listen";
    case Op::kConnect: return "connect";
    case Op::kGetSockName: return "getsockname";
    case Op::kGetPeerName: return "getpeername";
    case Op::kSetSockOpt: return "setsockopt";
    case Op::kGetSockOpt: return "getsockopt";
    case Op::kSetNonBlock: return "setnonblock";
    case Op::kGetFlags: return "getflags";
    case Op::kPending: return "pending";
    case Op::kSend: return "send";
    case Op::kRecv: return "recv";
    case Op::kClose: return "close";
    case Op::kShutdown: return "shutdown";
    case Op::kAccept: return "accept";
    case Op::kEventFd: return "eventfd";
    case Op::kTimerCreate: return "timerfd_create";
    case Op::kTimerSet: return "timerfd_settime";
    case Op::kTimerGet: return "timerfd_gettime";
    case Op::kPoll: return "poll";
    case Op::kEpollCreate: return "epoll_create";
    case Op::kEpollCtl: return "epoll_ctl";
    case Op::kEpollWait: return "epoll_wait";
    case Op::kSleep: return "sleep";
    case Op::kRandom: return "random";
  }
  return "?";
}

struct Request {
  std::uint32_t op;
  std::uint32_t len;   // payload bytes that follow
  std::int64_t a[6];
  std::uint64_t local; // calls the shim answered locally (clock reads, EAGAIN) since its previous request
};
static_assert(sizeof(Request) == 64);

struct Reply {
  std::int64_t ret;    // >= 0 success (value), -1 failure with `err` (an errno value)
  std::int32_t err;
  std::uint32_t len;   // payload bytes that follow
  std::int64_t now_us; // the simulator's virtual time when it answered
};
static_assert(sizeof(Reply) == 24);

struct PollEntry {
  std::int32_t fd;
  std::int16_t events, revents;
};
static_assert(sizeof(PollEntry) == 8);

struct EpollEntry {
  std::uint32_t events;
  std::uint32_t pad;
  std::uint64_t data;
};
static_assert(sizeof(EpollEntry) == 16);

struct TimerSpec {  // a timerfd's setting, in ns: time to the next expiry (0: disarmed), period (0: one-shot)
  std::int64_t value_ns;
  std::int64_t interval_ns;
};
static_assert(sizeof(TimerSpec) == 16);

struct SockAddr4 {  // the sockaddr_in layout
  std::uint16_t family;
  std::uint16_t port_be;
  std::uint32_t addr_be;
  std::uint8_t zero[8];
};
static_assert(sizeof(SockAddr4) == 16);

}  // namespace mcpsim::interpose
