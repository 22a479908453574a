// Sequence diagrams for the HTML reports: lanes, numbered arrows, and the
// message table that holds every message in full (HTTP bodies included).
#include <algorithm>
#include <cstdio>
#include <map>

#include "reference/http/http1.h"
#include "reports/html_util.h"

namespace mcpsim::reports::html {

namespace {

// "%41" -> 'A' (and '+' -> ' ') for the GET form's q parameter; shown as
// sent when it is not valid percent-encoding.
std::string PercentDecode(std::string_view s) {
  auto decoded = reference::http::UrlDecode(s);
  return decoded ? std::move(*decoded) : std::string(s);
}

// Splits on CRLF (or LF); drops the empty tail.
std::vector<std::string> Lines(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t eol = s.find('\n', pos);
    if (eol == std::string_view::npos) eol = s.size();
    std::string_view line = s.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.emplace_back(line);
    pos = eol + 1;
  }
  return out;
}

constexpr std::size_t kDetailCap = 16384;  // per message in the table; report.json has every byte

// The MCP lines of an HTTP message (request body, GET q= form or response
// body) and its first line ("POST /mcp", "200 OK").
void SplitHttp(const std::string& bytes, std::string& first, std::vector<std::string>& mcp) {
  const std::size_t head_end = bytes.find("\r\n\r\n");
  const std::string head = bytes.substr(0, head_end == std::string::npos ? bytes.size() : head_end);
  const std::string body = head_end == std::string::npos ? "" : bytes.substr(head_end + 4);
  const std::vector<std::string> hl = Lines(head);
  first = hl.empty() ? "" : hl[0];
  if (first.rfind("HTTP/", 0) == 0) {
    const std::size_t sp = first.find(' ');
    first = sp == std::string::npos ? first : first.substr(sp + 1);
  } else {
    // "GET /mcp?q=... HTTP/1.1": the command lines are in q.
    const std::size_t q = first.find("q=");
    if (q != std::string::npos) {
      std::size_t end = first.find_first_of(" &", q);
      for (const std::string& l : Lines(PercentDecode(first.substr(q + 2, end == std::string::npos ? end : end - q - 2)))) {
        mcp.push_back(l);
      }
    }
    const std::size_t sp2 = first.rfind(' ');
    if (sp2 != std::string::npos && sp2 > 0) first = first.substr(0, sp2);
    const std::size_t qm = first.find('?');
    if (qm != std::string::npos) first = first.substr(0, qm);
  }
  // The body's command lines; payloads (PAY-1: RBIN, ROT, RSV, RRV) are skipped by their length.
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) {
      std::string more = "(";
      more += std::to_string(body.size() - pos);
      more += " more bytes, no CRLF)";
      mcp.push_back(more);
      break;
    }
    const std::string line = body.substr(pos, eol - pos);
    mcp.push_back(line);
    pos = eol + 2;
    const std::string word = line.substr(0, line.find(' '));
    if (word == "RBIN" || word == "ROT" || word == "RSV" || word == "RRV") {
      const std::string len = line.substr(line.rfind(' ') + 1);
      std::size_t n = 0;
      if (len.empty() || len.size() > 6 || len.find_first_not_of("0123456789") != std::string::npos) break;
      n = std::stoul(len);
      mcp.back() += " (+";
      mcp.back() += std::to_string(n);
      mcp.back() += " payload bytes)";
      pos += n;
    }
  }
}

std::string Shorten(std::string s, std::size_t n) {
  if (s.size() > n) s = s.substr(0, n - 1) + "…";
  return s;
}

}  // namespace

void DescribeMessage(const std::string& bytes, bool http, std::string& label_out, std::string& detail_out) {
  std::string detail = Printable(bytes);
  // One line per wire line in the table: escape sequences stay visible.
  std::string pretty;
  for (std::size_t i = 0; i < detail.size(); ++i) {
    pretty.push_back(detail[i]);
    if (detail[i] == 'n' && i > 0 && detail[i - 1] == '\\' && (i < 2 || detail[i - 2] != '\\')) pretty.push_back('\n');
  }
  if (pretty.size() > kDetailCap) {
    pretty = pretty.substr(0, kDetailCap) + "\n… (" + std::to_string(pretty.size() - kDetailCap) +
             " more characters; every byte is in report.json / the pcap)";
  }
  if (http) {
    std::string first;
    std::vector<std::string> mcp;
    SplitHttp(bytes, first, mcp);
    std::string label = "HTTP " + first;
    for (const std::string& m : mcp) label += " · " + Printable(m);
    label_out = Shorten(label, 110);
    std::string decoded;
    for (const std::string& m : mcp) decoded += Printable(m) + "\n";
    detail_out = (decoded.empty() ? std::string() : "MCP lines:\n" + decoded + "\nraw:\n") + pretty;
    if (detail_out.size() > 2 * kDetailCap) detail_out = detail_out.substr(0, 2 * kDetailCap) + "\n…";
  } else {
    std::string label;
    for (const std::string& m : Lines(bytes)) label += (label.empty() ? "" : " · ") + Printable(m);
    label_out = Shorten(label, 110);
    detail_out = pretty;
  }
}

