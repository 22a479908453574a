// libmcpsim_interpose.so: loaded with LD_PRELOAD into a target process, it
// turns the libc calls a single-threaded UDP/TCP server makes into requests the
// simulator answers (interpose/wire.h). Inactive (everything passes through)
// when MCPSIM_INTERPOSE_FD is not set.
//
// Simulated descriptors are reserved in the kernel with a placeholder
// (/dev/null), so their numbers are never handed out twice; calls on any other
// descriptor (files, pipes, stdout/stderr) pass through to libc. Only this
// file's own channel I/O uses raw syscalls. See interpose/README.md for what
// is covered and what is refused. This file: the channel, the refusals and
// the descriptor reservation; shim_socket.cc, shim_wait.cc, shim_time.cc the
// interposed calls by area.
#include "interpose/shim_common.h"

#include <sys/mman.h>

using namespace mcpsim::interpose;
using namespace mcpsim::interpose::shim;

namespace mcpsim::interpose::shim {

int g_chan = -1;
unsigned char g_kind[kMaxFd];
std::int64_t g_now_us = 0, g_epoch_us = 0;
std::uint64_t g_local = 0;
const volatile std::uint8_t* g_page = nullptr;

[[noreturn]] void Die(const char* why) {
  char buf[256];
  int n = snprintf(buf, sizeof buf, "mcpsim-interpose: %s; exiting\n", why);
  if (n > 0) (void)syscall(SYS_write, 2, buf, static_cast<size_t>(n));
  syscall(SYS_exit_group, 112);
  __builtin_unreachable();
}

void WriteAll(const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    long w = syscall(SYS_write, g_chan, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) Die("the simulator closed the channel");
    c += w, n -= static_cast<size_t>(w);
  }
}

// Writes every byte of the vector (a short write continues where it stopped).
void WriteAllV(struct iovec* v, int n) {
  while (n > 0) {
    long w = syscall(SYS_writev, g_chan, v, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) Die("the simulator closed the channel");
    auto left = static_cast<size_t>(w);
    while (n > 0 && left >= v->iov_len) left -= v->iov_len, ++v, --n;
    if (n > 0) v->iov_base = static_cast<char*>(v->iov_base) + left, v->iov_len -= left;
  }
}

// Reads into the vector until at least `min` bytes arrived; returns how many
// (never more than the vector holds).
size_t ReadSomeV(struct iovec* v, int n, size_t min) {
  size_t total = 0;
  while (total < min) {
    long r = syscall(SYS_readv, g_chan, v, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) Die("the simulator closed the channel");
    total += static_cast<size_t>(r);
    auto left = static_cast<size_t>(r);
    while (n > 0 && left >= v->iov_len) left -= v->iov_len, ++v, --n;
    if (n > 0) v->iov_base = static_cast<char*>(v->iov_base) + left, v->iov_len -= left;
  }
  return total;
}

void ReadAll(void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    long r = syscall(SYS_read, g_chan, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) Die("the simulator closed the channel");
    c += r, n -= static_cast<size_t>(r);
  }
}

Reply Call(Op op, std::initializer_list<std::int64_t> args, const void* payload, std::uint32_t len, void* out,
           std::uint32_t cap, std::uint32_t* out_len) {
  int saved = errno;
  Request rq{};
  rq.op = static_cast<std::uint32_t>(op);
  rq.len = len;
  int i = 0;
  for (std::int64_t a : args) rq.a[i++] = a;
  rq.local = g_local;
  g_local = 0;
  // Header and payload in one write, reply header and payload in one read
  // (wire.h: one request at a time, so nothing else is on the channel).
  struct iovec wv[2] = {{&rq, sizeof rq}, {const_cast<void*>(payload), len}};
  WriteAllV(wv, len ? 2 : 1);
  Reply rp{};
  struct iovec rv[2] = {{&rp, sizeof rp}, {out, cap}};
  size_t got = ReadSomeV(rv, cap ? 2 : 1, sizeof rp);
  if (rp.len > kMaxPayload) Die("malformed reply from the simulator");
  g_now_us = rp.now_us;
  std::uint32_t keep = rp.len < cap ? rp.len : cap;
  const size_t have = got - sizeof rp;  // payload bytes already in `out` (<= cap)
  if (have > rp.len) Die("the simulator sent more than one reply");
  if (keep > have) ReadAll(static_cast<char*>(out) + have, keep - have);
  if (have > keep) Die("malformed reply from the simulator");
  char sink[512];
  for (std::uint32_t left = rp.len - keep; left > 0;) {
    std::uint32_t k = left < sizeof sink ? left : sizeof sink;
    ReadAll(sink, k);
    left -= k;
  }
  if (out_len) *out_len = keep;
  errno = rp.ret < 0 ? rp.err : saved;
  return rp;
}

