// The answers to the interposed calls on eventfd and timerfd descriptors.
// An eventfd is a counter (read takes it, or 1 with EFD_SEMAPHORE; write adds);
// a timerfd counts expirations of an Env timer on the node's virtual clock.
// Both are readable in poll/select/epoll when their count is not zero.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "interpose/process.h"

namespace mcpsim::interpose {

namespace {
TimeUs CeilUs(std::int64_t ns) { return ns <= 0 ? 0 : (ns + 999) / 1000; }
}  // namespace

void Process::ArmTimer(int fd, Sock& s) {
  if (s.timer) env_.CancelTimer(s.timer);
  s.timer = 0;
  if (s.due == kNever) return;
  std::shared_ptr<bool> alive = alive_;
  s.timer = env_.StartTimer(s.due, [this, alive, fd] {
    if (!*alive) return;
    auto it = socks_.find(fd);
    if (it == socks_.end() || it->second.kind != 5) return;
    Sock& t = it->second;
    t.timer = 0;
    ++t.expirations;
    ++t.gen;
    if (t.interval > 0) {
      t.due += t.interval;
      ArmTimer(fd, t);
    } else {
      t.due = kNever;
    }
    Retry();
  });
}

std::optional<Process::Answer> Process::HandleFd(const Request& r, const std::vector<std::uint8_t>& p, int fd,
                                                 Sock& s) {
  auto spec = [&]() {
    TimerSpec t{};
    t.value_ns = s.due == kNever ? 0 : std::max<TimeUs>(s.due - env_.Now(), 1) * 1000;
    t.interval_ns = s.interval * 1000;
    const auto* b = reinterpret_cast<const std::uint8_t*>(&t);
    return std::vector<std::uint8_t>(b, b + sizeof t);
  };
  auto u64 = [](std::uint64_t v) {
    std::vector<std::uint8_t> out(sizeof(SockAddr4) + 8, 0);  // [sa (unused)][value]
    std::memcpy(out.data() + sizeof(SockAddr4), &v, 8);
    return out;
  };
  switch (static_cast<Op>(r.op)) {
    case Op::kRecv: {
      if (r.a[2] < 8) return Err(EINVAL);
      std::uint64_t v = 0;
      if (s.kind == 4 && s.counter) {
        v = s.semaphore ? 1 : s.counter;
        s.counter -= v;
      } else if (s.kind == 5 && s.expirations) {
        v = s.expirations;
        s.expirations = 0;
      }
      if (v == 0) {
        if (s.nonblock || (r.a[1] & MSG_DONTWAIT)) return Err(EAGAIN);
        return std::nullopt;  // a blocking read waits for a write / an expiry
      }
      ++s.gen;
      return Ok(8, u64(v));
    }
    case Op::kSend: {
      if (s.kind != 4) return Err(EINVAL);
      if (p.size() < sizeof(SockAddr4) + 8) return Err(EINVAL);
      std::uint64_t v = 0;
      std::memcpy(&v, p.data() + sizeof(SockAddr4), 8);
      if (v == ~0ULL) return Err(EINVAL);
      if (s.counter > ~0ULL - 1 - v) return Err(EAGAIN);  // would overflow (a blocking writer: not simulated)
      s.counter += v;
      ++s.gen;
      return Ok(8);
    }
    case Op::kPending:
      return Ok(0);
    case Op::kTimerSet: {
      if (s.kind != 5) return Err(EINVAL);
      if (r.a[2] < 0 || r.a[3] < 0) return Err(EINVAL);
      std::vector<std::uint8_t> old = spec();
      s.expirations = 0;
      s.interval = CeilUs(r.a[3]);
      if (r.a[2] == 0) {
        s.due = kNever;
      } else if (r.a[1] & TFD_TIMER_ABSTIME) {
        const bool real = s.clock == CLOCK_REALTIME || s.clock == CLOCK_REALTIME_ALARM;
        s.due = std::max<TimeUs>(env_.Now(), CeilUs(r.a[2]) - (real ? o_.epoch_us : kMonoBaseUs));
      } else {
        s.due = env_.Now() + std::max<TimeUs>(CeilUs(r.a[2]), 1);
      }
      ++s.gen;
      ArmTimer(fd, s);
      return Ok(0, std::move(old));
    }
    case Op::kTimerGet:
      if (s.kind != 5) return Err(EINVAL);
      return Ok(0, spec());
    case Op::kGetSockOpt:
    case Op::kSetSockOpt:
    case Op::kBind:
    case Op::kConnect:
    case Op::kListen:
    case Op::kAccept:
    case Op::kShutdown:
    case Op::kGetSockName:
    case Op::kGetPeerName:
      return Err(ENOTSOCK);
    default:
      Fail("sent an unknown request (op " + std::to_string(r.op) + ") on an eventfd/timerfd");
      return std::nullopt;
  }
}

}  // namespace mcpsim::interpose
