#include "sim/node.h"

#include <algorithm>

#include "sim/world.h"

namespace mcpsim::sim {

SimNode::SimNode(World* world, std::uint32_t id, std::string name, std::uint32_t ip)
    : world_(world),
      id_(id),
      name_(std::move(name)),
      ip_(ip),
      rng_(Rng::Stream(world->seed(), "node:" + name_)) {}

TimeUs SimNode::Now() const { return world_->Now(); }

TimerId SimNode::StartTimer(TimeUs at, std::function<void()> fn) {
  Scheduler& s = world_->sched_;
  if (at < s.now()) at = s.now();
  if (down_) return s.At(at, [] {});  // a crashed node's glue is gone: never runs anything
  // Tagged with the node (id + 1), so that a crash cancels what is pending.
  const EventId id = s.AtOwned(at, id_ + 1, [this, fn = std::move(fn)]() {
    Trace& t = world_->trace_;
    t.Begin(name_, "timer");
    t.Int("id", static_cast<std::int64_t>(world_->sched_.current_event()));
    t.End();
    if (fn) fn();
  });
  Trace& t = world_->trace_;
  t.Begin(name_, "timer_start");
  t.Int("id", static_cast<std::int64_t>(id));
  t.Int("at", at);
  t.End();
  return id;
}

void SimNode::Offload(TimeUs cost, std::function<void()> work, std::function<void()> done) {
  if (worker_free_at_.empty()) {
    worker_free_at_.assign(std::max<std::uint32_t>(1, world_->options().offload_workers), 0);
  }
  auto w = std::min_element(worker_free_at_.begin(), worker_free_at_.end());
  const TimeUs start = std::max(*w, Now());
  const TimeUs end = start + std::max<TimeUs>(1, cost);
  *w = end;
  const std::uint64_t job = ++jobs_;
  Trace& t = world_->trace_;
  t.Begin(name_, "work_start");
  t.Int("job", static_cast<std::int64_t>(job));
  t.Int("worker", static_cast<std::int64_t>(w - worker_free_at_.begin()));
  t.Int("done_at", end);
  t.End();
  StartTimer(end, [this, job, work = std::move(work), done = std::move(done)] {
    if (work) work();
    Trace& tr = world_->trace_;
    tr.Begin(name_, "work_done");
    tr.Int("job", static_cast<std::int64_t>(job));
    tr.End();
    if (done) done();
  });
}

void SimNode::CancelTimer(TimerId id) {
  if (!world_->sched_.Cancel(id)) return;
  Trace& t = world_->trace_;
  t.Begin(name_, "timer_cancel");
  t.Int("id", static_cast<std::int64_t>(id));
  t.End();
}

Result<Endpoint> SimNode::BindDatagram(std::uint16_t port, DatagramFn on_datagram) {
  if (down_) return Status::Error("SIM-28", name_ + " is down");
  if (port == 0) {
    port = FreePort(udp_, udp_hint_);
    if (port == 0) return Status::Error("SIM-6", "no free datagram port on " + name_);
  } else if (udp_.count(port) != 0) {
    return Status::Error("SIM-4", "datagram port " + std::to_string(port) + " already bound on " + name_);
  }
  udp_.emplace(port, std::move(on_datagram));
  return Endpoint::V4(ip_, port);
}

void SimNode::CloseDatagram(std::uint16_t port) {
  if (udp_.count(port) == 0 || udp_closing_.count(port) != 0) return;
  udp_closing_[port] = true;
  world_->sched_.At(world_->sched_.now(), [this, port] {
    udp_.erase(port);
    udp_closing_.erase(port);
  });
}

Status SimNode::SendDatagram(std::uint16_t from_port, const Endpoint& to, Bytes payload) {
  if (down_) return Status::Error("SIM-28", name_ + " is down");
  if (udp_.count(from_port) == 0 || udp_closing_.count(from_port) != 0) {
    return Status::Error("SIM-5", "datagram port " + std::to_string(from_port) + " not bound on " + name_);
  }
  world_->SendDatagram(id_, from_port, to, payload);
  return Status();
}

Result<Endpoint> SimNode::Listen(std::uint16_t port, AcceptFn on_accept) {
  if (down_) return Status::Error("SIM-28", name_ + " is down");
  if (port == 0) {
    port = FreePort(listeners_, tcp_hint_);
    if (port == 0) return Status::Error("SIM-6", "no free stream port on " + name_);
  } else if (listeners_.count(port) != 0) {
    return Status::Error("SIM-4", "stream port " + std::to_string(port) + " already listening on " + name_);
  }
  listeners_.emplace(port, std::move(on_accept));
  return Endpoint::V4(ip_, port);
}

Result<StreamId> SimNode::Connect(const Endpoint& to, StreamHandlers handlers) {
  if (down_) return Status::Error("SIM-28", name_ + " is down");
  return world_->Connect(id_, to, std::move(handlers));
}
Status SimNode::StreamSend(StreamId id, Bytes data) { return world_->StreamSend(id_, id, data); }
Status SimNode::StreamShutdownWrite(StreamId id) { return world_->StreamShutdownWrite(id_, id); }
void SimNode::StreamReset(StreamId id) { world_->StreamReset(id_, id); }

}  // namespace mcpsim::sim
