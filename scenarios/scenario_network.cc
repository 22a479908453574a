// The `network` section of a scenario: the default link, link overrides and
// the fault windows (partition, clog, clog_node, link_down, link_change,
// crash, disk), with the node names they refer to.
#include <algorithm>

#include "scenarios/scenario_parse.h"

namespace mcpsim::scenarios {

std::string ScenarioParser::OneName(const YAML::Node& n) {
  auto s = ctx_.StrOf(n);
  if (!s) return "";
  if (ResolveNodes(*s, s_.clients).empty()) {
    ctx_.Fail(n, "unknown node '" + *s + "' (dp, rs, cs, ms, sg, mc-0.." + "mc-" +
                     std::to_string(std::max(0, s_.clients - 1)) + ", clients, servers)");
    return "";
  }
  return *s;
}

std::vector<std::string> ScenarioParser::Names(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsSequence()) {
    for (const auto& e : n) out.push_back(OneName(e));
  } else {
    out.push_back(OneName(n));
  }
  return out;
}

void ScenarioParser::Network(const YAML::Node& n) {
  if (!ctx_.CheckKeys(n, {"default", "links", "faults"}, "network")) return;
  if (n["default"]) s_.default_link = ctx_.Link(n["default"], {});
  if (const YAML::Node links = n["links"]) {
    if (!links.IsSequence()) return ctx_.Fail(links, "links must be a list");
    for (const auto& l : links) {
      LinkOverride o;
      o.pos = Pos(l);
      if (!l.IsMap() || !l["from"] || !l["to"]) return ctx_.Fail(l, "a link override needs 'from' and 'to'");
      o.from = OneName(l["from"]);
      o.to = OneName(l["to"]);
      ctx_.Bool(l, "both", o.both);
      o.cfg = ctx_.Link(l, s_.default_link, {"from", "to", "both"});
      if (ctx_.failed()) return;
      s_.links.push_back(o);
    }
  }
  if (const YAML::Node faults = n["faults"]) {
    if (!faults.IsSequence()) return ctx_.Fail(faults, "faults must be a list");
    for (const auto& f : faults) {
      Fault x;
      x.pos = Pos(f);
      if (!f.IsMap() || !f["kind"]) return ctx_.Fail(f, "a fault needs a 'kind'");
      const std::string kind = ctx_.StrOf(f["kind"]).value_or("");
      if (kind == "partition") {
        x.kind = FaultKind::kPartition;
        if (!ctx_.CheckKeys(f, {"kind", "a", "b", "start", "end", "two_way"}, "partition")) return;
        if (!f["a"] || !f["b"]) return ctx_.Fail(f, "a partition needs 'a' and 'b'");
        x.a = Names(f["a"]);
        x.b = Names(f["b"]);
        ctx_.Bool(f, "two_way", x.two_way);
      } else if (kind == "clog" || kind == "link_down" || kind == "link_change") {
        x.kind = kind == "clog" ? FaultKind::kClog : kind == "link_down" ? FaultKind::kLinkDown
                                                                          : FaultKind::kLinkChange;
        if (kind == "link_change") {
          if (!ctx_.CheckKeys(f, {"kind", "from", "to", "both", "at", "link"}, kind)) return;
          if (!f["link"] || !f["at"]) return ctx_.Fail(f, "link_change needs 'at' and 'link'");
          x.link = ctx_.Link(f["link"], s_.default_link);
          ctx_.Duration(f, "at", x.start);
        } else if (!ctx_.CheckKeys(f, {"kind", "from", "to", "both", "start", "end"}, kind)) {
          return;
        }
        if (!f["from"] || !f["to"]) return ctx_.Fail(f, kind + " needs 'from' and 'to'");
        x.from = OneName(f["from"]);
        x.to = OneName(f["to"]);
        ctx_.Bool(f, "both", x.both);
      } else if (kind == "clog_node" || kind == "crash") {
        x.kind = kind == "crash" ? FaultKind::kCrash : FaultKind::kClogNode;
        if (!ctx_.CheckKeys(f, {"kind", "node", "start", "end"}, kind)) return;
        if (!f["node"]) return ctx_.Fail(f, kind + " needs 'node'");
        x.node = OneName(f["node"]);
        if (x.kind == FaultKind::kCrash && !CrashableNode(x.node)) {
          return ctx_.Fail(f["node"], "crash needs one node: a hosted server (dp, rs, cs, ms, sg) or mc-<i>");
        }
      } else if (kind == "disk") {
        x.kind = FaultKind::kDisk;
        if (!ctx_.CheckKeys(f, {"kind", "node", "fault", "start", "end", "rate", "latency"}, kind)) return;
        if (!f["node"] || !f["fault"]) return ctx_.Fail(f, "disk needs 'node' and 'fault'");
        x.node = OneName(f["node"]);
        if (!DiskNode(x.node) || !CrashableNode(x.node)) {
          return ctx_.Fail(f["node"], "a disk fault needs a hosted server with a store: sg, cs or ms");
        }
        const std::string what = ctx_.StrOf(f["fault"]).value_or("");
        bool known = false;
        for (int k = 0; k <= static_cast<int>(DiskFaultKind::kSlowSync); ++k) {
          if (what == DiskFaultName(static_cast<DiskFaultKind>(k))) {
            x.disk = static_cast<DiskFaultKind>(k);
            known = true;
          }
        }
        if (!known) {
          return ctx_.Fail(f["fault"], "unknown disk fault '" + what +
                                           "' (io_error, read_error, write_error, sync_error, full, power_cut, slow_sync)");
        }
        ctx_.Prob(f, "rate", x.rate);
        ctx_.Duration(f, "latency", x.latency);
        if (f["rate"] && (x.disk == DiskFaultKind::kPowerCut || x.disk == DiskFaultKind::kSlowSync)) {
          return ctx_.Fail(f["rate"], "'rate' is for io_error, read_error, write_error, sync_error and full");
        }
        if (f["latency"] && x.disk != DiskFaultKind::kSlowSync) {
          return ctx_.Fail(f["latency"], "'latency' is for slow_sync");
        }
        if (std::find(s_.disks.begin(), s_.disks.end(), x.node) == s_.disks.end()) s_.disks.push_back(x.node);
      } else {
        return ctx_.Fail(f["kind"], "unknown fault kind '" + kind +
                                        "' (partition, clog, clog_node, link_down, link_change, crash, disk)");
      }
      if (x.kind != FaultKind::kLinkChange) {
        if (!f["start"] || !f["end"]) return ctx_.Fail(f, kind + " needs 'start' and 'end'");
        ctx_.Duration(f, "start", x.start);
        ctx_.Duration(f, "end", x.end);
        if (!ctx_.failed() && x.end <= x.start) return ctx_.Fail(f["end"], "end must be after start");
      }
      if (ctx_.failed()) return;
      s_.faults.push_back(x);
    }
  }
}

}  // namespace mcpsim::scenarios
