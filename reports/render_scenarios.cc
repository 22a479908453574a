// HTML for scenario runs (`mcpsim run|sweep --out`): the index (failures
// first, one row per scenario with its pass rate and counters, all runs when
// they were written) and one drill-down page per written run (purpose,
// verdict, replay command, checker results, counters with units, the run's
// JSON and pcap, and a sequence diagram of its traffic from the pcap and the
// trace). Durations are shown in ms; a missing value is "—".
#include <algorithm>
#include <cstring>
#include <map>
#include <sstream>

#include "reports/html_util.h"
#include "reports/report.h"

namespace mcpsim::reports {
namespace {

using html::H;
using json = nlohmann::ordered_json;

std::string Str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; }

// A counter for display: *_us in ms, "—" when absent (or a latency without samples).
std::string CounterText(const json& counters, const std::string& key) {
  if (!counters.contains(key) || !counters[key].is_number()) return "—";
  const double v = counters[key].get<double>();
  if (key.size() > 3 && key.compare(key.size() - 3, 3, "_us") == 0) {
    if (v <= 0 && key.rfind("latency", 0) == 0) return "—";
    return html::Num(v / 1000.0, "%.1f") + " ms";
  }
  if (v < 0) return "—";
  return html::Num(v, "%.0f");
}

std::string CounterName(const std::string& key) {
  if (key.size() > 3 && key.compare(key.size() - 3, 3, "_us") == 0) return key.substr(0, key.size() - 3);
  return key;
}

std::string VerdictChip(const std::string& v) {
  return "<span class=b style=\"background:" + std::string(v == "PASS" ? "#2e7d32" : "#c62828") + "\">" + H(v) +
         "</span>";
}

std::uint32_t Get32(const std::string& s, std::size_t at, bool le) {
  const auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return le ? b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24 : b(3) | b(2) << 8 | b(1) << 16 | b(0) << 24;
}

std::string Ip(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) + "." +
         std::to_string(a & 255);
}

}  // namespace

