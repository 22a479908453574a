#include "scenarios/checkers.h"

#include <algorithm>
#include <set>

#include "scenarios/scenario.h"
#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {

using reference::McOp;
using Outcome = reference::McEvent::Outcome;
using yaml::FormatDuration;

TimeUs OpBudget(McOp op, const sim::StreamOptions& streams) {
  const reference::RetryPolicy retry;  // every RefWorld client uses the default policy
  if (op == McOp::kUpload || op == McOp::kAd) return retry.GiveUpAfter();
  if (op == McOp::kLogin) return 10 * 60 * kSeconds;
  if (op == McOp::kSendVoice || op == McOp::kOfferFile) return 5 * 60 * kSeconds;
  if (op >= McOp::kLogout) return retry.GiveUpAfter() + kSeconds;
  // HTTP: the backoff schedule plus, per attempt, a blocked connect and up to
  // two stalled segments before the stream is reset.
  const TimeUs per_attempt = streams.connect_timeout + 2 * streams.stall_reset_after + kSeconds;
  TimeUs b = retry.GiveUpAfter() + static_cast<TimeUs>(retry.max_resends + 1) * per_attempt;
  if (op == McOp::kCaptcha) b *= 2;  // RAP plus the RBIN chunk exchanges
  return b;
}

std::string DescribeOp(const RunView& v, const OpRecord& r) {
  std::string s = std::string(reference::McOpName(r.op)) + " by mc-" + std::to_string(r.client);
  if (r.step >= 0) {
    const Step& st = v.scenario.steps[static_cast<std::size_t>(r.step)];
    s += " (step " + std::to_string(r.step + 1);
    if (st.pos.line > 0) s += ", line " + std::to_string(st.pos.line);
    s += ")";
  } else {
    s += " (workload)";
  }
  return s + " issued at " + FormatDuration(r.issued);
}

namespace {

std::string Describe(const RunView& v, const OpRecord& r) { return DescribeOp(v, r); }

}  // namespace

// G-70. A session op (an SG op that needs a session: everything after login)
// of client c ran without a session when c's last login before it either
// failed, or opened a session that was lost before the op ended (the MC
// reported session-lost: SG closed it without ROUT and a 200/202 revealed it,
// SG-LOGIN-14, or its RPOL gave up, TIMER-3). Such an op is "skipped: not
// logged in" — excluded from its step's expect — only when that login step's
// own expect allows the session to fail (it accepts gave_up): the scenario
// then says the network may cost a session (TIMER-3, TIMER-9), and the
// failure is judged once, by the login step. A login step that expects a
// reliable session (`ok`) keeps every later step judged as written, so a
// spuriously closed session still fails those steps.
std::string NotLoggedIn(const RunView& v, const OpRecord& r) {
  if (r.op <= McOp::kLogin || r.op >= McOp::kContactsChanged) return "";
  const OpRecord* login = nullptr;
  for (const OpRecord& l : v.ops) {
    if (l.client == r.client && l.op == McOp::kLogin && l.issued <= r.issued && &l != &r) login = &l;
  }
  if (!login || login->step < 0 || !login->event) return "";
  const Step& ls = v.scenario.steps[static_cast<std::size_t>(login->step)];
  reference::McEvent gave_up;
  gave_up.op = McOp::kLogin;
  gave_up.outcome = Outcome::kGaveUp;
  if (!ls.expect || !ls.expect->Mismatch(gave_up).empty()) return "";
  const std::string by = "login by mc-" + std::to_string(login->client) + " (step " + std::to_string(login->step + 1) + ")";
  if (login->event->outcome != Outcome::kOk) {
    if (login->event->at > (r.event ? r.event->at : v.end)) return "";  // it ended after this op
    return "not logged in: " + by + " failed";
  }
  const TimeUs until = r.event ? r.event->at : v.end;
  for (const Notice& n : v.notices) {
    if (n.client != r.client || n.event.op != McOp::kSessionLost) continue;
    if (n.event.at < login->event->at || n.event.at > until) continue;
    return "not logged in: the session of " + by + " was lost at " + FormatDuration(n.event.at) + " (" +
           n.event.detail + ")";
  }
  return "";
}

