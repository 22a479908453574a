/* A tiny C target for the interposer's tests (dynamically linked, libc only).
 * It binds a UDP port, then exercises /dev/urandom, getrandom, eventfd,
 * timerfd (periodic) with epoll, nanosleep, and finally recvmmsg: it waits
 * for datagrams, and answers the first sender with one report line via
 * sendmmsg (two datagrams: the report, then "end"). With --raw, the
 * random bytes and the first clock read are raw syscall()s (the seccomp
 * filter's SIGSYS path); timespec_get reads the vDSO. Exits 0; any failed
 * check exits 1 with a message on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define CHECK(c)                                                          \
  do {                                                                    \
    if (!(c)) {                                                           \
      fprintf(stderr, "fd_target: check failed: %s (errno %d)\n", #c, errno); \
      exit(1);                                                            \
    }                                                                     \
  } while (0)

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char** argv) {
  int raw = argc > 1 && strcmp(argv[1], "--raw") == 0;
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(u >= 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(u, (struct sockaddr*)&a, sizeof a) == 0);

  /* glibc's timespec_get reads the clock through the vDSO directly (no PLT call, no syscall). */
  struct timespec tg;
  CHECK(timespec_get(&tg, TIME_UTC) == TIME_UTC);
  uint64_t ur = 0, gr = 0;
  int rf = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  CHECK(rf >= 0);
  CHECK(read(rf, &ur, sizeof ur) == sizeof ur);
  close(rf);
  if (raw) {
    CHECK(syscall(SYS_getrandom, &gr, sizeof gr, 0) == sizeof gr);
  } else {
    CHECK(getrandom(&gr, sizeof gr, 0) == sizeof gr);
  }

  int ep = epoll_create1(EPOLL_CLOEXEC);
  CHECK(ep >= 0);
  int ev = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  CHECK(ev >= 0);
  uint64_t v = 0;
  CHECK(read(ev, &v, 8) == -1 && errno == EAGAIN);
  struct epoll_event e = {.events = EPOLLIN | EPOLLET, .data.u64 = 7};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) == 0);
  struct epoll_event out[4];
  CHECK(epoll_wait(ep, out, 4, 0) == 0);
  CHECK(eventfd_write(ev, 3) == 0);
  v = 4;
  CHECK(write(ev, &v, 8) == 8);
  CHECK(epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u64 == 7 && (out[0].events & EPOLLIN));
  CHECK(read(ev, &v, 8) == 8);
  uint64_t evsum = v;

  int tf = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  CHECK(tf >= 0);
  e.events = EPOLLIN;
  e.data.u64 = 9;
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, tf, &e) == 0);
  struct itimerspec its = {.it_interval = {0, 100000000}, .it_value = {0, 250000000}};
  int64_t t0 = raw ? 0 : mono_us();
  if (raw) {
    struct timespec ts;
    CHECK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == 0);
    t0 = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
  }
  CHECK(timerfd_settime(tf, 0, &its, NULL) == 0);
  CHECK(epoll_wait(ep, out, 4, -1) == 1 && out[0].data.u64 == 9);
  int64_t t1 = mono_us() - t0;
  CHECK(read(tf, &v, 8) == 8 && v == 1);
  struct timespec nap = {0, 320000000};
  CHECK(nanosleep(&nap, NULL) == 0);
  CHECK(read(tf, &v, 8) == 8);
  uint64_t exp = v;
  struct itimerspec cur;
  CHECK(timerfd_gettime(tf, &cur) == 0 && cur.it_interval.tv_nsec == 100000000);

  char b[2][64];
  struct sockaddr_in from[2];
  struct iovec iov[2] = {{b[0], sizeof b[0]}, {b[1], sizeof b[1]}};
  struct mmsghdr m[2];
  memset(m, 0, sizeof m);
  for (int i = 0; i < 2; ++i) {
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
    m[i].msg_hdr.msg_name = &from[i];
    m[i].msg_hdr.msg_namelen = sizeof from[i];
  }
  int got = recvmmsg(u, m, 2, MSG_WAITFORONE, NULL);
  CHECK(got >= 1);

  char rep[200];
  int n = snprintf(rep, sizeof rep, "tg=%lld rand=%016llx urand=%016llx ev=%llu t0=%lld t1=%lld exp=%llu mm=%d",
                   (long long)tg.tv_sec, (unsigned long long)gr, (unsigned long long)ur, (unsigned long long)evsum, (long long)t0,
                   (long long)t1, (unsigned long long)exp, got);
  struct iovec oi[2] = {{rep, (size_t)n}, {"end", 3}};
  struct mmsghdr om[2];
  memset(om, 0, sizeof om);
  for (int i = 0; i < 2; ++i) {
    om[i].msg_hdr.msg_iov = &oi[i];
    om[i].msg_hdr.msg_iovlen = 1;
    om[i].msg_hdr.msg_name = &from[0];
    om[i].msg_hdr.msg_namelen = sizeof from[0];
  }
  CHECK(sendmmsg(u, om, 2, 0) == 2);
  return 0;
}
