// libmcpsim_interpose.so: loaded with LD_PRELOAD into a target process, it
// turns the libc calls a single-threaded UDP server makes into requests the
// simulator answers (interpose/wire.h). Inactive (everything passes through)
// when MCPSIM_INTERPOSE_FD is not set.
//
// Simulated descriptors are reserved in the kernel with a placeholder
// (/dev/null), so their numbers are never handed out twice; calls on any other
// descriptor (files, pipes, stdout/stderr) pass through to libc. Only this
// file's own channel I/O uses raw syscalls. See interpose/README.md for what
// is covered and what is refused.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

using namespace mcpsim::interpose;

namespace {

constexpr int kMaxFd = 4096;
int g_chan = -1;
unsigned char g_kind[kMaxFd];  // 0 real, 1 simulated UDP socket, 2 simulated epoll, 3 simulated TCP socket

bool Sim(int fd) { return g_chan >= 0 && fd >= 0 && fd < kMaxFd && g_kind[fd] != 0; }

template <typename F>
F Real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}
#define REAL(name) static auto real_##name = Real<decltype(&::name)>(#name)

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

void ReadAll(void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    long r = syscall(SYS_read, g_chan, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) Die("the simulator closed the channel");
    c += r, n -= static_cast<size_t>(r);
  }
}

// One request, one reply. The reply payload goes to `out` (up to `cap`
// bytes; the rest is read and dropped). Returns the reply; errno is set from
// it when ret < 0.
Reply Call(Op op, std::initializer_list<std::int64_t> args, const void* payload = nullptr, std::uint32_t len = 0,
           void* out = nullptr, std::uint32_t cap = 0, std::uint32_t* out_len = nullptr) {
  int saved = errno;
  Request rq{};
  rq.op = static_cast<std::uint32_t>(op);
  rq.len = len;
  int i = 0;
  for (std::int64_t a : args) rq.a[i++] = a;
  WriteAll(&rq, sizeof rq);
  if (len) WriteAll(payload, len);
  Reply rp{};
  ReadAll(&rp, sizeof rp);
  if (rp.len > kMaxPayload) Die("malformed reply from the simulator");
  std::uint32_t keep = rp.len < cap ? rp.len : cap;
  if (keep) ReadAll(out, keep);
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
  Call(Op::kHello, {static_cast<std::int64_t>(getpid()), kWireVersion, ns && *ns == '1' ? 1 : 0});
}

ssize_t SendImpl(int fd, const void* buf, size_t n, int flags, const struct sockaddr* to, socklen_t tolen) {
  if (g_kind[fd] == 3) {
    to = nullptr;  // a connected stream ignores the address, as the kernel does
    if (n > kMaxPayload - sizeof(SockAddr4)) n = kMaxPayload - sizeof(SockAddr4);  // a partial write
  }
  if (n > kMaxPayload - sizeof(SockAddr4)) {
    errno = EMSGSIZE;
    return -1;
  }
  static unsigned char tmp[kMaxPayload];
  SockAddr4 sa{};
  bool has = to != nullptr;
  if (has) {
    if (tolen < sizeof(sockaddr_in) || to->sa_family != AF_INET) {
      errno = EAFNOSUPPORT;
      return -1;
    }
    memcpy(&sa, to, sizeof sa);
  }
  memcpy(tmp, &sa, sizeof sa);
  if (n) memcpy(tmp + sizeof sa, buf, n);
  return Call(Op::kSend, {fd, flags, has ? 1 : 0}, tmp, static_cast<std::uint32_t>(sizeof sa + n)).ret;
}

