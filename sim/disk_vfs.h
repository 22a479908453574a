// sim: the SQLite VFS "mcpsim-sim" over sim::Disk — a database opened
// through it lives in simulated memory with the disk's durability (unsynced
// writes lost or torn by a power cut) and faults (errors, full, slow sync).
//
// Usage (the hosting glue):
//   sim::Disk disk(Rng::Stream(seed, "disk:sg"));
//   sim::DiskMount mount(disk, [&] { return world.Now(); }, Rng::Stream(seed, "disk-vfs:sg"));
//   sqlite3_open_v2(mount.Path("store.db").c_str(), &db, flags, sim::kDiskVfsName);
//
// The mount must outlive every connection opened through it. Paths are
// "/mcpsim-disk-<n>/<file>"; SQLite's side files ("<db>-journal", "-wal")
// land on the same disk. Error mapping: DISK-1 -> SQLITE_IOERR_READ, DISK-2 ->
// SQLITE_IOERR_WRITE (truncate: SQLITE_IOERR_TRUNCATE), DISK-3 ->
// SQLITE_IOERR_FSYNC, DISK-4 -> SQLITE_FULL.
//
// Journal modes: the VFS has no shared memory (xShm*), so use a rollback
// journal (journal_mode=DELETE, the mode the simulated stores use, with
// synchronous=FULL) or WAL with locking_mode=EXCLUSIVE. Locks are tracked but
// never contended (one connection per database in the simulation).
// Sector size = sim::Disk::kPageSize, the tearing granularity, so SQLite's
// journal pads to whole torn units; no IOCAP flags are claimed.
//
// Determinism: no real file, clock or sleep. xCurrentTime answers the clock
// of the most recent live mount created on the calling thread (the virtual
// time of its world: all nodes of a world share one clock), 1970-01-01 plus
// that time; xRandomness draws from that mount's seeded stream. SQLite's own
// PRNG (journal nonces) is seeded once per process by the default VFS: it only
// changes bytes a run never observes (a record checksum either matches its
// header or not, whatever the nonce).
#pragma once

#include <functional>
#include <string>

#include "core/env.h"
#include "core/rng.h"
#include "core/status.h"
#include "sim/disk.h"

namespace mcpsim::sim {

inline constexpr const char* kDiskVfsName = "mcpsim-sim";

// Registers the VFS with SQLite (idempotent, thread-safe; never the default
// VFS). "DISK-VFS" if SQLite refuses.
Status RegisterDiskVfs();

class DiskMount {
 public:
  // Registers the VFS if needed and makes `disk` reachable under a fresh
  // path prefix. `clock`: the virtual time (xCurrentTime); `rng`: xRandomness.
  DiskMount(Disk& disk, std::function<TimeUs()> clock, Rng rng);
  ~DiskMount();
  DiskMount(const DiskMount&) = delete;
  DiskMount& operator=(const DiskMount&) = delete;

  // The path of `file` on this disk for sqlite3_open_v2(..., kDiskVfsName).
  std::string Path(const std::string& file) const;
  Disk& disk() { return disk_; }

 private:
  friend struct DiskVfsAccess;
  Disk& disk_;
  std::function<TimeUs()> clock_;
  Rng rng_;
  std::uint64_t id_ = 0;
};

}  // namespace mcpsim::sim
