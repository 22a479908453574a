// Ctx::UdpRecvResending: how the runner receives behind the fault proxy
// (Target::resend_ms > 0). It behaves like a conforming requester (TIMER-4):
// datagrams still carrying an unanswered request are resent unchanged, so a
// server that keeps its answer cache (TIMER-5) still passes every case when
// the network loses, duplicates or reorders packets. The resend schedule is
// the reference's own engine, reference::RequestTracker (fixed interval
// `resend_ms`, at most kMaxSends sends), not a second one.
//
// Invariants:
// - A request is a decoded command whose word starts with 'R' (not RPAD), or
//   an undecodable line whose word and trid are readable (WIRE-22 answers
//   it); it is answered by a command with its A-word and trid (TRID-5).
// - A datagram is resent once per due round however many of its requests are
//   unanswered (the tracker's entries carry the whole datagram, tagged with
//   its index).
// - Answer datagrams that are byte-identical to one already collected are
//   network (or cache-replay) duplicates and are dropped.
// - The result is ordered by the position of the first request each datagram
//   answers (ties: arrival order), which undoes network reordering between
//   separate datagrams; a datagram answering nothing keeps its arrival slot
//   at the end.
#include <algorithm>
#include <map>
#include <set>

#include "conformance/harness.h"
#include "conformance/harness_impl.h"
#include "reference/transport/retry.h"

namespace mcpsim::conformance {
namespace {

// Sends per request datagram. More than a client's 6 (TIMER-2): the runner
// must not report a network loss streak as a server failure; at 20% loss per
// direction a round trip fails with p ~ 0.36, and 0.36^10 ~ 4e-5.
constexpr int kMaxSends = 10;

// (request word, trid) of every line of `d` that starts like a request (`R` +
// 2..7 uppercase letters, SP, a WIRE-4 decimal trid), decodable or not:
// WIRE-22 answers even an undecodable line whose word and trid are readable.
std::vector<std::pair<std::string, std::uint32_t>> RequestKeys(std::string_view d) {
  std::vector<std::pair<std::string, std::uint32_t>> out;
  for (std::size_t pos = 0; pos < d.size();) {
    const std::size_t eol = std::min(d.find("\r\n", pos), d.size());
    const std::string_view line = d.substr(pos, eol - pos);
    pos = eol + 2;
    const std::size_t sp = line.find(' ');
    if (sp < 3 || sp > 8 || line[0] != 'R' || line.substr(0, sp) == "RPAD") continue;
    if (!std::all_of(line.begin(), line.begin() + static_cast<long>(sp), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      continue;
    }
    const std::string_view rest = line.substr(sp + 1);
    const std::string_view trid = rest.substr(0, rest.find(' '));
    if (trid.empty() || trid.size() > 10 || (trid.size() > 1 && trid[0] == '0') ||
        !std::all_of(trid.begin(), trid.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    const std::uint64_t t = std::stoull(std::string(trid));
    if (t > 4294967295u) continue;
    out.emplace_back(std::string(line.substr(0, sp)), static_cast<std::uint32_t>(t));
  }
  return out;
}

}  // namespace

std::vector<std::string> Ctx::UdpRecvResending(Chan& ch, int first_wait_ms, int quiet_ms, std::size_t max) {
  std::vector<std::string> sent = std::move(ch.unanswered);
  ch.unanswered.clear();
  std::vector<std::string> got;
  if (ch.port == 0) return got;
  if (quiet_ms < 0) quiet_ms = quiet_ms_;

  reference::RetryPolicy policy;
  policy.initial_timeout = static_cast<TimeUs>(target_.resend_ms) * kMillis;
  policy.max_timeout = policy.initial_timeout;
  policy.backoff = 1;
  policy.max_resends = kMaxSends - 1;
  reference::RequestTracker tracker(policy);
  // (A-word, trid) -> index of the first datagram carrying that request.
  std::map<std::pair<std::string, std::uint32_t>, std::size_t> want;
  const TimeUs now = env_.Now();
  for (std::size_t i = 0; i < sent.size(); ++i) {
    std::set<std::pair<std::string, std::uint32_t>> keys;
    for (const wire::Command& c : Decode(sent[i])) {
      if (c.word.size() < 2 || c.word[0] != 'R' || c.word == "RPAD" || c.status) continue;
      keys.emplace(c.word, c.trid);
    }
    for (auto& key : RequestKeys(sent[i])) keys.insert(std::move(key));
    for (const auto& [word, trid] : keys) {
      if (want.emplace(std::make_pair(reference::AnswerWord(word), trid), i).second) {
        tracker.Start(now, trid, word, sent[i], i);
      }
    }
  }
  std::set<std::string> seen;
  std::vector<std::size_t> rank;  // sort key per collected datagram
  auto all_answered = [&] { return !want.empty() && tracker.outstanding() == 0; };
  auto take = [&] {
    while (!ch.inbox.empty() && got.size() < max) {
      std::string d = Shared::Pop(ch);
      if (!seen.insert(d).second) continue;  // duplicate datagram
      std::size_t r = sent.size() + got.size();
      for (const wire::Command& c : Decode(d)) {
        if (!c.status) continue;
        auto it = want.find({c.word, c.trid});
        if (it == want.end()) continue;
        (void)tracker.OnAnswer(c.trid, c.word);
        r = std::min(r, it->second);
      }
      rank.push_back(r);
      got.push_back(std::move(d));
    }
  };
  // Collects until `wait_ms` passes without a datagram (or `stop()` holds).
  auto collect = [&](int wait_ms, const std::function<bool()>& stop) {
    for (;;) {
      take();
      if (got.size() >= max || stop()) return;
      if (!Wait(Deadline(wait_ms), [&ch] { return !ch.inbox.empty(); })) return;
    }
  };

  if (want.empty()) {
    // Nothing to resend (silence probes, undecodable requests): plain receive.
    collect(first_wait_ms, [] { return false; });
    if (!got.empty()) collect(quiet_ms, [] { return false; });
  } else {
    std::vector<const reference::RequestTracker::Entry*> resend;
    std::vector<reference::RequestTracker::Entry> gave_up;
    while (!all_answered() && !Expired() && got.size() < max && tracker.outstanding() > 0) {
      const TimeUs due = std::min(tracker.NextDeadline(), deadline_);
      Wait(due, [&] {
        take();
        return all_answered() || got.size() >= max;
      });
      take();
      if (all_answered() || env_.Now() < tracker.NextDeadline()) continue;
      resend.clear();
      gave_up.clear();
      tracker.OnTimer(env_.Now(), resend, gave_up);
      std::set<std::uint64_t> again;
      for (const auto* e : resend) again.insert(e->tag);
      for (std::uint64_t idx : again) {
        const std::string& d = sent[static_cast<std::size_t>(idx)];
        sh_->Record("send", ch.channel, d);
        (void)env_.SendDatagram(ch.port, ch.to, Bytes(reinterpret_cast<const std::uint8_t*>(d.data()), d.size()));
      }
    }
    // Late extra answers (a case may check there are none): one quiet period.
    if (all_answered()) collect(quiet_ms, [] { return false; });
  }
  std::vector<std::size_t> order(got.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
  std::vector<std::string> out;
  for (std::size_t i : order) out.push_back(std::move(got[i]));
  return out;
}

}  // namespace mcpsim::conformance
