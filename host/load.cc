// LoadDriver: construction, set-up (registration, login, contact lists) and
// the event loop that turns McEvents into finished operations.
#include "host/load.h"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "host/host.h"
#include "reference/media/captcha.h"
#include "reference/roles/mc/client.h"

namespace mcpsim::host {

using reference::McEvent;
using reference::McOp;

namespace {
// Set-up requests of one user answered 403 (RATE-4/6/10) that are retried
// a second later (RATE-9) before the user counts as a set-up failure.
constexpr int kMaxRefusals = 30;
}  // namespace

const char* LoadOpName(LoadOp op) {
  switch (op) {
    case LoadOp::kLogin: return "login";
    case LoadOp::kChat: return "chat";
    case LoadOp::kOffline: return "offline";
    case LoadOp::kUpload: return "upload";
    case LoadOp::kFile: return "file";
  }
  return "?";
}

Result<LoadMix> LoadMix::Parse(std::string_view text) {
  LoadMix m;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) {
      if (end == text.size()) break;
      return Status::Error("LOAD-1", "empty item in --mix");
    }
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return Status::Error("LOAD-1", "mix item without '=': " + std::string(item));
    const std::string_view name = item.substr(0, eq);
    const std::string value(item.substr(eq + 1));
    int k = -1;
    for (int i = 0; i < kLoadOps; ++i) {
      if (name == LoadOpName(static_cast<LoadOp>(i))) k = i;
    }
    if (k < 0) return Status::Error("LOAD-1", "unknown operation in --mix: " + std::string(name) + " (login, chat, offline, upload, file)");
    char* stop = nullptr;
    const double w = std::strtod(value.c_str(), &stop);
    if (value.empty() || *stop != '\0' || !(w >= 0) || w > 1e9) {
      return Status::Error("LOAD-1", "bad weight for " + std::string(name) + ": " + value);
    }
    m.weight[static_cast<std::size_t>(k)] = w;
  }
  if (!(m.total() > 0)) return Status::Error("LOAD-1", "--mix needs a positive weight");
  return m;
}

double LoadMix::total() const {
  double t = 0;
  for (double w : weight) t += w;
  return t;
}

void LoadCounters::Merge(const LoadCounters& o) {
  offered += o.offered;
  completed += o.completed;
  errors += o.errors;
  skipped += o.skipped;
  latency_us.Merge(o.latency_us);
}

LoadDriver::LoadDriver(Env& env, LoadOptions options)
    : env_(env), o_(std::move(options)), rng_(Rng::Stream(o_.seed, "load")),
      alive_(std::make_shared<bool>(true)) {
  const int n = static_cast<int>(o_.accounts.size());
  users_.resize(o_.accounts.size());
  for (int i = 0; i < n; ++i) {
    User& u = users_[static_cast<std::size_t>(i)];
    reference::McConfig c = o_.mc;
    c.device_id = "load-" + std::to_string(i);
    c.cache_path.clear();  // no client cache (CACHE-4)
    u.mc = std::make_unique<reference::McClient>(std::move(c), Rng::Stream(o_.seed, "load:mc:" + std::to_string(i)),
                                                 "load-" + std::to_string(i));
    if (o_.sg.port != 0) u.mc->SetSgEndpoint(o_.sg);
    if (o_.cs.port != 0) u.mc->SetCsEndpoint(o_.cs);
    u.mc->AcceptPrivacyAgreement();
    u.mc->SetEventDoorbell([this, i] { Ring(i); });
    u.host = std::make_unique<RoleHost>(env_, *u.mc);
    u.start = u.host->Start({0, std::nullopt, std::nullopt});
    // Neighbours on a ring: +-1, +-2, ... (both directions, so lists are mutual).
    for (int k = 1; static_cast<int>(u.contacts.size()) < o_.contacts && k <= n / 2; ++k) {
      for (int peer : {(i + k) % n, (i - k + n) % n}) {
        if (peer != i && static_cast<int>(u.contacts.size()) < o_.contacts &&
            std::find(u.contacts.begin(), u.contacts.end(), peer) == u.contacts.end()) {
          u.contacts.push_back(peer);
        }
      }
    }
  }
}