namespace {

std::string Expectations(const RunView& v) {
  // Swarm replaced the network the expectations were written for; fault
  // points may legally change answers (a 501, a 403).
  if (v.swarm || v.fault_points) return "";
  for (const OpRecord& r : v.ops) {
    if (r.step < 0) continue;
    const Step& st = v.scenario.steps[static_cast<std::size_t>(r.step)];
    if (!st.expect) continue;
    if (!r.event) return Describe(v, r) + " never ended (expected " + st.expect->Describe() + ")";
    Expect want = *st.expect;
    if (v.renamed) {
      for (auto& [i, value] : want.params) {
        if (auto it = v.renamed->find(value); it != v.renamed->end()) value = it->second;
      }
    }
    if (std::string why = want.Mismatch(*r.event); !why.empty()) {
      if (!NotLoggedIn(v, r).empty()) continue;  // skipped: judged by its login step (G-70)
      return Describe(v, r) + ": " + why;
    }
  }
  for (std::size_t i = 0; i < v.scenario.steps.size(); ++i) {
    const Step& st = v.scenario.steps[i];
    if (!st.min_ok) continue;
    int ok = 0;
    for (const OpRecord& r : v.ops) {
      ok += r.step == static_cast<int>(i) && r.event && r.event->outcome == Outcome::kOk;
    }
    if (ok < *st.min_ok) {
      return "step " + std::to_string(i + 1) + " (line " + std::to_string(st.pos.line) + "): " +
             std::to_string(ok) + " ops ok, expected at least " + std::to_string(*st.min_ok);
    }
  }
  std::string unobservable;
  for (const CounterBound& b : v.scenario.expect_counters) {
    if (!v.counters.count(b.counter)) {
      unobservable += (unobservable.empty() ? "" : ", ") + b.counter;
      continue;
    }
    const std::int64_t x = v.counters.at(b.counter);
    if ((b.min && x < *b.min) || (b.max && x > *b.max)) {
      std::string range = b.min && b.max && *b.min == *b.max ? "== " + std::to_string(*b.min)
                          : std::string(b.min ? ">= " + std::to_string(*b.min) : "") +
                                (b.min && b.max ? " and " : "") + (b.max ? "<= " + std::to_string(*b.max) : "");
      return "counter " + b.counter + " = " + std::to_string(x) + ", expected " + range;
    }
  }
  if (!v.step_notes.empty()) return v.step_notes.front();
  if (!unobservable.empty()) {
    return NotApplicable("expect_counters bounds " + unobservable + " are not observable on an external target");
  }
  return "";
}

// CS-1 / TIMER-5: every acknowledged upload is stored exactly once; nothing
// is stored twice; nothing is stored that no client sent.
std::string ExactlyOnceUploads(const RunView& v) {
  if (v.external) return NotApplicable("CS's store of an external target is not observable on the wire");
  std::map<std::string, int> stored;
  std::size_t total = 0;
  std::set<std::string> mids;
  for (int c = 0; c < v.world.clients(); ++c) mids.insert(v.world.mc(c).mid());
  for (const std::string& mid : mids) {
    if (mid.empty()) continue;
    auto list = v.world.cs_store().ListUploads(mid);
    if (!list.ok()) return "cannot list uploads: " + list.status().ToString();
    for (const auto& u : *list) ++stored[u.data], ++total;
  }
  auto count = v.world.cs_store().CountUploads();
  if (count.ok() && *count != total) {
    return std::to_string(*count) + " uploads stored, " + std::to_string(total) + " of them under the clients' MIDs";
  }
  std::set<std::string> sent;
  for (const OpRecord& r : v.ops) {
    if (r.op != McOp::kUpload) continue;
    sent.insert(r.upload_data);
    const int n = stored.count(r.upload_data) ? stored[r.upload_data] : 0;
    const bool acked = r.event && r.event->outcome == Outcome::kOk;
    if (n > 1) return Describe(v, r) + " stored " + std::to_string(n) + " times (data '" + r.upload_data + "')";
    if (acked && n == 0) return Describe(v, r) + " acknowledged but not stored";
  }
  for (const auto& [data, n] : stored) {
    if (!sent.count(data)) return "stored upload '" + data + "' matches no upload any client sent";
  }
  return "";
}

// TIMER-5: a resent or duplicated request is answered from the cache, never
// executed again. CS executes at most one request per distinct request the
// clients sent; RS creates at most one account per REG the clients issued.
std::string NoDoubleExecution(const RunView& v) {
  if (v.external) return NotApplicable("the execution counters of an external target are not observable on the wire");
  // Per CS incarnation: a crash loses the answer cache (TIMER-5 is memory),
  // so a resend reaching the restarted CS may execute again; within one
  // incarnation it must not. Client incarnations' requests all count.
  std::uint64_t distinct = v.world.past_mc_cs_requests();
  for (int c = 0; c < v.world.clients(); ++c) {
    if (const auto* s = v.world.mc(c).cs_stats()) distinct += s->requests;
  }
  std::vector<std::uint64_t> runs = v.world.past_cs_executed();
  runs.push_back(v.world.cs().server_stats().requests_executed);
  for (std::uint64_t executed : runs) {
    if (executed > distinct) {
      return "CS executed " + std::to_string(executed) + " requests, but the clients sent only " +
             std::to_string(distinct) + " distinct ones (resends executed again)";
    }
  }
  // A REG counts unless the phone refused it locally (never sent); one lost
  // in its client's crash may have been executed before the crash (sweep
  // register-three-clients --swarm seed 104: RS created the account, the
  // phone crashed before the answer arrived).
  std::uint64_t regs = 0;
  for (const OpRecord& r : v.ops) {
    regs += r.op == McOp::kRegister && (r.lost_in_crash || !(r.event && r.event->outcome == Outcome::kRefused));
  }
  const auto accounts = v.world.rs().stats().accounts_created + v.world.past_rs_accounts();
  if (accounts > regs) {
    return "RS created " + std::to_string(accounts) + " accounts for " + std::to_string(regs) + " registrations";
  }
  return "";
}

// TIMER-1..3: every op ends (answered, status, refused or gave up) within its
// budget; a UDP request gives up no earlier than the TIMER-3 schedule says.
std::string AnsweredOrGaveUp(const RunView& v) {
  const sim::StreamOptions& streams = v.world.world().options().streams;
  const TimeUs udp_give_up = reference::RetryPolicy{}.GiveUpAfter();
  for (const OpRecord& r : v.ops) {
    const TimeUs budget = OpBudget(r.op, streams);
    if (!r.event) {
      if (v.end - r.issued >= budget) {
        return Describe(v, r) + " still open after " + FormatDuration(v.end - r.issued) + " (budget " +
               FormatDuration(budget) + ")";
      }
      continue;  // the run ended before its budget ran out: nothing to judge
    }
    const TimeUs took = r.event->at - r.issued;
    if (took > budget) {
      return Describe(v, r) + " ended after " + FormatDuration(took) + ", over its budget of " + FormatDuration(budget);
    }
    const bool udp = r.op == McOp::kUpload || r.op == McOp::kAd;
    if (udp && r.event->outcome == Outcome::kGaveUp && took < udp_give_up) {
      return Describe(v, r) + " gave up after " + FormatDuration(took) + ", before the TIMER-3 budget of " +
             FormatDuration(udp_give_up);
    }
  }
  return "";
}

std::string Determinism(const RunView& v) {
  if (v.external && !v.sim_target) return NotApplicable("a run against a real server is not deterministic");
  if (!v.rerun_hash) return "the first run failed, so there is nothing to compare";
  if (*v.rerun_hash != v.trace_hash) {
    return "two runs with the same seed gave trace hashes " + *v.rerun_hash + " and " + v.trace_hash;
  }
  return "";
}

}  // namespace