SeqDiagram WireDiagram(const CaseResult& c, bool client_run) {
  SeqDiagram d;
  // Party names from the harness's notes: "alice is udp#0".
  std::map<std::string, std::string> names;
  for (const WireEvent& e : c.wire) {
    if (e.transport != "note") continue;
    const std::size_t is = e.bytes.find(" is ");
    if (is == std::string::npos || is == 0 || e.bytes.find(' ') != is) continue;
    const std::string tag = e.bytes.substr(is + 4);
    if (tag.find(' ') == std::string::npos && tag.find('#') != std::string::npos) names[tag] = e.bytes.substr(0, is);
  }
  std::map<std::string, int> lane_of;
  auto lane = [&](const std::string& tag) {
    auto it = lane_of.find(tag);
    if (it != lane_of.end()) return it->second;
    std::string label;
    if (client_run) {
      label = "mcpsim " + tag;
    } else if (names.count(tag)) {
      label = names[tag] + " (" + tag + ")";
    } else {
      label = "runner " + tag;
    }
    d.lanes.push_back(label);
    return lane_of[tag] = static_cast<int>(d.lanes.size()) - 1;
  };
  // Runner-side lanes in order of first appearance, then the implementation.
  for (const WireEvent& e : c.wire) {
    if (e.transport != "note") lane(e.transport);
  }
  const int target = static_cast<int>(d.lanes.size());
  d.lanes.push_back(client_run ? "client under test" : "target");
  for (const WireEvent& e : c.wire) {
    SeqEvent s;
    s.t_us = e.t_us;
    if (e.transport == "note") {
      s.label = Printable(e.bytes);
      s.detail = s.label;
      s.color = "#6a1b9a";
      d.events.push_back(std::move(s));
      continue;
    }
    const int l = lane(e.transport);
    const bool send = e.dir == "send" || e.dir == "sealed";
    const bool plain = e.dir == "sealed" || e.dir == "opened";
    s.from = send ? l : target;
    s.to = send ? target : l;
    s.color = plain ? (send ? "#64b5f6" : "#81c784") : (send ? "#1565c0" : "#2e7d32");
    DescribeMessage(e.bytes, e.transport.rfind("http", 0) == 0, s.label, s.detail);
    if (plain) s.label = "[" + e.dir + "] " + s.label;
    d.events.push_back(std::move(s));
  }
  return d;
}

std::string RenderSequence(const SeqDiagram& d, const std::string& id) {
  if (d.events.empty()) return "<p class=muted>No wire traffic.</p>";
  const int row = 22, top = 36, left = 90, gap = 190;
  const int lanes = static_cast<int>(d.lanes.size());
  const int width = std::max(700, left + (lanes - 1) * gap + 420);
  const int height = top + static_cast<int>(d.events.size()) * row + 10;
  auto x_of = [&](int l) { return left + l * gap; };
  std::string s = "<svg width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
                  "\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"monospace\" font-size=\"11\" role=\"img\">";
  s += "<defs><marker id=\"a\" markerWidth=\"8\" markerHeight=\"8\" refX=\"8\" refY=\"4\" orient=\"auto\">"
       "<path d=\"M0,0 L8,4 L0,8 z\" fill=\"#555\"/></marker></defs>";
  for (int l = 0; l < lanes; ++l) {
    const int x = x_of(l);
    s += "<text x=\"" + std::to_string(x) + "\" y=\"14\" text-anchor=\"middle\" font-weight=\"bold\">" +
         H(d.lanes[static_cast<std::size_t>(l)]) + "</text>";
    s += "<line x1=\"" + std::to_string(x) + "\" y1=\"20\" x2=\"" + std::to_string(x) + "\" y2=\"" +
         std::to_string(height) + "\" stroke=\"#999\"/>";
  }
  int y = top;
  int n = 0;
  for (const SeqEvent& e : d.events) {
    ++n;
    s += "<a href=\"#" + H(id) + "-m" + std::to_string(n) + "\"><text x=\"2\" y=\"" + std::to_string(y + 4) +
         "\" fill=\"#666\">" + std::to_string(n) + " " + Num(e.t_us / 1000.0, "%.1f") + "ms</text></a>";
    if (e.from < 0) {
      s += "<text x=\"" + std::to_string(left + 6) + "\" y=\"" + std::to_string(y + 4) + "\" fill=\"" + e.color +
           "\">" + H(e.label.size() > 140 ? e.label.substr(0, 139) + "…" : e.label) + "</text>";
    } else {
      const int x1 = x_of(e.from), x2 = x_of(e.to);
      s += "<line x1=\"" + std::to_string(x1) + "\" y1=\"" + std::to_string(y) + "\" x2=\"" + std::to_string(x2) +
           "\" y2=\"" + std::to_string(y) + "\" stroke=\"" + e.color + "\" marker-end=\"url(#a)\"/>";
      s += "<text x=\"" + std::to_string(std::min(x1, x2) + 6) + "\" y=\"" + std::to_string(y - 3) + "\">" +
           H(e.label) + "</text>";
    }
    y += row;
  }
  s += "</svg>";
  // Every message in full.
  s += "<details><summary>messages in full (" + std::to_string(d.events.size()) +
       ")</summary><table><tr><th>#</th><th>time</th><th>from → to</th><th>content</th></tr>";
  n = 0;
  for (const SeqEvent& e : d.events) {
    ++n;
    const std::string dir = e.from < 0 ? "note"
                                       : H(d.lanes[static_cast<std::size_t>(e.from)]) + " → " +
                                             H(d.lanes[static_cast<std::size_t>(e.to)]);
    s += "<tr id=\"" + H(id) + "-m" + std::to_string(n) + "\"><td class=num>" + std::to_string(n) +
         "</td><td class=num>" + Num(e.t_us / 1000.0, "%.1f") + " ms</td><td>" + dir + "</td><td><pre>" +
         H(e.detail) + "</pre></td></tr>";
  }
  s += "</table></details>";
  return s;
}

}  // namespace mcpsim::reports::html