LoadDriver::~LoadDriver() {
  *alive_ = false;
  if (tick_) env_.CancelTimer(*tick_);
}

std::size_t LoadDriver::logged_in() const {
  return static_cast<std::size_t>(
      std::count_if(users_.begin(), users_.end(), [](const User& u) { return u.st == UserState::kIn; }));
}

// ---- set-up ----

void LoadDriver::Setup(std::function<void(Status)> ready) {
  ready_ = std::move(ready);
  for (const User& u : users_) {
    if (!u.start.ok()) return ready_(u.start);  // e.g. out of ports / descriptors
  }
  if (users_.empty()) return ready_(Status::Error("LOAD-2", "no users"));
  setup_start_ = env_.Now();
  SetupTick();
}

void LoadDriver::SetupTick() {
  const TimeUs elapsed = env_.Now() - setup_start_;
  const auto due = std::min<std::uint64_t>(
      users_.size(), static_cast<std::uint64_t>(o_.ramp_per_s * static_cast<double>(elapsed) / kSeconds) + 1);
  while (static_cast<std::uint64_t>(setup_next_) < due) {
    ++setup_pending_;
    BeginSetup(setup_next_++);
  }
  if (static_cast<std::size_t>(setup_next_) < users_.size()) {
    std::weak_ptr<bool> alive = alive_;
    env_.StartTimer(env_.Now() + kMillis, [this, alive] {
      if (!alive.expired()) SetupTick();
    });
  }
}

void LoadDriver::BeginSetup(int i) {
  User& u = users_[static_cast<std::size_t>(i)];
  const TimeUs now = env_.Now();
  bool sg_needed = false;
  for (LoadOp k : {LoadOp::kLogin, LoadOp::kChat, LoadOp::kOffline, LoadOp::kFile}) {
    sg_needed = sg_needed || o_.mix.weight[static_cast<std::size_t>(k)] > 0;
  }
  if (!sg_needed && !o_.register_first && o_.cs.port != 0) {  // uploads only: CS needs no session
    u.st = UserState::kIn;
    return SetupDone(i, true);
  }
  if (o_.register_first || (o_.sg.port == 0 && u.mc->sg_list().empty())) {
    u.st = UserState::kRegistering;
    Track(i, u.mc->QueryDispatch(now), Op{LoadOp::kLogin, Phase::kDispatch, now, i});
  } else {
    u.st = UserState::kLoggingIn;
    const LoadAccount& a = o_.accounts[static_cast<std::size_t>(i)];
    Track(i, u.mc->Login(now, a.account, a.password), Op{LoadOp::kLogin, Phase::kSetupLogin, now, i});
  }
  Pump(i);
}

void LoadDriver::AfterLogin(int i) {
  User& u = users_[static_cast<std::size_t>(i)];
  const TimeUs now = env_.Now();
  for (int peer : u.contacts) {
    const std::string& name = o_.accounts[static_cast<std::size_t>(peer)].account;
    if (u.mc->sg()->contacts().count(name)) continue;  // already listed
    ++u.edits;
    Track(i, u.mc->EditContact(now, "add", name), Op{LoadOp::kLogin, Phase::kEdit, now, i, peer});
  }
  Pump(i);
  if (u.edits == 0) SetupDone(i, true);
}

void LoadDriver::SetupDone(int i, bool ok) {
  if (!ok) {
    ++setup_failures_;
    users_[static_cast<std::size_t>(i)].st = UserState::kFailed;
  }
  if (--setup_pending_ > 0 || static_cast<std::size_t>(setup_next_) < users_.size() || !ready_) return;
  auto ready = std::move(ready_);
  ready_ = nullptr;
  if (logged_in() == 0) {
    return ready(Status::Error("LOAD-2", "no user could log in (" + std::to_string(setup_failures_) + " failed)"));
  }
  ready(Status{});
}

// ---- events ----

