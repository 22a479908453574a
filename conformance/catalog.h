// The conformance catalog: one CaseDef per check, named after the
// reference/PROTOCOL.md clauses it verifies. Cases only use behaviour
// observable on the wire (answers, their bytes and sizes, silence).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conformance/harness.h"
#include "reports/report.h"

namespace mcpsim::conformance {

// What one run function found. `verdict` is kOk, kFailed, kInformational or
// kUnimplemented; the runner turns kFailed of a non-required case into
// kNonStrict.
struct Outcome {
  reports::Verdict verdict = reports::Verdict::kOk;
  std::string expected;
  std::string actual;
  std::string reason;
};

struct CaseDef {
  std::string id;       // "<area>.<topic>.<check>", e.g. "cs.rup.ok"
  std::string title;
  std::string group;    // "WIRE", "UDP", "AMP", "CS", "DP", "RS", "MS", "HTTP"
  std::vector<std::string> clauses;
  bool required = true;  // MUST (FAILED) vs SHOULD (NON-STRICT)
  std::string transport; // "udp", "tcp" or "http", or several joined by '+': the addresses the case needs
  std::function<Outcome(Ctx&)> run;
};

// Every case, in execution order (ids unique).
const std::vector<CaseDef>& Catalog();

// Parts of the catalog (one per file).
void AddCsCases(std::vector<CaseDef>& out);
void AddHttpCases(std::vector<CaseDef>& out);
void AddSgCases(std::vector<CaseDef>& out);      // catalog_sg*.cc (SG over UDP; needs udp+http)
void AddSgTcpCases(std::vector<CaseDef>& out);   // catalog_sg_tcp.cc (TCP binding)
void AddSgAccountCases(std::vector<CaseDef>& out);  // catalog_sg_account.cc (contacts, profile, second login, presence, refused sync)
void AddSgChatCases(std::vector<CaseDef>& out);     // catalog_sg_chat.cc (multi-party, chat errors, invitations, files, voice limit)
void AddEncCases(std::vector<CaseDef>& out);     // catalog_enc.cc (encrypted UDP; needs udps + key table)
void AddAbuseCases(std::vector<CaseDef>& out);   // catalog_abuse.cc (rate limits, back-off, HTTP listener defences)
void AddFormCases(std::vector<CaseDef>& out);    // catalog_form.cc (WIRE-14 canonical answers, STATUS-1, ARCH-4 URIs)
void AddGapCases(std::vector<CaseDef>& out);     // catalog_gaps.cc (issue 14: missed deviations, SG/HTTP, RS/TCP)
void AddCoverCases(std::vector<CaseDef>& out);   // catalog_cover.cc (issue 14: REG order, RPS limits, RRM order, RRR reject)
void AddClauseCases(std::vector<CaseDef>& out);  // catalog_clauses.cc (issue 14: payload framing, ARCH-6, UDP-3, server resends, RS-2)
void AddWindowCases(std::vector<CaseDef>& out);  // catalog_windows.cc (issue 14: LIM-20/PAY-8 windows, refusals, AMP-6)
void AddOrderCases(std::vector<CaseDef>& out);   // catalog_order.cc (issue 14: fan-out order, sync snapshot, RPS effects)

// Helpers shared by the catalog files.
Outcome Ok(std::string expected, std::string actual);
Outcome Failed(std::string expected, std::string actual, std::string reason);

// An expected answer: word, trid, status and (optionally) its param count.
struct Want {
  std::string word;
  std::uint32_t trid = 0;
  std::uint32_t status = 0;
  std::optional<std::size_t> nparams;
  std::string Show() const;
};
// Compares decoded answers with `want` in order; nullopt when they match,
// else the reason.
std::optional<std::string> Match(const std::vector<wire::Command>& got, const std::vector<Want>& want);
std::string ShowAll(const std::vector<wire::Command>& got);

// Every case sends from the runner's address, so they share one RATE-8
// bucket at CS (default 50/s, depth 200). A case about to send `n` RUP/RADs
// at once calls AwaitCsTokens(c, n) — it waits until the shared model of that
// bucket holds n plus a margin of 20 for the few RUPs other cases send — and
// ChargeCsTokens(c, n) after. So later cases never meet an emptied bucket
// and nobody pauses longer than the refill needs.
// The end of the idempotency-by-effect cases (TIMER-5 by RATE-8): `ok` new
// RUPs for a fresh MID answered AUP 0 and `refused` 403 within `elapsed_us`.
// A 403 proves the first RUP was executed and its resends were not: OK; none
// although more arrived than the MID's default limit (20/s, depth 100) allows:
// FAILED; none and fewer: INFORMATIONAL (the target was slower than the limit).
Outcome JudgeMidLimitReached(const std::string& expected, const std::string& actual, std::size_t ok,
                             std::size_t refused, std::int64_t elapsed_us);
void AwaitCsTokens(Ctx& c, int n);
void ChargeCsTokens(Ctx& c, int n);

// The target's catalogue (catalog_target.cc): ad slots to query (--ad-slot,
// else {"top"}); a media id it serves (--media-id, else learnt from the
// imageUrl of an AAD over UDP; nullopt when none is known); the verdict of a
// case that needs a media id and has none (INFORMATIONAL, not judged).
std::vector<std::string> AdSlots(const Ctx& c);
std::optional<std::string> FindMediaId(Ctx& c);
std::optional<std::string> MediaIdFromUrl(std::string_view url);
Outcome NoMediaId();
// The server roles a case judges (and needs): e.g. {"cs"} for the UDP wire
// cases, {"sg", "rs"} for SG cases (accounts are registered at RS).
std::vector<std::string> CaseRoles(const CaseDef& d);
// Why `clause` cannot be judged against a server from the wire (client-side,
// storage, timing beyond a run, ...); "" when it can (not_judged.cc).
std::string NotJudgedReason(const std::string& clause);

}  // namespace mcpsim::conformance
