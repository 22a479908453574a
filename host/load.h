// LoadDriver: many MC engines (reference::McClient, each with its own UDP
// port through a RoleHost) on one Env, offering a mix of realistic user
// operations at a given rate and measuring each one's latency — the engine of
// `mcpsim load` (on AsioEnv, net/load.h) and of its simulated tests (on sim
// nodes). Env-agnostic like RoleHost: host/ still depends on core and
// reference only.
//
// Life cycle:
//   Setup(ready)  (optionally) registers every account through DP/RS, logs
//                 every user in at `ramp_per_s`, and has each user list its
//                 `contacts` neighbours (RCE add; an existing entry is kept),
//                 then calls ready(status) — an error when no user could log
//                 in (LOAD-2). A mix of uploads only logs nobody in (CS
//                 needs no session).
//   Start()       offers operations at `rate_per_s` (open loop: the schedule
//                 does not wait for answers), each of a kind drawn by the mix
//                 weights, for a random eligible user:
//                   login   logout, then log in again (latency: the login,
//                           RAT .. APS, as the user sees it)
//                   chat    one message to an online contact (RSM .. ASM;
//                           an RSI first when the two share no conversation)
//                   offline one ROM to a contact (.. AOM)
//                   upload  one RUP to CS (.. AUP)
//                   file    one file to an online contact, accepted by the
//                           receiving user (ROI .. the sender's "done")
//                 An operation no user can take (every user busy: `window`
//                 operations in flight, or logging in; chat/offline/file
//                 without a contact online) is counted as skipped.
//   Stop()        offers no more; in-flight operations still complete.
// Every operation ends exactly once: completed (status 0) or error (a status,
// a give-up after the resend budget, a refusal, or its session lost).
//
// Bounded: memory is O(users + operations in flight); latencies go into
// LogHistograms (no per-sample storage). Deterministic on a simulated Env
// (one seeded Rng, no wall clock, ordered iteration).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/env.h"
#include "core/histogram.h"
#include "core/rng.h"
#include "core/status.h"
#include "reference/roles/mc/config.h"

namespace mcpsim::reference {
class McClient;
struct McEvent;
}  // namespace mcpsim::reference

namespace mcpsim::host {

class RoleHost;

enum class LoadOp : std::uint8_t { kLogin, kChat, kOffline, kUpload, kFile };
inline constexpr int kLoadOps = 5;
const char* LoadOpName(LoadOp op);

// `login=1,chat=8,offline=1,upload=1,file=0`: non-negative relative weights
// (omitted kinds weigh 0; at least one must be positive). Error LOAD-1.
struct LoadMix {
  std::array<double, kLoadOps> weight{};
  static Result<LoadMix> Parse(std::string_view text);
  double total() const;
};

struct LoadCounters {
  std::uint64_t offered = 0;    // scheduled (including skipped)
  std::uint64_t completed = 0;  // ended with status 0
  std::uint64_t errors = 0;     // ended otherwise
  std::uint64_t skipped = 0;    // no eligible user when due
  LogHistogram latency_us;      // of completed operations
  void Merge(const LoadCounters& o);
};
using LoadStats = std::array<LoadCounters, kLoadOps>;

struct LoadAccount {
  std::string account, password;
};

struct LoadOptions {
  std::vector<LoadAccount> accounts;  // one MC per account
  bool register_first = false;        // register them through DP/RS (needs `mc.dp`)
  Endpoint sg, cs;                    // UDP targets; port 0 = learn from DP (needs `mc.dp`)
  LoadMix mix;
  double rate_per_s = 100;            // operations offered per second
  double ramp_per_s = 200;            // set-up: registrations/logins started per second
  int contacts = 4;                   // neighbours each user lists (both directions)
  int window = 4;                     // operations in flight per user
  std::size_t text_bytes = 32, upload_bytes = 64, file_bytes = 2048;
  std::uint64_t seed = 1;
  reference::McConfig mc;             // every MC's config (device_id made unique)
};

class LoadDriver {
 public:
  // `env` is not owned and must outlive the driver; every call and callback
  // runs on its thread.
  LoadDriver(Env& env, LoadOptions options);
  ~LoadDriver();
  LoadDriver(const LoadDriver&) = delete;
  LoadDriver& operator=(const LoadDriver&) = delete;

