// Coverage cases (issue 14, the last uncovered server clauses), each with a
// mutant in mutants_windows.cc: the order in which SG creates the requests of
// one event (SG-SESS-5, SG-PROF-6) and the record set of a sync fixed when
// its RCS is created (SG-SYNC-4).
//
// Creation order is read from trids: SG assigns a server request's trid when
// it creates (queues) it (SG-SESS-7), so within one session a lower trid was
// created first, however the datagrams were delayed, lost or reordered on
// the way. Creation order across sessions only shows as send timing, which
// no run can judge fairly; the cases use one receiving session each.
#include <algorithm>
#include <string>

#include "conformance/catalog_sg.h"

namespace mcpsim::conformance {
namespace {

using sg::Expect;
using sg::SgClient;

// The record of `account` in a completed sync, or nullptr.
const std::vector<std::string>* RecordOf(const std::optional<sg::Sync>& s, const std::string& account) {
  if (!s) return nullptr;
  for (const auto& r : s->records) {
    if (r.size() == 7 && r[1] == account) return &r;
  }
  return nullptr;
}

// The stored profile version of `c`'s user: a stale RPS changes nothing and
// returns it (SG-PROF-1).
std::optional<std::string> ProfileVersion(SgClient& c, std::optional<Outcome>& bad) {
  const wire::Command* aps = c.Await(c.Request("RPS", {"0", "Conf", "", ""}));
  bad = Expect(aps, "APS", 0, 4, "SG-PROF-1");
  if (bad) return std::nullopt;
  return aps->params[0];
}

// SG-SESS-5 (one session): on entering ACTIVE the user gets one RNP per
// visible contact (SG-PRES-3), created in ascending account order — so their
// trids ascend with the account names. The contacts are added in descending
// order, so a server that follows the list's insertion order fails.
Outcome FanoutOrder(Ctx& ctx) {
  std::vector<sg::User> contacts(3);
  const char* tags[] = {"f1", "f2", "f3"};
  for (std::size_t i = 0; i < contacts.size(); ++i) {
    if (auto bad = sg::NewUser(ctx, tags[i], contacts[i])) return *bad;
  }
  sg::Registered rx = sg::Register(ctx, "fx");
  if (rx.failure) return *rx.failure;
  std::vector<std::string> names;
  for (const sg::User& u : contacts) names.push_back(u.account);
  std::sort(names.begin(), names.end());
  {
    SgClient x(ctx, "udp", "x");
    if (auto bad = sg::Login(x, rx.account)) return *bad;
    for (auto it = names.rbegin(); it != names.rend(); ++it) {
      if (auto added = sg::AddContact(ctx, x, *it); added.failure) return *added.failure;
    }
  }
  SgClient x2(ctx, "udp", "x2");  // a second login: the presence exchange again (SG-PRES-3)
  if (auto bad = sg::Login(x2, rx.account)) return *bad;
  auto online = [&] {
    std::vector<wire::Command> out;
    for (const wire::Command& k : x2.Got("RNP")) {
      if (k.params.size() == 3 && k.params[1] == "online" &&
          std::find(names.begin(), names.end(), k.params[0]) != names.end()) {
        out.push_back(k);
      }
    }
    return out;
  };
  if (!x2.Pump(ctx.io_timeout_ms(), [&] { return online().size() >= names.size(); })) {
    return Failed("RNP online for each of 3 contacts", ShowAll(x2.Got("RNP")), "SG-PRES-3");
  }
  std::vector<wire::Command> got = online();
  std::sort(got.begin(), got.end(), [](const wire::Command& a, const wire::Command& b) { return a.trid < b.trid; });
  std::vector<std::string> order;
  for (const wire::Command& k : got) order.push_back(k.params[0]);
  if (order != names) {
    return Failed("RNP trids ascending with the account names (" + names[0] + " < " + names[1] + " < " + names[2] + ")",
                  ShowAll(got), "SG-SESS-5: requests of one event are created in ascending account order");
  }
  return Ok("3 RNPs created in ascending account order", ShowAll(got));
}

// SG-SYNC-4: the watcher's initial sync (its RCS held unanswered) keeps the
// records of its RCS: a profile change made meanwhile is not in its pages but
// in the next sync, as an M record.
Outcome SyncSnapshot(Ctx& ctx) {
  sg::User u, w;
  if (auto bad = sg::NewUser(ctx, "nu", u)) return *bad;
  if (auto bad = sg::NewUser(ctx, "nw", w)) return *bad;
  if (auto added = sg::AddContact(ctx, *w.c, u.account); added.failure) return *added.failure;
  std::optional<Outcome> bad;
  const auto version = ProfileVersion(*u.c, bad);
  if (!version) return *bad;
  SgClient w2(ctx, "udp", "w2");
  w2.hold.insert("RCS");
  if (auto b = sg::Login(w2, w.account)) return *b;  // returns after ASII: the case drives the sync
  if (!w2.Pump(ctx.io_timeout_ms(), [&] { return !w2.Got("RCS").empty(); })) {
    return Failed("RCS to w2", ShowAll(w2.log), "SG-LOGIN-4");
  }
  const wire::Command rcs = w2.Got("RCS")[0];
  if (rcs.params.size() != 3) return Failed("RCS v mode count", Show(rcs), "SG-SYNC-1");
  const std::uint32_t v = static_cast<std::uint32_t>(std::strtoul(rcs.params[0].c_str(), nullptr, 10));
  const std::string renamed = "Renamed" + std::to_string(ctx.Fresh() % 100000);
  const wire::Command* aps = u.c->Await(u.c->Request("RPS", {*version, renamed, "", ""}));
  if (auto b = Expect(aps, "APS", 0, 4, "SG-PROF-1")) return *b;
  if (aps->params[1] != renamed) return Failed("APS with " + renamed, Show(*aps), "SG-PROF-1");
  w2.hold.erase("RCS");
  w2.Answer(rcs, 0);
  const auto first = sg::AwaitSync(ctx, w2, v);
  const auto* r1 = RecordOf(first, u.account);
  if (!first || Show(first->rcs) != Show(rcs)) return Failed("sync " + rcs.params[0] + " completed", sg::ShowSync(first), "SG-SYNC-7");
  if (!r1 || (*r1)[2] != "Conf") {
    return Failed("the record of " + u.account + " with nickname Conf (as when the RCS was created)", sg::ShowSync(first),
                  "SG-SYNC-4: the record set is computed when the RCS is created; later changes belong to a later sync");
  }
  const auto next = sg::AwaitSync(ctx, w2, v + 1);
  const auto* r2 = RecordOf(next, u.account);
  if (!r2 || (*r2)[0] != "M" || (*r2)[2] != renamed) {
    return Failed("a later sync with M " + u.account + " " + renamed, sg::ShowSync(next), "SG-SYNC-4, SG-PROF-3");
  }
  return Ok("sync " + rcs.params[0] + " with the old nickname, then M " + renamed, sg::ShowSync(next));
}

// SG-PROF-6: the first RPS of a session that changes the profile gives each
// user listing the account the delta RCS before the RNP announcing the user:
// the watcher's RCS has the lower trid (both are created by that RPS).
//
// Behind a proxy the watcher's answer to the last request of the add's sync
// may be lost: SG then still runs that sync when the RPS arrives and, by
// SG-SYNC-9, rightly creates the delta RCS only after it completes — after
// the RNP (seen on seed 2 of the full suite at loss=0.1, and 3 of 30 runs of
// the case alone at loss=0.2). Such a run is recognised by its evidence (the
// watcher answered a request of the older sync again after the RPS was
// sent: SG was still resending it) and the scenario is run again with new
// users; a late RCS without that evidence is FAILED.
std::optional<Outcome> EffectOrderOnce(Ctx& ctx, int attempt, bool& deferred) {
  const std::string n = attempt == 0 ? "" : std::to_string(attempt + 1);
  sg::User u, w;
  if (auto bad = sg::NewUser(ctx, "eu" + n, u)) return *bad;
  if (auto bad = sg::NewUser(ctx, "ew" + n, w)) return *bad;
  const auto added = sg::AddContact(ctx, *w.c, u.account);
  if (added.failure) return *added.failure;
  // An ACR still in flight (reordered, or SG's resend of a lost one) lands now.
  if (ctx.target().resend_ms > 0) w.c->Pump(1000 + ctx.target().resend_ms);
  std::optional<Outcome> bad;
  const auto version = ProfileVersion(*u.c, bad);
  if (!version) return *bad;
  auto rnp = [&](const std::string& presence) -> std::optional<wire::Command> {
    std::optional<wire::Command> last;
    for (const wire::Command& k : w.c->Got("RNP")) {
      if (k.params.size() == 3 && k.params[0] == u.account && k.params[1] == presence) last = k;
    }
    return last;
  };
  if (auto b = Expect(u.c->Await(u.c->Request("RLO", {})), "ALO", 0, 0, "SG-LOGIN-11")) return *b;
  if (!w.c->Pump(ctx.io_timeout_ms(), [&] { return rnp("offline").has_value(); })) {
    return Failed("RNP " + u.account + " offline to the watcher", ShowAll(w.c->Got("RNP")), "SG-PRES-5");
  }
  const std::uint32_t offline_trid = rnp("offline")->trid;
  SgClient u2(ctx, "udp", "u2" + n);
  u2.hold.insert("RCS");
  if (auto b = sg::Login(u2, u.account)) return *b;  // after ASII; u lists nobody: RCS count 0
  if (!u2.Pump(ctx.io_timeout_ms(), [&] { return !u2.Got("RCS").empty(); })) {
    return Failed("RCS to u2", ShowAll(u2.log), "SG-LOGIN-4");
  }
  u2.hold.erase("RCS");
  u2.Answer(u2.Got("RCS")[0], 0);
  const std::string renamed = "Renamed" + std::to_string(ctx.Fresh() % 100000);
  const std::int64_t rps_us = ctx.NowUs();
  const wire::Command* aps = u2.Await(u2.Request("RPS", {*version, renamed, "", ""}));
  if (auto b = Expect(aps, "APS", 0, 4, "SG-PROF-1, SG-PROF-2")) return *b;
  if (aps->params[1] != renamed) return Failed("APS with " + renamed, Show(*aps), "SG-PROF-1: the first RPS changes it");
  auto back_online = [&] {
    const auto k = rnp("online");
    return k && k->trid > offline_trid;
  };
  if (!w.c->Pump(ctx.io_timeout_ms(), back_online)) {
    return Failed("RNP " + u.account + " online to the watcher", ShowAll(w.c->Got("RNP")), "SG-PRES-3");
  }
  const auto sync = sg::AwaitSync(ctx, *w.c, added.version + 1);
  const auto* rec = RecordOf(sync, u.account);
  if (!rec || (*rec)[2] != renamed) {
    return Failed("a delta sync with M " + u.account + " " + renamed, sg::ShowSync(sync), "SG-PROF-3");
  }
  const wire::Command on = *rnp("online");
  if (sync->rcs.trid > on.trid) {
    // SG-SYNC-9 evidence: an ACS/ACR to a request older than the RNP, sent
    // by the watcher after the RPS (a resend of the older sync answered).
    const std::string chan = w.c->channel();
    for (const reports::WireEvent& e : ctx.wire()) {
      if (e.t_us < rps_us || e.dir != "send" || e.transport != chan) continue;
      for (const wire::Command& k : Decode(e.bytes)) {
        if ((k.word == "ACS" || k.word == "ACR") && k.trid < on.trid) deferred = true;
      }
    }
    if (deferred) {
      ctx.Note("the add's sync still ran at SG when the RPS arrived (its request was resent after it): SG-SYNC-9 "
               "deferred the delta RCS; trying again with new users");
      return std::nullopt;
    }
    return Failed("the RCS (profile change) created before the RNP online", Show(sync->rcs) + " after " + Show(on),
                  "SG-PROF-6: (1) the delta RCS to the users listing the account, (2) APS, (3) the presence RNPs");
  }
  return Ok("RCS trid < RNP online trid at the watcher", Show(sync->rcs) + " then " + Show(on));
}

Outcome EffectOrder(Ctx& ctx) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    bool deferred = false;
    std::optional<Outcome> o = EffectOrderOnce(ctx, attempt, deferred);
    if (!deferred) return *o;
  }
  return Outcome{reports::Verdict::kInformational, "the RCS (profile change) created before the RNP online",
                 "3 runs: each time the add's sync still ran at SG when the RPS arrived",
                 "not judged: SG-SYNC-9 deferred the delta RCS in every run (lost answers behind the proxy)"};
}

}  // namespace

void AddOrderCases(std::vector<CaseDef>& out) {
  sg::Add(out, "sg.sess.fanout_order", "RNPs of one login to one session: created in ascending account order",
          {"SG-SESS-5", "SG-PRES-3"}, FanoutOrder);
  sg::Add(out, "sg.sync.snapshot", "A profile change during a sync is in the next sync, not in the running one",
          {"SG-SYNC-4", "SG-PROF-3"}, SyncSnapshot);
  sg::Add(out, "sg.prof.effect_order", "A first RPS changing the profile: the watcher's RCS before the RNP online",
          {"SG-PROF-6", "SG-PROF-3"}, EffectOrder);
}

}  // namespace mcpsim::conformance
