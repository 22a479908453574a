#include "scenarios/shrink.h"

#include <algorithm>
#include <functional>

#include "scenarios/swarm.h"

namespace mcpsim::scenarios {

namespace {

std::size_t LinkSize(const sim::LinkConfig& c) {
  const sim::LinkConfig d;
  return (c.base_delay != d.base_delay) + (c.jitter_dist != d.jitter_dist) + (c.loss != d.loss) +
         c.burst.enabled + (c.duplicate != d.duplicate) + (c.reorder != d.reorder) +
         (c.bandwidth_bps != d.bandwidth_bps) + (c.mtu != d.mtu) + (c.corrupt != d.corrupt);
}

bool Mentions(const std::string& name, const std::string& client) { return name == client; }

// Drops client `c` (the last one) and everything that refers to it.
Scenario DropLastClient(const Scenario& s) {
  Scenario t = s;
  const int c = s.clients - 1;
  const std::string name = "mc-" + std::to_string(c);
  t.clients = c;
  t.steps.clear();
  for (Step st : s.steps) {
    if (st.op != StepOp::kWait && st.op != StepOp::kAwait) {
      st.clients.erase(std::remove(st.clients.begin(), st.clients.end(), c), st.clients.end());
      if (st.clients.empty()) continue;
      // An SG step aimed only at the dropped client goes too.
      const bool had_targets = !st.to_clients.empty();
      st.to_clients.erase(std::remove(st.to_clients.begin(), st.to_clients.end(), c), st.to_clients.end());
      if (had_targets && st.to_clients.empty() && st.to_accounts.empty() && !st.to_others) continue;
    }
    t.steps.push_back(st);
  }
  t.links.clear();
  for (const LinkOverride& l : s.links) {
    if (!Mentions(l.from, name) && !Mentions(l.to, name)) t.links.push_back(l);
  }
  t.faults.clear();
  for (Fault f : s.faults) {
    if (Mentions(f.from, name) || Mentions(f.to, name) || Mentions(f.node, name)) continue;
    f.a.erase(std::remove(f.a.begin(), f.a.end(), name), f.a.end());
    f.b.erase(std::remove(f.b.begin(), f.b.end(), name), f.b.end());
    if (f.kind == FaultKind::kPartition && (f.a.empty() || f.b.empty())) continue;
    t.faults.push_back(f);
  }
  if (t.workload) {
    auto& wc = t.workload->clients;
    wc.erase(std::remove(wc.begin(), wc.end(), c), wc.end());
    if (c == 0) t.workload.reset();
  }
  return t;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string FailureSignature(const std::string& checker, const std::string& reason) {
  std::string out = checker + ": ";
  const std::size_t n = reason.size();
  for (std::size_t i = 0; i < n;) {
    const char c = reason[i];
    if (c == '\'') {  // quoted text (a message, an account): its content varies
      const std::size_t close = reason.find('\'', i + 1);
      if (close != std::string::npos) {
        out += "'*'";
        i = close + 1;
        continue;
      }
    }
    if (reason.compare(i, 6, "(step ") == 0) {  // "(step 5, line 17)": where, not what
      const std::size_t close = reason.find(')', i);
      if (close != std::string::npos) {
        out += "(step)";
        i = close + 1;
        continue;
      }
    }
    if (IsDigit(c)) {  // numbers and durations ("20326ms", "1.5s", "3")
      while (i < n && (IsDigit(reason[i]) || reason[i] == '.')) ++i;
      while (i < n && (reason[i] == 'u' || reason[i] == 'm' || reason[i] == 's')) ++i;
      out += '#';
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

std::size_t ScenarioSize(const Scenario& s) {
  std::size_t n = static_cast<std::size_t>(s.clients) + s.faults.size() + s.links.size() +
                  s.expect_counters.size() + LinkSize(s.default_link) + (s.workload ? 5 : 0) +
                  s.provision_accounts + s.provision_contacts + (s.extra_contacts > 0) +
                  (s.settle > 0);
  for (const Step& st : s.steps) n += 1 + static_cast<std::size_t>(st.count - 1) + (st.clients.size() - 1);
  return n;
}

ShrinkOutcome Shrink(const Scenario& given, const RunOptions& options, int max_runs) {
  ShrinkOutcome out;
  Scenario cur = given;
  RunOptions ro = options;
  ro.trace_path.clear();
  ro.pcap_path.clear();
  out.size_before = ScenarioSize(given);
  // The failure as found (with --swarm: the swarm run, which skips
  // `expectations`); candidates then run with the mix baked in.
  const RunResult first = RunScenario(cur, ro);
  ++out.runs;
  if (ro.swarm) {
    ApplySwarm(cur, ro.seed.value_or(given.seed));  // bake the mix in
    // Keep the swarm's fault points for the candidates (the seed decides the
    // same sites); the shrunk file then replays with `--fault-points <spec>`.
    if (!ro.fault_points) ro.fault_points = SwarmFaultPoints(ro.seed.value_or(given.seed));
    ro.swarm = false;
  }
  const CheckResult* f = first.first_failure();
  out.minimal = cur;
  if (!f) {
    out.size_after = out.size_before;
    return out;
  }
  out.failed_initially = true;
  out.checker = f->checker;
  out.signature = FailureSignature(f->checker, f->reason);
  if (out.checker != "harness") {
    // The output names only the failing checker, so its replay fails there first.
    cur.checkers = {out.checker};
    cur.checkers_explicit = true;
    ro.only_checkers = {out.checker};
  }
  auto fails = [&](const Scenario& c) {
    if (out.runs >= max_runs) return false;
    // A scenario needs steps or a workload (the parser refuses one with
    // neither): such a candidate is never written, however it fails.
    if (c.steps.empty() && !c.workload) return false;
    ++out.runs;
    const RunResult r = RunScenario(c, ro);
    const CheckResult* x = r.first_failure();
    // The same bug, not just the same checker: a candidate that fails for
    // another reason ("not logged in: call Login first" where the original
    // was "refused after login") is not kept.
    return x && x->checker == out.checker && FailureSignature(x->checker, x->reason) == out.signature;
  };
  auto attempt = [&](const std::function<void(Scenario&)>& edit) {
    Scenario c = cur;
    edit(c);
    const bool smaller = ScenarioSize(c) < ScenarioSize(cur) ||
                         (ScenarioSize(c) == ScenarioSize(cur) && c.time_limit <= cur.time_limit &&
                          c.settle <= cur.settle && c.extra_contacts <= cur.extra_contacts &&
                          (c.time_limit < cur.time_limit || c.settle < cur.settle ||
                           c.extra_contacts < cur.extra_contacts));
    if (!smaller) return false;
    if (!fails(c)) return false;
    cur = std::move(c);
    return true;
  };
  bool progress = true;
  while (progress && out.runs < max_runs) {
    progress = false;
    while (cur.clients > 1 && fails(DropLastClient(cur))) {
      cur = DropLastClient(cur);
      progress = true;
    }
    for (std::size_t i = cur.steps.size(); i-- > 0;) {
      progress |= attempt([i](Scenario& c) { c.steps.erase(c.steps.begin() + static_cast<long>(i)); });
    }
    for (std::size_t i = 0; i < cur.steps.size(); ++i) {
      if (cur.steps[i].count > 1) {
        if (!attempt([i](Scenario& c) { c.steps[i].count = 1; })) {
          progress |= attempt([i](Scenario& c) { c.steps[i].count = (c.steps[i].count + 1) / 2; });
        } else {
          progress = true;
        }
      }
      if (cur.steps[i].clients.size() > 1) {
        progress |= attempt([i](Scenario& c) {
          c.steps[i].clients.resize(1);
          c.steps[i].all_clients = false;
        });
      }
    }
    for (std::size_t i = cur.faults.size(); i-- > 0;) {
      progress |= attempt([i](Scenario& c) { c.faults.erase(c.faults.begin() + static_cast<long>(i)); });
    }
    // Simulated disks no disk fault needs, and group commit.
    if (cur.disk_all) progress |= attempt([](Scenario& c) { c.disk_all = false; });
    for (std::size_t i = cur.disks.size(); i-- > 0;) {
      bool needed = false;
      for (const Fault& f : cur.faults) needed = needed || (f.kind == FaultKind::kDisk && f.node == cur.disks[i]);
      if (!needed) progress |= attempt([i](Scenario& c) { c.disks.erase(c.disks.begin() + static_cast<long>(i)); });
    }
    if (cur.group_commit) progress |= attempt([](Scenario& c) { c.group_commit = false; });
    for (std::size_t i = cur.links.size(); i-- > 0;) {
      progress |= attempt([i](Scenario& c) { c.links.erase(c.links.begin() + static_cast<long>(i)); });
    }
    for (std::size_t i = cur.expect_counters.size(); i-- > 0;) {
      progress |= attempt([i](Scenario& c) { c.expect_counters.erase(c.expect_counters.begin() + static_cast<long>(i)); });
    }
    if (cur.workload) progress |= attempt([](Scenario& c) { c.workload.reset(); });
    // Provisioning and settle time.
    if (cur.extra_contacts > 0) {
      if (!attempt([](Scenario& c) { c.extra_contacts = 0; })) {
        progress |= attempt([](Scenario& c) { c.extra_contacts /= 2; });
      } else {
        progress = true;
      }
    }
    if (cur.provision_contacts) progress |= attempt([](Scenario& c) { c.provision_contacts = false; });
    if (cur.provision_accounts && !cur.provision_contacts && cur.extra_contacts == 0) {
      progress |= attempt([](Scenario& c) { c.provision_accounts = false; });
    }
    if (cur.settle > 0) {
      if (attempt([](Scenario& c) { c.settle = 0; })) {
        progress = true;
      } else {
        while (cur.settle > kSeconds && attempt([](Scenario& c) { c.settle /= 2; })) progress = true;
      }
    }
    if (out.checker != "expectations") {
      // Expectations cannot influence another checker's verdict: drop them.
      for (Step& st : cur.steps) st.expect.reset(), st.min_ok.reset();
      cur.expect_counters.clear();
    }
    const sim::LinkConfig d;
    progress |= attempt([](Scenario& c) { c.default_link.burst = {}; });
    progress |= attempt([&](Scenario& c) { c.default_link.loss = d.loss; });
    progress |= attempt([&](Scenario& c) {
      c.default_link.duplicate = d.duplicate;
      c.default_link.duplicate_spread = d.duplicate_spread;
    });
    progress |= attempt([&](Scenario& c) {
      c.default_link.reorder = d.reorder;
      c.default_link.reorder_delay = d.reorder_delay;
    });
    progress |= attempt([&](Scenario& c) {
      c.default_link.jitter_dist = d.jitter_dist;
      c.default_link.jitter = d.jitter;
    });
    progress |= attempt([&](Scenario& c) { c.default_link.corrupt = d.corrupt; });
    progress |= attempt([&](Scenario& c) { c.default_link.mtu = d.mtu; });
    progress |= attempt([&](Scenario& c) { c.default_link.bandwidth_bps = d.bandwidth_bps; });
    progress |= attempt([&](Scenario& c) { c.default_link.base_delay = d.base_delay; });
    while (cur.time_limit > 2 * kSeconds && attempt([](Scenario& c) { c.time_limit /= 2; })) progress = true;
  }
  cur.name = given.name + "-shrunk";
  cur.seed = ro.seed.value_or(given.seed);
  out.minimal = cur;
  out.size_after = ScenarioSize(cur);
  return out;
}

}  // namespace mcpsim::scenarios
