#include "sim/disk.h"

#include <algorithm>
#include <cstring>

namespace mcpsim::sim {

namespace {
Status NoFile(const std::string& name) { return Status::Error("DISK-0", "no such file: " + name); }
Status Offline() { return Status::Error("DISK-5", "the disk is powered off"); }
}  // namespace

void Disk::Create(const std::string& name) { files_.try_emplace(name); }

bool Disk::Delete(const std::string& name) {
  if (offline_) return false;
  auto it = files_.find(name);
  if (it == files_.end()) return false;
  total_ -= it->second.data.size();
  files_.erase(it);
  return true;
}

std::uint64_t Disk::Size(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? 0 : it->second.data.size();
}

std::vector<std::string> Disk::Files() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : files_) out.push_back(name);
  return out;
}

std::size_t Disk::Unsynced(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? 0 : it->second.unsynced.size();
}

bool Disk::Fails(DiskFault f) {
  const double r = rate_[static_cast<int>(f)];
  return r > 0 && rng_.Chance(r);
}

Status Disk::CheckSpace(std::uint64_t grow) {
  if (grow == 0) return {};
  if ((quota_ != 0 && total_ + grow > quota_) || Fails(DiskFault::kFull)) {
    ++stats_.full_errors;
    return Status::Error("DISK-4", "disk full");
  }
  return {};
}

Result<std::size_t> Disk::Read(const std::string& name, std::uint64_t offset, std::span<std::uint8_t> out) {
  if (offline_) return Offline();
  auto it = files_.find(name);
  if (it == files_.end()) return NoFile(name);
  ++stats_.reads;
  if (Fails(DiskFault::kReadError)) {
    ++stats_.read_errors;
    return Status::Error("DISK-1", "read error on " + name);
  }
  const auto& d = it->second.data;
  std::size_t n = 0;
  if (offset < d.size()) n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), d.size() - offset));
  if (n) std::memcpy(out.data(), d.data() + offset, n);
  if (n < out.size()) std::memset(out.data() + n, 0, out.size() - n);
  return n;
}

void Disk::ApplyWrite(std::vector<std::uint8_t>& v, std::uint64_t offset, const std::uint8_t* p, std::size_t n) {
  if (offset + n > v.size()) v.resize(static_cast<std::size_t>(offset + n), 0);
  if (n) std::memcpy(v.data() + offset, p, n);
}

void Disk::Apply(std::vector<std::uint8_t>& v, const Change& c) {
  if (c.truncate) {
    v.resize(static_cast<std::size_t>(c.offset), 0);
  } else {
    ApplyWrite(v, c.offset, c.bytes.data(), c.bytes.size());
  }
}

Status Disk::Write(const std::string& name, std::uint64_t offset, std::span<const std::uint8_t> data) {
  if (offline_ || PowerFails()) return Offline();
  auto it = files_.find(name);
  if (it == files_.end()) return NoFile(name);
  ++stats_.writes;
  if (Fails(DiskFault::kWriteError)) {
    ++stats_.write_errors;
    return Status::Error("DISK-2", "write error on " + name);
  }
  File& f = it->second;
  const std::uint64_t end = offset + data.size();
  if (end > f.data.size()) {
    if (Status s = CheckSpace(end - f.data.size()); !s.ok()) return s;
    total_ += end - f.data.size();
  }
  ApplyWrite(f.data, offset, data.data(), data.size());
  f.unsynced.push_back({false, offset, std::vector<std::uint8_t>(data.begin(), data.end())});
  return {};
}

Status Disk::Truncate(const std::string& name, std::uint64_t size) {
  if (offline_ || PowerFails()) return Offline();
  auto it = files_.find(name);
  if (it == files_.end()) return NoFile(name);
  ++stats_.truncates;
  if (Fails(DiskFault::kWriteError)) {
    ++stats_.write_errors;
    return Status::Error("DISK-2", "truncate error on " + name);
  }
  File& f = it->second;
  if (size > f.data.size()) {
    if (Status s = CheckSpace(size - f.data.size()); !s.ok()) return s;
  }
  total_ = total_ - f.data.size() + size;
  f.data.resize(static_cast<std::size_t>(size), 0);
  f.unsynced.push_back({true, size, {}});
  return {};
}

Status Disk::Sync(const std::string& name) {
  if (offline_ || PowerFails()) return Offline();
  auto it = files_.find(name);
  if (it == files_.end()) return NoFile(name);
  ++stats_.syncs;
  if (sync_latency_ > 0) {
    pending_latency_ += sync_latency_;
    stats_.sync_latency += sync_latency_;
  }
  if (Fails(DiskFault::kSyncError)) {
    ++stats_.sync_errors;
    return Status::Error("DISK-3", "sync error on " + name);
  }
  if (lying_sync_) return {};
  File& f = it->second;
  for (const Change& c : f.unsynced) Apply(f.durable, c);
  f.unsynced.clear();
  return {};
}

bool Disk::PowerFails() {
  if (power_loss_in_ == 0 || --power_loss_in_ != 0) return false;
  offline_ = true;
  auto fn = std::move(on_lost_);
  on_lost_ = nullptr;
  if (fn) fn();
  return true;
}

void Disk::PowerCut() {
  ++stats_.power_cuts;
  offline_ = false;
  DisarmPowerLoss();
  for (auto& [name, f] : files_) {
    if (f.unsynced.empty()) continue;
    const bool tear = tear_p_ > 0 && rng_.Chance(tear_p_);
    if (tear) {
      for (const Change& c : f.unsynced) {
        if (c.truncate) {
          if (rng_.Chance(0.5)) {
            Apply(f.durable, c);
            ++stats_.unsynced_kept;
          } else {
            ++stats_.unsynced_lost;
          }
          continue;
        }
        // Each page-aligned piece of the write survives on its own.
        std::uint64_t pos = c.offset;
        const std::uint64_t end = c.offset + c.bytes.size();
        while (pos < end) {
          const std::uint64_t piece_end = std::min(end, (pos / kPageSize + 1) * kPageSize);
          if (rng_.Chance(0.5)) {
            ApplyWrite(f.durable, pos, c.bytes.data() + (pos - c.offset), static_cast<std::size_t>(piece_end - pos));
            ++stats_.unsynced_kept;
          } else {
            ++stats_.unsynced_lost;
          }
          pos = piece_end;
        }
      }
    } else {
      stats_.unsynced_lost += f.unsynced.size();
    }
    f.unsynced.clear();
    total_ = total_ - f.data.size() + f.durable.size();
    f.data = f.durable;
  }
}

}  // namespace mcpsim::sim