html::SeqDiagram ScenarioDiagram(const std::string& pcap, const std::string& trace_jsonl, std::size_t max_events) {
  html::SeqDiagram d;
  // Node names by IP, and which UDP sends were dropped (the i-th UDP packet of
  // the pcap is the i-th `send` of the trace).
  std::map<std::string, std::pair<int, std::string>> node_of_ip;  // ip -> (id, name)
  std::vector<bool> udp_dropped;
  std::map<std::int64_t, std::size_t> send_index;
  std::map<std::int64_t, int> delivered;
  std::istringstream in(trace_jsonl);
  for (std::string line; std::getline(in, line);) {
    const json e = json::parse(line, nullptr, false);
    if (e.is_discarded() || !e.is_object()) continue;
    const std::string ev = Str(e, "ev");
    if (ev == "node") {
      node_of_ip[Str(e, "ip")] = {e.value("id", 0), Str(e, "node")};
    } else if (ev == "send" && e.contains("pkt")) {
      send_index[e["pkt"].get<std::int64_t>()] = udp_dropped.size();
      udp_dropped.push_back(true);
    } else if (ev == "deliver" && e.contains("pkt")) {
      auto it = send_index.find(e["pkt"].get<std::int64_t>());
      if (it != send_index.end()) udp_dropped[it->second] = false;
      delivered[e["pkt"].get<std::int64_t>()]++;
    }
  }
  // Lanes: clients first, then servers, each in node-id order.
  std::vector<std::pair<int, std::string>> nodes;
  for (const auto& [ip, n] : node_of_ip) nodes.push_back(n);
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) {
    const bool ma = a.second.rfind("mc", 0) == 0, mb = b.second.rfind("mc", 0) == 0;
    return ma != mb ? ma : a.first < b.first;
  });
  std::map<std::string, int> lane_of;
  for (const auto& [id, name] : nodes) {
    lane_of[name] = static_cast<int>(d.lanes.size());
    d.lanes.push_back(name);
  }
  auto lane = [&](std::uint32_t ip) -> int {
    auto it = node_of_ip.find(Ip(ip));
    if (it == node_of_ip.end()) {
      const std::string name = Ip(ip);
      if (!lane_of.count(name)) {
        lane_of[name] = static_cast<int>(d.lanes.size());
        d.lanes.push_back(name);
      }
      return lane_of[name];
    }
    return lane_of[it->second.second];
  };
  if (pcap.size() < 24) return d;
  const std::uint32_t magic = Get32(pcap, 0, true);
  const bool le = magic == 0xa1b2c3d4u;
  if (!le && magic != 0xd4c3b2a1u) return d;
  std::size_t pos = 24, udp_i = 0, total = 0;
  while (pos + 16 <= pcap.size()) {
    const std::uint32_t sec = Get32(pcap, pos, le), usec = Get32(pcap, pos + 4, le), len = Get32(pcap, pos + 8, le);
    pos += 16;
    if (pos + len > pcap.size()) break;
    const std::string pkt = pcap.substr(pos, len);
    pos += len;
    if (pkt.size() < 20 || (static_cast<unsigned char>(pkt[0]) >> 4) != 4) continue;
    const std::size_t ihl = (static_cast<unsigned char>(pkt[0]) & 15) * 4u;
    const int proto = static_cast<unsigned char>(pkt[9]);
    const std::uint32_t src = Get32(pkt, 12, false), dst = Get32(pkt, 16, false);
    std::string payload;
    bool dropped = false, http = false;
    if (proto == 17 && pkt.size() >= ihl + 8) {
      payload = pkt.substr(ihl + 8);
      dropped = udp_i < udp_dropped.size() && udp_dropped[udp_i];
      ++udp_i;
    } else if (proto == 6 && pkt.size() >= ihl + 20) {
      const std::size_t off = (static_cast<unsigned char>(pkt[ihl + 12]) >> 4) * 4u;
      if (pkt.size() <= ihl + off) continue;  // handshake, ACK, FIN
      payload = pkt.substr(ihl + off);
      http = payload.rfind("GET ", 0) == 0 || payload.rfind("POST ", 0) == 0 || payload.rfind("HTTP/", 0) == 0;
    } else {
      continue;
    }
    ++total;
    if (d.events.size() >= max_events) continue;
    html::SeqEvent e;
    e.t_us = static_cast<std::int64_t>(sec) * 1000000 + usec;
    e.from = lane(src);
    e.to = lane(dst);
    html::DescribeMessage(payload, http, e.label, e.detail);
    if (proto == 6 && !http && payload.rfind("R", 0) != 0 && payload.rfind("A", 0) != 0) {
      e.label = "(" + std::to_string(payload.size()) + " more bytes of the stream)";
    }
    e.color = dropped ? "#c62828" : (proto == 17 ? "#1565c0" : "#2e7d32");
    if (dropped) {
      e.label = "✗ lost: " + e.label;
      e.detail = "(dropped by the simulated network)\n" + e.detail;
    }
    d.events.push_back(std::move(e));
  }
  if (total > d.events.size()) {
    html::SeqEvent more;
    more.t_us = d.events.empty() ? 0 : d.events.back().t_us;
    more.label = "… " + std::to_string(total - d.events.size()) + " more messages: open the pcap in Wireshark";
    more.detail = more.label;
    more.color = "#6a1b9a";
    d.events.push_back(std::move(more));
  }
  return d;
}

