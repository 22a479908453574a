// LoadDriver: the open-loop schedule and the operations it offers.
#include <algorithm>

#include "host/host.h"
#include "host/load.h"
#include "reference/roles/mc/client.h"

namespace mcpsim::host {

void LoadDriver::Start() {
  running_ = true;
  run_start_ = env_.Now();
  offered_ = 0;
  Tick();
}

void LoadDriver::Stop() {
  running_ = false;
  if (tick_) env_.CancelTimer(*tick_);
  tick_.reset();
}

void LoadDriver::Tick() {
  tick_.reset();
  if (!running_) return;
  const TimeUs now = env_.Now();
  const double elapsed_s = static_cast<double>(now - run_start_) / kSeconds;
  auto due = static_cast<std::uint64_t>(o_.rate_per_s * elapsed_s);
  // After a stall (the process or the machine paused) catch up at most one
  // second's worth at once.
  const auto cap = static_cast<std::uint64_t>(std::max(1.0, o_.rate_per_s));
  if (due > offered_ + cap) offered_ = due - cap;
  const double total = o_.mix.total();
  while (offered_ < due) {
    ++offered_;
    double pick = rng_.Unit() * total;
    int kind = 0;
    while (kind + 1 < kLoadOps && pick >= o_.mix.weight[static_cast<std::size_t>(kind)]) {
      pick -= o_.mix.weight[static_cast<std::size_t>(kind)];
      ++kind;
    }
    while (o_.mix.weight[static_cast<std::size_t>(kind)] <= 0 && kind > 0) --kind;  // rounding at the top
    Offer(static_cast<LoadOp>(kind));
  }
  // The next operation's time, but at least every millisecond's batch.
  const auto next_s = static_cast<double>(offered_ + 1) / o_.rate_per_s;
  TimeUs at = run_start_ + static_cast<TimeUs>(next_s * kSeconds) + 1;
  at = std::max(at, now + kMillis);
  std::weak_ptr<bool> alive = alive_;
  tick_ = env_.StartTimer(at, [this, alive] {
    if (!alive.expired()) Tick();
  });
}

void LoadDriver::Offer(LoadOp kind) {
  const auto k = static_cast<std::size_t>(kind);
  ++interval_[k].offered;
  ++total_[k].offered;
  const auto n = static_cast<std::uint64_t>(users_.size());
  for (int attempt = 0; attempt < 16; ++attempt) {
    const int u = static_cast<int>(rng_.Below(n));
    if (Eligible(u, kind) && Begin(u, kind)) return;
  }
  ++interval_[k].skipped;
  ++total_[k].skipped;
}

bool LoadDriver::Eligible(int i, LoadOp kind) const {
  const User& u = users_[static_cast<std::size_t>(i)];
  if (u.exclusive) return false;
  if (kind == LoadOp::kLogin) return (u.st == UserState::kIn && u.busy == 0) || u.st == UserState::kIdle;
  return u.st == UserState::kIn && u.busy < o_.window;
}

int LoadDriver::OnlineContact(int i) {
  const User& u = users_[static_cast<std::size_t>(i)];
  if (u.contacts.empty() || !u.mc->sg()) return -1;
  const auto& presence = u.mc->sg()->presence();
  const auto start = rng_.Below(u.contacts.size());
  for (std::size_t k = 0; k < u.contacts.size(); ++k) {
    const int peer = u.contacts[(start + k) % u.contacts.size()];
    if (presence.count(o_.accounts[static_cast<std::size_t>(peer)].account)) return peer;
  }
  return -1;
}

std::uint32_t LoadDriver::CallWith(int i, int peer) const {
  const auto* s = users_[static_cast<std::size_t>(i)].mc->sg();
  const std::string& name = o_.accounts[static_cast<std::size_t>(peer)].account;
  for (const auto& [id, conv] : s->conversations()) {
    if (conv.members.size() == 2 && (conv.members[0] == name || conv.members[1] == name)) return id;
  }
  return 0;
}

bool LoadDriver::Begin(int i, LoadOp kind) {
  User& u = users_[static_cast<std::size_t>(i)];
  reference::McClient& mc = *u.mc;
  const TimeUs now = env_.Now();
  const LoadAccount& a = o_.accounts[static_cast<std::size_t>(i)];
  Op op{kind, Phase::kMain, now, i};
  switch (kind) {
    case LoadOp::kLogin:
      u.exclusive = true;
      if (u.st == UserState::kIn) {
        u.st = UserState::kLoggingOut;
        op.phase = Phase::kLogout;
        Track(i, mc.Logout(now), op);
      } else {
        u.st = UserState::kLoggingIn;
        Track(i, mc.Login(now, a.account, a.password), op);
      }
      break;
    case LoadOp::kChat:
    case LoadOp::kFile: {
      const int peer = OnlineContact(i);
      if (peer < 0) return false;
      op.peer = peer;
      const std::uint32_t call = CallWith(i, peer);
      if (call == 0) {
        op.phase = Phase::kInvite;
        Track(i, mc.Invite(now, o_.accounts[static_cast<std::size_t>(peer)].account), op);
      } else if (kind == LoadOp::kChat) {
        Track(i, mc.SendMessage(now, call, Text(o_.text_bytes, 'x')), op);
      } else {
        Track(i, mc.OfferFile(now, call, FileName(), Text(o_.file_bytes, 'f')), op);
      }
      break;
    }
    case LoadOp::kOffline: {
      if (u.contacts.empty()) return false;
      const int peer = u.contacts[rng_.Below(u.contacts.size())];
      op.peer = peer;
      Track(i, mc.SendOffline(now, o_.accounts[static_cast<std::size_t>(peer)].account, Text(o_.text_bytes, 'o')), op);
      break;
    }
    case LoadOp::kUpload:
      Track(i, mc.Upload(now, "launch", Text(o_.upload_bytes, 'u'), static_cast<std::uint64_t>(1700000000000LL + now / kMillis)),
            op);
      break;
  }
  ++u.busy;
  Pump(i);
  return true;
}

void LoadDriver::Track(int i, std::uint64_t op_id, Op op) { ops_[Key(i, op_id)] = op; }

std::string LoadDriver::FileName() {
  std::string t(1, 'f');
  t.append(std::to_string(++seq_)).append(".bin");
  return t;
}

std::string LoadDriver::Text(std::size_t n, char fill) {
  std::string t(1, 'm');  // (not "m" + ...: GCC 12 -Wrestrict false positive)
  t.append(std::to_string(++seq_)).push_back(' ');
  if (t.size() < n) t.append(n - t.size(), fill);
  return t;
}

}  // namespace mcpsim::host