ssize_t RecvImpl(int fd, void* buf, size_t n, int flags, struct sockaddr* from, socklen_t* fromlen) {
  static unsigned char tmp[kMaxPayload];
  std::uint32_t got = 0;
  size_t want = n < kMaxPayload - sizeof(SockAddr4) ? n : kMaxPayload - sizeof(SockAddr4);
  Reply r = Call(Op::kRecv, {fd, flags, static_cast<std::int64_t>(want)}, nullptr, 0, tmp, kMaxPayload, &got);
  if (r.ret < 0) return -1;
  if (got < sizeof(SockAddr4)) Die("short receive reply");
  const size_t data = got - sizeof(SockAddr4);
  if (data) memcpy(buf, tmp + sizeof(SockAddr4), data < n ? data : n);
  if (from && fromlen) {
    socklen_t k = *fromlen < sizeof(SockAddr4) ? *fromlen : sizeof(SockAddr4);
    memcpy(from, tmp, k);
    *fromlen = sizeof(sockaddr_in);
  }
  return r.ret;
}

int PollImpl(struct pollfd* fds, nfds_t n, int timeout_ms) {
  if (n > kMaxPayload / sizeof(PollEntry)) {
    errno = EINVAL;
    return -1;
  }
  static PollEntry e[kMaxPayload / sizeof(PollEntry)];
  for (nfds_t i = 0; i < n; ++i) e[i] = {fds[i].fd, fds[i].events, 0};
  const auto bytes = static_cast<std::uint32_t>(n * sizeof(PollEntry));
  Reply r = Call(Op::kPoll, {static_cast<std::int64_t>(n), timeout_ms}, e, bytes, e, bytes);
  if (r.ret < 0) return -1;
  for (nfds_t i = 0; i < n; ++i) fds[i].revents = e[i].revents;
  return static_cast<int>(r.ret);
}

bool AnySim(const struct pollfd* fds, nfds_t n) {
  for (nfds_t i = 0; i < n; ++i) {
    if (Sim(fds[i].fd)) return true;
  }
  return false;
}

std::int64_t ClockNs(clockid_t clk) { return Call(Op::kClock, {clk}).ret; }

int SleepUntil(std::int64_t mono_ns) {
  Call(Op::kSleep, {mono_ns});
  return 0;
}

std::int64_t ToNs(const struct timespec* ts) {
  return static_cast<std::int64_t>(ts->tv_sec) * 1000000000 + ts->tv_nsec;
}

int MsFromTs(const struct timespec* ts) {
  if (!ts) return -1;
  std::int64_t ns = ToNs(ts);
  return static_cast<int>((ns + 999999) / 1000000);
}

}  // namespace

