// Ctx::UdpRecvResending: the runner's own resend logic for runs behind the
// fault proxy (Target::resend_ms > 0). It behaves like a conforming requester
// (TIMER-4): datagrams still carrying an unanswered request are
// resent unchanged, so a server that keeps its answer cache (TIMER-5) still
// passes every case when the network loses, duplicates or reorders packets.
//
// Invariants:
// - A request is a decoded command whose word starts with 'R' (not RPAD), or
//   an undecodable line whose word and trid are readable (WIRE-22 answers
//   it); it is answered by a command with its A-word and trid (TRID-5).
// - Answer datagrams that are byte-identical to one already collected are
//   network (or cache-replay) duplicates and are dropped.
// - The result is ordered by the position of the first request each datagram
//   answers (ties: arrival order), which undoes network reordering between
//   separate datagrams; a datagram answering nothing keeps its arrival slot
//   at the end.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "conformance/harness.h"
#include "conformance/pcap_tap.h"
#include "reference/transport/retry.h"

namespace mcpsim::conformance {
namespace {

// Sends per request datagram. More than a client's 6 (TIMER-2): the runner
// must not report a network loss streak as a server failure; at 20% loss per
// direction a round trip fails with p ~ 0.36, and 0.36^10 ~ 4e-5.
constexpr int kMaxSends = 10;

// (A-word, trid) of every line of `d` that starts like a request (`R` + 2..7
// uppercase letters, SP, a WIRE-4 decimal trid), decodable or not: WIRE-22
// answers even an undecodable line whose word and trid are readable.
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
    out.emplace_back(reference::AnswerWord(line.substr(0, sp)), static_cast<std::uint32_t>(t));
  }
  return out;
}

}  // namespace

std::vector<std::string> Ctx::UdpRecvResending(int first_wait_ms, int quiet_ms, std::size_t max) {
  std::vector<std::string> sent = std::move(unanswered_);
  unanswered_.clear();
  std::vector<std::string> got;
  if (udp_fd_ < 0) return got;

  // (A-word, trid) -> index of the first datagram carrying that request.
  std::map<std::pair<std::string, std::uint32_t>, std::size_t> want;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    for (const wire::Command& c : Decode(sent[i])) {
      if (c.word.size() < 2 || c.word[0] != 'R' || c.word == "RPAD" || c.status) continue;
      want.emplace(std::make_pair(reference::AnswerWord(c.word), c.trid), i);
    }
    for (auto& key : RequestKeys(sent[i])) want.emplace(std::move(key), i);
  }
  std::set<std::pair<std::string, std::uint32_t>> answered;
  std::set<std::string> seen;
  std::vector<std::size_t> rank;  // sort key per collected datagram
  std::string buf(65536, '\0');
  int sends = 1;
  auto all_answered = [&] { return !want.empty() && answered.size() == want.size(); };

  // Collects until `wait_ms` passes without a datagram (or every request is answered).
  auto collect = [&](int wait_ms) {
    while (got.size() < max && !all_answered()) {
      const int wait = Remaining(wait_ms);
      pollfd p{udp_fd_, POLLIN, 0};
      if (wait <= 0 || poll(&p, 1, wait) <= 0) return;
      const ssize_t n = recv(udp_fd_, buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == ECONNREFUSED) Note("ICMP port unreachable");
        if (errno == EINTR || errno == ECONNREFUSED) continue;
        return;
      }
      std::string d(buf.data(), static_cast<std::size_t>(n));
      wire_.push_back({NowUs(), "recv", "udp", d});
      if (target_.tap) target_.tap->Udp(udp_fd_, false, d);
      if (!seen.insert(d).second) continue;  // duplicate datagram
      std::size_t r = sent.size() + got.size();
      for (const wire::Command& c : Decode(d)) {
        auto it = want.find({c.word, c.trid});
        if (it == want.end()) continue;
        answered.insert(it->first);
        r = std::min(r, it->second);
      }
      rank.push_back(r);
      got.push_back(std::move(d));
    }
  };

  if (want.empty()) {
    // Nothing to resend (silence probes, undecodable requests): plain receive.
    collect(first_wait_ms);
    if (!got.empty()) collect(quiet_ms);
  } else {
    collect(std::min(first_wait_ms, target_.resend_ms));
    while (!all_answered() && sends < kMaxSends && !Expired() && got.size() < max) {
      std::set<std::size_t> again;
      for (const auto& [key, idx] : want) {
        if (!answered.count(key)) again.insert(idx);
      }
      for (std::size_t idx : again) {
        wire_.push_back({NowUs(), "send", "udp", sent[idx]});
        if (send(udp_fd_, sent[idx].data(), sent[idx].size(), 0) >= 0 && target_.tap) {
          target_.tap->Udp(udp_fd_, true, sent[idx]);
        }
      }
      ++sends;
      collect(target_.resend_ms);
    }
    // Late extra answers (a case may check there are none): one quiet period.
    if (all_answered()) {
      answered.clear();
      want.clear();
      collect(quiet_ms);
    }
  }
  std::vector<std::size_t> order(got.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
  std::vector<std::string> out;
  for (std::size_t i : order) out.push_back(std::move(got[i]));
  return out;
}

}  // namespace mcpsim::conformance
