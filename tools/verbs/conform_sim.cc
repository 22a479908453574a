// `mcpsim conform --sim-launch CMD`: the conformance catalog against a
// third-party server running inside the simulation (interpose/): the target
// is a child under libmcpsim_interpose.so on one node of a sim::World, the
// runner on another, everything in virtual time — so the run is a function
// of seed + cases + target binary (`conform-sim-hash`). The same cases then
// run against the in-process reference server (conformance/selftest.h
// RunVirtual, the `mcpsim serve` composition) and each verdict is compared.
// The target prints its `listening` lines on stdout before it first waits.
//
// Output: one line per case `<id> <target verdict> reference=<verdict>`
// (`DIFF` in front when they differ), then
// `conform-sim: N cases, S same verdicts, D differ`, `conform-sim-hash: <16 hex>`
// and the target's call count. Exit 0 when every verdict matches, 1 when one
// differs, 3 when the target could not be started.
#include <chrono>
#include <map>
#include <cstdio>
#include <iostream>
#include <string>

#include "conformance/runner.h"
#include "conformance/selftest.h"
#include "core/hash.h"
#include "interpose/process.h"
#include "sim/world.h"
#include "sim/world_loop.h"
#include "tools/verbs/conform_sim.h"

namespace mcpsim::cli {

SimCatalogRun RunSimCatalog(const ConformSimArgs& a) {
  SimCatalogRun out;
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = interpose::CheckProgram(a.command); !s.ok()) {
    out.error = s.ToString();
    return out;
  }
  auto lib = interpose::FindPreload();
  if (!lib.ok()) {
    out.error = lib.status().ToString();
    return out;
  }
  sim::World w(a.seed);
  const sim::NodeId target = w.AddNode("target");
  const sim::NodeId runner = w.AddNode("runner");
  interpose::ProcessOptions po;
  po.command = a.command;
  po.preload = *lib;
  po.capture_stdout = true;
  interpose::Process p(w.env(target), po);
  const Status started = p.Start();
  const std::string lines = p.ReadStdout();
  if (!started.ok() || !p.refusals().empty()) {
    out.error = "the target did not start: " + started.ToString() +
                (p.refusals().empty() ? "" : " refused: " + p.refusals().front());
    return out;
  }
  sim::WorldLoop loop(w);
  conformance::RunOptions ro;
  ro.target = conformance::ParseListening(lines);
  if (!ro.target.udp && !ro.target.tcp && !ro.target.http) {
    out.error = "the target printed no `listening` lines before it first waited";
    return out;
  }
  ro.target.env = &w.env(runner);
  ro.target.loop = &loop;
  ro.target.nonce = 0;
  ro.timeout_ms = a.timeout_ms;
  ro.quiet_ms = a.quiet_ms;
  ro.seed = a.seed;
  ro.cases = a.cases;
  ro.liveness = [&p]() -> std::string { return p.alive() ? "" : "target " + p.failure(); };
  ro.aborted = &out.gone;
  out.rep = conformance::RunCatalog(ro, [](const reports::CaseResult&) {});
  out.calls = p.stats().calls;
  out.waits = p.stats().waits;
  out.stats = p.stats();
  out.virtual_us = w.Now();
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

int ConformSimTarget(const ConformSimArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  SimCatalogRun run = RunSimCatalog(a);
  if (!run.error.empty()) {
    std::cerr << "mcpsim: error: " << run.error << "\n";
    return 3;
  }
  const reports::Report& rep = run.rep;
  const std::string& gone = run.gone;
  const std::uint64_t hash = conformance::ReportHash(rep);

  conformance::SelfTestOptions so;
  so.cases = a.cases;
  so.seed = a.seed;
  so.timeout_ms = a.timeout_ms;
  so.quiet_ms = a.quiet_ms;
  std::uint64_t ref_hash = 0;
  reports::Report ref = conformance::RunVirtual(so, "", &ref_hash);
  std::map<std::string, reports::Verdict> ref_verdicts;
  for (const auto& c : ref.cases) ref_verdicts[c.id] = c.verdict;

  std::size_t same = 0, differ = 0;
  for (const auto& c : rep.cases) {
    auto it = ref_verdicts.find(c.id);
    const bool eq = it != ref_verdicts.end() && it->second == c.verdict;
    (eq ? same : differ) += 1;
    std::printf("%s%s %s reference=%s%s%s\n", eq ? "" : "DIFF ", c.id.c_str(), reports::VerdictName(c.verdict).data(),
                it == ref_verdicts.end() ? "-" : reports::VerdictName(it->second).data(), eq ? "" : ": ",
                eq ? "" : c.reason.substr(0, 160).c_str());
  }
  const auto wall_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::printf("conform-sim: %zu cases, %zu same verdicts as the in-process reference, %zu differ%s\n",
              rep.cases.size(), same, differ, gone.empty() ? "" : (" (stopped: " + gone + ")").c_str());
  std::printf("conform-sim-hash: %s\n", Hex64(hash).c_str());
  std::fprintf(stderr, "conform-sim: target calls=%llu waits=%llu virtual=%lld ms wall=%lld ms\n",
               static_cast<unsigned long long>(run.calls), static_cast<unsigned long long>(run.waits),
               static_cast<long long>(run.virtual_us / kMillis), static_cast<long long>(wall_ms));
  return differ == 0 && gone.empty() && !rep.cases.empty() ? 0 : 1;
}

}  // namespace mcpsim::cli
