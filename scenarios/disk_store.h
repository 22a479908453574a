// scenarios: a server node's store on a simulated disk (sim::Disk through the
// SQLite VFS "mcpsim-sim"), as the reference world hosts it when a scenario
// asks for disks (RefWorldOptions::disks).
//
// DiskStore is a reference::Store that forwards every call to a SQLite store
// opened on the node's disk, and adds what a machine does:
//   * PowerCut(): the node lost power — the open connection dies without
//     writing anything more (the disk is offline while it is closed), the
//     disk drops or tears its unsynced writes (sim::Disk::PowerCut), and the
//     store is opened again from what survived (SQLite rolls back a hot
//     journal). The object stays the same, so roles holding it keep working.
//   * slow sync: after each call, the virtual time the disk's syncs took
//     (sim::Disk::TakeSyncLatency) is charged to the node: `on_busy(end)` is
//     called with the time the disk is busy until (RefWorld clogs the node's
//     links until then, so answers leave that much later).
// If the store cannot be (re)opened, every call answers STORE-1 and the next
// call tries again.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "reference/store/store.h"
#include "sim/disk.h"
#include "sim/disk_vfs.h"

namespace mcpsim::scenarios {

class DiskStore final : public reference::Store {
 public:
  // `clock`: the world's virtual time; streams "disk:<node>" and
  // "disk-vfs:<node>" of `seed`. `on_busy` may be empty.
  DiskStore(std::uint64_t seed, const std::string& node, std::function<TimeUs()> clock,
            std::function<void(TimeUs busy_until)> on_busy);
  ~DiskStore() override;

  // (Re)opens the database file on the disk; STORE-1 on failure.
  Status Open();
  // See the header comment.
  void PowerCut();
  sim::Disk& disk() { return disk_; }

  Result<bool> CreateAccount(const reference::Account& a) override;
  Result<std::optional<reference::Account>> GetAccount(std::string_view name) override;
  Result<std::uint64_t> CountAccounts() override;
  Status AddUpload(const reference::Upload& u) override;
  Result<std::vector<reference::Upload>> ListUploads(std::string_view mid) override;
  Result<std::uint64_t> CountUploads() override;
  Status PutMedia(const reference::Media& m) override;
  Result<std::optional<reference::Media>> GetMedia(std::string_view id) override;
  Result<std::optional<reference::Profile>> GetProfile(std::string_view account) override;
  Result<std::vector<std::string>> UpdateProfile(std::string_view account, const reference::Profile& f) override;
  Result<reference::ContactList> GetContactList(std::string_view owner) override;
  Result<std::optional<reference::ContactEntry>> GetContact(std::string_view owner,
                                                            std::string_view contact) override;
  Result<std::uint32_t> CountContacts(std::string_view owner) override;
  Result<reference::ContactEditResult> EditContact(std::string_view owner, std::string_view contact,
                                                   reference::ContactEdit op) override;
  Result<std::vector<std::string>> ListOwnersOf(std::string_view contact) override;
  Result<std::uint64_t> AddOfflineMessage(const reference::OfflineMessage& m) override;
  Result<std::vector<reference::OfflineMessage>> ListOfflineMessages(std::string_view recipient) override;
  Result<std::uint64_t> CountOfflineMessages(std::string_view recipient) override;
  Result<bool> DeleteOfflineMessage(std::uint64_t id) override;
  Status BeginBatch() override;
  Status EndBatch() override;
  bool in_batch() const override { return batch_; }

 private:
  // Runs fn(inner store) (STORE-1 if none is open), then charges sync latency.
  template <typename F>
  auto Call(F&& fn) -> decltype(fn(std::declval<reference::Store&>()));
  void ChargeLatency();

  sim::Disk disk_;
  std::function<TimeUs()> clock_;
  std::function<void(TimeUs)> on_busy_;
  sim::DiskMount mount_;
  std::unique_ptr<reference::Store> inner_;
  TimeUs busy_until_ = 0;
  bool batch_ = false;
};

}  // namespace mcpsim::scenarios
