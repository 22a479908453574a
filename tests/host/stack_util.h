// Shared helpers for the end-to-end stack tests (RefWorld on the simulator).
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <memory>

#include "reference/media/captcha.h"
#include "scenarios/ref_world.h"

namespace mcpsim::scenarios {

using reference::McEvent;
using Outcome = McEvent::Outcome;

// RefWorld::Create for the tests: the world, or nullptr and a test failure
// naming why it could not be built.
inline std::unique_ptr<RefWorld> BuildWorld(RefWorldOptions o) {
  auto w = RefWorld::Create(std::move(o));
  if (!w.ok()) {
    ADD_FAILURE() << "RefWorld::Create: " << w.status().ToString();
    return nullptr;
  }
  return std::move(*w);
}

// Runs the world until client `i` reports op `op` (or `limit` passes).
inline McEvent Await(RefWorld& w, int i, std::uint64_t op, std::map<std::uint64_t, McEvent>& seen,
              TimeUs limit = 120 * kSeconds) {
  auto done = [&] {
    for (McEvent& e : w.mc(i).TakeEvents()) seen[e.op_id] = e;
    return seen.count(op) > 0;
  };
  EXPECT_TRUE(w.RunUntil(done, limit).ok());
  done();
  if (!seen.count(op)) {
    ADD_FAILURE() << "op " << op << " never completed";
    return McEvent{};
  }
  return seen[op];
}

inline sim::LinkConfig Lossy(double loss) {
  sim::LinkConfig l;
  l.base_delay = 20 * kMillis;
  l.jitter_dist = sim::JitterDist::kUniform;
  l.jitter = 10 * kMillis;
  l.loss = loss;
  return l;
}

// Registers `account` through DP -> RS; returns the REG event.
inline McEvent RegisterAccount(RefWorld& w, int i, const std::string& account,
                        std::map<std::uint64_t, McEvent>& seen, bool wrong_captcha = false) {
  auto dp = Await(w, i, w.Act(i, [](auto& mc, TimeUs now) { return mc.QueryDispatch(now); }), seen);
  EXPECT_EQ(dp.outcome, Outcome::kOk) << dp.detail;
  w.mc(i).AcceptPrivacyAgreement();
  auto cap = Await(w, i, w.Act(i, [](auto& mc, TimeUs now) { return mc.RequestCaptcha(now); }), seen);
  EXPECT_EQ(cap.outcome, Outcome::kOk) << cap.detail;
  auto text = reference::ReadCaptcha(cap.data);  // the simulated user reads the image
  EXPECT_TRUE(text.has_value());
  std::string typed = text.value_or("?");
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));  // RS-9
  if (wrong_captcha) typed = "zzzzz";
  return Await(w, i, w.Act(i, [&](auto& mc, TimeUs now) {
                 return mc.Register(now, typed, account, "correct horse", "correct horse", "");
               }), seen);
}

}  // namespace mcpsim::scenarios
