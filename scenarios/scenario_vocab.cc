// The scenario vocabulary: step, fault and decision names, counter names,
// node-name resolution, and how an Expect judges an McEvent.
#include <algorithm>

#include "scenarios/scenario.h"

namespace mcpsim::scenarios {

using Outcome = reference::McEvent::Outcome;

const char* StepOpName(StepOp op) {
  static const char* names[] = {"dispatch", "accept_privacy", "captcha",    "register", "upload",  "ad",
                                "media",    "wait",           "await",      "crash",    "restart",
                                "login",    "logout",  "contact",
                                "presence", "profile",        "invite",     "add_member", "message", "leave",
                                "offline",  "file",           "voice",      "nudge"};
  return names[static_cast<int>(op)];
}

bool IsSgStep(StepOp op) { return op >= StepOp::kLogin; }

const char* FileDecisionName(FileDecision d) {
  static const char* names[] = {"accept", "reject", "cancel", "ignore"};
  return names[static_cast<int>(d)];
}

const char* FaultKindName(FaultKind k) {
  static const char* names[] = {"partition", "clog", "clog_node", "link_down", "link_change", "crash", "disk"};
  return names[static_cast<int>(k)];
}

const char* DiskFaultName(DiskFaultKind k) {
  static const char* names[] = {"io_error", "read_error", "write_error", "sync_error", "full", "power_cut", "slow_sync"};
  return names[static_cast<int>(k)];
}

bool DiskNode(const std::string& name) { return name == "sg" || name == "cs" || name == "ms"; }

const std::vector<std::string>& CounterNames() {
  static const std::vector<std::string> names = {
      "ops",          "pending",      "ok",           "status",         "refused",        "gave_up",
      "sent",         "resent",       "late_answers",   "dropped",        "duplicated",
      "corrupted",    "delivered",    "uploads_stored", "cs_executed",    "cs_replayed",
      "rs_accounts",  "latency_p50_us", "latency_p90_us", "latency_p99_us", "latency_max_us",
      // SG (0 without an SG)
      "sg_executed", "sg_replayed", "messages_received", "offline_received", "offline_stored",
      "presence_received", "files_received", "files_rejected", "files_cancelled", "files_failed",
      "voice_received", "nudges_received", "sessions_lost",
      // step ops excluded from their expect: their client's session had failed (G-70)
      "skipped_not_logged_in"};
  return names;
}

std::vector<std::string> ResolveNodes(const std::string& name, int clients) {
  if (name == "servers") return {"dp", "rs", "cs", "ms", "sg"};
  if (name == "clients") {
    std::vector<std::string> out;
    for (int i = 0; i < clients; ++i) out.push_back("mc-" + std::to_string(i));
    return out;
  }
  if (name == "dp" || name == "rs" || name == "cs" || name == "ms" || name == "sg") return {name};
  if (name.rfind("mc-", 0) == 0 && name.size() > 3 && name.size() < 8 &&
      std::all_of(name.begin() + 3, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (std::stoi(name.substr(3)) < clients) return {name};
  }
  return {};
}

// ---------------------------------------------------------------- Expect

std::string Expect::Describe() const {
  std::string s;
  auto add = [&](const std::string& x) { s += (s.empty() ? "" : "|") + x; };
  if (ok) add("ok");
  if (refused) add("refused");
  if (gave_up) add("gave_up");
  if (answered) add("answered");
  for (auto st : statuses) add("status " + std::to_string(st));
  if (s.empty()) s = "any";
  for (const auto& [i, v] : params) s += " param" + std::to_string(i) + "=" + v;
  if (params_count) s += " params_count=" + std::to_string(*params_count);
  if (!data_prefix.empty()) s += " data_prefix=" + data_prefix;
  return s;
}

std::string Expect::Mismatch(const reference::McEvent& e) const {
  static const char* outcome_names[] = {"ok", "status", "gave_up", "refused"};
  const bool any = !ok && !refused && !gave_up && !answered && statuses.empty();
  bool match = any || (ok && e.outcome == Outcome::kOk) || (refused && e.outcome == Outcome::kRefused) ||
               (gave_up && e.outcome == Outcome::kGaveUp) ||
               (answered && (e.outcome == Outcome::kOk || e.outcome == Outcome::kStatus));
  if (e.outcome == Outcome::kStatus &&
      std::find(statuses.begin(), statuses.end(), e.status) != statuses.end()) {
    match = true;
  }
  std::string got = outcome_names[static_cast<int>(e.outcome)];
  if (e.outcome == Outcome::kStatus) got += " " + std::to_string(e.status);
  if (!e.detail.empty()) got += " (" + e.detail + ")";
  if (!match) return "expected " + Describe() + ", got " + got;
  if (e.outcome != Outcome::kOk) return "";
  for (const auto& [i, v] : params) {
    if (i >= e.params.size()) return "expected param" + std::to_string(i) + "=" + v + ", answer has " +
                                     std::to_string(e.params.size()) + " params";
    if (e.params[i] != v) return "expected param" + std::to_string(i) + "=" + v + ", got " + e.params[i];
  }
  if (params_count && e.params.size() != *params_count) {
    return "expected " + std::to_string(*params_count) + " params, got " + std::to_string(e.params.size());
  }
  if (!data_prefix.empty() && e.data.compare(0, data_prefix.size(), data_prefix) != 0) {
    return "data does not start with '" + data_prefix + "'";
  }
  return "";
}

}  // namespace mcpsim::scenarios
