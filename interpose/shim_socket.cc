// libmcpsim_interpose.so: socket calls (UDP and TCP) on simulated descriptors.
#include "interpose/shim_common.h"

using namespace mcpsim::interpose;
using namespace mcpsim::interpose::shim;

namespace mcpsim::interpose::shim {

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
  // (an eventfd/timerfd read of under 8 bytes is EINVAL first: the simulator says so)
  if ((n >= 8 || (g_kind[fd] != kEventFd && g_kind[fd] != kTimerFd)) && WouldBlockHere(fd, flags)) return -1;
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

}  // namespace mcpsim::interpose::shim

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
  if (WouldBlockHere(fd, 0, true)) return -1;  // a non-blocking listener with nothing to accept
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
  if (g_kind[fd] != kRandomDev) Call(Op::kClose, {fd});
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
  if (g_kind[fd] == kRandomDev) return RandomRead(b, n);
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
  if (g_kind[fd] == kRandomDev) {
    ssize_t total = 0;
    for (int i = 0; i < cnt; ++i) total += RandomRead(iov[i].iov_base, iov[i].iov_len);
    return total;
  }
  static unsigned char buf[kMaxPayload];
  size_t cap = 0;
  for (int i = 0; i < cnt; ++i) cap += iov[i].iov_len;
  ssize_t r = RecvImpl(fd, buf, cap < kMaxPayload ? cap : kMaxPayload, 0, nullptr, nullptr);
  if (r < 0) return -1;
  Scatter(iov, cnt, buf, static_cast<size_t>(r) < cap ? static_cast<size_t>(r) : cap);
  return r < static_cast<ssize_t>(cap) ? r : static_cast<ssize_t>(cap);
}

// ---- batches: one sendmsg/recvmsg per entry ----
int sendmmsg(int fd, struct mmsghdr* v, unsigned int n, int flags) {
  REAL(sendmmsg);
  if (!Sim(fd)) return real_sendmmsg(fd, v, n, flags);
  unsigned int i = 0;
  for (; i < n; ++i) {
    ssize_t k = sendmsg(fd, &v[i].msg_hdr, flags);
    if (k < 0) return i ? static_cast<int>(i) : -1;
    v[i].msg_len = static_cast<unsigned int>(k);
  }
  return static_cast<int>(i);
}

// The timeout argument is ignored (as it is, in effect, by Linux: it is only
// checked after each datagram); MSG_WAITFORONE: only the first may wait.
int recvmmsg(int fd, struct mmsghdr* v, unsigned int n, int flags, struct timespec* timeout) {
  REAL(recvmmsg);
  if (!Sim(fd)) return real_recvmmsg(fd, v, n, flags, timeout);
  unsigned int i = 0;
  for (; i < n; ++i) {
    int f = flags & ~MSG_WAITFORONE;
    if (i > 0 && (flags & MSG_WAITFORONE)) f |= MSG_DONTWAIT;
    ssize_t k = recvmsg(fd, &v[i].msg_hdr, f);
    if (k < 0) {
      if (i == 0) return -1;
      break;
    }
    v[i].msg_len = static_cast<unsigned int>(k);
  }
  return static_cast<int>(i);
}

}  // extern "C"
