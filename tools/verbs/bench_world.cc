// `mcpsim bench world`: N simulated mobile clients (default 1000) chatting
// through one SG for a span of virtual time (default one hour) with loss on
// every link (default 5%), deterministic from --seed.
//
// The world (host/chat_world.h on sim nodes): accounts and symmetric contact
// lists (--contacts per user on average, random pairs) are provisioned in the
// SG's store directly instead of registering 1000 captchas through RS. Each
// client logs in at a random time in the first minute (full contact sync, no
// client cache: McConfig::cache_path empty, so no SQLite on the MC side),
// then repeatedly waits an exponential think time (--think-s) and sends one
// message to a random online contact, inviting it first (RSI) when the two
// share no conversation; now and then it leaves the conversation (RSB).
//
// Printed figures (stdout):
//   world.wall_s       wall-clock seconds of the run (building excluded)
//   world.speedup      virtual seconds / wall seconds
//   world.cpu_s        process CPU seconds of the run (wall_s also counts
//                      waiting for a core on a shared machine)
//   world.cpu_per_mc_hour_us  cpu_s per client per virtual hour, in µs: flat
//                      when the world scales linearly with --clients
//   world.bytes_per_mc the MCs' live heap after the run: glibc mallinfo2
//                      in-use bytes freed by destroying every McClient and its
//                      RoleHost, / clients (end-of-run state, not a peak)
//   world.idle_heap_per_mc  heap bytes added per client by building the
//                      clients (McClient + RoleHost + sim node), before login
//   world.rss_per_mc   peak RSS growth (/proc/self/status VmHWM after the run
//                      minus VmRSS before the world was built) / clients: an
//                      upper bound that charges each MC with everything the
//                      world holds (its sim node, SG session, store rows, SG
//                      dedup caches and the simulator's in-flight packets)
//   counters: logins, messages sent/accepted/delivered, invites, leaves,
//   client resends, datagrams
// Wall clock and /proc are read here only (tools/), never inside sim/ or
// reference/. Exit 1 if a message was delivered more often than it could
// have been accepted (a duplicate) or nobody managed to log in.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "host/chat_world.h"
#include "sim/world.h"
#include "tools/verb.h"

namespace {

using namespace mcpsim;
using reference::McEvent;
using reference::McOp;

struct Options {
  int clients = 1000;
  double virtual_s = 3600;
  double loss = 0.05;
  std::uint64_t seed = 1;
  double think_s = 30;
  int contacts = 8;
};

// VmHWM / VmRSS of this process in bytes (0 if /proc is unavailable).
std::uint64_t ProcStatusBytes(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::stoull(line.substr(prefix.size())) * 1024;
  }
  return 0;
}

std::uint64_t HeapInUse() { return mallinfo2().uordblks; }

std::string AccountOf(int i) { return "u" + std::to_string(i) + "@live.cn"; }
int IndexOf(const std::string& account) {
  return account.size() > 1 ? std::atoi(account.c_str() + 1) : -1;
}

struct Counters {
  std::uint64_t logins = 0, login_failures = 0, sessions_lost = 0;
  std::uint64_t sent = 0, accepted = 0, send_failed = 0, delivered = 0;
  std::uint64_t invites = 0, invites_ok = 0, leaves = 0;
};

class Bench {
 public:
  explicit Bench(const Options& o) : o_(o), rng_(Rng::Stream(o.seed, "bench:world")) {
    sim::WorldOptions wo;
    wo.default_link.base_delay = 40 * kMillis;
    wo.default_link.jitter_dist = sim::JitterDist::kUniform;
    wo.default_link.jitter = 20 * kMillis;
    wo.default_link.loss = o.loss;
    wo.max_events = ~std::uint64_t{0} >> 1;
    world_ = std::make_unique<sim::World>(o.seed, wo);
  }

  Status Provision() {
    auto chat = host::ChatWorld::Create(
        [this](const std::string& name) -> Env& { return world_->env(world_->AddNode(name)); }, o_.seed);
    if (!chat.ok()) return chat.status();
    chat_ = std::move(*chat);
    for (int i = 0; i < o_.clients; ++i) {
      if (Status s = chat_->CreateAccount(AccountOf(i)); !s.ok()) return s;
    }
    users_.resize(static_cast<std::size_t>(o_.clients));
    const std::uint64_t pairs = static_cast<std::uint64_t>(o_.clients) * static_cast<std::uint64_t>(o_.contacts) / 2;
    for (std::uint64_t k = 0; k < pairs && o_.clients > 1; ++k) {
      const int a = static_cast<int>(rng_.Below(static_cast<std::uint64_t>(o_.clients)));
      const int b = static_cast<int>(rng_.Below(static_cast<std::uint64_t>(o_.clients)));
      if (a == b || Knows(a, b)) continue;
      if (Status s = chat_->Befriend(AccountOf(a), AccountOf(b)); !s.ok()) return s;
      users_[static_cast<std::size_t>(a)].contacts.push_back(b);
      users_[static_cast<std::size_t>(b)].contacts.push_back(a);
    }
    return {};
  }

