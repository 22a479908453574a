// report.json validates against reports/report.schema.json (python3
// jsonschema; skipped when it is absent), and the schema rejects a bad verdict.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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

TEST(ReportSchema, JsonValidatesAgainstTheSchema) {
  const std::string schema = std::string(MCPSIM_SOURCE_DIR) + "/reports/report.schema.json";
  std::ifstream s(schema);
  ASSERT_TRUE(s.good()) << schema;
  ASSERT_FALSE(nlohmann::json::parse(s, nullptr, false).is_discarded()) << "schema is not JSON";
  if (std::system("python3 -c 'import jsonschema' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 jsonschema absent";
  // One python process checks three documents: two valid, one with a bad verdict.
  const std::string dir = [] {
    char t[] = "/tmp/mcpsim-schema-XXXXXX";
    return std::string(mkdtemp(t));
  }();
  auto bad = nlohmann::json::parse(ToJson(Sample()));
  bad["cases"][0]["verdict"] = "MAYBE";
  std::ofstream(dir + "/good1.json") << ToJson(Sample());
  std::ofstream(dir + "/good2.json") << ToJson(Report{});
  std::ofstream(dir + "/bad.json") << bad.dump();
  const std::string py =
      "import json,sys,jsonschema\n"
      "s=json.load(open(sys.argv[1]))\n"
      "ok=lambda f: jsonschema.Draft202012Validator(s).is_valid(json.load(open(f)))\n"
      "sys.exit(0 if ok(sys.argv[2]) and ok(sys.argv[3]) and not ok(sys.argv[4]) else 1)\n";
  std::ofstream(dir + "/check.py") << py;
  const std::string cmd = "python3 " + dir + "/check.py " + schema + " " + dir + "/good1.json " + dir + "/good2.json " +
                          dir + "/bad.json >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "report.json does not validate (or the schema accepts a bad verdict)";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mcpsim::reports