int Refuse(const char* what, int err) {
  char msg[300];
  int n = snprintf(msg, sizeof msg, "%s", what);
  if (g_chan >= 0) Call(Op::kRefuse, {}, msg, static_cast<std::uint32_t>(n > 0 ? n : 0));
  char line[360];
  int m = snprintf(line, sizeof line, "mcpsim-interpose: refused: %s\n", what);
  if (m > 0) (void)syscall(SYS_write, 2, line, static_cast<size_t>(m));
  errno = err;
  return -1;
}

int Reserve(bool cloexec) {
  return static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | (cloexec ? O_CLOEXEC : 0)));
}

__attribute__((constructor)) void Init() {
  const char* v = getenv(kFdEnv);
  if (!v || !*v) return;
  g_chan = atoi(v);
  const char* ns = getenv("MCPSIM_INTERPOSE_NETNS");
  if (const char* pg = getenv(kPageEnv); pg && *pg) {
    const int pfd = atoi(pg);
    void* m = reinterpret_cast<void*>(syscall(SYS_mmap, nullptr, kPageFds, PROT_READ, MAP_SHARED, pfd, 0));
    if (m != MAP_FAILED) g_page = static_cast<const volatile std::uint8_t*>(m);
    // (the descriptor stays open, as the channel does: the program exec'd by
    // the launching shell maps it again)
  }
  g_epoch_us = Call(Op::kHello, {static_cast<std::int64_t>(getpid()), kWireVersion, ns && *ns == '1' ? 1 : 0}).ret;
  InstallRawCatch();
}
int ReserveSim(bool cloexec) {
  int fd = Reserve(cloexec);
  if (fd < 0) return -1;
  if (fd >= kMaxFd) {
    syscall(SYS_close, fd);
    return Refuse("descriptor number over 4095", EMFILE);
  }
  return fd;
}

void Unreserve(int fd) {
  int e = errno;
  syscall(SYS_close, fd);
  errno = e;
}

}  // namespace mcpsim::interpose::shim

extern "C" {

// ---- refused: a second thread or process ----
int pthread_create(pthread_t* t, const pthread_attr_t* a, void* (*fn)(void*), void* arg) {
  REAL(pthread_create);
  if (g_chan < 0) return real_pthread_create(t, a, fn, arg);
  Refuse("pthread_create: the target starts a second thread (only single-threaded targets can run on virtual time)",
         EAGAIN);
  return EAGAIN;
}

pid_t fork(void) {
  REAL(fork);
  if (g_chan < 0) return real_fork();
  return Refuse("fork: the target starts a second process (not simulated)", EAGAIN);
}

int clone(int (*fn)(void*), void* stack, int flags, void* arg, ...) {
  if (g_chan >= 0) return Refuse("clone: the target starts a second thread or process", EAGAIN);
  using CloneFn = int (*)(int (*)(void*), void*, int, void*, ...);
  static auto real_clone = Real<CloneFn>("clone");
  va_list ap;
  va_start(ap, arg);
  void* ptid = va_arg(ap, void*);
  void* tls = va_arg(ap, void*);
  void* ctid = va_arg(ap, void*);
  va_end(ap);
  return real_clone(fn, stack, flags, arg, ptid, tls, ctid);
}

}  // extern "C"