  Status AddClients() {
    for (int i = 0; i < o_.clients; ++i) {
      reference::McConfig c;
      c.cache_path = "";  // no client cache: no SQLite per MC (CACHE-4)
      auto k = chat_->AddClient(c, "mc-" + std::to_string(i));
      if (!k.ok()) return k.status();
      chat_->mc(*k).SetEventDoorbell([this, k = *k] { news_.push_back(k); });
    }
    return {};
  }

  Status Run() {
    const TimeUs end = static_cast<TimeUs>(o_.virtual_s * kSeconds);
    for (int i = 0; i < o_.clients; ++i) {
      Schedule(i, static_cast<TimeUs>(rng_.Below(60 * kSeconds)));
    }
    world_->scheduler().At(kSeconds, [this] { Sweep(); });
    return world_->RunUntil(end);
  }

  const Counters& counters() const { return n_; }
  std::uint64_t client_resends() const {
    std::uint64_t r = resends_closed_;
    for (int i = 0; i < o_.clients; ++i) {
      if (const auto* s = chat_->mc(i).sg()) r += s->link_stats().resends;
    }
    return r;
  }
  const sim::NetStats& net() const { return world_->stats(); }
  void DropClients() { chat_->DropClients(); }
  std::uint64_t sg_sessions() const { return chat_->sg().session_count(); }

 private:
  struct User {
    std::vector<int> contacts;
    std::vector<std::pair<int, std::uint32_t>> calls;  // (peer, callId)
    std::vector<std::pair<std::uint64_t, int>> invites;  // (op, peer) in flight
    std::vector<std::uint64_t> sends;                    // kSendMessage ops in flight
    std::uint64_t login_op = 0;
    std::uint32_t seq = 0;
    bool active = false;
  };

  bool Knows(int a, int b) const {
    for (int c : users_[static_cast<std::size_t>(a)].contacts) {
      if (c == b) return true;
    }
    return false;
  }
  std::uint32_t CallWith(const User& u, int peer) const {
    for (const auto& [p, call] : u.calls) {
      if (p == peer) return call;
    }
    return 0;
  }
  void SetCall(User& u, int peer, std::uint32_t call) {
    for (auto& pc : u.calls) {
      if (pc.first == peer) {
        pc.second = call;
        return;
      }
    }
    u.calls.emplace_back(peer, call);
  }
  void DropCall(User& u, std::uint32_t call) {
    std::erase_if(u.calls, [call](const auto& pc) { return pc.second == call; });
  }

  void Schedule(int i, TimeUs delay) {
    world_->scheduler().After(delay, [this, i] { Tick(i); });
  }

  void Send(int i, std::uint32_t call) {
    User& u = users_[static_cast<std::size_t>(i)];
    const std::string text = "m" + std::to_string(i) + "-" + std::to_string(++u.seq) + " hello";
    ++n_.sent;
    u.sends.push_back(chat_->Act(i, [&](auto& mc, TimeUs now) { return mc.SendMessage(now, call, text); }));
  }

  // One user action: log in, or message (inviting first) a random online contact.
  void Tick(int i) {
    User& u = users_[static_cast<std::size_t>(i)];
    Drain(i);
    const auto* s = chat_->mc(i).sg();
    if (!u.active) {
      if (u.login_op == 0 && (s == nullptr || s->state() == reference::SgState::kClosed)) {
        if (s) resends_closed_ += s->link_stats().resends;
        u.login_op = chat_->Act(i, [&](auto& mc, TimeUs now) {
          return mc.Login(now, AccountOf(i), host::ChatWorld::Password());
        });
      }
      Schedule(i, 5 * kSeconds);
      return;
    }
    Schedule(i, static_cast<TimeUs>(rng_.Exponential(o_.think_s * kSeconds)) + 1);
    if (u.contacts.empty()) return;
    const int peer = u.contacts[rng_.Below(u.contacts.size())];
    if (s->presence().count(AccountOf(peer)) == 0) return;  // offline: nobody to talk to
    const std::uint32_t call = CallWith(u, peer);
    if (call == 0) {
      ++n_.invites;
      u.invites.emplace_back(
          chat_->Act(i, [&](auto& mc, TimeUs now) { return mc.Invite(now, AccountOf(peer)); }), peer);
    } else if (rng_.Chance(0.05)) {
      ++n_.leaves;
      chat_->Act(i, [&](auto& mc, TimeUs now) { return mc.Leave(now, call); });
      DropCall(u, call);
    } else {
      Send(i, call);
    }
  }

