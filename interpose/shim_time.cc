// libmcpsim_interpose.so: clocks, sleeps and randomness on virtual time / the seeded stream.
#include "interpose/shim_common.h"

using namespace mcpsim::interpose;
using namespace mcpsim::interpose::shim;

namespace mcpsim::interpose::shim {


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

ssize_t RandomRead(void* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    const size_t k = n - done < kMaxPayload ? n - done : kMaxPayload;
    std::uint32_t got = 0;
    Call(Op::kRandom, {static_cast<std::int64_t>(k)}, nullptr, 0, static_cast<char*>(buf) + done,
         static_cast<std::uint32_t>(k), &got);
    if (got == 0) break;
    done += got;
  }
  return static_cast<ssize_t>(done);
}

bool IsRandomDev(const char* path) {
  return path && (strcmp(path, "/dev/urandom") == 0 || strcmp(path, "/dev/random") == 0);
}

int OpenRandom(int flags) {
  int fd = ReserveSim(flags & O_CLOEXEC);
  if (fd >= 0) g_kind[fd] = kRandomDev;
  return fd;
}

}  // namespace mcpsim::interpose::shim

extern "C" {

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

// ---- /dev/urandom, /dev/random: a simulated descriptor reading the seeded stream ----
// (opens through libc's internal paths — fopen, std::random_device — are not caught)
#define OPEN_MODE()            \
  mode_t mode = 0;             \
  if (flags & (O_CREAT | O_TMPFILE)) { \
    va_list ap;                \
    va_start(ap, flags);       \
    mode = va_arg(ap, mode_t); \
    va_end(ap);                \
  }

int open(const char* path, int flags, ...) {
  REAL(open);
  OPEN_MODE();
  if (g_chan >= 0 && IsRandomDev(path)) return OpenRandom(flags);
  return real_open(path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  REAL(open64);
  OPEN_MODE();
  if (g_chan >= 0 && IsRandomDev(path)) return OpenRandom(flags);
  return real_open64(path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
  REAL(openat);
  OPEN_MODE();
  if (g_chan >= 0 && IsRandomDev(path)) return OpenRandom(flags);
  return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  REAL(openat64);
  OPEN_MODE();
  if (g_chan >= 0 && IsRandomDev(path)) return OpenRandom(flags);
  return real_openat64(dirfd, path, flags, mode);
}

int __open_2(const char* path, int flags) { return open(path, flags); }
int __open64_2(const char* path, int flags) { return open64(path, flags); }

}  // extern "C"
