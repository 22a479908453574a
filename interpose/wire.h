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
// This header is shared by the shim (no C++ runtime beyond these PODs) and
// the simulator side; it has no dependencies.
#pragma once

#include <cstdint>

namespace mcpsim::interpose {

inline constexpr std::uint32_t kWireVersion = 2;
inline constexpr std::uint32_t kMaxPayload = 256 * 1024;
inline constexpr const char* kFdEnv = "MCPSIM_INTERPOSE_FD";

// Operations. Arguments a[0..5] as listed; "fd" is the target's descriptor
// number (the shim reserves it with a placeholder so the kernel never hands
// it out twice); "sa" is a 16-byte sockaddr_in (network byte order fields).
enum class Op : std::uint32_t {
  kHello = 1,        // a0 pid, a1 kWireVersion. Sent by the shim's constructor (and again after exec).
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
  kPoll = 30,        // a0 count, a1 timeout ms (-1 forever); payload count x PollEntry -> same array, revents set
  kEpollCreate = 31, // a0 fd
  kEpollCtl = 32,    // a0 epfd, a1 op, a2 fd, a3 events, a4 data
  kEpollWait = 33,   // a0 epfd, a1 max events, a2 timeout ms -> ret n; payload n x EpollEntry
  kClock = 40,       // a0 clockid -> ret nanoseconds
  kSleep = 41,       // a0 absolute CLOCK_MONOTONIC deadline in ns
  kRandom = 42,      // a0 bytes (<= kMaxPayload) -> payload
};

struct Request {
  std::uint32_t op;
  std::uint32_t len;   // payload bytes that follow
  std::int64_t a[6];
};
static_assert(sizeof(Request) == 56);

struct Reply {
  std::int64_t ret;    // >= 0 success (value), -1 failure with `err` (an errno value)
  std::int32_t err;
  std::uint32_t len;   // payload bytes that follow
};
static_assert(sizeof(Reply) == 16);

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

struct SockAddr4 {  // the sockaddr_in layout
  std::uint16_t family;
  std::uint16_t port_be;
  std::uint32_t addr_be;
  std::uint8_t zero[8];
};
static_assert(sizeof(SockAddr4) == 16);

}  // namespace mcpsim::interpose