std::string RenderScenarioRun(const json& r, const ScenarioRunFiles& files, const std::string& pcap,
                              const std::string& trace_jsonl) {
  const std::string scen = Str(r, "scenario");
  const std::uint64_t seed = r.value("seed", std::uint64_t{0});
  const std::string verdict = Str(r, "verdict");
  std::string h = html::PageStart(scen + " seed " + std::to_string(seed));
  h += "<p><a href=\"index.html\">← all runs</a></p><h1>" + VerdictChip(verdict) + " " + H(scen) + " · seed " +
       std::to_string(seed) + "</h1>";
  h += "<p>" + H(Str(r, "purpose").empty() ? "—" : Str(r, "purpose")) + "</p>";
  std::string replay = "mcpsim run " + Str(r, "file") + " --seed " + std::to_string(seed) +
                       (r.value("swarm", false) ? " --swarm" : "");
  h += "<table><tr><th>file</th><td><code>" + H(Str(r, "file")) + "</code></td></tr>";
  h += "<tr><th>replay</th><td><code>" + H(replay) + "</code></td></tr>";
  if (r.value("swarm", false)) h += "<tr><th>swarm mix</th><td>" + H(Str(r, "swarm_mix")) + "</td></tr>";
  h += "<tr><th>trace hash</th><td><code>" + H(Str(r, "trace_hash")) + "</code> (" +
       std::to_string(r.value("trace_lines", std::uint64_t{0})) + " trace lines)</td></tr>";
  h += "<tr><th>virtual time</th><td>" + html::Ms(r.value("end_time_us", std::int64_t{-1})) + "</td></tr>";
  h += "<tr><th>files</th><td><a href=\"" + H(files.json) + "\">" + H(files.json) + "</a>" +
       (files.pcap.empty() ? std::string() : " · <a href=\"" + H(files.pcap) + "\">" + H(files.pcap) + "</a>") +
       "</td></tr>";
  if (r.contains("mcpsim")) {
    h += "<tr><th>mcpsim</th><td>" + H(Str(r["mcpsim"], "version")) + " · commit " + H(Str(r["mcpsim"], "commit")) +
         " · " + H(Str(r["mcpsim"], "build_type")) + " build</td></tr>";
  }
  h += "</table><h2>Checkers</h2><table><tr><th>checker</th><th>result</th><th>reason</th></tr>";
  if (r.contains("checkers")) {
    for (const json& c : r["checkers"]) {
      const bool pass = c.value("pass", true);
      h += "<tr><td>" + H(Str(c, "checker")) + "</td><td>" + VerdictChip(pass ? "PASS" : "FAIL") + "</td><td>" +
           H(Str(c, "reason").empty() ? "—" : Str(c, "reason")) + "</td></tr>";
    }
  }
  h += "</table><h2>Counters</h2><table><tr><th>counter</th><th>value</th></tr>";
  if (r.contains("counters")) {
    for (const auto& [k, v] : r["counters"].items()) {
      (void)v;
      h += "<tr><td>" + H(CounterName(k)) + "</td><td class=num>" + CounterText(r["counters"], k) + "</td></tr>";
    }
  }
  h += "</table><h2>Sequence diagram</h2>";
  if (!files.diagram_note.empty()) h += "<p class=muted>" + H(files.diagram_note) + "</p>";
  h += html::RenderSequence(ScenarioDiagram(pcap, trace_jsonl, 400), "run") + "</body></html>\n";
  return h;
}

