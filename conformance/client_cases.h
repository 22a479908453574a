// The client-conformance catalog (`mcpsim conform --client`): each case
// tells the client under test what to do (operation lines on its stdin),
// sets how the servers answer (ClientPolicy), and checks what the client put
// on the wire. Summary cases launch nothing: they check the observations of
// every launched case together (e.g. first trids are random, TRID-4).
//
// Operation lines (one per line on the client's stdin; a third-party client
// needs a small wrapper that maps them to its own UI or API):
//   dispatch              query DP (GET /mcp?q=RQQW ...)
//   upload KIND DATA      send one analytics event to CS (RUP); DATA is the
//                         rest of the line
//   ad SLOT               query an ad from CS (RAD)
//   captcha               request a captcha from RS (RAP, then RBIN/ABIN)
//   login ACCOUNT PASSWORD   log in to SG (RAT, RSII, sync, RPS) and stay
//                         logged in, answering SG's requests, until logout
//   send CONTACT TEXT     send TEXT (the rest of the line) to CONTACT in a
//                         conversation (RSI unless one exists, then RSM)
//   sleep MS              do nothing for MS ms except answering SG
//   logout                log out (RLO)
// A client must dispatch first itself when it needs addresses (ARCH-2).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/catalog.h"
#include "conformance/client_servers.h"

namespace mcpsim::conformance {

// The UDP timers the client is configured with (TIMER-1..3; CONV-2 makes
// them configurable, the defaults are the spec's).
struct ClientTimers {
  TimeUs initial = 1000 * kMillis;
  TimeUs max = 8000 * kMillis;
  int resends = 5;
  // Wait after send k (0-based): min(initial * 2^k, max).
  TimeUs Wait(int k) const;
  // Time of send k after the first (sum of the waits before it).
  TimeUs SendAt(int k) const;
  // Give-up time: SendAt(resends) + Wait(resends).
  TimeUs GiveUp() const;
  // Allowed deviation of one observed wait: max(80 ms, 25%).
  TimeUs Tolerance(TimeUs wait) const;
};
// "INITIAL_MS,MAX_MS,RESENDS" (missing fields keep the defaults). CONF-1 on error.
Result<ClientTimers> ParseClientTimers(const std::string& text);

struct ClientRun {
  ClientObserved obs;
  std::int64_t observed_us = 0;  // how long the servers watched (since BeginCase)
  std::string client_output;     // the client's stdout (for the transcript)
  bool exited = false;           // the client exited by itself within the budget
};

struct ClientCaseDef {
  std::string id;
  std::string title;
  std::string group;
  std::vector<std::string> clauses;
  bool required = true;
  std::vector<std::string> ops;  // empty for summary cases
  ClientPolicy policy;
  // The longest the client may run for this case.
  std::function<TimeUs(const ClientTimers&)> budget;
  std::function<Outcome(const ClientRun&, const ClientTimers&)> check;
  // Summary cases: run after every launched case, over all of their runs.
  std::function<Outcome(const std::vector<const ClientRun*>&)> summary;
};

const std::vector<ClientCaseDef>& ClientCatalog();

// Appends the SG cases (client_sg_cases.cc) to `v`.
void AddSgClientCases(std::vector<ClientCaseDef>& v);
// WIRE-6 escaping: exactly %, SP, CR, LF as %XX with uppercase hex.
std::string WireEscape(std::string_view s);
// Budget of a case that ends by itself: 4 s plus two initial waits.
TimeUs ShortBudget(const ClientTimers& tm);

}  // namespace mcpsim::conformance
