#include "scenarios/swarm.h"

#include <algorithm>

#include "core/rng.h"
#include "reference/fault_sites.h"
#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {

std::string ApplySwarm(Scenario& s, std::uint64_t seed, bool crash_servers) {
  Rng rng = Rng::Stream(seed, "swarm");
  std::string d;
  auto note = [&](const std::string& x) {
    if (!d.empty()) d.push_back(' ');
    d.append(x);
  };
  auto pct = [](double p) { return std::to_string(static_cast<int>(p * 100 + 0.5)) + "%"; };
  sim::LinkConfig l;
  l.base_delay = static_cast<TimeUs>(rng.Range(1, 200)) * kMillis;
  note("delay=" + yaml::FormatDuration(l.base_delay));
  if (rng.Chance(0.5)) {
    l.jitter_dist = rng.Chance(0.5) ? sim::JitterDist::kUniform : sim::JitterDist::kExponential;
    l.jitter = static_cast<TimeUs>(rng.Range(1, 100)) * kMillis;
    note("jitter=" + yaml::FormatDuration(l.jitter));
  }
  if (rng.Chance(0.5)) {
    l.loss = static_cast<double>(rng.Range(1, 30)) / 100.0;
    note("loss=" + pct(l.loss));
  }
  if (rng.Chance(0.3)) {
    l.burst.enabled = true;
    l.burst.p_good_bad = static_cast<double>(rng.Range(1, 10)) / 100.0;
    l.burst.p_bad_good = static_cast<double>(rng.Range(20, 80)) / 100.0;
    note("burst=" + pct(l.burst.p_good_bad) + "/" + pct(l.burst.p_bad_good));
  }
  if (rng.Chance(0.4)) {
    l.duplicate = static_cast<double>(rng.Range(1, 30)) / 100.0;
    l.duplicate_spread = static_cast<TimeUs>(rng.Range(1, 500)) * kMillis;
    note("dup=" + pct(l.duplicate));
  }
  if (rng.Chance(0.4)) {
    l.reorder = static_cast<double>(rng.Range(1, 40)) / 100.0;
    l.reorder_delay = static_cast<TimeUs>(rng.Range(1, 800)) * kMillis;
    note("reorder=" + pct(l.reorder));
  }
  s.default_link = l;
  const int windows = static_cast<int>(rng.Below(3));
  for (int i = 0; i < windows && s.clients > 0; ++i) {
    Fault f;
    const TimeUs horizon = std::max<TimeUs>(s.time_limit / 2, kSeconds);
    f.start = static_cast<TimeUs>(rng.Below(static_cast<std::uint64_t>(horizon)));
    f.end = f.start + static_cast<TimeUs>(rng.Range(100, 19000)) * kMillis;
    const std::string client = "mc-" + std::to_string(rng.Below(static_cast<std::uint64_t>(s.clients)));
    static const char* servers[] = {"dp", "rs", "cs", "ms", "sg"};
    const std::string server = servers[rng.Below(s.sg > 0 ? 5 : 4)];
    if (rng.Chance(0.5)) {
      f.kind = FaultKind::kPartition;
      f.a = {client};
      f.b = {server};
      f.two_way = rng.Chance(0.5);
      std::string what = "partition(";
      what.append(client).append(f.two_way ? "<->" : "->").append(server).append(")");
      note(what);
    } else {
      f.kind = FaultKind::kClog;
      f.from = client;
      f.to = server;
      f.both = true;
      std::string what = "clog(";
      what.append(client).append("<->").append(server).append(")");
      note(what);
    }
    std::string when = "@";
    when.append(yaml::FormatDuration(f.start)).append("+").append(yaml::FormatDuration(f.end - f.start));
    note(when);
    s.faults.push_back(f);
  }
  // Drawn after the link and the windows, so those stay what they were for
  // every seed: with probability 0.3 one node crashes for 0.5..10 s (a server
  // the scenario hosts, or a client; only a client when !crash_servers).
  if (rng.Chance(0.3)) {
    std::vector<std::string> nodes;
    if (crash_servers) nodes = s.servers;
    if (crash_servers && s.sg > 0) nodes.push_back("sg");
    for (int c = 0; c < s.clients; ++c) nodes.push_back("mc-" + std::to_string(c));
    if (!nodes.empty()) {
      Fault f;
      f.kind = FaultKind::kCrash;
      f.node = nodes[rng.Below(nodes.size())];
      const TimeUs horizon = std::max<TimeUs>(s.time_limit / 2, kSeconds);
      f.start = static_cast<TimeUs>(rng.Below(static_cast<std::uint64_t>(horizon)));
      f.end = f.start + static_cast<TimeUs>(rng.Range(500, 10000)) * kMillis;
      note("crash(" + f.node + ")@" + yaml::FormatDuration(f.start) + "+" + yaml::FormatDuration(f.end - f.start));
      s.faults.push_back(f);
    }
  }
  // Disk faults come from their own stream, so the mix above is what it was
  // for every seed: with probability 0.3 a hosted store node (sg, cs, ms)
  // gets a simulated disk and one disk fault for 0.5..8 s; group commit is
  // switched on with probability 0.5 when there is a disk.
  constexpr double kDiskChance = 0.3;
  Rng drng = Rng::Stream(seed, "swarm:disk");
  if (crash_servers && drng.Chance(kDiskChance)) {
    std::vector<std::string> nodes;
    if (s.sg > 0) nodes.push_back("sg");
    for (const char* n : {"cs", "ms"}) {
      if (std::find(s.servers.begin(), s.servers.end(), n) != s.servers.end()) nodes.push_back(n);
    }
    if (!nodes.empty()) {
      Fault f;
      f.kind = FaultKind::kDisk;
      f.node = nodes[drng.Below(nodes.size())];
      f.disk = static_cast<DiskFaultKind>(drng.Below(static_cast<std::uint64_t>(DiskFaultKind::kSlowSync) + 1));
      const TimeUs horizon = std::max<TimeUs>(s.time_limit / 2, kSeconds);
      f.start = static_cast<TimeUs>(drng.Below(static_cast<std::uint64_t>(horizon)));
      f.end = f.start + static_cast<TimeUs>(drng.Range(500, 8000)) * kMillis;
      if (f.disk == DiskFaultKind::kSlowSync) {
        f.latency = static_cast<TimeUs>(drng.Range(5, 500)) * kMillis;
      } else if (f.disk != DiskFaultKind::kPowerCut) {
        f.rate = static_cast<double>(drng.Range(1, 10)) / 10.0;
      }
      if (std::find(s.disks.begin(), s.disks.end(), f.node) == s.disks.end()) s.disks.push_back(f.node);
      if (drng.Chance(0.5)) s.group_commit = true;
      note(std::string("disk-") + DiskFaultName(f.disk) + "(" + f.node + ")@" + yaml::FormatDuration(f.start) + "+" +
           yaml::FormatDuration(f.end - f.start) + (s.group_commit ? " group-commit" : ""));
      s.faults.push_back(f);
    }
  }
  return d;
}