extern "C" {

// ---- sockets ----
int socket(int domain, int type, int protocol) {
  REAL(socket);
  if (g_chan < 0) return real_socket(domain, type, protocol);
  const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (domain == AF_UNIX) return real_socket(domain, type, protocol);
  if (domain != AF_INET) {
    char why[96];
    snprintf(why, sizeof why, "socket family %d is not simulated (only AF_INET; AF_UNIX passes through)", domain);
    return Refuse(why, EAFNOSUPPORT);
  }
  if (base != SOCK_DGRAM && base != SOCK_STREAM) {
    char why[96];
    snprintf(why, sizeof why, "socket type %d is not simulated (SOCK_DGRAM and SOCK_STREAM are)", base);
    return Refuse(why, EPROTONOSUPPORT);
  }
  int fd = Reserve(type & SOCK_CLOEXEC);
  if (fd < 0) return -1;
  if (fd >= kMaxFd) {
    syscall(SYS_close, fd);
    return Refuse("descriptor number over 4095", EMFILE);
  }
  if (Call(Op::kSocket, {fd, domain, type, protocol}).ret < 0) {
    int e = errno;
    syscall(SYS_close, fd);
    errno = e;
    return -1;
  }
  g_kind[fd] = base == SOCK_STREAM ? 3 : 1;
  return fd;
}

int bind(int fd, const struct sockaddr* a, socklen_t len) {
  REAL(bind);
  if (!Sim(fd)) return real_bind(fd, a, len);
  if (len < sizeof(sockaddr_in) || a->sa_family != AF_INET) {
    errno = EINVAL;
    return -1;
  }
  return static_cast<int>(Call(Op::kBind, {fd}, a, sizeof(SockAddr4)).ret);
}

int listen(int fd, int backlog) {
  REAL(listen);
  if (!Sim(fd)) return real_listen(fd, backlog);
  return static_cast<int>(Call(Op::kListen, {fd, backlog}).ret);
}

static int AcceptImpl(int fd, struct sockaddr* a, socklen_t* l, int flags) {
  if (g_kind[fd] != 3) {
    errno = EOPNOTSUPP;
    return -1;
  }
  int nfd = Reserve(flags & SOCK_CLOEXEC);
  if (nfd < 0) return -1;
  if (nfd >= kMaxFd) {
    syscall(SYS_close, nfd);
    return Refuse("descriptor number over 4095", EMFILE);
  }
  SockAddr4 sa{};
  std::uint32_t got = 0;
  if (Call(Op::kAccept, {fd, nfd, flags}, nullptr, 0, &sa, sizeof sa, &got).ret < 0) {
    int e = errno;
    syscall(SYS_close, nfd);
    errno = e;
    return -1;
  }
  g_kind[nfd] = 3;
  if (a && l) {
    socklen_t k = *l < sizeof sa ? *l : sizeof sa;
    memcpy(a, &sa, k);
    *l = sizeof sa;
  }
  return nfd;
}

int accept(int fd, struct sockaddr* a, socklen_t* l) {
  REAL(accept);
  if (!Sim(fd)) return real_accept(fd, a, l);
  return AcceptImpl(fd, a, l, 0);
}

int accept4(int fd, struct sockaddr* a, socklen_t* l, int flags) {
  REAL(accept4);
  if (!Sim(fd)) return real_accept4(fd, a, l, flags);
  return AcceptImpl(fd, a, l, flags);
}

int connect(int fd, const struct sockaddr* a, socklen_t len) {
  REAL(connect);
  if (!Sim(fd)) return real_connect(fd, a, len);
  if (len < sizeof(sockaddr_in) || a->sa_family != AF_INET) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  return static_cast<int>(Call(Op::kConnect, {fd}, a, sizeof(SockAddr4)).ret);
}

static int NameCall(Op op, int fd, struct sockaddr* a, socklen_t* l) {
  SockAddr4 sa{};
  std::uint32_t got = 0;
  if (Call(op, {fd}, nullptr, 0, &sa, sizeof sa, &got).ret < 0) return -1;
  if (a && l) {
    socklen_t k = *l < sizeof sa ? *l : sizeof sa;
    memcpy(a, &sa, k);
    *l = sizeof sa;
  }
  return 0;
}

int getsockname(int fd, struct sockaddr* a, socklen_t* l) {
  REAL(getsockname);
  if (!Sim(fd)) return real_getsockname(fd, a, l);
  return NameCall(Op::kGetSockName, fd, a, l);
}

int getpeername(int fd, struct sockaddr* a, socklen_t* l) {
  REAL(getpeername);
  if (!Sim(fd)) return real_getpeername(fd, a, l);
  return NameCall(Op::kGetPeerName, fd, a, l);
}

int setsockopt(int fd, int level, int name, const void* v, socklen_t len) {
  REAL(setsockopt);
  if (!Sim(fd)) return real_setsockopt(fd, level, name, v, len);
  std::uint32_t n = len < 256 ? len : 256;
  return static_cast<int>(Call(Op::kSetSockOpt, {fd, level, name}, v, n).ret);
}

int getsockopt(int fd, int level, int name, void* v, socklen_t* len) {
  REAL(getsockopt);
  if (!Sim(fd)) return real_getsockopt(fd, level, name, v, len);
  std::uint32_t got = 0;
  Reply r = Call(Op::kGetSockOpt, {fd, level, name, len ? *len : 0}, nullptr, 0, v, len ? *len : 0, &got);
  if (r.ret < 0) return -1;
  if (len) *len = got;
  return 0;
}

int shutdown(int fd, int how) {
  REAL(shutdown);
  if (!Sim(fd)) return real_shutdown(fd, how);
  return static_cast<int>(Call(Op::kShutdown, {fd, how}).ret);
}

int close(int fd) {
  REAL(close);
  if (!Sim(fd)) {
    if (g_chan >= 0 && fd == g_chan) {
      errno = EBADF;  // the channel is ours
      return -1;
    }
    return real_close(fd);
  }
  Call(Op::kClose, {fd});
  g_kind[fd] = 0;
  return real_close(fd);
}

int fcntl(int fd, int cmd, ...) {
  REAL(fcntl);
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  if (Sim(fd) && cmd == F_GETFL) return static_cast<int>(Call(Op::kGetFlags, {fd}).ret);
  if (Sim(fd) && cmd == F_SETFL) return static_cast<int>(Call(Op::kSetNonBlock, {fd, (arg & O_NONBLOCK) ? 1 : 0}).ret);
  return real_fcntl(fd, cmd, arg);  // F_GETFD/F_SETFD/F_DUPFD...: on the placeholder
}

int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return fcntl(fd, cmd, arg);
}

