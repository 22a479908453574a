#include "scenarios/target_report.h"

#include <algorithm>
#include <regex>

#include "scenarios/checkers.h"

namespace mcpsim::scenarios {
namespace {

// The main clauses a step kind exercises (its request and answer rules).
std::vector<std::string> StepClauses(StepOp op) {
  switch (op) {
    case StepOp::kDispatch: return {"DP-1", "ARCH-2"};
    case StepOp::kAcceptPrivacy: return {"PRIV-1"};
    case StepOp::kCaptcha: return {"RS-1", "RS-2", "RS-4", "PAY-9"};
    case StepOp::kRegister: return {"RS-1", "RS-4", "RS-7", "RS-9", "RS-11"};
    case StepOp::kUpload: return {"CS-1", "TIMER-2", "TIMER-5"};
    case StepOp::kAd: return {"CS-4", "AMP-2"};
    case StepOp::kMedia: return {"MS-1"};
    case StepOp::kWait:
    case StepOp::kAwait:
    case StepOp::kCrash:
    case StepOp::kRestart: return {};
    case StepOp::kLogin: return {"SG-LOGIN-2", "SG-LOGIN-4", "SG-LOGIN-5", "SG-SYNC-5", "SG-PROF-2"};
    case StepOp::kLogout: return {"SG-LOGIN-11"};
    case StepOp::kContact: return {"SG-CONT-1", "SG-CONT-2", "SG-SYNC-9"};
    case StepOp::kPresence: return {"SG-PRES-1", "SG-PRES-4"};
    case StepOp::kProfile: return {"SG-PROF-1", "SG-PROF-3"};
    case StepOp::kInvite: return {"SG-CHAT-1", "SG-CHAT-2"};
    case StepOp::kAddMember: return {"SG-CHAT-3", "SG-CHAT-4"};
    case StepOp::kMessage: return {"SG-CHAT-7", "SG-CHAT-10", "TIMER-8"};
    case StepOp::kLeave: return {"SG-CHAT-11"};
    case StepOp::kOffline: return {"SG-OFF-1", "SG-OFF-3", "SG-OFF-6"};
    case StepOp::kFile: return {"SG-FILE-1", "SG-FILE-6", "SG-FILE-9"};
    case StepOp::kVoice: return {"SG-VOICE-1", "SG-VOICE-2"};
    case StepOp::kNudge: return {"SG-NUDGE-1", "SG-NUDGE-3"};
  }
  return {};
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::vector<std::string> ScenarioClauses(const Scenario& s) {
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  for (const Step& st : s.steps) {
    for (const std::string& c : StepClauses(st.op)) add(c);
  }
  // Clause ids the checkers' one-line docs cite ("SG-OFF", "TIMER-1..3" -> TIMER-1).
  static const std::regex id(R"(\b([A-Z]+(?:-[A-Z]+)?-[0-9]+)\b)");
  for (const std::string& name : s.checkers) {
    const CheckerDef* d = FindChecker(name);
    if (!d) continue;
    for (auto it = std::sregex_iterator(d->doc.begin(), d->doc.end(), id); it != std::sregex_iterator(); ++it) {
      add((*it)[1].str());
    }
  }
  return out;
}

reports::CaseResult ScenarioCase(const Scenario& s, const RunResult& r, const std::string& id_suffix) {
  reports::CaseResult c;
  c.id = "scenario." + s.name + id_suffix;
  c.title = s.purpose;
  c.group = "SCENARIO";
  c.clauses = ScenarioClauses(s);
  c.duration_us = r.end_time;
  c.wire = r.wire;
  std::vector<std::string> applicable, not_applicable;
  for (const CheckResult& k : r.checks) (k.applicable ? applicable : not_applicable).push_back(k.checker);
  c.expected = "every checker passes: " + Join(applicable);
  const CheckResult* fail = r.first_failure();
  if (!r.unimplemented.empty()) {
    c.verdict = reports::Verdict::kUnimplemented;
    c.reason = r.unimplemented;
    c.actual = "not run";
  } else if (fail) {
    c.verdict = reports::Verdict::kFailed;
    std::vector<std::string> failed;
    for (const CheckResult& k : r.checks) {
      if (k.pass) continue;
      failed.push_back(k.checker);
      c.reason += (c.reason.empty() ? "" : "; ") + k.checker + ": " + k.reason;
    }
    c.actual = Join(failed) + " failed";
  } else if (applicable.empty()) {
    c.verdict = reports::Verdict::kUnimplemented;
    c.reason = "no checker of this scenario can judge this target";
    c.actual = "nothing judged";
  } else {
    c.verdict = reports::Verdict::kOk;
    c.actual = "all passed";
  }
  if (!not_applicable.empty()) c.actual += "; not applicable here: " + Join(not_applicable);
  for (const std::string& n : r.not_applicable) c.wire.push_back({0, "note", "note", "skipped: " + n});
  for (const CheckResult& k : r.checks) {
    if (!k.applicable) c.wire.push_back({0, "note", "note", k.checker + " n/a: " + k.reason});
  }
  std::stable_sort(c.wire.begin(), c.wire.end(), [](const auto& a, const auto& b) { return a.t_us < b.t_us; });
  for (const auto& [k, v] : r.counters) c.metrics[k] = static_cast<double>(v);
  reports::DeriveWireMetrics(c);
  return c;
}

}  // namespace mcpsim::scenarios
