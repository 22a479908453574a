#include "conformance/selftest.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "conformance/mutants.h"
#include "conformance/runner.h"

namespace mcpsim::conformance {
namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Run {
  std::string launch_error;
  reports::Report report;
};

Run RunOnce(const SelfTestOptions& o, const std::string& cmd) {
  Run run;
  auto l = Launched::Start(cmd + " 2>/dev/null", 10000);  // the servers' logs would drown the lines
  if (!l.ok()) {
    run.launch_error = l.status().message();
    return run;
  }
  RunOptions ro;
  ro.target = (*l)->target();
  ro.timeout_ms = o.timeout_ms;
  ro.quiet_ms = o.quiet_ms;
  ro.seed = o.seed;
  run.report = RunCatalog(ro, [](const reports::CaseResult&) {});
  (*l)->Stop();
  return run;
}

}  // namespace

std::size_t SelfTestResult::Killed() const {
  std::size_t k = 0;
  for (const MutantOutcome& m : mutants) k += m.killed ? 1 : 0;
  return k;
}

SelfTestResult RunSelfTest(const SelfTestOptions& o, const std::function<void(const std::string&)>& line) {
  SelfTestResult res;
  const std::int64_t start = NowMs();
  std::vector<const Mutant*> todo;
  for (const Mutant& m : Mutants()) {
    if (Selected(m.name, o.mutants)) todo.push_back(&m);
  }
  res.mutants.resize(todo.size());
  std::mutex mu;
  std::map<std::string, reports::Verdict> clean;

  // The clean run first: the kill rule compares against it.
  Run c = RunOnce(o, o.launch_cmd);
  res.launch_error = c.launch_error;
  if (!c.launch_error.empty()) {
    res.wall_ms = NowMs() - start;
    return res;
  }
  res.clean_ok = true;
  for (const reports::CaseResult& r : c.report.cases) {
    clean[r.id] = r.verdict;
    const bool bad = r.verdict == reports::Verdict::kFailed || r.verdict == reports::Verdict::kError;
    if (bad) res.clean_ok = false;
    if (r.verdict != reports::Verdict::kOk) {
      res.clean_problems.push_back(r.id + " " + std::string(reports::VerdictName(r.verdict)) + ": " + r.reason);
    }
  }
  line("clean: " + std::to_string(c.report.cases.size()) + " cases, " +
       (res.clean_ok ? std::string("all required OK") : std::to_string(res.clean_problems.size()) + " problem(s)") +
       " (" + std::to_string(c.report.duration_us / 1000) + " ms)");

  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < todo.size(); i = next++) {
      const Mutant& m = *todo[i];
      const std::int64_t t0 = NowMs();
      Run run = RunOnce(o, o.launch_cmd + " --mutant " + m.name);
      MutantOutcome out;
      out.name = m.name;
      out.clause = m.clause;
      out.note = run.launch_error;
      for (const reports::CaseResult& r : run.report.cases) {
        auto it = clean.find(r.id);
        if (it == clean.end() || it->second != reports::Verdict::kOk) continue;
        const bool failed = r.verdict == reports::Verdict::kFailed || r.verdict == reports::Verdict::kError;
        const bool non_strict = r.verdict == reports::Verdict::kNonStrict;
        if (failed || (m.should && non_strict)) out.by.push_back(r.id);
      }
      out.killed = !out.by.empty();
      out.duration_ms = NowMs() - t0;
      std::lock_guard<std::mutex> lock(mu);
      res.mutants[i] = out;
      std::string l = (out.killed ? "killed " : "survived ") + out.name;
      if (out.killed) {
        l += " by ";
        for (std::size_t k = 0; k < out.by.size() && k < 6; ++k) l += (k ? "," : "") + out.by[k];
        if (out.by.size() > 6) l += " +" + std::to_string(out.by.size() - 6) + " more";
      } else if (!out.note.empty()) {
        l += " (" + out.note + ")";
      }
      line(l);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < std::max(1, o.jobs); ++j) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  res.wall_ms = NowMs() - start;
  return res;
}

int SelfTestExitCode(const SelfTestResult& r) {
  if (!r.launch_error.empty()) return 3;
  return r.clean_ok && r.Killed() == r.mutants.size() ? 0 : 1;
}

}  // namespace mcpsim::conformance