int ioctl(int fd, unsigned long req, ...) {
  REAL(ioctl);
  va_list ap;
  va_start(ap, req);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  if (Sim(fd) && req == FIONBIO) {
    return static_cast<int>(Call(Op::kSetNonBlock, {fd, *static_cast<int*>(arg) ? 1 : 0}).ret);
  }
  if (Sim(fd) && req == FIONREAD) {
    Reply r = Call(Op::kPending, {fd});
    if (r.ret < 0) return -1;
    *static_cast<int*>(arg) = static_cast<int>(r.ret);
    return 0;
  }
  if (Sim(fd)) {
    errno = ENOTTY;
    return -1;
  }
  return real_ioctl(fd, req, arg);
}

ssize_t sendto(int fd, const void* b, size_t n, int flags, const struct sockaddr* to, socklen_t tl) {
  REAL(sendto);
  if (!Sim(fd)) return real_sendto(fd, b, n, flags, to, tl);
  return SendImpl(fd, b, n, flags, to, tl);
}

ssize_t send(int fd, const void* b, size_t n, int flags) {
  REAL(send);
  if (!Sim(fd)) return real_send(fd, b, n, flags);
  return SendImpl(fd, b, n, flags, nullptr, 0);
}

ssize_t write(int fd, const void* b, size_t n) {
  REAL(write);
  if (!Sim(fd)) return real_write(fd, b, n);
  return SendImpl(fd, b, n, 0, nullptr, 0);
}

// Gathers the iovecs into `out`; a stream takes what fits (a partial write), a datagram fails with EMSGSIZE.
static ssize_t Gather(const struct iovec* iov, int cnt, unsigned char* out, size_t cap, bool stream) {
  size_t n = 0;
  for (int i = 0; i < cnt; ++i) {
    size_t k = iov[i].iov_len;
    if (n + k > cap) {
      if (!stream) {
        errno = EMSGSIZE;
        return -1;
      }
      k = cap - n;
    }
    if (k) memcpy(out + n, iov[i].iov_base, k);
    n += k;
  }
  return static_cast<ssize_t>(n);
}

static void Scatter(const struct iovec* iov, int cnt, const unsigned char* in, size_t n) {
  for (int i = 0; i < cnt && n > 0; ++i) {
    size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;
    memcpy(iov[i].iov_base, in, k);
    in += k, n -= k;
  }
}

ssize_t sendmsg(int fd, const struct msghdr* m, int flags) {
  REAL(sendmsg);
  if (!Sim(fd)) return real_sendmsg(fd, m, flags);
  static unsigned char buf[kMaxPayload];
  ssize_t n = Gather(m->msg_iov, static_cast<int>(m->msg_iovlen), buf, kMaxPayload - sizeof(SockAddr4), g_kind[fd] == 3);
  if (n < 0) return -1;
  return SendImpl(fd, buf, static_cast<size_t>(n), flags, static_cast<const sockaddr*>(m->msg_name), m->msg_namelen);
}

ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  REAL(writev);
  if (!Sim(fd)) return real_writev(fd, iov, cnt);
  static unsigned char buf[kMaxPayload];
  ssize_t n = Gather(iov, cnt, buf, kMaxPayload - sizeof(SockAddr4), g_kind[fd] == 3);
  if (n < 0) return -1;
  return SendImpl(fd, buf, static_cast<size_t>(n), 0, nullptr, 0);
}