std::string RenderScenarioIndex(const json& s, const std::map<std::string, std::string>& pages) {
  std::string h = html::PageStart("mcpsim scenario runs");
  h += "<h1>mcpsim scenario runs</h1><p>" + std::to_string(s.value("runs", 0)) + " runs, " +
       std::to_string(s.value("passed", 0)) + " passed, " + std::to_string(s.value("failed", 0)) + " failed";
  if (s.contains("mcpsim")) {
    h += "<br><span class=muted>mcpsim " + H(Str(s["mcpsim"], "version")) + " · commit " +
         H(Str(s["mcpsim"], "commit")) + " · " + H(Str(s["mcpsim"], "build_type")) + " build</span>";
  }
  h += "</p>";
  auto link = [&](const json& r) {
    const std::string key = Str(r, "scenario") + "#" + std::to_string(r.value("seed", std::uint64_t{0}));
    auto it = pages.find(key);
    return it == pages.end() ? std::string() : it->second;
  };
  h += "<h2>Failures (" + std::to_string(s.value("failed", 0)) + ")</h2>";
  if (s.value("failed", 0) == 0) {
    h += "<p>None.</p>";
  } else {
    h += "<table><tr><th>scenario</th><th>seed</th><th>checker</th><th>reason</th><th>replay</th></tr>";
    for (const json& f : s["failing"]) {
      const std::string page = link(f);
      const std::string seed = std::to_string(f.value("seed", std::uint64_t{0}));
      h += "<tr><td>" + (page.empty() ? H(Str(f, "scenario")) : "<a href=\"" + H(page) + "\">" + H(Str(f, "scenario")) + "</a>") +
           "</td><td class=num>" + seed + "</td><td>" + H(Str(f, "checker")) + "</td><td>" + H(Str(f, "reason")) +
           "</td><td><code>" + H(Str(f, "replay")) + "</code></td></tr>";
    }
    h += "</table>";
  }
  h += "<h2>Per scenario</h2><table><tr><th>scenario</th><th>purpose</th><th>runs</th><th>passed</th><th>pass rate</th>"
       "<th>ops</th><th>gave up</th><th>resent</th><th>dropped</th><th>p50 (median)</th><th>p99 (median)</th></tr>";
  if (s.contains("scenarios")) {
    for (const json& p : s["scenarios"]) {
      const int runs = p.value("runs", 0), passed = p.value("passed", 0);
      h += "<tr><td>" + H(Str(p, "scenario")) + "</td><td>" + H(Str(p, "purpose").empty() ? "—" : Str(p, "purpose")) +
           "</td><td class=num>" + std::to_string(runs) + "</td><td class=num>" + std::to_string(passed) +
           "</td><td class=num>" + (runs ? html::Num(100.0 * passed / runs, "%.1f") + "%" : "—") + "</td><td class=num>" +
           CounterText(p, "ops") + "</td><td class=num>" + CounterText(p, "gave_up") + "</td><td class=num>" +
           CounterText(p, "resent") + "</td><td class=num>" + CounterText(p, "dropped") + "</td><td class=num>" +
           CounterText(p, "latency_p50_us") + "</td><td class=num>" + CounterText(p, "latency_p99_us") + "</td></tr>";
    }
  }
  h += "</table>";
  if (s.value("all_runs", true)) {
    h += "<h2>All runs</h2><table><tr><th>verdict</th><th>scenario</th><th>seed</th><th>ops</th><th>ok</th>"
         "<th>gave up</th><th>resent</th><th>dropped</th><th>p50</th><th>p99</th><th>trace hash</th></tr>";
    for (const json& r : s["results"]) {
      const std::string page = link(r);
      const json counters = r.contains("counters") ? r["counters"] : json::object();
      h += "<tr><td>" + VerdictChip(Str(r, "verdict")) + "</td><td>" +
           (page.empty() ? H(Str(r, "scenario")) : "<a href=\"" + H(page) + "\">" + H(Str(r, "scenario")) + "</a>") +
           "</td><td class=num>" + std::to_string(r.value("seed", std::uint64_t{0})) + "</td><td class=num>" +
           CounterText(counters, "ops") + "</td><td class=num>" + CounterText(counters, "ok") + "</td><td class=num>" +
           CounterText(counters, "gave_up") + "</td><td class=num>" + CounterText(counters, "resent") +
           "</td><td class=num>" + CounterText(counters, "dropped") + "</td><td class=num>" +
           CounterText(counters, "latency_p50_us") + "</td><td class=num>" + CounterText(counters, "latency_p99_us") +
           "</td><td><code>" + H(Str(r, "trace_hash")) + "</code></td></tr>";
    }
    h += "</table>";
  } else {
    h += "<p class=muted>Pages were written for the failing runs only (the default of sweep; --all-runs writes "
         "every run).</p>";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace mcpsim::reports
