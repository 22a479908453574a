#include "conformance/selftest.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "conformance/mutants.h"
#include "conformance/runner.h"
#include "core/hash.h"
#include "net/process.h"
#include "net/server.h"
#include "reference/crypto/password.h"
#include "sim/world.h"
#include "sim/world_loop.h"

namespace mcpsim::conformance {
namespace {

namespace fs = std::filesystem;

// The simulated reference server's listeners (any free ports would do; fixed
// ones keep transcripts readable).
constexpr std::uint16_t kUdp = 7000, kUdps = 7002, kTcp = 1864, kHttp = 8080;
constexpr std::int64_t kEpochMs = 1700000000000;  // SG's wall-clock base in the simulation

// One run (clean or a mutant) as the kill rule needs it.
struct RunOut {
  std::string name;       // "clean" or the mutant
  std::string error;      // the run could not be made
  std::uint64_t hash = 0;
  std::int64_t ms = 0;    // its duration (virtual runs: virtual time)
  struct Case {
    std::string id;
    reports::Verdict verdict = reports::Verdict::kOk;
    std::string reason;
  };
  std::vector<Case> cases;
};

RunOut FromReport(const std::string& name, const reports::Report& r, std::uint64_t hash) {
  RunOut out;
  out.name = name;
  out.hash = hash;
  out.ms = r.duration_us / 1000;
  for (const reports::CaseResult& c : r.cases) out.cases.push_back({c.id, c.verdict, c.reason});
  return out;
}

std::string ToJsonLine(const RunOut& r) {
  nlohmann::json j;
  j["name"] = r.name;
  j["error"] = r.error;
  j["hash"] = Hex64(r.hash);
  j["ms"] = r.ms;
  auto cases = nlohmann::json::array();
  for (const RunOut::Case& c : r.cases) {
    cases.push_back({{"id", c.id}, {"verdict", std::string(reports::VerdictName(c.verdict))}, {"reason", c.reason}});
  }
  j["cases"] = cases;
  return j.dump();
}

std::optional<RunOut> FromJsonLine(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("name")) return std::nullopt;
  RunOut r;
  r.name = j.value("name", "");
  r.error = j.value("error", "");
  r.hash = std::strtoull(j.value("hash", "0").c_str(), nullptr, 16);
  r.ms = j.value("ms", 0);
  for (const auto& c : j.value("cases", nlohmann::json::array())) {
    RunOut::Case k;
    k.id = c.value("id", "");
    auto v = reports::ParseVerdict(c.value("verdict", ""));
    k.verdict = v.value_or(reports::Verdict::kError);
    k.reason = c.value("reason", "");
    r.cases.push_back(std::move(k));
  }
  return r;
}

RunOut VirtualRun(const SelfTestOptions& o, const std::string& name) {
  std::uint64_t hash = 0;
  auto rep = RunVirtual(o, name == "clean" ? "" : name, &hash);
  RunOut out = FromReport(name, rep, hash);
  if (rep.cases.empty()) out.error = rep.target;  // RunVirtual reports a failed start in `target`
  return out;
}

// --real: one `mcpsim conform --launch 'CMD [--mutant NAME]'` child writing
// report.json into its own folder.
struct RealRun {
  std::string name;
  std::string dir;
  std::unique_ptr<net::Child> child;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

RunOut FinishReal(RealRun& r) {
  RunOut out;
  out.name = r.name;
  std::ifstream f(r.dir + "/report.json");
  std::stringstream ss;
  ss << f.rdbuf();
  auto rep = reports::FromJson(ss.str());
  if (!rep.ok()) {
    std::ifstream e(r.dir + "/stderr");
    std::stringstream es;
    es << e.rdbuf();
    out.error = "no report (exit " + std::to_string(r.child ? r.child->exit_status() : -1) + "): " +
                es.str().substr(0, 300);
    return out;
  }
  return FromReport(r.name, *rep, 0);
}

}  // namespace

std::uint64_t ReportHash(const reports::Report& r) {
  std::uint64_t h = kFnv1aBasis;
  auto add = [&h](std::string_view s) {
    h = Fnv1a(s, h);
    h = Fnv1a(std::string_view("\x1f", 1), h);
  };
  for (const reports::CaseResult& c : r.cases) {
    add(c.id);
    add(reports::VerdictName(c.verdict));
    add(c.reason);
    add(c.expected);
    add(c.actual);
    for (const reports::WireEvent& e : c.wire) {
      add(std::to_string(e.t_us));
      add(e.dir);
      add(e.transport);
      add(e.bytes);
    }
  }
  return h;
}

reports::Report RunVirtual(const SelfTestOptions& o, const std::string& mutant, std::uint64_t* hash) {
  reports::Report failed;
  failed.kind = "conformance";
  sim::World w(o.seed);
  const sim::NodeId target = w.AddNode("target");
  const sim::NodeId runner = w.AddNode("runner");
  net::ServerOptions so;
  so.udp = net::ListenSpec{"", kUdp};
  so.udps = net::ListenSpec{"", kUdps};
  so.tcp = net::ListenSpec{"", kTcp};
  so.http = net::ListenSpec{"", kHttp};
  so.db = ":memory:";
  so.seed = o.seed;
  so.epoch_ms = kEpochMs;
  so.password_cost = reference::PasswordCost::Minimal();
  // A latest version with a two-digit component lets dp.version.numeric tell
  // numeric from string comparison (DP-1).
  so.latest_version = "1.10.0";
  // Two key ids, so that enc.cache.per_key is judged (G-87).
  Rng key_rng = Rng::Stream(o.seed, "selftest/udps-key");
  for (int id : {1, 2}) {
    reference::enc::Key key{};
    key_rng.Fill(key.data(), key.size());
    so.keys[static_cast<std::uint8_t>(id)] = key;
  }
  if (!mutant.empty()) {
    const Mutant* m = FindMutant(mutant);
    if (!m) {
      failed.target = "unknown mutant " + mutant;
      return failed;
    }
    ApplyMutant(*m, so);
  }
  auto server = net::Server::StartOn(w.env(target), so);
  if (!server.ok()) {
    failed.target = "simulated server did not start: " + server.status().ToString();
    return failed;
  }
  std::string lines;
  for (const net::ListenerInfo& l : (*server)->listeners()) lines += l.Line() + "\n";
  sim::WorldLoop loop(w);
  RunOptions ro;
  ro.target = ParseListening(lines);
  ro.target.udps_keys = so.keys;
  ro.target.env = &w.env(runner);
  ro.target.loop = &loop;
  ro.target.nonce = 0;  // runs repeat
  ro.timeout_ms = o.timeout_ms;
  ro.quiet_ms = o.quiet_ms;
  ro.seed = o.seed;
  ro.cases = o.cases;
  reports::Report rep = RunCatalog(ro, [](const reports::CaseResult&) {});
  if (!loop.status().ok()) rep.target += " (" + loop.status().ToString() + ")";
  if (hash) *hash = ReportHash(rep);
  return rep;
}

std::size_t SelfTestResult::Killed() const {
  std::size_t k = 0;
  for (const MutantOutcome& m : mutants) k += m.killed ? 1 : 0;
  return k;
}

int SelfTestWorker(const SelfTestOptions& o, const std::string& runs) {
  std::istringstream in(runs);
  for (std::string name; std::getline(in, name, ',');) {
    if (name.empty()) continue;
    std::printf("%s\n", ToJsonLine(VirtualRun(o, name)).c_str());
    std::fflush(stdout);
  }
  return 0;
}

SelfTestResult RunSelfTest(const SelfTestOptions& o, const std::function<void(const std::string&)>& line) {
  SelfTestResult res;
  std::vector<const Mutant*> todo;
  for (const Mutant& m : Mutants()) {
    if (Selected(m.name, o.mutants)) todo.push_back(&m);
  }
  std::vector<std::string> names{"clean"};
  for (const Mutant* m : todo) names.push_back(m->name);
  std::map<std::string, RunOut> runs;

  char tmpl[] = "/tmp/mcpsim-selftest-XXXXXX";
  const char* tmp = (o.real || o.jobs > 1) ? mkdtemp(tmpl) : nullptr;
  if ((o.real || o.jobs > 1) && (tmp == nullptr || o.self_exe.empty())) {
    res.launch_error = "cannot create a work folder or find the mcpsim binary for worker processes";
    return res;
  }
  const std::string common = " --seed " + std::to_string(o.seed) + " --timeout " + std::to_string(o.timeout_ms) +
                             " --quiet-ms " + std::to_string(o.quiet_ms) + " --cases " + Quote(o.cases);
  if (o.real) {
    // Each run a `conform --launch` child; `jobs` at once.
    std::vector<RealRun> running;
    std::size_t next = 0;
    auto start = [&](const std::string& name) {
      RealRun r;
      r.name = name;
      r.dir = std::string(tmp) + "/" + name;
      fs::create_directories(r.dir);
      const std::string server = o.launch_cmd + (name == "clean" ? "" : " --mutant " + name) + " 2>/dev/null";
      net::ChildOptions co;
      co.stdout_path = r.dir + "/stdout";
      co.stderr_path = r.dir + "/stderr";
      auto c = net::Child::Start(Quote(o.self_exe) + " conform --launch " + Quote(server) + " --out " + Quote(r.dir) +
                                     common,
                                 co);
      if (c.ok()) r.child = std::move(*c);
      running.push_back(std::move(r));
    };
    // The clean run first, alone: the kill rule compares against it.
    start("clean");
    running.front().child ? (void)running.front().child->Wait() : (void)0;
    runs["clean"] = FinishReal(running.front());
    running.clear();
    next = 1;
    while (next < names.size() || !running.empty()) {
      while (next < names.size() && static_cast<int>(running.size()) < std::max(1, o.jobs)) start(names[next++]);
      std::vector<net::Child*> kids;
      std::size_t idx = 0;
      for (std::size_t i = 0; i < running.size(); ++i) {
        if (!running[i].child) {
          idx = i;
          kids.clear();
          break;
        }
        kids.push_back(running[i].child.get());
      }
      if (!kids.empty()) idx = net::Child::WaitAny(kids);
      RunOut out = FinishReal(running[idx]);
      runs[out.name] = out;
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(idx));
      if (out.name != "clean") {
        // Progress: judged below; print the raw finish here.
      }
    }
  } else if (o.jobs <= 1) {
    for (const std::string& n : names) runs[n] = VirtualRun(o, n);
  } else {
    // Worker processes, each a share of the runs (round robin).
    const std::size_t jobs = std::min<std::size_t>(static_cast<std::size_t>(o.jobs), names.size());
    std::vector<std::string> share(jobs);
    for (std::size_t i = 0; i < names.size(); ++i) share[i % jobs] += (share[i % jobs].empty() ? "" : ",") + names[i];
    std::vector<std::unique_ptr<net::Child>> kids;
    for (std::size_t k = 0; k < jobs; ++k) {
      net::ChildOptions co;
      co.stdout_path = std::string(tmp) + "/worker-" + std::to_string(k);
      auto c = net::Child::Start(Quote(o.self_exe) + " conform --self-test-worker --mutants " + Quote(share[k]) + common,
                                 co);
      if (c.ok()) kids.push_back(std::move(*c));
    }
    for (auto& c : kids) c->Wait();
    for (std::size_t k = 0; k < jobs; ++k) {
      std::ifstream f(std::string(tmp) + "/worker-" + std::to_string(k));
      for (std::string l; std::getline(f, l);) {
        if (auto r = FromJsonLine(l)) runs[r->name] = *r;
      }
    }
  }
  if (tmp) fs::remove_all(tmp);

