#include "scenarios/sweep.h"

#include <poll.h>
#include <spawn.h>

#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "scenarios/runner.h"

extern char** environ;

namespace mcpsim::scenarios {

using json = nlohmann::ordered_json;

std::vector<std::pair<std::size_t, std::uint64_t>> SweepItems(std::size_t scenarios, const SweepOptions& o) {
  std::vector<std::pair<std::size_t, std::uint64_t>> items;
  for (std::size_t i = 0; i < scenarios; ++i) {
    for (std::uint64_t s = o.seed_lo;; ++s) {
      if (s % o.shard_n == o.shard_i) items.emplace_back(i, s);
      if (s == o.seed_hi) break;
    }
  }
  return items;
}

namespace {

json RunOne(const Scenario& s, std::uint64_t seed, const SweepOptions& o, bool recheck) {
  RunOptions ro;
  ro.seed = seed;
  ro.swarm = o.swarm;
  ro.fault_points = o.fault_points;
  ro.external = o.external;
  ro.sim_target = o.sim_target;
  if (o.external) recheck = false;
  if (recheck) {
    ro.only_checkers = s.checkers;
    if (std::find(s.checkers.begin(), s.checkers.end(), "determinism") == s.checkers.end()) {
      ro.only_checkers.push_back("determinism");
    }
  }
  json j = ResultJson(RunScenario(s, ro));
  j["determinism_rechecked"] = recheck;
  return j;
}

void Account(SweepOutcome& out, const json& j) {
  ++out.total;
  if (j["verdict"] == "PASS") ++out.passed;
  if (j["verdict"] == "N/A") ++out.not_applicable;
  if (j.value("determinism_rechecked", false)) {
    ++out.determinism_runs;
    for (const json& c : j["checkers"]) {
      if (c["checker"] == "determinism" && !c["pass"].get<bool>()) ++out.determinism_failures;
    }
  }
}

}  // namespace

void RunSweepWorker(const std::vector<Scenario>& scenarios, const SweepOptions& o, std::uint64_t worker,
                    std::uint64_t workers, std::FILE* out) {
  const auto items = SweepItems(scenarios.size(), o);
  std::uint64_t mine = 0;
  for (std::size_t pos = 0; pos < items.size(); ++pos) {
    if (pos % workers != worker) continue;
    const bool recheck = o.determinism_every > 0 && mine % o.determinism_every == 0;
    ++mine;
    const json j = RunOne(scenarios[items[pos].first], items[pos].second, o, recheck);
    const std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), out);
    std::fflush(out);
  }
}

SweepOutcome RunSweep(const std::vector<Scenario>& scenarios, const SweepOptions& o) {
  SweepOutcome out;
  const auto items = SweepItems(scenarios.size(), o);
  const std::size_t total = items.size();
  if (o.jobs <= 1 || total <= 1) {
    std::uint64_t n = 0;
    for (const auto& [i, seed] : items) {
      const bool recheck = o.determinism_every > 0 && n++ % o.determinism_every == 0;
      out.results.push_back(RunOne(scenarios[i], seed, o, recheck));
      Account(out, out.results.back());
      if (o.progress) o.progress(out.total, total, out.total - out.passed);
    }
    return out;
  }
  // Workers: posix_spawn of the same binary; results arrive as JSON lines.
  const int jobs = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(o.jobs), total));
  struct Worker {
    pid_t pid = -1;
    int fd = -1;
    std::string buf;
  };
  std::vector<Worker> ws(static_cast<std::size_t>(jobs));
  for (int k = 0; k < jobs; ++k) {
    int p[2];
    if (pipe(p) != 0) {
      out.error = "pipe failed";
      return out;
    }
    std::vector<std::string> args = {o.self_exe, "sweep"};
    args.insert(args.end(), o.paths.begin(), o.paths.end());
    args.insert(args.end(), {"--seeds", std::to_string(o.seed_lo) + ".." + std::to_string(o.seed_hi), "--shard",
                             std::to_string(o.shard_i) + "/" + std::to_string(o.shard_n), "--worker",
                             std::to_string(k) + "/" + std::to_string(jobs), "--determinism-every",
                             std::to_string(o.determinism_every)});
    if (o.swarm) args.push_back("--swarm");
    args.insert(args.end(), o.worker_args.begin(), o.worker_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    pid_t pid;
    const int rc = posix_spawn(&pid, o.self_exe.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
      close(p[0]);
      out.error = "cannot spawn " + o.self_exe;
      continue;
    }
    ws[static_cast<std::size_t>(k)] = {pid, p[0], ""};
    spdlog::debug("sweep: worker {}/{} started (pid {})", k, jobs, pid);
  }
  std::size_t open = 0;
  for (const Worker& w : ws) open += w.fd >= 0;
  while (open > 0) {
    std::vector<pollfd> fds;
    for (const Worker& w : ws) {
      if (w.fd >= 0) fds.push_back({w.fd, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    for (Worker& w : ws) {
      if (w.fd < 0) continue;
      auto it = std::find_if(fds.begin(), fds.end(), [&](const pollfd& f) { return f.fd == w.fd; });
      if (it == fds.end() || !(it->revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char chunk[65536];
      const ssize_t n = read(w.fd, chunk, sizeof chunk);
      if (n <= 0) {
        close(w.fd);
        w.fd = -1;
        --open;
        continue;
      }
      w.buf.append(chunk, static_cast<std::size_t>(n));
      for (auto nl = w.buf.find('\n'); nl != std::string::npos; nl = w.buf.find('\n')) {
        json j = json::parse(w.buf.substr(0, nl), nullptr, false);
        w.buf.erase(0, nl + 1);
        if (j.is_discarded()) {
          out.error = "a worker wrote a malformed result line";
          continue;
        }
        out.results.push_back(std::move(j));
        Account(out, out.results.back());
        const json& got = out.results.back();
        spdlog::debug("sweep: {} {} seed={} (worker pid {}, {}/{} done)", got.value("verdict", "?"),
                      got.value("scenario", "?"), got.value("seed", std::uint64_t{0}), w.pid, out.total, total);
        if (o.progress) o.progress(out.total, total, out.total - out.passed);
      }
    }
  }
  spdlog::info("sweep: {} of {} runs done, {} passed", out.total, total, out.passed);
  for (const Worker& w : ws) {
    int status = 0;
    if (w.pid > 0 && (waitpid(w.pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
      out.error = "worker " + std::to_string(w.pid) + " failed";
    }
  }
  if (out.total != total && out.error.empty()) {
    out.error = "workers returned " + std::to_string(out.total) + " of " + std::to_string(total) + " results";
  }
  std::map<std::string, std::size_t> order;
  for (std::size_t i = 0; i < scenarios.size(); ++i) order.emplace(scenarios[i].file, i);
  std::stable_sort(out.results.begin(), out.results.end(), [&](const json& a, const json& b) {
    return std::make_pair(order[a["file"]], a["seed"].get<std::uint64_t>()) <
           std::make_pair(order[b["file"]], b["seed"].get<std::uint64_t>());
  });
  return out;
}

}  // namespace mcpsim::scenarios
