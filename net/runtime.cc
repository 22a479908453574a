#include "net/runtime.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <optional>
#include <thread>

namespace mcpsim::net {

struct Runtime::Impl {
  explicit Impl(int hint) : io(hint) {}
  boost::asio::io_context io;
  std::unique_ptr<AsioEnv> env;
  std::unique_ptr<boost::asio::signal_set> signals;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
  std::thread background;
};

Runtime::Runtime(AsioEnvOptions options, int concurrency_hint) : impl_(std::make_unique<Impl>(concurrency_hint)) {
  impl_->env = std::make_unique<AsioEnv>(impl_->io, std::move(options));
  // A loop with nothing to wait for keeps waiting (RunOneFor paces callers).
  impl_->guard.emplace(boost::asio::make_work_guard(impl_->io));
}

Runtime::~Runtime() {
  StopBackground();
  impl_->signals.reset();
  impl_->env.reset();  // sockets close before the io_context goes
}

AsioEnv& Runtime::env() { return *impl_->env; }

void Runtime::RunOne() {
  if (impl_->io.stopped()) impl_->io.restart();
  impl_->io.run_one();
}

bool Runtime::RunOneFor(TimeUs max_wait) {
  if (impl_->io.stopped()) impl_->io.restart();
  return impl_->io.run_one_for(std::chrono::microseconds(max_wait < 0 ? 0 : max_wait)) > 0;
}

void Runtime::RunFor(TimeUs duration) {
  if (impl_->io.stopped()) impl_->io.restart();
  impl_->io.run_for(std::chrono::microseconds(duration < 0 ? 0 : duration));
}

void Runtime::OnStopSignals(std::function<void(int)> on_signal) {
  impl_->signals = std::make_unique<boost::asio::signal_set>(impl_->io, SIGINT, SIGTERM);
  impl_->signals->async_wait([cb = std::move(on_signal)](const boost::system::error_code& ec, int sig) {
    if (!ec) cb(sig);
  });
}

void Runtime::StartBackground() {
  if (impl_->background.joinable()) return;
  if (impl_->io.stopped()) impl_->io.restart();
  impl_->background = std::thread([this] { impl_->io.run(); });
}

void Runtime::StopBackground() {
  if (!impl_->background.joinable()) return;
  impl_->io.stop();
  impl_->background.join();
}

}  // namespace mcpsim::net