ssize_t recvfrom(int fd, void* b, size_t n, int flags, struct sockaddr* from, socklen_t* fl) {
  REAL(recvfrom);
  if (!Sim(fd)) return real_recvfrom(fd, b, n, flags, from, fl);
  return RecvImpl(fd, b, n, flags, from, fl);
}

ssize_t __recvfrom_chk(int fd, void* b, size_t n, size_t, int flags, struct sockaddr* from, socklen_t* fl) {
  return recvfrom(fd, b, n, flags, from, fl);
}

ssize_t recv(int fd, void* b, size_t n, int flags) {
  REAL(recv);
  if (!Sim(fd)) return real_recv(fd, b, n, flags);
  return RecvImpl(fd, b, n, flags, nullptr, nullptr);
}

ssize_t __recv_chk(int fd, void* b, size_t n, size_t, int flags) { return recv(fd, b, n, flags); }

ssize_t read(int fd, void* b, size_t n) {
  REAL(read);
  if (!Sim(fd)) return real_read(fd, b, n);
  return RecvImpl(fd, b, n, 0, nullptr, nullptr);
}

ssize_t __read_chk(int fd, void* b, size_t n, size_t) { return read(fd, b, n); }

ssize_t recvmsg(int fd, struct msghdr* m, int flags) {
  REAL(recvmsg);
  if (!Sim(fd)) return real_recvmsg(fd, m, flags);
  static unsigned char buf[kMaxPayload];
  size_t cap = 0;
  for (size_t i = 0; i < m->msg_iovlen; ++i) cap += m->msg_iov[i].iov_len;
  socklen_t nl = m->msg_namelen;
  ssize_t r = RecvImpl(fd, buf, cap < kMaxPayload ? cap : kMaxPayload, flags, static_cast<sockaddr*>(m->msg_name),
                       m->msg_name ? &nl : nullptr);
  if (r < 0) return -1;
  size_t copied = static_cast<size_t>(r) < cap ? static_cast<size_t>(r) : cap;
  Scatter(m->msg_iov, static_cast<int>(m->msg_iovlen), buf, copied);
  if (m->msg_name) m->msg_namelen = nl;
  m->msg_controllen = 0;
  m->msg_flags = static_cast<size_t>(r) > cap ? MSG_TRUNC : 0;
  return r;
}

ssize_t readv(int fd, const struct iovec* iov, int cnt) {
  REAL(readv);
  if (!Sim(fd)) return real_readv(fd, iov, cnt);
  static unsigned char buf[kMaxPayload];
  size_t cap = 0;
  for (int i = 0; i < cnt; ++i) cap += iov[i].iov_len;
  ssize_t r = RecvImpl(fd, buf, cap < kMaxPayload ? cap : kMaxPayload, 0, nullptr, nullptr);
  if (r < 0) return -1;
  Scatter(iov, cnt, buf, static_cast<size_t>(r) < cap ? static_cast<size_t>(r) : cap);
  return r < static_cast<ssize_t>(cap) ? r : static_cast<ssize_t>(cap);
}

// ---- waiting ----
int poll(struct pollfd* fds, nfds_t n, int timeout) {
  REAL(poll);
  if (g_chan < 0) return real_poll(fds, n, timeout);
  if (!AnySim(fds, n) && timeout == 0) return real_poll(fds, n, 0);
  return PollImpl(fds, n, timeout);  // real descriptors in a simulated wait: never ready
}

int __poll_chk(struct pollfd* fds, nfds_t n, int timeout, size_t) { return poll(fds, n, timeout); }

