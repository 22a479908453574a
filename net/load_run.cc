#include "net/load_run.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <memory>

#include <spdlog/spdlog.h>

#include "net/asio_env.h"
#include "net/udps_env.h"

namespace mcpsim::net {

LoadRunResult RunLoad(const LoadRunOptions& o) {
  LoadRunResult r;
  using Clock = std::chrono::steady_clock;
  boost::asio::io_context io(1);
  AsioEnvOptions eo;
  eo.udp_send_queue = 1 << 16;
  eo.max_streams = 1 << 16;  // registration over HTTP: one exchange per request
  AsioEnv asio(io, eo);
  std::unique_ptr<UdpsEnv> udps;
  Env* env = &asio;
  if (o.udps_keys) {
    UdpsOptions uo;
    uo.keys = *o.udps_keys;
    uo.plain = false;
    uo.default_key_id = o.udps_keys->begin()->first;
    udps = std::make_unique<UdpsEnv>(asio, uo);
    env = udps.get();
  }
  host::LoadDriver driver(*env, o.load);
  r.users = driver.users();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stop_requested = false;
  std::function<void()> stop_run;  // set once the run starts
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("load: signal {}: stopping", sig);
    r.interrupted = true;
    stop_requested = true;
    if (stop_run) {
      auto f = std::move(stop_run);
      stop_run = nullptr;
      f();
    } else {
      io.stop();  // during set-up: nothing measured yet
    }
  });

  const auto t0 = Clock::now();
  auto t_run = t0;
  bool ready = false;
  std::optional<TimerId> setup_deadline = env->StartTimer(
      env->Now() + static_cast<TimeUs>(o.setup_timeout_s * kSeconds), [&] {
        r.status = Status::Error("LOAD-3", "set-up did not finish within " + std::to_string(o.setup_timeout_s) +
                                               " s (" + std::to_string(driver.logged_in()) + " of " +
                                               std::to_string(driver.users()) + " users logged in)");
        io.stop();
      });

  TimeUs run_start = 0;
  std::function<void()> second = [&] {
    if (!ready) return;
    const double elapsed = static_cast<double>(env->Now() - run_start) / kSeconds;
    const host::LoadStats s = driver.TakeInterval();
    if (o.on_second) o.on_second(elapsed, s, driver.total(), driver.in_flight());
  };
  std::optional<TimerId> second_timer;
  std::function<void(TimeUs)> arm_second = [&](TimeUs at) {
    second_timer = env->StartTimer(at, [&, at] {
      second();
      arm_second(at + kSeconds);
    });
  };
  std::function<void()> drain_check;
  TimeUs drain_until = 0;
  drain_check = [&] {
    if (driver.in_flight() == 0 || env->Now() >= drain_until) {
      io.stop();
      return;
    }
    env->StartTimer(env->Now() + 10 * kMillis, [&] { drain_check(); });
  };
  driver.Setup([&](Status s) {
    if (setup_deadline) env->CancelTimer(*setup_deadline);
    r.setup_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!s.ok()) {
      r.status = s;
      io.stop();
      return;
    }
    if (stop_requested) {
      io.stop();
      return;
    }
    ready = true;
    t_run = Clock::now();
    run_start = env->Now();
    driver.Start();
    arm_second(run_start + kSeconds);
    stop_run = [&] {
      driver.Stop();
      if (second_timer) env->CancelTimer(*second_timer);
      second_timer.reset();
      second();  // the partial last second
      r.run_s = std::chrono::duration<double>(Clock::now() - t_run).count();
      drain_until = env->Now() + static_cast<TimeUs>(o.drain_s * kSeconds);
      drain_check();
    };
    env->StartTimer(run_start + static_cast<TimeUs>(o.duration_s * kSeconds), [&] {
      if (stop_run) {
        auto f = std::move(stop_run);
        stop_run = nullptr;
        f();
      }
    });
  });
  io.run();
  r.logged_in = driver.logged_in();
  r.setup_failures = driver.setup_failures();
  r.unfinished = driver.in_flight();
  r.total = driver.total();
  if (ready && r.run_s == 0) r.run_s = std::chrono::duration<double>(Clock::now() - t_run).count();
  return r;
}

}  // namespace mcpsim::net