void LoadDriver::Ring(int i) {
  rang_.push_back(i);
  if (process_armed_) return;
  process_armed_ = true;
  std::weak_ptr<bool> alive = alive_;
  env_.StartTimer(env_.Now(), [this, alive] {
    if (alive.expired()) return;
    process_armed_ = false;
    ProcessEvents();
  });
}

void LoadDriver::ProcessEvents() {
  std::vector<int> rang;
  rang.swap(rang_);
  for (int i : rang) {
    for (McEvent& e : users_[static_cast<std::size_t>(i)].mc->TakeEvents()) OnEvent(i, e);
  }
}

void LoadDriver::OnEvent(int i, McEvent& e) {
  User& u = users_[static_cast<std::size_t>(i)];
  if (e.op_id != 0) {
    auto it = ops_.find(Key(i, e.op_id));
    if (it == ops_.end()) return;  // not ours to time (file decisions)
    const Op op = it->second;
    ops_.erase(it);
    return OnOpEvent(i, op, e);
  }
  switch (e.op) {
    case McOp::kFileOffered:  // the receiving user accepts every file
      (void)u.mc->AcceptFile(env_.Now(), e.object_id);
      Pump(i);
      return;
    case McOp::kFileDone:
    case McOp::kFileRejected:
    case McOp::kFileFailed:
      if (auto f = files_.find(Key(i, e.object_id)); f != files_.end()) {
        const Op op = f->second;
        files_.erase(f);
        Finish(op, e.op == McOp::kFileDone);
      }
      return;
    case McOp::kSessionLost:
    case McOp::kKicked:
      if (u.st == UserState::kIn) u.st = UserState::kIdle;  // a login operation may bring it back
      FailUserOps(i);
      return;
    default:
      return;
  }
}

void LoadDriver::OnOpEvent(int i, Op op, McEvent& e) {
  User& u = users_[static_cast<std::size_t>(i)];
  const bool ok = e.outcome == McEvent::Outcome::kOk;
  const TimeUs now = env_.Now();
  const LoadAccount& a = o_.accounts[static_cast<std::size_t>(i)];
  if (!ok) {
    spdlog::debug("load: user {} {} failed: outcome {} status {} {}", i, reference::McOpName(e.op),
                  static_cast<int>(e.outcome), e.status, e.detail);
  }
  switch (op.phase) {
    case Phase::kMain:
      if (op.kind == LoadOp::kFile && ok) {  // AOI: wait for the receiver's decision and the chunks
        files_[Key(i, e.object_id)] = op;
        return;
      }
      if (op.kind == LoadOp::kLogin) u.st = ok ? UserState::kIn : UserState::kIdle;
      return Finish(op, ok);
    case Phase::kInvite: {
      if (!ok) return Finish(op, false);
      op.phase = Phase::kMain;
      if (op.kind == LoadOp::kChat) {
        Track(i, u.mc->SendMessage(now, e.call_id, Text(o_.text_bytes, 'x')), op);
      } else {
        Track(i, u.mc->OfferFile(now, e.call_id, FileName(), Text(o_.file_bytes, 'f')),
              op);
      }
      return Pump(i);
    }
    case Phase::kLogout:  // whatever RLO's outcome, the session is closed now
      u.st = UserState::kLoggingIn;
      Track(i, u.mc->Login(now, a.account, a.password), Op{LoadOp::kLogin, Phase::kMain, now, i});
      return Pump(i);
    case Phase::kDispatch:
      if (!ok) return SetupDone(i, false);
      if (!o_.register_first) {
        u.st = UserState::kLoggingIn;
        Track(i, u.mc->Login(now, a.account, a.password), Op{LoadOp::kLogin, Phase::kSetupLogin, now, i});
      } else {
        Track(i, u.mc->RequestCaptcha(now), Op{LoadOp::kLogin, Phase::kCaptcha, now, i});
      }
      return Pump(i);
    case Phase::kCaptcha: {
      auto text = ok ? reference::ReadCaptcha(e.data) : std::nullopt;
      if (!text) return SetupDone(i, false);
      std::string typed = *text;
      for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));  // RS-9
      Track(i, u.mc->Register(now, typed, a.account, a.password, a.password, ""),
            Op{LoadOp::kLogin, Phase::kRegister, now, i});
      return Pump(i);
    }
    case Phase::kRegister:
      // RATE-6/RATE-10: the server paces registrations from this address;
      // RATE-9: not the same request again, a new captcha a second later.
      if (!ok && e.status == 403 && RetryLater(i, Phase::kCaptcha)) return;
      if (!ok) return SetupDone(i, false);
      u.st = UserState::kLoggingIn;
      Track(i, u.mc->Login(now, a.account, a.password), Op{LoadOp::kLogin, Phase::kSetupLogin, now, i});
      return Pump(i);
    case Phase::kSetupLogin:
      if (!ok && e.status == 403 && RetryLater(i, Phase::kSetupLogin)) return;  // RATE-4/10, RATE-9
      if (!ok) {
        u.st = UserState::kIdle;
        return SetupDone(i, false);
      }
      u.st = UserState::kIn;
      return AfterLogin(i);
    case Phase::kEdit:
      // A refused edit only costs that contact: it is no longer a peer for
      // chat, offline messages or files (the server would answer 305).
      if (!ok) u.contacts.erase(std::remove(u.contacts.begin(), u.contacts.end(), op.peer), u.contacts.end());
      if (--u.edits == 0) SetupDone(i, true);
      return;
  }
}

