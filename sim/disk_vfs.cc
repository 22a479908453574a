#include "sim/disk_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace mcpsim::sim {

struct DiskVfsAccess {
  static Disk& disk(DiskMount& m) { return m.disk_; }
  static TimeUs now(DiskMount& m) { return m.clock_ ? m.clock_() : 0; }
  static Rng& rng(DiskMount& m) { return m.rng_; }
};

namespace {

constexpr const char* kPrefix = "/mcpsim-disk-";

std::mutex& RegistryMutex() {
  static std::mutex m;
  return m;
}
// Mounts by id (lookup only).
std::map<std::uint64_t, DiskMount*>& Registry() {
  static std::map<std::uint64_t, DiskMount*> r;
  return r;
}
std::uint64_t next_id = 1;  // guarded by RegistryMutex
// The live mounts created on this thread, oldest first.
thread_local std::vector<DiskMount*> t_mounts;

// Splits "/mcpsim-disk-<n>/<file>" into the mount and the file name.
DiskMount* Resolve(const char* path, std::string* file) {
  if (!path) return nullptr;
  const std::string p(path);
  const std::size_t plen = std::strlen(kPrefix);
  if (p.compare(0, plen, kPrefix) != 0) return nullptr;
  const std::size_t slash = p.find('/', plen);
  if (slash == std::string::npos) return nullptr;
  std::uint64_t id = 0;
  for (std::size_t i = plen; i < slash; ++i) {
    if (p[i] < '0' || p[i] > '9') return nullptr;
    id = id * 10 + static_cast<std::uint64_t>(p[i] - '0');
  }
  *file = p.substr(slash + 1);
  std::lock_guard<std::mutex> lock(RegistryMutex());
  auto it = Registry().find(id);
  return it == Registry().end() ? nullptr : it->second;
}

struct SimFile {
  sqlite3_file base;  // first: SQLite sees a sqlite3_file*
  DiskMount* mount;
  std::string* name;  // heap: SimFile is raw memory SQLite allocates
  bool delete_on_close;
  int lock;
};

SimFile* Of(sqlite3_file* f) { return reinterpret_cast<SimFile*>(f); }
Disk& DiskOf(sqlite3_file* f) { return DiskVfsAccess::disk(*Of(f)->mount); }

int MapError(const Status& s, int io_code) {
  if (s.clause() == "DISK-4") return SQLITE_FULL;
  return io_code;
}

int Close(sqlite3_file* f) {
  SimFile* sf = Of(f);
  if (sf->delete_on_close) DiskOf(f).Delete(*sf->name);
  delete sf->name;
  sf->name = nullptr;
  return SQLITE_OK;
}

int Read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  auto r = DiskOf(f).Read(*Of(f)->name, static_cast<std::uint64_t>(off),
                          std::span<std::uint8_t>(static_cast<std::uint8_t*>(buf), static_cast<std::size_t>(amt)));
  if (!r.ok()) return SQLITE_IOERR_READ;
  return *r < static_cast<std::size_t>(amt) ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

int Write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  Status s = DiskOf(f).Write(*Of(f)->name, static_cast<std::uint64_t>(off),
                             std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(buf),
                                                           static_cast<std::size_t>(amt)));
  return s.ok() ? SQLITE_OK : MapError(s, SQLITE_IOERR_WRITE);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  Status s = DiskOf(f).Truncate(*Of(f)->name, static_cast<std::uint64_t>(size));
  return s.ok() ? SQLITE_OK : MapError(s, SQLITE_IOERR_TRUNCATE);
}

int Sync(sqlite3_file* f, int) {
  Status s = DiskOf(f).Sync(*Of(f)->name);
  return s.ok() ? SQLITE_OK : MapError(s, SQLITE_IOERR_FSYNC);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  *size = static_cast<sqlite3_int64>(DiskOf(f).Size(*Of(f)->name));
  return SQLITE_OK;
}