std::string NotApplicable(const std::string& why) { return "\x1e" + why; }
bool IsNotApplicable(const std::string& reason) { return !reason.empty() && reason[0] == '\x1e'; }

const std::vector<CheckerDef>& AllCheckers() {
  static const std::vector<CheckerDef> defs = {
      {"expectations",
       "every step's `expect`/`min_ok` holds for each of its ops, and every `expect_counters` bound holds "
       "(skipped under --swarm and with fault points on)",
       false, false, Expectations},
      {"exactly_once_uploads",
       "CS-1: each acknowledged upload is stored exactly once, no upload is stored twice, nothing "
       "unsent is stored",
       false, false, ExactlyOnceUploads},
      {"no_double_execution",
       "TIMER-5: CS executes at most one request per distinct client request; RS creates at most one "
       "account per REG",
       false, false, NoDoubleExecution},
      {"answered_or_gave_up",
       "TIMER-1..3: every op ends within its budget (UDP: 31 s), and no UDP request gives up before 31 s",
       false, false, AnsweredOrGaveUp},
      {"determinism", "the same seed run twice gives the same trace hash (doubles the run time)", false, true,
       Determinism},
      {"exactly_once_messages",
       "every ASM-acked message reaches every client in the call when it was sent exactly once (unless that "
       "client's session or membership ended meanwhile); no message is shown twice or without a sender",
       true, false, ExactlyOnceMessages},
      {"offline_delivered",
       "SG-OFF: every AOM-acked offline message is shown to its recipient exactly once if it is online at the "
       "end, else it is still stored; none is shown twice",
       true, false, OfflineDelivered},
      {"contacts_converge",
       "SG-SYNC: at the end every active client's contact list and version (session and cache) equal the "
       "server's list",
       true, false, ContactsConverge},
      {"files_intact",
       "SG-FILE: every file a client receives is byte-identical to the offered one and received once",
       true, false, FilesIntact},
      {"login_after_heal",
       "after the last fault heals, every login issued succeeds within 60 s (skipped under --swarm and with fault points on)", true,
       false, LoginAfterHeal},
  };
  return defs;
}

const CheckerDef* FindChecker(const std::string& name) {
  for (const CheckerDef& d : AllCheckers()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

std::vector<std::string> DefaultCheckers() {
  return {"expectations", "exactly_once_uploads", "no_double_execution", "answered_or_gave_up"};
}

std::vector<std::string> DefaultSgCheckers() {
  return {"exactly_once_messages", "offline_delivered", "contacts_converge", "files_intact"};
}

}  // namespace mcpsim::scenarios