  // The kill rule, in catalog order.
  std::uint64_t h = kFnv1aBasis;
  std::int64_t total_ms = 0;
  const RunOut clean = runs.count("clean") ? runs["clean"] : RunOut{"clean", "the clean run did not report", 0, 0, {}};
  if (!clean.error.empty() || clean.cases.empty()) {
    res.launch_error = clean.error.empty() ? "the clean run did not report" : clean.error;
    return res;
  }
  std::map<std::string, reports::Verdict> clean_verdict;
  res.clean_ok = true;
  for (const RunOut::Case& c : clean.cases) {
    clean_verdict[c.id] = c.verdict;
    if (c.verdict == reports::Verdict::kFailed || c.verdict == reports::Verdict::kError) res.clean_ok = false;
    if (c.verdict != reports::Verdict::kOk) {
      res.clean_problems.push_back(c.id + " " + std::string(reports::VerdictName(c.verdict)) + ": " + c.reason);
    }
  }
  h = Fnv1a(Hex64(clean.hash), h);
  total_ms += clean.ms;
  line("clean: " + std::to_string(clean.cases.size()) + " cases, " +
       (res.clean_ok ? std::string("all required OK") : std::to_string(res.clean_problems.size()) + " problem(s)"));
  for (const Mutant* m : todo) {
    MutantOutcome out;
    out.name = m->name;
    out.clause = m->clause;
    auto it = runs.find(m->name);
    if (it == runs.end()) {
      out.note = "no result";
    } else {
      const RunOut& r = it->second;
      out.note = r.error;
      out.duration_ms = r.ms;
      total_ms += r.ms;
      h = Fnv1a(Hex64(r.hash), h);
      for (const RunOut::Case& c : r.cases) {
        auto cv = clean_verdict.find(c.id);
        if (cv == clean_verdict.end() || cv->second != reports::Verdict::kOk) continue;
        const bool failed = c.verdict == reports::Verdict::kFailed || c.verdict == reports::Verdict::kError;
        const bool non_strict = c.verdict == reports::Verdict::kNonStrict;
        if (failed || (m->should && non_strict)) out.by.push_back(c.id);
      }
    }
    out.killed = !out.by.empty();
    std::string l = (out.killed ? "killed " : "survived ") + out.name;
    if (out.killed) {
      l += " by ";
      for (std::size_t k = 0; k < out.by.size() && k < 6; ++k) l += (k ? "," : "") + out.by[k];
      if (out.by.size() > 6) l += " +" + std::to_string(out.by.size() - 6) + " more";
    } else if (!out.note.empty()) {
      l += " (" + out.note + ")";
    }
    line(l);
    res.mutants.push_back(std::move(out));
  }
  if (!o.real) res.hash = Hex64(h);
  (void)total_ms;
  return res;
}

int SelfTestExitCode(const SelfTestResult& r) {
  if (!r.launch_error.empty()) return 3;
  return r.clean_ok && r.Killed() == r.mutants.size() ? 0 : 1;
}

}  // namespace mcpsim::conformance
