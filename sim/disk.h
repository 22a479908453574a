// sim: a simulated disk for one node — files held in simulated memory, with
// the durability of a real disk under a power cut, and injectable faults.
//
// Durability model (what a crash of the node keeps):
//   * Write and Truncate change what Read sees at once, but stay *unsynced*
//     until Sync(file): a PowerCut() drops every unsynced change (the file
//     goes back to its contents at its last Sync) — or, when the cut tears
//     (SetTearProbability), it keeps a seeded subset of them at page
//     granularity: each kPageSize-aligned piece of each unsynced write
//     survives or not on its own (old or new per page, never a mix inside a
//     piece), each unsynced truncate survives or not. Synced bytes always
//     survive.
//   * Creating and deleting a file are durable at once (as if the directory
//     were synced with each), so only file contents can be lost or torn.
//
// Faults (each op draws from the disk's own PRNG stream only while its fault
// is on, so turning a fault on changes no other random choice):
//   read / write / sync error: the op fails ("DISK-1"/"DISK-2"/"DISK-3") with
//     probability `rate` and changes nothing (a failed Sync leaves the writes
//     unsynced).
//   full: a write or truncate that grows the disk's total size fails
//     ("DISK-4") with probability `rate`; so does any growth beyond a quota
//     (SetQuota), always.
//   slow sync: each Sync takes `latency` of virtual time; the disk only
//     accumulates it (TakeSyncLatency), the hosting glue decides what waits.
//
// No clock, no real I/O, no threads; protocol-agnostic (no SQL, no MCP).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/rng.h"
#include "core/status.h"

namespace mcpsim::sim {

enum class DiskFault : std::uint8_t { kReadError, kWriteError, kSyncError, kFull, kSlowSync };
inline constexpr int kDiskFaultCount = 5;

struct DiskStats {
  std::uint64_t reads = 0, writes = 0, truncates = 0, syncs = 0;
  std::uint64_t read_errors = 0, write_errors = 0, sync_errors = 0, full_errors = 0;
  std::uint64_t power_cuts = 0;
  std::uint64_t unsynced_lost = 0;   // unsynced write/truncate pieces a power cut dropped
  std::uint64_t unsynced_kept = 0;   // ... and kept (torn cuts only)
  TimeUs sync_latency = 0;           // total slow-sync latency
};

class Disk {
 public:
  static constexpr std::uint64_t kPageSize = 4096;

  // `rng`: the disk's own stream (e.g. Rng::Stream(seed, "disk:<node>")).
  explicit Disk(Rng rng) : rng_(rng) {}

  // ---- files (flat names; no directories) ----
  bool Exists(const std::string& name) const { return files_.count(name) != 0; }
  // Creates an empty file if `name` does not exist (durable at once).
  void Create(const std::string& name);
  // Removes the file (durable at once); false if there was none.
  bool Delete(const std::string& name);
  // Current size (what Read sees); 0 for a missing file.
  std::uint64_t Size(const std::string& name) const;
  // Copies up to out.size() bytes at `offset` into `out`; returns how many
  // were inside the file (the rest of `out` is zeroed). "DISK-1" read error,
  // "DISK-0" no such file.
  Result<std::size_t> Read(const std::string& name, std::uint64_t offset, std::span<std::uint8_t> out);
  // Writes `data` at `offset` (extending the file, a gap reads as zeros).
  // Unsynced until Sync. "DISK-2" write error, "DISK-4" full, "DISK-0".
  Status Write(const std::string& name, std::uint64_t offset, std::span<const std::uint8_t> data);
  // Sets the size (shrinks, or grows with zeros). Unsynced until Sync.
  Status Truncate(const std::string& name, std::uint64_t size);
  // Makes every change to `name` durable. "DISK-3" sync error, "DISK-0".
  Status Sync(const std::string& name);
  // Existing files, ascending.
  std::vector<std::string> Files() const;
  // Total current size of all files.
  std::uint64_t TotalSize() const { return total_; }
  // Unsynced changes of `name` (0 when everything is durable).
  std::size_t Unsynced(const std::string& name) const;

