// Shared pieces of the HTML renderers (render_html.cc, render_seq.cc,
// render_matrix.cc, render_scenarios.cc): escaping, number formatting,
// verdict colours and the page frame (html_util.cc). Internal to reports/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reports/markup.h"
#include "reports/report.h"

namespace mcpsim::reports::html {

// HTML-escapes & < > " (text and attribute values; reports/markup.h).
inline std::string H(std::string_view s) { return Escape(s, Markup::kHtml); }
// printf-style number ("%.1f" by default).
std::string Num(double v, const char* fmt = "%.1f");
// Milliseconds from microseconds with one decimal: "12.3 ms"; "—" when < 0.
std::string Ms(std::int64_t us);
const char* Color(Verdict v);
// A coloured verdict chip.
std::string Badge(Verdict v);
// An anchor-safe id for a case ("case-" + id with other chars as '_').
std::string Anchor(std::string_view id);
// <!doctype …><head> with the shared style sheet, then <body>.
std::string PageStart(const std::string& title);

// One lane of a sequence diagram and the events between lanes.
struct SeqEvent {
  std::int64_t t_us = 0;
  int from = -1, to = -1;  // lane indexes; from == to == -1: a note across the diagram
  std::string label;       // one line (shortened for the arrow)
  std::string detail;      // full text for the message table (may span lines)
  std::string color;       // arrow colour
};
struct SeqDiagram {
  std::vector<std::string> lanes;
  std::vector<SeqEvent> events;
};
// SVG sequence diagram (numbered arrows) followed by a table of every
// message in full (numbers link the two). `id` prefixes the row anchors.
std::string RenderSequence(const SeqDiagram& d, const std::string& id);

// The conformance transcript of a case as a diagram: one lane per runner-side
// party (named from the harness's "NAME is udp#N" notes, else the socket tag),
// one for the implementation under test. HTTP messages show the request line
// or status and the decoded MCP lines of the body; the table holds them in full.
SeqDiagram WireDiagram(const CaseResult& c, bool client_run);

// One message (datagram, stream segment or HTTP message) for a diagram: a
// one-line label (HTTP: request line or status plus the decoded MCP lines of
// the body; else the MCP lines) and the full text for the message table.
void DescribeMessage(const std::string& bytes, bool http, std::string& label, std::string& detail);

}  // namespace mcpsim::reports::html

namespace mcpsim::reports {
// The diagram of a simulated run (see RenderScenarioRun), at most `max_events` arrows.
html::SeqDiagram ScenarioDiagram(const std::string& pcap, const std::string& trace_jsonl, std::size_t max_events);
}  // namespace mcpsim::reports