int ppoll(struct pollfd* fds, nfds_t n, const struct timespec* ts, const sigset_t* mask) {
  REAL(ppoll);
  if (g_chan < 0) return real_ppoll(fds, n, ts, mask);
  return poll(fds, n, MsFromTs(ts));
}

int select(int nfds, fd_set* r, fd_set* w, fd_set* e, struct timeval* tv) {
  REAL(select);
  if (g_chan < 0) return real_select(nfds, r, w, e, tv);
  static struct pollfd p[FD_SETSIZE];
  nfds_t n = 0;
  for (int fd = 0; fd < nfds && fd < FD_SETSIZE; ++fd) {
    short ev = static_cast<short>(((r && FD_ISSET(fd, r)) ? POLLIN : 0) | ((w && FD_ISSET(fd, w)) ? POLLOUT : 0));
    if (ev) p[n++] = {fd, ev, 0};
  }
  int timeout = tv ? static_cast<int>(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000) : -1;
  if (!AnySim(p, n) && timeout == 0) return real_select(nfds, r, w, e, tv);
  int k = PollImpl(p, n, timeout);
  if (k < 0) return -1;
  if (r) FD_ZERO(r);
  if (w) FD_ZERO(w);
  if (e) FD_ZERO(e);
  int bits = 0;
  for (nfds_t i = 0; i < n; ++i) {
    if (r && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) FD_SET(p[i].fd, r), ++bits;
    if (w && (p[i].revents & POLLOUT)) FD_SET(p[i].fd, w), ++bits;
  }
  return bits;
}

int pselect(int nfds, fd_set* r, fd_set* w, fd_set* e, const struct timespec* ts, const sigset_t* mask) {
  REAL(pselect);
  if (g_chan < 0) return real_pselect(nfds, r, w, e, ts, mask);
  struct timeval tv;
  if (ts) tv = {ts->tv_sec, (ts->tv_nsec + 999) / 1000};
  return select(nfds, r, w, e, ts ? &tv : nullptr);
}

int epoll_create1(int flags) {
  REAL(epoll_create1);
  if (g_chan < 0) return real_epoll_create1(flags);
  int fd = Reserve(flags & EPOLL_CLOEXEC);
  if (fd < 0) return -1;
  if (fd >= kMaxFd) {
    syscall(SYS_close, fd);
    return Refuse("descriptor number over 4095", EMFILE);
  }
  Call(Op::kEpollCreate, {fd});
  g_kind[fd] = 2;
  return fd;
}

int epoll_create(int size) {
  REAL(epoll_create);
  if (g_chan < 0) return real_epoll_create(size);
  return epoll_create1(0);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event* ev) {
  REAL(epoll_ctl);
  if (!Sim(epfd)) return real_epoll_ctl(epfd, op, fd, ev);
  if (!Sim(fd)) {
    char why[160];
    snprintf(why, sizeof why,
             "epoll_ctl of descriptor %d, which is not simulated (eventfd/timerfd/pipe in a simulated epoll: not yet)",
             fd);
    return Refuse(why, EPERM);
  }
  return static_cast<int>(
      Call(Op::kEpollCtl, {epfd, op, fd, ev ? ev->events : 0, ev ? static_cast<std::int64_t>(ev->data.u64) : 0}).ret);
}

int epoll_wait(int epfd, struct epoll_event* evs, int max, int timeout) {
  REAL(epoll_wait);
  if (!Sim(epfd)) return real_epoll_wait(epfd, evs, max, timeout);
  if (max <= 0) {
    errno = EINVAL;
    return -1;
  }
  static EpollEntry e[kMaxPayload / sizeof(EpollEntry)];
  const int cap = static_cast<int>(kMaxPayload / sizeof(EpollEntry));
  if (max > cap) max = cap;
  std::uint32_t got = 0;
  Reply r = Call(Op::kEpollWait, {epfd, max, timeout}, nullptr, 0, e, static_cast<std::uint32_t>(max * sizeof(EpollEntry)),
                 &got);
  if (r.ret < 0) return -1;
  for (std::int64_t i = 0; i < r.ret; ++i) {
    evs[i].events = e[i].events;
    evs[i].data.u64 = e[i].data;
  }
  return static_cast<int>(r.ret);
}