  void Setup(std::function<void(Status)> ready);
  void Start();
  void Stop();

  // Counters since the previous call (per operation kind), and since Start.
  LoadStats TakeInterval();
  const LoadStats& total() const { return total_; }
  std::size_t in_flight() const { return ops_.size() + files_.size(); }
  std::size_t users() const { return users_.size(); }
  std::size_t logged_in() const;
  // Set-up figures: users whose registration / initial login failed.
  std::size_t setup_failures() const { return setup_failures_; }

 private:
  enum class UserState : std::uint8_t { kIdle, kRegistering, kLoggingIn, kIn, kLoggingOut, kFailed };
  enum class Phase : std::uint8_t { kMain, kInvite, kLogout, kDispatch, kCaptcha, kRegister, kSetupLogin, kEdit };
  struct User {
    std::unique_ptr<reference::McClient> mc;
    std::unique_ptr<RoleHost> host;  // destroyed first (declared after mc)
    UserState st = UserState::kIdle;
    int busy = 0;            // operations in flight
    bool exclusive = false;  // a login operation owns the user
    int edits = 0;           // set-up contact edits in flight
    int refused = 0;         // set-up requests answered 403 so far (retried, RATE-9)
    std::vector<int> contacts;  // listed peers (a refused add drops its peer)
    Status start;            // RoleHost::Start
  };
  struct Op {
    LoadOp kind = LoadOp::kChat;
    Phase phase = Phase::kMain;
    TimeUs start = 0;
    int user = 0, peer = -1;
  };
  static std::uint64_t Key(int user, std::uint64_t id) { return (static_cast<std::uint64_t>(user) << 40) | id; }

  // load.cc: set-up and the event loop.
  void SetupTick();
  void BeginSetup(int u);
  void AfterLogin(int u);
  void SetupDone(int u, bool ok);
  // A set-up request of user `u` was answered 403: retries it from `phase`
  // (kCaptcha or kSetupLogin) a second later (RATE-9); false once the user
  // has been refused kMaxRefusals times.
  bool RetryLater(int u, Phase phase);
  void Ring(int u);
  void ProcessEvents();
  void OnEvent(int u, reference::McEvent& e);
  void OnOpEvent(int u, Op op, reference::McEvent& e);
  void Finish(const Op& op, bool ok);
  void FailUserOps(int u);
  // load_ops.cc: the offered operations.
  void Tick();
  void Offer(LoadOp kind);
  bool Eligible(int u, LoadOp kind) const;
  bool Begin(int u, LoadOp kind);
  int OnlineContact(int u);
  std::uint32_t CallWith(int u, int peer) const;
  void Track(int u, std::uint64_t op_id, Op op);
  void Pump(int u);
  std::string Text(std::size_t n, char fill);
  std::string FileName();

  Env& env_;
  LoadOptions o_;
  Rng rng_;
  std::vector<User> users_;
  std::unordered_map<std::uint64_t, Op> ops_;    // (user, McClient op id) -> op
  std::unordered_map<std::uint64_t, Op> files_;  // (sender, transferId) -> file op
  std::vector<int> rang_;                        // users whose doorbell rang
  bool process_armed_ = false;
  // Set-up.
  std::function<void(Status)> ready_;
  int setup_next_ = 0, setup_pending_ = 0;
  std::size_t setup_failures_ = 0;
  TimeUs setup_start_ = 0;
  // Run.
  bool running_ = false;
  TimeUs run_start_ = 0;
  std::uint64_t offered_ = 0;
  std::optional<TimerId> tick_;
  LoadStats interval_{}, total_{};
  std::uint64_t seq_ = 0;  // message / file numbering
  std::shared_ptr<bool> alive_;
};

}  // namespace mcpsim::host
