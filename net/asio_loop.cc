#include "net/asio_loop.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>

namespace mcpsim::net {

bool AsioLoop::RunUntil(TimeUs deadline, const std::function<bool()>& done) {
  boost::asio::io_context& io = env_.io();
  // Keeps run_one_for blocking for its slice even when no socket waits.
  auto guard = boost::asio::make_work_guard(io);
  for (;;) {
    if (done()) return true;
    const TimeUs now = env_.Now();
    if (now >= deadline) return false;
    const TimeUs slice = std::min<TimeUs>(deadline - now, slice_);
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::microseconds(slice));
  }
}

}  // namespace mcpsim::net
