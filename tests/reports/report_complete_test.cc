// What issue 9 asks of the reports: report.json carries target, seed,
// per-case verdicts, expected vs actual, timestamped transcripts, durations,
// uncovered clauses, fault counters and artifacts, and validates against
// reports/report.schema.json; index.html is self-contained with a sequence
// diagram per case, the coverage matrix, latency and resend charts.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "reports/report.h"

namespace mcpsim::reports {
namespace {

Report Sample() {
  Report r;
  r.version = "0.1.0";
  r.target = "udp://127.0.0.1:1863";
  r.seed = 9;
  r.duration_us = 2000000;
  r.fault = "loss=0.1,dup=0.05";
  r.fault_counters = {{"forwarded", 40}, {"dropped", 4}, {"duplicated", 2}, {"reordered", 0}};
  r.artifacts = {"run.pcap"};
  for (int i = 0; i < 3; ++i) {
    CaseResult c;
    c.id = "case." + std::to_string(i);
    c.title = "case " + std::to_string(i);
    c.group = "UDP";
    c.clauses = {i == 2 ? "TIMER-5" : "WIRE-6"};
    c.verdict = i == 1 ? Verdict::kFailed : Verdict::kOk;
    c.expected = "AUP 1 0";
    c.actual = i == 1 ? "(nothing)" : "AUP 1 0";
    c.reason = i == 1 ? "no answer (TIMER-5)" : "";
    c.duration_us = 1000 * (i + 1);
    c.wire = {{0, "send", "udp", "RUP 1 x\r\n"}, {300000, "send", "udp", "RUP 1 x\r\n"}, {301500, "recv", "udp", "AUP 1 0\r\n"}};
    DeriveWireMetrics(c);
    r.cases.push_back(c);
  }
  r.clauses = {{"WIRE-6", "MUST", "a"}, {"TIMER-5", "MUST", "b"}, {"AMP-1", "MUST", "c"}, {"AMP-4", "MAY", "d"},
               {"DP-6", "SHOULD", "e"}};
  return r;
}

TEST(ReportCompleteness, WireMetricsAreDerivedFromTheTranscript) {
  const Report r = Sample();
  EXPECT_DOUBLE_EQ(r.cases[0].metrics.at("resends"), 1);
  EXPECT_DOUBLE_EQ(r.cases[0].metrics.at("latency_ms"), 301.5);
  CaseResult none;
  DeriveWireMetrics(none);
  EXPECT_TRUE(none.metrics.empty());
}

TEST(ReportCompleteness, JsonCarriesEverythingAndRoundTrips) {
  const Report r = Sample();
  const auto j = nlohmann::json::parse(ToJson(r));
  for (const char* k : {"target", "seed", "duration_us", "cases", "clauses", "uncovered_clauses", "fault", "artifacts"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["uncovered_clauses"], nlohmann::json({"AMP-1", "DP-6"}));
  EXPECT_EQ(j["fault"]["counters"]["dropped"], 4);
  const auto& c = j["cases"][1];
  for (const char* k : {"verdict", "expected", "actual", "reason", "duration_us", "wire", "metrics"}) {
    EXPECT_TRUE(c.contains(k)) << k;
  }
  EXPECT_EQ(c["wire"][2]["t_us"], 301500);
  auto back = FromJson(ToJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(ToJson(*back), ToJson(r));
  EXPECT_EQ(back->fault_counters, r.fault_counters);
}

TEST(ReportCompleteness, HtmlIsSelfContainedWithDiagramsMatrixAndCharts) {
  const std::string h = RenderHtml(Sample());
  for (const char* s : {"Clause coverage", "Uncovered MUST/SHOULD clauses (2)", "AMP-1", "DP-6", "Latency", "Resends",
                        "Fault proxy", "loss=0.1,dup=0.05", "run.pcap", "wire transcript"}) {
    EXPECT_NE(h.find(s), std::string::npos) << s;
  }
  // One sequence diagram per case, plus the three charts.
  std::size_t svgs = 0;
  for (std::size_t p = h.find("<svg"); p != std::string::npos; p = h.find("<svg", p + 1)) ++svgs;
  EXPECT_EQ(svgs, 3u + 3u);
  for (const char* ext : {"<script src", "<link", "<img", "url(http", "@import"}) {
    EXPECT_EQ(h.find(ext), std::string::npos) << ext;
  }
  const std::string md = RenderMarkdown(Sample());
  EXPECT_NE(md.find("Uncovered MUST/SHOULD clauses (2)"), std::string::npos);
  EXPECT_NE(md.find("AMP-1, DP-6"), std::string::npos);
  EXPECT_NE(md.find("dropped: 4"), std::string::npos);
}

RC_GTEST_PROP(ReportCompleteness, DeriveNeverCrashes, (const std::vector<std::string>& sends)) {
  CaseResult c;
  std::int64_t t = 0;
  for (const std::string& s : sends) c.wire.push_back({t += 10, s.size() % 2 ? "send" : "recv", "udp", s});
  DeriveWireMetrics(c);
  if (c.metrics.count("resends")) RC_ASSERT(c.metrics.at("resends") >= 0);
}

}  // namespace
}  // namespace mcpsim::reports
