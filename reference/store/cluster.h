// The SG registry of a deployment whose SGs run in several processes, possibly
// on several machines, sharing one PostgreSQL database (PROTOCOL.md §3.1,
// CLU-1..6): each SG process registers its URI lists under its SG id and
// renews a lease with heartbeats; DP lists the SGs whose lease is live.
//
// Lease times are the database server's clock (clock_timestamp()), so the
// machines' clocks need not agree. Errors are values with clause STORE-1
// (database or connection failure; the next call reconnects).
//
// Blocking: each call is one synchronous round trip on the caller's thread,
// like the Store's. The registry has its own connection (never inside a
// store batch).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mcpsim::reference {

struct GatewayRecord {
  std::uint32_t sg_id = 0;  // 1..2^31-1 (CLU-1)
  std::string sg;           // URI list of the SG (ARCH-4)
  std::string rs;           // URI list of an RS in the same process, or ""
};

class Cluster {
 public:
  virtual ~Cluster() = default;
  // CLU-2: registers `self` under its sg_id, or renews the registration,
  // with a lease ending `lease_ms` from now (database clock). `instance` is a
  // token unique to this process start. Returns false (and changes nothing)
  // when another instance holds sg_id with a live lease (CLU-3).
  virtual Result<bool> Heartbeat(const GatewayRecord& self, std::string_view instance,
                                 std::int64_t lease_ms) = 0;
  // CLU-4: removes the registration of sg_id if `instance` holds it.
  virtual Status Leave(std::uint32_t sg_id, std::string_view instance) = 0;
  // CLU-5: every registration with a live lease, ascending sg_id.
  virtual Result<std::vector<GatewayRecord>> LiveGateways() = 0;

  // CLU-8: the recipients of offline messages committed (by any process)
  // since the last call, without blocking. `resync` is true when some may
  // have been missed (first call, or the connection was re-established):
  // the caller then re-checks every recipient it serves. STORE-1 while the
  // database is unreachable.
  struct Wakeups {
    std::vector<std::string> recipients;  // in commit order, may repeat
    bool resync = false;
    // CLU-11: bodies of presence relays announced since (PutRelays), in
    // commit order; CLU-13: the SG ids whose relay queue got rows.
    std::vector<std::string> presence;
    std::vector<std::uint32_t> queued_for;
  };
  virtual Result<Wakeups> TakeWakeups() = 0;

  // CLU-9: the next value (>= 1) of the deployment-wide counter `name`
  // ("call", "transfer" or "voice": G-41's callId, transferId, voiceId), from
  // a database sequence shared by every SG process; never the same value
  // twice, possibly with gaps. STORE-1 while the database is unreachable,
  // STORE-2 for another name.
  virtual Result<std::uint64_t> NextId(std::string_view name) = 0;

  // ---- relays between SG processes (CLU-10..14; reference/roles/sg/relay.h) ----
  // Bodies are opaque here (EncodeRelay's bytes).
  struct PresenceRow {
    std::string account;
    std::uint32_t sg_id = 0;  // the SG process holding the session
    bool offline = false;     // the session there ended
    std::string body;
  };
  struct QueuedRelay {
    std::uint32_t to_sg = 0;
    std::string body;
  };
  // One transaction, in order: each presence row replaces the account's row
  // (an offline row deletes it if `sg_id` still holds it) and is announced to
  // every process (NOTIFY with the body); each queued relay is appended to
  // `to_sg`'s queue (durable until taken) and announced to it. STORE-1 while
  // the database is unreachable (nothing written).
  virtual Status PutRelays(const std::vector<PresenceRow>& presence, const std::vector<QueuedRelay>& queued) = 0;
  // Removes and returns up to `max` queued relays for `sg_id`, oldest first
  // (each sender's in the order it queued them).
  virtual Result<std::vector<std::string>> TakeQueued(std::uint32_t sg_id, std::size_t max) = 0;
  // The bodies of the presence rows held by SG processes with a live lease.
  virtual Result<std::vector<std::string>> LivePresence() = 0;
  // The bodies of the presence rows held by `sg_id` (at its start: what a
  // killed predecessor left).
  virtual Result<std::vector<std::string>> PresenceHeldBy(std::uint32_t sg_id) = 0;
};

// Connects to the PostgreSQL database at `uri` (as OpenPostgresStore) and
// creates the registry table if it is missing.
Result<std::unique_ptr<Cluster>> OpenPostgresCluster(const std::string& uri);

}  // namespace mcpsim::reference