bool LoadDriver::RetryLater(int i, Phase phase) {
  User& u = users_[static_cast<std::size_t>(i)];
  if (++u.refused > kMaxRefusals) return false;
  std::weak_ptr<bool> alive = alive_;
  env_.StartTimer(env_.Now() + kSeconds, [this, alive, i, phase] {
    if (alive.expired()) return;
    User& w = users_[static_cast<std::size_t>(i)];
    const LoadAccount& a = o_.accounts[static_cast<std::size_t>(i)];
    const TimeUs now = env_.Now();
    if (phase == Phase::kCaptcha) {
      Track(i, w.mc->RequestCaptcha(now), Op{LoadOp::kLogin, Phase::kCaptcha, now, i});
    } else {
      Track(i, w.mc->Login(now, a.account, a.password), Op{LoadOp::kLogin, Phase::kSetupLogin, now, i});
    }
    Pump(i);
  });
  return true;
}

void LoadDriver::Finish(const Op& op, bool ok) {
  User& u = users_[static_cast<std::size_t>(op.user)];
  --u.busy;
  if (op.kind == LoadOp::kLogin) u.exclusive = false;
  const auto k = static_cast<std::size_t>(op.kind);
  for (LoadStats* s : {&interval_, &total_}) {
    LoadCounters& c = (*s)[k];
    if (ok) {
      ++c.completed;
      c.latency_us.Record(static_cast<std::uint64_t>(std::max<TimeUs>(0, env_.Now() - op.start)));
    } else {
      ++c.errors;
    }
  }
}

void LoadDriver::FailUserOps(int i) {
  // Collected first, then finished in a fixed order (the maps are unordered).
  std::vector<std::pair<std::uint64_t, Op>> lost;
  for (auto* m : {&ops_, &files_}) {
    for (auto it = m->begin(); it != m->end();) {
      const Phase ph = it->second.phase;
      if (it->second.user == i && (ph == Phase::kMain || ph == Phase::kInvite)) {
        lost.emplace_back(it->first, it->second);
        it = m->erase(it);
      } else {
        ++it;
      }
    }
  }
  std::sort(lost.begin(), lost.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (const auto& [key, op] : lost) Finish(op, false);  // their late events find nothing
}

LoadStats LoadDriver::TakeInterval() {
  LoadStats s = interval_;
  interval_ = LoadStats{};
  return s;
}

void LoadDriver::Pump(int i) { users_[static_cast<std::size_t>(i)].host->Pump(); }

}  // namespace mcpsim::host
