// Env::Offload on a simulated node: slow work completes after its modelled
// virtual cost, on a fixed number of virtual workers, FIFO by submission,
// never inside the submitting call, identically on every run.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/world.h"

namespace mcpsim::sim {
namespace {

struct Done {
  int job;
  TimeUs at;
  bool operator==(const Done&) const = default;
};

std::vector<Done> RunJobs(std::uint32_t workers, const std::vector<TimeUs>& costs, std::string* hash = nullptr) {
  WorldOptions o;
  o.offload_workers = workers;
  World w(5, o);
  Env& env = w.env(w.AddNode("server"));
  std::vector<Done> done;
  std::vector<int> ran;
  for (std::size_t i = 0; i < costs.size(); ++i) {
    const int job = static_cast<int>(i);
    env.Offload(costs[i], [&ran, job] { ran.push_back(job); },
                [&done, &env, job] { done.push_back({job, env.Now()}); });
  }
  EXPECT_TRUE(done.empty());  // never from inside Offload
  EXPECT_TRUE(ran.empty());
  EXPECT_TRUE(w.RunUntilQuiet().ok());
  EXPECT_EQ(ran.size(), costs.size());
  if (hash) *hash = w.trace().HashHex();
  return done;
}

TEST(SimOffload, OneWorkerRunsJobsBackToBack) {
  EXPECT_EQ(RunJobs(1, {100, 50, 10}), (std::vector<Done>{{0, 100}, {1, 150}, {2, 160}}));
}

TEST(SimOffload, TwoWorkersShareTheQueueFifo) {
  // Jobs start in submission order on the earliest free worker.
  EXPECT_EQ(RunJobs(2, {100, 100, 100, 10}),
            (std::vector<Done>{{0, 100}, {1, 100}, {3, 110}, {2, 200}}));
  EXPECT_EQ(RunJobs(2, {100, 10, 10, 10}), (std::vector<Done>{{1, 10}, {2, 20}, {3, 30}, {0, 100}}));
}

TEST(SimOffload, ZeroCostStillCompletesLater) {
  EXPECT_EQ(RunJobs(1, {0, 0}), (std::vector<Done>{{0, 1}, {1, 2}}));
}

TEST(SimOffload, ReplaysBitForBit) {
  std::string h1, h2;
  RunJobs(2, {30, 20, 10, 40, 5}, &h1);
  RunJobs(2, {30, 20, 10, 40, 5}, &h2);
  EXPECT_EQ(h1, h2);
}

}  // namespace
}  // namespace mcpsim::sim
