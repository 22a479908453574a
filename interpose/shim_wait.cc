// libmcpsim_interpose.so: waiting (poll, select, epoll) on simulated descriptors.
#include "interpose/shim_common.h"

using namespace mcpsim::interpose;
using namespace mcpsim::interpose::shim;

namespace mcpsim::interpose::shim {

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

std::int64_t ClockNs(clockid_t clk) {
  // Virtual time cannot move while the target runs (wire.h): no round trip.
  ++g_local;
  const bool real = clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE || clk == CLOCK_TAI;
  return ((real ? g_epoch_us : kMonoBaseMicros) + g_now_us) * 1000;
}
}  // namespace mcpsim::interpose::shim

extern "C" {

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
  // A real descriptor (a pipe: Asio's signal self-pipe) may be watched but is
  // never ready in a simulated wait, as in poll/select.
  const bool real = !Sim(fd);
  if (real && syscall(SYS_fcntl, fd, F_GETFD) < 0) return -1;  // EBADF
  if (real && fd == g_chan) {
    errno = EPERM;
    return -1;
  }
  return static_cast<int>(Call(Op::kEpollCtl, {epfd, op, fd, ev ? ev->events : 0,
                                               ev ? static_cast<std::int64_t>(ev->data.u64) : 0, real ? 1 : 0})
                              .ret);
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

// ---- eventfd, timerfd ----
int eventfd(unsigned int initval, int flags) {
  REAL(eventfd);
  if (g_chan < 0) return real_eventfd(initval, flags);
  int fd = ReserveSim(flags & EFD_CLOEXEC);
  if (fd < 0) return -1;
  if (Call(Op::kEventFd, {fd, initval, flags}).ret < 0) {
    Unreserve(fd);
    return -1;
  }
  g_kind[fd] = kEventFd;
  return fd;
}

int eventfd_read(int fd, eventfd_t* value) { return read(fd, value, sizeof *value) == sizeof *value ? 0 : -1; }

int eventfd_write(int fd, eventfd_t value) { return write(fd, &value, sizeof value) == sizeof value ? 0 : -1; }

int timerfd_create(int clockid, int flags) {
  REAL(timerfd_create);
  if (g_chan < 0) return real_timerfd_create(clockid, flags);
  int fd = ReserveSim(flags & TFD_CLOEXEC);
  if (fd < 0) return -1;
  if (Call(Op::kTimerCreate, {fd, clockid, flags}).ret < 0) {
    Unreserve(fd);
    return -1;
  }
  g_kind[fd] = kTimerFd;
  return fd;
}

static void ToItimer(const TimerSpec& t, struct itimerspec* out) {
  out->it_value = {static_cast<time_t>(t.value_ns / 1000000000), static_cast<long>(t.value_ns % 1000000000)};
  out->it_interval = {static_cast<time_t>(t.interval_ns / 1000000000), static_cast<long>(t.interval_ns % 1000000000)};
}

int timerfd_settime(int fd, int flags, const struct itimerspec* nv, struct itimerspec* old) {
  REAL(timerfd_settime);
  if (!Sim(fd)) return real_timerfd_settime(fd, flags, nv, old);
  if (!nv || nv->it_value.tv_nsec < 0 || nv->it_value.tv_nsec >= 1000000000 || nv->it_interval.tv_nsec < 0 ||
      nv->it_interval.tv_nsec >= 1000000000) {
    errno = EINVAL;
    return -1;
  }
  TimerSpec t{};
  std::uint32_t got = 0;
  if (Call(Op::kTimerSet, {fd, flags, ToNs(&nv->it_value), ToNs(&nv->it_interval)}, nullptr, 0, &t, sizeof t, &got)
          .ret < 0) {
    return -1;
  }
  if (old) ToItimer(t, old);
  return 0;
}

int timerfd_gettime(int fd, struct itimerspec* cur) {
  REAL(timerfd_gettime);
  if (!Sim(fd)) return real_timerfd_gettime(fd, cur);
  TimerSpec t{};
  std::uint32_t got = 0;
  if (Call(Op::kTimerGet, {fd}, nullptr, 0, &t, sizeof t, &got).ret < 0) return -1;
  ToItimer(t, cur);
  return 0;
}

}  // extern "C"