  void Drain(int i) {
    User& u = users_[static_cast<std::size_t>(i)];
    for (McEvent& e : chat_->mc(i).TakeEvents()) {
      if (e.op_id != 0 && e.op_id == u.login_op) {
        u.login_op = 0;
        u.active = e.outcome == McEvent::Outcome::kOk;
        ++(u.active ? n_.logins : n_.login_failures);
        continue;
      }
      switch (e.op) {
        case McOp::kInvite:
          for (auto it = u.invites.begin(); it != u.invites.end(); ++it) {
            if (it->first != e.op_id) continue;
            const int peer = it->second;
            u.invites.erase(it);
            if (e.outcome == McEvent::Outcome::kOk) {
              ++n_.invites_ok;
              SetCall(u, peer, e.call_id);
              Send(i, e.call_id);
            }
            break;
          }
          break;
        case McOp::kSendMessage:
          if (std::erase(u.sends, e.op_id) > 0) ++(e.outcome == McEvent::Outcome::kOk ? n_.accepted : n_.send_failed);
          break;
        case McOp::kInvited:
          if (CallWith(u, IndexOf(e.account)) == 0) SetCall(u, IndexOf(e.account), e.call_id);
          break;
        case McOp::kMemberLeft:
          if (e.object_id != 0) DropCall(u, e.call_id);  // ended
          break;
        case McOp::kMessage:
          ++n_.delivered;
          break;
        case McOp::kKicked:
        case McOp::kSessionLost:
          ++n_.sessions_lost;
          u.active = false;
          u.calls.clear();
          break;
        default:
          break;
      }
    }
  }

  // Drains the clients' events once a virtual second (deliveries, invites),
  // in client order; only clients whose doorbell rang can have any (draining
  // the others would be a no-op), so a quiet world costs nothing here.
  void Sweep() {
    std::vector<int> due;
    due.swap(news_);
    std::sort(due.begin(), due.end());
    due.erase(std::unique(due.begin(), due.end()), due.end());
    for (int i : due) Drain(i);
    world_->scheduler().After(kSeconds, [this] { Sweep(); });
  }

  Options o_;
  Rng rng_;
  std::unique_ptr<sim::World> world_;
  std::unique_ptr<host::ChatWorld> chat_;
  std::vector<User> users_;
  std::vector<int> news_;  // clients whose event queue became non-empty (doorbell)
  Counters n_;
  std::uint64_t resends_closed_ = 0;
};

using Clock = std::chrono::steady_clock;