std::string FaultPointChoice::Spec() const {
  switch (mode) {
    case Mode::kOff: return "none";
    case Mode::kSeeded: return "seeded";
    case Mode::kAll: return "all";
    case Mode::kList: break;
  }
  if (sites.empty()) return "none";
  std::string out;
  for (const std::string& x : sites) out += (out.empty() ? "" : ",") + x;
  return out;
}

Result<FaultPointChoice> ParseFaultPoints(std::string_view spec) {
  FaultPointChoice c;
  if (spec == "none") return c;
  if (spec == "all") {
    c.mode = FaultPointChoice::Mode::kAll;
    return c;
  }
  if (spec == "seeded") {
    c.mode = FaultPointChoice::Mode::kSeeded;
    return c;
  }
  c.mode = FaultPointChoice::Mode::kList;
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', pos), spec.size());
    const std::string_view name = spec.substr(pos, comma - pos);
    if (!reference::FindFaultSite(name)) {
      return Status::Error("SCEN-FP", "unknown fault point '" + std::string(name) +
                                          "' at offset " + std::to_string(pos) +
                                          " (all|none|seeded|a,b with names from `mcpsim run --list-fault-points`)");
    }
    c.sites.emplace_back(name);
    pos = comma + 1;
  }
  std::sort(c.sites.begin(), c.sites.end());
  c.sites.erase(std::unique(c.sites.begin(), c.sites.end()), c.sites.end());
  return c;
}

FaultPointChoice SwarmFaultPoints(std::uint64_t seed) {
  Rng rng = Rng::Stream(seed, "swarm:fault-points");
  FaultPointChoice c;
  if (rng.Chance(0.75)) c.mode = FaultPointChoice::Mode::kSeeded;
  return c;
}

}  // namespace mcpsim::scenarios