  // ---- power ----
  // The node lost power: every file becomes what survived (see the header
  // comment); afterwards everything on the disk is durable, the disk is
  // online and no power loss is armed.
  void PowerCut();
  // While offline (the node is losing power) every Read, Write, Truncate,
  // Sync and Delete fails with "DISK-5" and changes nothing.
  void SetOffline(bool off) { offline_ = off; }
  // Power fails in the middle of the `ops`-th Write, Truncate or Sync from
  // now (ops >= 1): that op fails "DISK-5", the disk goes offline and
  // `on_lost` runs (synchronously, inside the op; it must not re-enter the
  // disk). The glue then crashes the node and calls PowerCut. One arming at
  // a time; PowerCut and DisarmPowerLoss disarm.
  void ArmPowerLoss(std::uint64_t ops, std::function<void()> on_lost) {
    power_loss_in_ = ops;
    on_lost_ = std::move(on_lost);
  }
  void DisarmPowerLoss() {
    power_loss_in_ = 0;
    on_lost_ = nullptr;
  }
  bool offline() const { return offline_; }
  // Probability that a power cut tears (keeps a random subset of unsynced
  // pieces) instead of dropping every unsynced change. Default 0.
  void SetTearProbability(double p) { tear_p_ = p; }

  // ---- faults ----
  // rate in [0, 1]; 0 turns the fault off. kSlowSync ignores rate (use
  // SetSyncLatency).
  void SetFault(DiskFault f, double rate) { rate_[static_cast<int>(f)] = rate; }
  double fault_rate(DiskFault f) const { return rate_[static_cast<int>(f)]; }
  // Writes that would grow TotalSize beyond `bytes` fail "DISK-4" (0 = none).
  void SetQuota(std::uint64_t bytes) { quota_ = bytes; }
  // TEST-ONLY: a lying disk — Sync reports success but makes nothing durable
  // (like a store running with synchronous=OFF: it acknowledges before its
  // writes are on disk). Proves the durability checkers can fail.
  void SetLyingSync(bool on) { lying_sync_ = on; }
  // Virtual time each Sync takes from now on (0 = instant).
  void SetSyncLatency(TimeUs latency) { sync_latency_ = latency; }
  // The virtual time the syncs since the last call took (then resets to 0).
  TimeUs TakeSyncLatency() {
    const TimeUs t = pending_latency_;
    pending_latency_ = 0;
    return t;
  }

  const DiskStats& stats() const { return stats_; }

 private:
  struct Change {
    bool truncate = false;
    std::uint64_t offset = 0;  // write: where; truncate: the new size
    std::vector<std::uint8_t> bytes;
  };
  struct File {
    std::vector<std::uint8_t> data;     // current contents
    std::vector<std::uint8_t> durable;  // contents as of the last Sync
    std::vector<Change> unsynced;       // in order
  };
  bool Fails(DiskFault f);
  // Growth of the disk by `grow` bytes is allowed ("DISK-4" otherwise).
  Status CheckSpace(std::uint64_t grow);
  static void Apply(std::vector<std::uint8_t>& v, const Change& c);
  static void ApplyWrite(std::vector<std::uint8_t>& v, std::uint64_t offset, const std::uint8_t* p, std::size_t n);

  Rng rng_;
  std::map<std::string, File> files_;
  std::uint64_t total_ = 0;
  double rate_[kDiskFaultCount] = {};
  double tear_p_ = 0.0;
  bool offline_ = false;
  bool lying_sync_ = false;
  std::uint64_t power_loss_in_ = 0;  // ArmPowerLoss countdown (0 = not armed)
  std::function<void()> on_lost_;
  // Counts a mutating op down to an armed power loss; true = power just failed.
  bool PowerFails();
  std::uint64_t quota_ = 0;
  TimeUs sync_latency_ = 0, pending_latency_ = 0;
  DiskStats stats_;
};

}  // namespace mcpsim::sim