int epoll_pwait(int epfd, struct epoll_event* evs, int max, int timeout, const sigset_t* mask) {
  REAL(epoll_pwait);
  if (!Sim(epfd)) return real_epoll_pwait(epfd, evs, max, timeout, mask);
  return epoll_wait(epfd, evs, max, timeout);
}

// ---- time ----
int clock_gettime(clockid_t clk, struct timespec* ts) {
  REAL(clock_gettime);
  if (g_chan < 0) return real_clock_gettime(clk, ts);
  std::int64_t ns = ClockNs(clk);
  ts->tv_sec = ns / 1000000000;
  ts->tv_nsec = ns % 1000000000;
  return 0;
}

int gettimeofday(struct timeval* tv, void* tz) {
  REAL(gettimeofday);
  if (g_chan < 0) return real_gettimeofday(tv, tz);
  std::int64_t ns = ClockNs(CLOCK_REALTIME);
  struct timeval* volatile out = tv;  // glibc declares tv nonnull; callers may still pass NULL
  if (out) {
    out->tv_sec = ns / 1000000000;
    out->tv_usec = (ns % 1000000000) / 1000;
  }
  return 0;
}

time_t time(time_t* t) {
  REAL(time);
  if (g_chan < 0) return real_time(t);
  time_t s = static_cast<time_t>(ClockNs(CLOCK_REALTIME) / 1000000000);
  if (t) *t = s;
  return s;
}

int nanosleep(const struct timespec* req, struct timespec* rem) {
  REAL(nanosleep);
  if (g_chan < 0) return real_nanosleep(req, rem);
  if (rem) *rem = {0, 0};
  return SleepUntil(ClockNs(CLOCK_MONOTONIC) + ToNs(req));
}

int clock_nanosleep(clockid_t clk, int flags, const struct timespec* req, struct timespec* rem) {
  REAL(clock_nanosleep);
  if (g_chan < 0) return real_clock_nanosleep(clk, flags, req, rem);
  if (rem) *rem = {0, 0};
  if (flags & TIMER_ABSTIME) {
    std::int64_t now = ClockNs(clk);
    return SleepUntil(ClockNs(CLOCK_MONOTONIC) + (ToNs(req) > now ? ToNs(req) - now : 0));
  }
  return SleepUntil(ClockNs(CLOCK_MONOTONIC) + ToNs(req));
}

int usleep(useconds_t us) {
  REAL(usleep);
  if (g_chan < 0) return real_usleep(us);
  return SleepUntil(ClockNs(CLOCK_MONOTONIC) + static_cast<std::int64_t>(us) * 1000);
}

unsigned int sleep(unsigned int s) {
  REAL(sleep);
  if (g_chan < 0) return real_sleep(s);
  SleepUntil(ClockNs(CLOCK_MONOTONIC) + static_cast<std::int64_t>(s) * 1000000000);
  return 0;
}

// ---- randomness ----
ssize_t getrandom(void* buf, size_t n, unsigned int flags) {
  REAL(getrandom);
  if (g_chan < 0) return real_getrandom(buf, n, flags);
  size_t k = n < kMaxPayload ? n : kMaxPayload;
  std::uint32_t got = 0;
  Call(Op::kRandom, {static_cast<std::int64_t>(k)}, nullptr, 0, buf, static_cast<std::uint32_t>(k), &got);
  return got;
}

int getentropy(void* buf, size_t n) {
  REAL(getentropy);
  if (g_chan < 0) return real_getentropy(buf, n);
  if (n > 256) {
    errno = EIO;
    return -1;
  }
  return getrandom(buf, n, 0) == static_cast<ssize_t>(n) ? 0 : -1;
}

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
