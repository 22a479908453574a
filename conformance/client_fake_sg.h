// The fake SG of client conformance (`mcpsim conform --client`): answers the
// SG commands that arrive on the servers' UDP socket (the DP answer lists it
// as the SG, `udp://HOST:PORT`, next to CS) and plays a scripted session:
//
//   RAT -> AAT 0 token; RSII -> ASII 0 + RCS 1 (full, kSgContacts records);
//   ACS 0 -> RCR page 1; ACR 0 for page k -> page k+1 (SG-SYNC-5);
//   RPS -> APS 0, then the pushes RNP, RRI, RRM, RPN (and RRN when the
//   client declared the nudge capability, SG-NUDGE-1), packed after the APS
//   in one datagram (UDP-7); RSI/RSM/ROM/RCE/RCM/RSB/RLI/RPOL/RLO answered 0;
//   RSN/RRN from the client answered 310 (SG-NUDGE-4).
//
// Server-initiated requests carry the fake SG's own trids, from a random
// start drawn at each AAT 0 (TRID-4), and
// are sent once; with SgPolicy::resend_answered each one is sent a second
// time, byte-identical, right after its first answer arrives (a server
// resend after a lost answer, TIMER-8). Not thread-safe: ClientServers calls
// it under its lock. Randomness (the token) comes from the caller's Rng.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "conformance/harness.h"
#include "core/rng.h"

namespace mcpsim::conformance {

struct ClientObserved;

// Contacts in the fake SG's initial full sync (2 RCR pages of at most 4).
inline constexpr int kSgContacts = 5;
// The callId of the fake SG's RRI and RRM pushes, and the texts it pushes.
inline constexpr std::uint32_t kSgPushCall = 41;
inline constexpr const char* kSgPushText = "hello there 50% \xE4\xBD\xA0\xE5\xA5\xBD";

struct SgPolicy {
  bool resend_answered = false;
};

// True for the words CS handles (RUP, RAD, RPAD); everything else on the
// UDP socket goes to the fake SG.
bool IsCsWord(const std::string& word);
// The answer word of request `word`: "A" + word[1:] (WIRE-19).
std::string AWord(const std::string& word);

class FakeSg {
 public:
  void Reset(const SgPolicy& p);
  // Handles the SG commands in `cmds` (one datagram from the client), records
  // server requests and the token in `obs`; returns the bytes to send back
  // ("" = nothing).
  std::string OnCommands(const std::vector<wire::Command>& cmds, ClientObserved& obs, Rng& rng);

 private:
  std::string Request(const std::string& word, std::vector<std::string> params, ClientObserved& obs);
  std::string Page(int page, ClientObserved& obs);

  SgPolicy policy_;
  std::uint32_t next_trid_ = 1;
  std::uint32_t rcs_trid_ = 0;
  std::map<std::uint32_t, int> rcr_page_;          // RCR trid -> page
  std::map<std::uint32_t, std::string> requests_;  // trid -> request line (first send)
  std::map<std::uint32_t, bool> answered_;         // trid -> an answer arrived
  int caps_ = 0;
  std::uint32_t next_call_ = 42;
};

}  // namespace mcpsim::conformance
