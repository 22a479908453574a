// Configuration of the MC engine (reference/roles/mc/client.h). Defaults are
// the PROTOCOL.md defaults (CONV-2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/buggify.h"
#include "core/env.h"
#include "reference/transport/retry.h"

namespace mcpsim::reference {

struct McConfig {
  std::string device_id = "dev-1";
  std::string platform = "s60";
  std::string client_version = "1.3.0";
  std::string imsi = "460001234567890";
  std::string imei = "356938035643809";
  Endpoint dp;                 // DP's HTTP endpoint
  RetryPolicy retry;           // UDP resends (TIMER-1..3) and HTTP exchange retries
  std::size_t ad_pad_to = 512; // AMP-4: RAD datagrams are padded to this size

  // ---- SG session (§7.3-§7.8) ----
  // The client cache file (§7.11); ":memory:" is a private in-memory cache
  // (lost with the client). Empty = no cache: every login sends listVersion 0
  // and baseVersion 0 (CACHE-4) and the privacy acceptance is not persisted.
  std::string cache_path;
  std::string presence = "online";    // RSII presence (SG-PRES-1; never "offline")
  std::uint32_t caps = 7;             // RSII caps: 1 = file, 2 = voice, 4 = nudges
  std::string nickname;               // first-RPS nickname when nothing is cached
                                      // ("" = the account's local part, LIM-12)
  TimeUs poll_interval = 60 * kSeconds;           // TIMER-11 (APOL may override)
  TimeUs transfer_idle_timeout = 300 * kSeconds;  // TIMER-12 / PAY-11, receiving side
  std::size_t rat_pad_to = 51;        // AMP-4: RAT is padded to the largest AAT size
  std::size_t chunk_window = 8;       // PAY-8: outstanding chunks per object
  std::size_t session_window = 32;    // LIM-20: outstanding requests per SG session
  bool auto_list_members = true;      // SG-CHAT-5: send RCM after RRR
  // SG transport (§6.6): "udp", "tcp", or "auto" (UDP when DP lists an SG
  // UDP address, else TCP). Over TCP the session is bound to its connection
  // (TCP-2); when that connection drops the session is reported lost
  // (kSessionLost) and the application logs in again (TCP-5).
  std::string sg_transport = "udp";

  // ---- misbehaviour switches: TEST ONLY (conformance and mutation tests) ----
  // A conforming MC never sends a nudge (SG-NUDGE-3). With this set,
  // McClient::SendNudge sends `RSN trid callId` so that tests can check the
  // SG's 310 refusal (SG-NUDGE-4); never set it in a client that claims
  // conformance.
  bool nonconforming_send_nudge = false;
  // Sends voice clips without checking them (SG-VOICE-5 requires GSM 6.10),
  // so that tests can exercise the SG's 404 (SG-VOICE-6). TEST ONLY.
  bool nonconforming_unchecked_voice = false;

  // Fault points (reference/fault_sites.h: mc.*), each a path a conforming
  // client may take; nullptr outside a simulation that enables them. Not owned.
  FaultPoints* faults = nullptr;
};

}  // namespace mcpsim::reference
