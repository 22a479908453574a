// Server-initiated requests of one client session (PROTOCOL.md TRID-2/4/8,
// TIMER-8/9/13, HTTP-8, LIM-20, PAY-8): trid allocation from the owner's
// first trid (TRID-4: SG draws it at random per session), a send window,
// resends on UDP, a single long wait on TCP, and re-inclusion in HTTP
// responses. Used by RS (RBIN captcha chunks) and SG (RCS, RCR, RRM, ...).
//
// Sans-I/O: the owner moves bytes between this channel and its transport.
#pragma once

#include "core/buggify.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/transport/retry.h"

namespace mcpsim::reference {

enum class PushTransport : std::uint8_t { kUdp, kTcp, kHttp };

struct PushLimits {
  std::size_t window = 32;            // LIM-20: outstanding per session
  std::size_t group_window = 8;       // PAY-8: outstanding per object
  std::uint32_t http_inclusions = 6;  // HTTP-8
  // Fault points (reference/fault_sites.h: push.*); nullptr outside a
  // simulation that enables them. Not owned.
  FaultPoints* faults = nullptr;
};

class PushChannel {
 public:
  struct Entry {
    std::uint32_t trid = 0;
    std::string word;
    std::string bytes;
    std::uint64_t tag = 0;    // owner's cookie
    std::uint64_t group = 0;  // binary object id for the per-object window; 0 = none
  };
  // `first_trid`: the trid of the first request (TRID-4: an SG passes a
  // random value in 1..2147483647 per session; RS keeps 1).
  PushChannel(PushTransport transport, RetryPolicy udp_policy = {}, PushLimits limits = {},
              std::uint32_t first_trid = 1);

  // The trid for the next request (first_trid, first_trid + 1, ...; wraps). Build the command with
  // it, then Push() it. Trids are allocated in Push order.
  std::uint32_t NextTrid() { return trids_.Next(); }
  // Queues a request built with a trid from NextTrid(). It is transmitted by
  // TakeSends/AppendHttp as soon as the windows allow, in queue order.
  void Push(std::uint32_t trid, std::string_view word, std::string bytes, std::uint64_t tag,
            std::uint64_t group = 0);

  // UDP/TCP: moves newly admitted requests into flight at `now` and appends
  // their bytes to `out` (one string per command).
  void TakeSends(TimeUs now, std::vector<std::string>& out);
  // UDP/TCP: resends due requests into `out`; exhausted ones go to `gave_up`.
  void OnTimer(TimeUs now, std::vector<std::string>& out, std::vector<Entry>& gave_up);
  // HTTP: appends every in-flight request (admitting new ones first) to
  // `body`; requests included more than http_inclusions times give up.
  void AppendHttp(std::string& body, std::vector<Entry>& gave_up);

  // An answer arrived. Returns the matched entry (and frees its window slot),
  // or nullopt if it matches nothing outstanding (TRID-6).
  std::optional<Entry> OnAnswer(std::uint32_t trid, std::string_view answer_word);

  // Drops everything (session closed).
  void Clear();
  // Drops every queued and in-flight request of `group` (the receiver stopped
  // taking that object, e.g. SG-VOICE-4); their answers then match nothing.
  void DropGroup(std::uint64_t group);
  TimeUs NextDeadline() const;
  std::size_t queued() const { return queue_.size(); }
  std::size_t in_flight() const { return flight_.size(); }
  bool idle() const { return queue_.empty() && flight_.empty(); }
  // Whether any request of `group` is queued or in flight.
  bool HasGroup(std::uint64_t group) const;

 private:
  using Key = std::pair<std::uint32_t, std::string>;
  struct Flight {
    Entry entry;
    std::uint32_t inclusions = 0;
  };
  bool Admit(std::vector<const Entry*>* admitted);

  PushTransport transport_;
  PushLimits limits_;
  TridAllocator trids_;
  RequestTracker tracker_;
  std::deque<Entry> queue_;
  std::map<Key, Flight> flight_;
  std::map<std::uint64_t, std::size_t> group_load_;
};

}  // namespace mcpsim::reference
