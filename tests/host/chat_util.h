// Test harness for end-to-end SG tests on the simulator: a sim::World whose
// nodes host a ChatWorld (SG + McClients), every client's events collected in
// order, and helpers to run until an op completes or a condition holds.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host/chat_world.h"
#include "sim/world.h"

namespace mcpsim::chattest {

using reference::McConfig;
using reference::McEvent;
using reference::McOp;
using Outcome = McEvent::Outcome;

inline sim::LinkConfig LossyLink(double loss) {
  sim::LinkConfig l;
  l.base_delay = 20 * kMillis;
  l.jitter_dist = sim::JitterDist::kUniform;
  l.jitter = 10 * kMillis;
  l.loss = loss;
  return l;
}

struct SimChat {
  explicit SimChat(std::uint64_t seed, double loss = 0.0) {
    sim::WorldOptions o;
    o.default_link = LossyLink(loss);
    world = std::make_unique<sim::World>(seed, o);
    auto made = host::ChatWorld::Create(
        [this](const std::string& name) -> Env& { return world->env(world->AddNode(name)); }, seed);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) chat = std::move(*made);
  }

  // Creates the account and a client for it (no cache unless `config` says so).
  int AddUser(const std::string& account, McConfig config = {}) {
    EXPECT_TRUE(chat->CreateAccount(account).ok());
    auto added = chat->AddClient(std::move(config), "mc-" + account.substr(0, account.find('@')));
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    const int i = added.ok() ? *added : -1;
    accounts.push_back(account);
    all.emplace_back();
    ops.emplace_back();
    return i;
  }

  // Restarts client i (host::ChatWorld::RestartClient). Op ids restart at 1
  // with the new client object, so the finished ops of the old one are dropped.
  void Restart(int i, McConfig config, bool accept_privacy) {
    Drain();
    EXPECT_TRUE(chat->RestartClient(i, std::move(config), accept_privacy).ok());
    ops[static_cast<std::size_t>(i)].clear();
  }

  void Drain() {
    for (int i = 0; i < chat->clients(); ++i) {
      for (McEvent& e : chat->mc(i).TakeEvents()) {
        if (e.op_id != 0) ops[static_cast<std::size_t>(i)][e.op_id] = e;
        all[static_cast<std::size_t>(i)].push_back(std::move(e));
      }
    }
  }

  bool Until(const std::function<bool()>& cond, TimeUs limit = 120 * kSeconds) {
    const Status s = world->RunUntilCondition([&] { Drain(); return cond(); }, world->Now() + limit);
    EXPECT_TRUE(s.ok()) << s.ToString();
    Drain();
    return cond();
  }
  void RunFor(TimeUs span) {
    EXPECT_TRUE(world->RunUntil(world->Now() + span).ok());
    Drain();
  }

  // Starts an op on client i and runs until it is reported.
  McEvent Do(int i, const std::function<std::uint64_t(reference::McClient&, TimeUs)>& fn) {
    const std::uint64_t op = chat->Act(i, fn);
    auto& mine = ops[static_cast<std::size_t>(i)];
    if (!Until([&] { return mine.count(op) > 0; })) {
      ADD_FAILURE() << "client " << i << " op " << op << " never completed";
      return McEvent{};
    }
    return mine[op];
  }

  McEvent Login(int i) {
    return Do(i, [&](auto& mc, TimeUs now) {
      return mc.Login(now, accounts[static_cast<std::size_t>(i)], host::ChatWorld::Password());
    });
  }

  int Count(int i, McOp op) const {
    int n = 0;
    for (const McEvent& e : all[static_cast<std::size_t>(i)]) n += e.op == op;
    return n;
  }
  const McEvent* Last(int i, McOp op) const {
    const auto& v = all[static_cast<std::size_t>(i)];
    for (auto it = v.rbegin(); it != v.rend(); ++it) {
      if (it->op == op) return &*it;
    }
    return nullptr;
  }
  std::vector<McEvent> Events(int i, McOp op) const {
    std::vector<McEvent> out;
    for (const McEvent& e : all[static_cast<std::size_t>(i)]) {
      if (e.op == op) out.push_back(e);
    }
    return out;
  }

  std::unique_ptr<sim::World> world;
  std::unique_ptr<host::ChatWorld> chat;
  std::vector<std::string> accounts;
  std::vector<std::vector<McEvent>> all;
  std::vector<std::map<std::uint64_t, McEvent>> ops;
};

}  // namespace mcpsim::chattest
