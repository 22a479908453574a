// Outgoing-request bookkeeping shared by every sender of MCP requests: the MC
// client engine and the SG's server-initiated requests (PROTOCOL.md TRID-*,
// UDP-*, TIMER-*). Sans-I/O: fed `now`, returns what to (re)send.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"

namespace mcpsim::reference {

// Resend policy [TIMER-*]: first timeout, multiplied by `backoff` after every
// resend up to `max_timeout`; after `max_resends` resends the request gives up.
struct RetryPolicy {
  TimeUs initial_timeout = 1000 * kMillis;
  std::uint32_t backoff = 2;
  TimeUs max_timeout = 8000 * kMillis;
  std::uint32_t max_resends = 5;

  // Worst-case time from the first send to giving up.
  TimeUs GiveUpAfter() const;
};

// Trids increase by one per request and wrap from 4294967295 to 0 [TRID-*].
class TridAllocator {
 public:
  explicit TridAllocator(std::uint32_t first = 1) : next_(first) {}
  std::uint32_t Next() { return next_++; }  // unsigned wrap is the rule
  std::uint32_t Peek() const { return next_; }

 private:
  std::uint32_t next_;
};

// "A" + word[1:]: the answer word of a request word (REG -> AEG, RAP -> AAP).
// REQUIRES: word is a request word (starts with 'R').
std::string AnswerWord(std::string_view request_word);

class RequestTracker {
 public:
  struct Entry {
    std::uint32_t trid = 0;
    std::string word;       // the request word, e.g. "RSM"
    std::string bytes;      // the serialized command, resent verbatim
    std::uint64_t tag = 0;  // caller's cookie
    std::uint32_t sends = 0;
    TimeUs first_sent = 0;
    TimeUs deadline = 0;
    TimeUs timeout = 0;
  };

  explicit RequestTracker(RetryPolicy policy = {}) : policy_(policy) {}

  // Records a request sent at `now`. A second Start for the same (trid, word)
  // replaces the first. `bytes` is one complete serialized command.
  void Start(TimeUs now, std::uint32_t trid, std::string_view word, std::string bytes,
             std::uint64_t tag);

  // An answer with `answer_word` and `trid` arrived. If it matches an
  // outstanding request (trid equal, answer_word == AnswerWord(word)) the entry
  // is removed and returned; otherwise nullopt (late, duplicate or stray).
  std::optional<Entry> OnAnswer(std::uint32_t trid, std::string_view answer_word);

  // Handles every deadline <= now: entries with resends left are appended to
  // `resend` (their bytes must be sent again now) and rescheduled; exhausted
  // entries are removed and appended to `gave_up`.
  void OnTimer(TimeUs now, std::vector<const Entry*>& resend, std::vector<Entry>& gave_up);

  // Replaces the bytes later resends use (AMP-3 padding). Returns true if found.
  bool UpdateBytes(std::uint32_t trid, std::string_view word, std::string bytes);
  // The outstanding entry for (trid, word), or nullptr.
  const Entry* Find(std::uint32_t trid, std::string_view word) const;

  // Cancels an outstanding request without an outcome. Returns true if found.
  bool Cancel(std::uint32_t trid, std::string_view word);

  TimeUs NextDeadline() const;
  std::size_t outstanding() const { return items_.size(); }
  const RetryPolicy& policy() const { return policy_; }

 private:
  // Flat storage: a sender has at most a window of outstanding requests
  // (LIM-20: 32), so linear scans beat three node-based maps in time and
  // memory; the vector is released when it empties (an idle client owns no
  // heap here). Deadlines are handled in (deadline, seq) order, seq counting
  // every (re)scheduling: FIFO among equal deadlines.
  struct Item {
    Entry e;
    std::uint64_t seq = 0;
  };
  std::size_t IndexOf(std::uint32_t trid, std::string_view word) const;  // npos if none
  void RemoveAt(std::size_t i);
  RetryPolicy policy_;
  std::vector<Item> items_;
  std::uint64_t seq_ = 0;
};

}  // namespace mcpsim::reference
