// A scripted SG for McClient tests: it speaks the wire per PROTOCOL.md (its
// own trids from 1, answers echo the MC's trids) but has no logic of its own;
// each test decides what the "server" sends and checks the exact commands the
// MC sends back.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "reference/roles/mc/client.h"
#include "reference/wire/command.h"
#include "reference/wire/parse.h"

namespace mcpsim::reference::mctest {

inline const Endpoint kSg = Endpoint::V4(0x0A000002, 1863);

inline std::string Line(const wire::Command& c) {
  auto s = wire::Serialize(c, wire::Limits::Datagram());
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : std::string();
}

// One contact record as the SG sends it (7 params).
struct Rec {
  std::string op, account, nick, psm, avatar;
  std::uint32_t pv = 1, flags = 0;
};

class FakeSg {
 public:
  explicit FakeSg(McConfig cfg = {}, std::uint64_t seed = 7) : cfg_(std::move(cfg)), seed_(seed) {
    Restart();
  }

  // A new McClient on the same config (and so the same cache file).
  void Restart() {
    mc_ = std::make_unique<McClient>(cfg_, Rng(seed_++), "mc");
    mc_->SetSgEndpoint(kSg);
    strid_ = 1;
  }
  McClient& mc() { return *mc_; }
  McConfig& config() { return cfg_; }
  TimeUs now = 1000 * kSeconds;

  // Every datagram the MC produced since the last call (raw bytes).
  std::vector<std::string> TakeDatagrams() {
    std::vector<Output> out;
    mc_->Drain(out);
    std::vector<std::string> d;
    for (auto& o : out) {
      if (o.kind == Output::Kind::kHttp) {  // DP / MS exchanges, for the test to answer
        http_out.push_back(std::move(o));
        continue;
      }
      EXPECT_EQ(o.kind, Output::Kind::kDatagram);
      EXPECT_EQ(o.to, kSg);
      d.push_back(std::move(o.bytes));
    }
    return d;
  }
  // The commands the MC sent (RPAD padding removed), in order.
  std::vector<wire::Command> Take() {
    std::vector<wire::Command> cmds;
    for (const std::string& d : TakeDatagrams()) {
      wire::ParseDatagram(d, wire::Limits::Datagram(), [&](const wire::CommandView& v, std::uint64_t) {
        if (v.word() != "RPAD") cmds.push_back(wire::Command::FromView(v));
      }, [&](const wire::WireError& e) { ADD_FAILURE() << "MC sent a bad datagram: " << e.clause; });
    }
    return cmds;
  }
  // Exactly one command, which must have `word`.
  wire::Command TakeOne(const std::string& word) {
    auto cmds = Take();
    EXPECT_EQ(cmds.size(), 1u) << Describe(cmds);
    if (cmds.empty()) return {};
    EXPECT_EQ(cmds[0].word, word) << Describe(cmds);
    return cmds[0];
  }
  static std::string Describe(const std::vector<wire::Command>& cmds) {
    std::string s;
    for (const auto& c : cmds) s += Line(c);
    return s;
  }

  void Deliver(const std::string& bytes) {
    mc_->OnDatagram(now, kSg, bytes);
  }
  // A server-initiated request with the next server trid; returns its bytes.
  std::string Request(const std::string& word, std::vector<std::string> params,
                      std::optional<std::string> payload = std::nullopt) {
    wire::Command c;
    c.word = word;
    c.trid = strid_++;
    c.params = std::move(params);
    c.payload = std::move(payload);
    return Line(c);
  }
  // The answer to `req` (a command the MC sent).
  static std::string Answer(const wire::Command& req, std::uint32_t status,
                            std::vector<std::string> params = {}) {
    wire::Command c;
    c.word = req.word;
    if (!c.word.empty()) c.word[0] = 'A';
    c.trid = req.trid;
    c.status = status;
    c.params = std::move(params);
    return Line(c);
  }
  // Runs the MC's timers up to now + span.
  void Advance(TimeUs span) {
    const TimeUs end = now + span;
    for (TimeUs t = mc_->NextDeadline(); t <= end; t = mc_->NextDeadline()) {
      now = std::max(now, t);
      mc_->OnTimer(now);
    }
    now = end;
  }
  std::vector<McEvent> Events() { return mc_->TakeEvents(); }
  // The events with op `op`.
  std::vector<McEvent> EventsOf(McOp op) {
    std::vector<McEvent> r;
    for (auto& e : Events()) {
      if (e.op == op) r.push_back(std::move(e));
    }
    return r;
  }

  // RCR page params for `recs` (1..4) of a sync at `version`.
  std::string Page(std::uint32_t version, std::uint32_t page, std::uint32_t pages,
                   const std::vector<Rec>& recs) {
    std::vector<std::string> p = {std::to_string(version), std::to_string(page), std::to_string(pages)};
    for (const Rec& r : recs) {
      for (const std::string& f : {r.op, r.account, r.nick, r.psm, r.avatar, std::to_string(r.pv),
                                   std::to_string(r.flags)}) {
        p.push_back(f);
      }
    }
    return Request("RCR", p);
  }

  // Runs a whole login: RAT -> AAT, RSII -> ASII + RCS, the pages, RPS -> APS.
  // Returns the RSII the MC sent. Expects every step in the seed's order.
  wire::Command Login(const std::string& account, const std::string& mode, std::uint32_t version,
                      const std::vector<Rec>& recs, std::vector<std::string> aps = {}) {
    mc_->AcceptPrivacyAgreement();
    mc_->Login(now, account, "s3cret-pass");
    auto rat = TakeOne("RAT");
    Deliver(Answer(rat, 0, {kToken}));
    auto rsii = TakeOne("RSII");
    const auto count = static_cast<std::uint32_t>(recs.size());
    Deliver(Answer(rsii, 0) + Request("RCS", {std::to_string(version), mode, std::to_string(count)}));
    auto first = Take();
    EXPECT_GE(first.size(), 1u) << Describe(first);
    if (first.empty()) return rsii;
    EXPECT_EQ(first[0].word, "ACS");
    EXPECT_EQ(first[0].status, 0u);
    std::vector<wire::Command> after(first.begin() + 1, first.end());  // RPS when count is 0
    const std::uint32_t pages = (count + 3) / 4;
    for (std::uint32_t pg = 1; pg <= pages; ++pg) {
      EXPECT_TRUE(after.empty()) << Describe(after);
      std::vector<Rec> slice(recs.begin() + (pg - 1) * 4, recs.begin() + std::min<std::size_t>(pg * 4, count));
      Deliver(Page(version, pg, pages, slice));
      auto cmds = Take();
      EXPECT_GE(cmds.size(), 1u);
      if (cmds.empty()) break;
      EXPECT_EQ(cmds[0].word, "ACR");
      EXPECT_EQ(cmds[0].status, 0u);
      after.assign(cmds.begin() + 1, cmds.end());
    }
    EXPECT_EQ(after.size(), 1u) << Describe(after);
    if (after.empty()) return rsii;
    EXPECT_EQ(after[0].word, "RPS");
    last_rps = after[0];
    if (aps.empty()) aps = {"1", account.substr(0, account.find('@')), "", ""};
    Deliver(Answer(after[0], 0, aps));
    return rsii;
  }

  static constexpr const char* kToken = "9b1d04c2e8a7f6b5c4d3e2f1a0b9c8d7";
  wire::Command last_rps;
  std::vector<Output> http_out;

 private:
  McConfig cfg_;
  std::uint64_t seed_;
  std::unique_ptr<McClient> mc_;
  std::uint32_t strid_ = 1;
};

}  // namespace mcpsim::reference::mctest