int RunBench(const Options& o) {
  if (o.clients < 1 || o.virtual_s <= 0 || o.loss < 0 || o.loss > 1 || o.think_s <= 0 || o.contacts < 0) {
    std::fprintf(stderr, "bench world: bad option value\n");
    return 2;
  }
  const std::uint64_t rss0 = ProcStatusBytes("VmRSS");
  auto bench = std::make_unique<Bench>(o);
  if (Status s = bench->Provision(); !s.ok()) {
    std::fprintf(stderr, "bench world: provisioning failed: %s\n", s.ToString().c_str());
    return 3;
  }
  const std::uint64_t heap0 = HeapInUse();
  if (Status s = bench->AddClients(); !s.ok()) {
    std::fprintf(stderr, "bench world: starting the clients failed: %s\n", s.ToString().c_str());
    return 3;
  }
  const std::uint64_t heap1 = HeapInUse();
  const auto t0 = Clock::now();
  const std::clock_t c0 = std::clock();
  const Status st = bench->Run();
  const std::clock_t c1 = std::clock();
  const auto t1 = Clock::now();
  const std::uint64_t hwm = ProcStatusBytes("VmHWM");
  if (!st.ok()) {
    std::fprintf(stderr, "bench world: run failed: %s\n", st.ToString().c_str());
    return 3;
  }
  const double wall = std::chrono::duration<double>(t1 - t0).count();
  const double cpu = static_cast<double>(c1 - c0) / CLOCKS_PER_SEC;
  const auto n = static_cast<std::uint64_t>(o.clients);
  const Counters& c = bench->counters();
  const std::uint64_t resends = bench->client_resends();
  // The clients' live heap after the run: what destroying them frees.
  const std::uint64_t heap_before_drop = HeapInUse();
  bench->DropClients();
  const std::uint64_t heap_after_drop = HeapInUse();
  const std::uint64_t mc_heap = heap_before_drop > heap_after_drop ? heap_before_drop - heap_after_drop : 0;
  std::printf("world.clients: %d\n", o.clients);
  std::printf("world.virtual_s: %.0f\n", o.virtual_s);
  std::printf("world.wall_s: %.3f\n", wall);
  std::printf("world.speedup: %.1fx\n", wall > 0 ? o.virtual_s / wall : 0.0);
  std::printf("world.cpu_s: %.3f\n", cpu);
  // Linearity at a glance: CPU per simulated phone per virtual hour.
  std::printf("world.cpu_per_mc_hour_us: %.0f\n", cpu * 1e6 / (static_cast<double>(o.clients) * o.virtual_s / 3600.0));
  std::printf("world.bytes_per_mc: %llu\n", static_cast<unsigned long long>(mc_heap / n));
  std::printf("world.bytes_per_mc_method: heap (mallinfo2) freed by destroying the McClients and their "
              "RoleHosts after the run, / clients (live MC state at the end, not a peak)\n");
  std::printf("world.idle_heap_per_mc: %llu\n",
              static_cast<unsigned long long>(heap1 > heap0 ? (heap1 - heap0) / n : 0));
  std::printf("world.rss_per_mc: %llu\n", static_cast<unsigned long long>(hwm > rss0 ? (hwm - rss0) / n : 0));
  std::printf("world.logins: %llu\n", static_cast<unsigned long long>(c.logins));
  std::printf("world.login_failures: %llu\n", static_cast<unsigned long long>(c.login_failures));
  std::printf("world.sessions_lost: %llu\n", static_cast<unsigned long long>(c.sessions_lost));
  std::printf("world.invites: %llu\n", static_cast<unsigned long long>(c.invites));
  std::printf("world.invites_ok: %llu\n", static_cast<unsigned long long>(c.invites_ok));
  std::printf("world.leaves: %llu\n", static_cast<unsigned long long>(c.leaves));
  std::printf("world.messages_sent: %llu\n", static_cast<unsigned long long>(c.sent));
  std::printf("world.messages_accepted: %llu\n", static_cast<unsigned long long>(c.accepted));
  std::printf("world.messages_failed: %llu\n", static_cast<unsigned long long>(c.send_failed));
  std::printf("world.messages_delivered: %llu\n", static_cast<unsigned long long>(c.delivered));
  std::printf("world.client_resends: %llu\n", static_cast<unsigned long long>(resends));
  std::printf("world.datagrams_sent: %llu\n", static_cast<unsigned long long>(bench->net().sent));
  std::printf("world.datagrams_dropped: %llu\n", static_cast<unsigned long long>(bench->net().dropped));
  // A message is delivered at most once, and only if the SG executed it: the
  // sender then saw ASM 0 or gave up (the answer lost), or it is in flight.
  const bool dup = c.delivered > c.sent;
  if (dup) std::fprintf(stderr, "bench world: more deliveries than messages sent\n");
  return dup || c.logins == 0 ? 1 : 0;
}

mcpsim::cli::RegisterVerb reg{{"bench", "world", "1000 simulated MCs chatting through one SG for a virtual hour",
                               [](CLI::App& cmd) -> mcpsim::cli::Runner {
                                 auto o = std::make_shared<Options>();
                                 cmd.add_option("--clients", o->clients, "Simulated MCs (default 1000)");
                                 cmd.add_option("--virtual-s", o->virtual_s, "Virtual seconds to run (default 3600)");
                                 cmd.add_option("--loss", o->loss, "Loss rate on every link (default 0.05)");
                                 cmd.add_option("--seed", o->seed, "Seed (default 1)");
                                 cmd.add_option("--think-s", o->think_s, "Mean seconds between a user's messages (default 30)");
                                 cmd.add_option("--contacts", o->contacts, "Mean contacts per user (default 8)");
                                 return [o] { return RunBench(*o); };
                               }}};

}  // namespace