int Lock(sqlite3_file* f, int level) {
  Of(f)->lock = std::max(Of(f)->lock, level);
  return SQLITE_OK;
}
int Unlock(sqlite3_file* f, int level) {
  Of(f)->lock = std::min(Of(f)->lock, level);
  return SQLITE_OK;
}
int CheckReservedLock(sqlite3_file*, int* out) {
  *out = 0;  // never contended: one connection per database
  return SQLITE_OK;
}
int FileControl(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int SectorSize(sqlite3_file*) { return static_cast<int>(Disk::kPageSize); }
int DeviceCharacteristics(sqlite3_file*) { return 0; }

const sqlite3_io_methods kMethods = {
    1,         Close,    Read,       Write,       Truncate,          Sync,       FileSize, Lock, Unlock,
    CheckReservedLock, FileControl, SectorSize, DeviceCharacteristics,
    nullptr,   nullptr,  nullptr,    nullptr,     nullptr,           nullptr};

int Open(sqlite3_vfs*, const char* zname, sqlite3_file* f, int flags, int* out_flags) {
  SimFile* sf = Of(f);
  sf->base.pMethods = nullptr;  // until the open succeeded
  std::string file;
  DiskMount* m = nullptr;
  bool temp = false;
  if (zname) {
    m = Resolve(zname, &file);
  } else if (!t_mounts.empty()) {
    // A temporary file (not used with temp_store=MEMORY): on the newest mount.
    m = t_mounts.back();
    temp = true;
    Rng& r = DiskVfsAccess::rng(*m);
    file = "temp-" + std::to_string(r.Next());
  }
  if (!m) return SQLITE_CANTOPEN;
  Disk& d = DiskVfsAccess::disk(*m);
  if (!d.Exists(file)) {
    if (!(flags & SQLITE_OPEN_CREATE)) return SQLITE_CANTOPEN;
    d.Create(file);
  }
  sf->mount = m;
  sf->name = new std::string(file);
  sf->delete_on_close = temp || (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
  sf->lock = SQLITE_LOCK_NONE;
  sf->base.pMethods = &kMethods;
  if (out_flags) *out_flags = flags;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* zname, int) {
  std::string file;
  DiskMount* m = Resolve(zname, &file);
  if (!m || DiskVfsAccess::disk(*m).offline()) return SQLITE_IOERR_DELETE;
  if (!DiskVfsAccess::disk(*m).Delete(file)) return SQLITE_IOERR_DELETE_NOENT;
  return SQLITE_OK;
}

int Access(sqlite3_vfs*, const char* zname, int flags, int* out) {
  std::string file;
  DiskMount* m = Resolve(zname, &file);
  *out = 0;
  if (!m) return SQLITE_OK;
  Disk& d = DiskVfsAccess::disk(*m);
  if (flags == SQLITE_ACCESS_EXISTS) {
    *out = d.Exists(file) && d.Size(file) > 0;  // as unix: an empty file does not count
  } else {
    *out = d.Exists(file);
  }
  return SQLITE_OK;
}

int FullPathname(sqlite3_vfs*, const char* zname, int n, char* out) {
  const std::size_t len = std::strlen(zname);
  if (len + 1 > static_cast<std::size_t>(n)) return SQLITE_CANTOPEN;
  std::memcpy(out, zname, len + 1);
  return SQLITE_OK;
}

int Randomness(sqlite3_vfs*, int n, char* out) {
  if (t_mounts.empty()) {
    std::memset(out, 0, static_cast<std::size_t>(n));
    return n;
  }
  Rng& r = DiskVfsAccess::rng(*t_mounts.back());
  for (int i = 0; i < n; ++i) out[i] = static_cast<char>(r.Next() & 0xff);
  return n;
}

int Sleep(sqlite3_vfs*, int us) { return us; }  // no real sleep (never contended)

int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  constexpr sqlite3_int64 kUnixEpochJulianMs = 210866760000000LL;
  const TimeUs now = t_mounts.empty() ? 0 : DiskVfsAccess::now(*t_mounts.back());
  *out = kUnixEpochJulianMs + now / 1000;
  return SQLITE_OK;
}

int CurrentTime(sqlite3_vfs* v, double* out) {
  sqlite3_int64 ms = 0;
  CurrentTimeInt64(v, &ms);
  *out = static_cast<double>(ms) / 86400000.0;
  return SQLITE_OK;
}

int GetLastError(sqlite3_vfs*, int, char*) { return 0; }

sqlite3_vfs g_vfs = {
    2,                          // iVersion (xCurrentTimeInt64)
    static_cast<int>(sizeof(SimFile)),
    512,                        // mxPathname
    nullptr,                    // pNext
    kDiskVfsName,
    nullptr,                    // pAppData
    Open,
    Delete,
    Access,
    FullPathname,
    nullptr, nullptr, nullptr, nullptr,  // no extensions
    Randomness,
    Sleep,
    CurrentTime,
    GetLastError,
    CurrentTimeInt64,
    nullptr, nullptr, nullptr};

}  // namespace

Status RegisterDiskVfs() {
  static int rc = sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0);
  if (rc != SQLITE_OK) return Status::Error("DISK-VFS", "sqlite3_vfs_register failed: " + std::to_string(rc));
  return {};
}

DiskMount::DiskMount(Disk& disk, std::function<TimeUs()> clock, Rng rng)
    : disk_(disk), clock_(std::move(clock)), rng_(rng) {
  (void)RegisterDiskVfs();
  std::lock_guard<std::mutex> lock(RegistryMutex());
  id_ = next_id++;
  Registry()[id_] = this;
  t_mounts.push_back(this);
}

DiskMount::~DiskMount() {
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    Registry().erase(id_);
  }
  t_mounts.erase(std::remove(t_mounts.begin(), t_mounts.end(), this), t_mounts.end());
}

std::string DiskMount::Path(const std::string& file) const {
  return kPrefix + std::to_string(id_) + "/" + file;
}

}  // namespace mcpsim::sim
