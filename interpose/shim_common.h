// Internal declarations shared by the shim's files (libmcpsim_interpose.so,
// see shim.cc). Not a public header: only the shim includes it.
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <initializer_list>

#include "interpose/wire.h"

namespace mcpsim::interpose::shim {

constexpr int kMaxFd = static_cast<int>(kPageFds);
// Kinds of descriptors the shim simulates (g_kind[fd]); 0: a real descriptor.
enum Kind : unsigned char { kReal = 0, kUdp = 1, kEpoll = 2, kTcp = 3, kEventFd = 4, kTimerFd = 5, kRandomDev = 6 };
extern int g_chan;                    // the channel to the simulator (-1: inactive, all passes through)
extern unsigned char g_kind[kMaxFd];  // Kind of each descriptor number
extern std::int64_t g_now_us;         // virtual time of the last reply (wire.h: it cannot move while we run)
extern std::int64_t g_epoch_us;       // CLOCK_REALTIME at virtual time 0 (the hello reply)
extern std::uint64_t g_local;         // calls answered locally since the last request
extern const volatile std::uint8_t* g_page;  // the readiness page (wire.h), or nullptr

// A non-blocking receive/read/accept on `fd` would get EAGAIN now (the
// readiness page says so): answer it without a round trip.
inline bool WouldBlockHere(int fd, int flags, bool accept = false) {
  if (!g_page) return false;
  const std::uint8_t b = g_page[fd];
  if (((b & kPageListening) != 0) != accept) return false;
  if (!(b & kPageWouldBlock) || !((b & kPageNonBlock) || (flags & MSG_DONTWAIT))) return false;
  ++g_local;
  errno = EAGAIN;
  return true;
}

inline bool Sim(int fd) { return g_chan >= 0 && fd >= 0 && fd < kMaxFd && g_kind[fd] != kReal; }

template <typename F>
F Real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}
#define REAL(name) static auto real_##name = ::mcpsim::interpose::shim::Real<decltype(&::name)>(#name)

[[noreturn]] void Die(const char* why);
// One request, one reply. The reply payload goes to `out` (up to `cap`
// bytes; the rest is read and dropped). Returns the reply; errno is set from
// it when ret < 0.
Reply Call(Op op, std::initializer_list<std::int64_t> args, const void* payload = nullptr, std::uint32_t len = 0,
           void* out = nullptr, std::uint32_t cap = 0, std::uint32_t* out_len = nullptr);
// Tells the simulator what cannot be simulated (the run fails with it); sets errno, returns -1.
int Refuse(const char* what, int err);
// Reserves a descriptor number with a /dev/null placeholder (-1 on failure).
int Reserve(bool cloexec);
// Reserve + the kMaxFd bound; -1 with errno on failure.
int ReserveSim(bool cloexec);
// Releases a reserved number after a failed call, keeping errno.
void Unreserve(int fd);

ssize_t SendImpl(int fd, const void* buf, size_t n, int flags, const struct sockaddr* to, socklen_t tolen);
ssize_t RecvImpl(int fd, void* buf, size_t n, int flags, struct sockaddr* from, socklen_t* fromlen);
int PollImpl(struct pollfd* fds, nfds_t n, int timeout_ms);
bool AnySim(const struct pollfd* fds, nfds_t n);
std::int64_t ClockNs(clockid_t clk);
int SleepUntil(std::int64_t mono_ns);
std::int64_t ToNs(const struct timespec* ts);
int MsFromTs(const struct timespec* ts);
ssize_t RandomRead(void* buf, size_t n);  // from the node's seeded stream
bool IsRandomDev(const char* path);       // /dev/urandom or /dev/random
int OpenRandom(int flags);                 // a kRandomDev descriptor
// The seccomp filter + SIGSYS handler and the vDSO patch (shim_seccomp.cc).
void InstallRawCatch();

}  // namespace mcpsim::interpose::shim
