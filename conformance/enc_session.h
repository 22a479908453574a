// EncSession: one encrypted-UDP party of a case (PROTOCOL.md §6.5) on an
// Open("udps") channel of a Ctx. It seals what the case sends (its own
// sender id, fresh per case and run: ENC-3) and opens what the target sends
// (ENC-1/2), and it behaves as a conforming requester, also behind the fault
// proxy (Target::resend_ms > 0), where datagrams are lost, duplicated and
// reordered (ENC-8):
//
// - A request sent with Request() and still unanswered when its wait
//   expires is resent as a FRESH envelope of the byte-identical plain
//   datagram (same words, trids and params: TIMER-4; the next counter:
//   ENC-3). Its first envelope sent again would be a replay the target must
//   drop (ENC-5), so a resend never repeats envelope bytes. At most
//   kEncMaxSends sends, every resend_ms (the plain harness's schedule,
//   harness_resend.cc). Without a proxy nothing is resent.
// - Answers are matched by (key id, A-word, trid): TRID-5 within one sender
//   endpoint, of which the key id is part (§6.2, G-87). An envelope
//   byte-identical to one already received is a network duplicate: it is
//   dropped and counted (EncGot::duplicates), never an error. A later answer
//   to an already answered request (a cache replay of a resend) is kept
//   apart (EncGot::repeats), as TRID-6 ignores it. One (word, trid) may so
//   be in flight under two key ids at once: two requests, two answers.
//
// Two properties every honest target keeps, whatever the network did, are
// judged from the session's bookkeeping (Violation()):
// - ENC-5: a request key is answered in at most as many distinct envelopes as
//   distinct envelopes carrying it were sent (each accepted copy is answered
//   once, executed or from the cache, TIMER-5). More answers mean the target
//   accepted a replayed envelope — one the case sent again, or a duplicate
//   the network made.
// - ENC-3: two different envelopes from the target never share (key id,
//   sender id, counter); without a proxy, the target never sends one
//   envelope twice ("resends included").
//
// All I/O goes through the Ctx (no sockets, clocks or threads here).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "conformance/harness.h"
#include "reference/transport/enc.h"
#include "reference/wire/command.h"

namespace mcpsim::conformance {

// Sends per request behind a proxy (as harness_resend.cc: a loss streak of
// the network must not read as a target failure).
inline constexpr int kEncMaxSends = 10;

// What arrived during one Await/Collect (every list in arrival order, except
// `answers`, ordered by the request each answers, then unknown ones).
struct EncGot {
  std::vector<reference::enc::Opened> opened;  // envelopes that opened (new bytes)
  std::vector<wire::Command> answers;          // the first answer per (key id, word, trid)
  std::vector<std::size_t> answer_envelope;    // per answer: its index in `opened`
  std::vector<wire::Command> repeats;          // answers to a (key id, word, trid) answered before
  std::size_t duplicates = 0;                  // byte-identical envelopes dropped
  std::size_t unopenable = 0;                  // datagrams that are not a valid envelope
  // Instead of `unopenable` when the proxy corrupts (Target::corrupting_network):
  // dropped like lost datagrams.
  std::size_t damaged = 0;
  std::vector<std::string> decode_errors;      // clause@offset of plain commands that did not decode
  int resends = 0;                             // fresh envelopes sent as resends
  // The first answer's envelope for (word, trid) — under key id `kid` if
  // given, else under any — or nullptr.
  const reference::enc::Opened* EnvelopeOf(const std::string& word, std::uint32_t trid,
                                           std::optional<std::uint8_t> kid = std::nullopt) const;
};

class EncSession {
 public:
  // Opens a udps channel (`who` names the party in the capture).
  explicit EncSession(Ctx& ctx, std::string_view who = "");
  bool ok() const { return handle_ >= 0; }
  std::uint8_t key_id() const { return key_id_; }
  const reference::enc::SenderId& sender_id() const { return sealer_.sender_id(); }
  // The counter the next Seal() uses (ENC-3).
  std::uint64_t next_counter() const { return sealer_.next_counter(); }

  // Seals `plain` under key `kid` (default: the target's first key); consumes
  // one counter value. The envelope is remembered, so that sending it counts
  // as a copy of the requests it carries.
  std::string Seal(const std::string& plain, std::optional<std::uint8_t> kid = std::nullopt);
  // Sends `bytes` as given (a crafted, tampered or replayed envelope, or a
  // plain datagram); never resent.
  void Send(const std::string& bytes);
  // Seals and sends `plain`; its requests are awaited (and resent behind a
  // proxy) by the next Await(). Returns the envelope sent.
  std::string Request(const std::string& plain, std::optional<std::uint8_t> kid = std::nullopt);
  // Waits until every request of Request() is answered (resending, see the
  // file comment) or given up, then for one quiet period; without
  // outstanding requests, as Collect(io_timeout_ms()).
  EncGot Await();
  // Collects without resending: waits up to `first_wait_ms` for the first
  // datagram, then until quiet_ms() passes without one.
  EncGot Collect(int first_wait_ms);

  // Why the target broke ENC-5 or ENC-3 so far (file comment), or nullopt.
  std::optional<std::string> Violation() const;
  // Distinct envelopes sent carrying request (word, trid) under key id `kid`
  // (default: the session's key_id()).
  std::size_t CopiesSent(const std::string& word, std::uint32_t trid,
                         std::optional<std::uint8_t> kid = std::nullopt) const;
  // Distinct envelopes received under key id `kid` (default: key_id())
  // carrying answer (word, trid) so far.
  std::size_t AnswerEnvelopes(const std::string& answer_word, std::uint32_t trid,
                              std::optional<std::uint8_t> kid = std::nullopt) const;

 private:
  using Key = std::tuple<std::uint8_t, std::string, std::uint32_t>;  // (key id, A-word, trid)
  struct Outstanding {
    std::string plain;
    std::uint8_t key_id = 0;
    std::set<Key> keys;  // A-words of its requests
    int sends = 1;
    std::int64_t next_us = 0;  // Ctx::NowUs() of its next resend
  };
  static std::set<Key> AnswerKeys(const std::string& plain, std::uint8_t kid);
  void Take(const std::string& d, EncGot& g);
  void Finish(EncGot& g) const;
  bool AllAnswered() const;

  Ctx& ctx_;
  int handle_ = -1;
  std::uint8_t key_id_ = 0;
  reference::enc::Sealer sealer_;
  std::map<std::string, std::set<Key>> sealed_;     // envelope -> answer keys of its plain
  std::map<Key, std::set<std::string>> carried_;    // answer key -> distinct envelopes sent
  std::map<Key, std::size_t> seq_;                  // answer key -> order of its first request
  std::vector<Outstanding> outstanding_;
  std::set<std::string> received_;                  // datagrams already taken
  std::set<std::string> opened_;                    // those of them that opened
  std::map<std::pair<std::uint8_t, std::pair<reference::enc::SenderId, std::uint64_t>>, std::string> nonces_;
  std::map<Key, std::size_t> answered_;             // answer key -> distinct answer envelopes
  std::string nonce_reuse_;                         // ENC-3, first seen
};

}  // namespace mcpsim::conformance
