#include "scenarios/disk_store.h"

#include <algorithm>

namespace mcpsim::scenarios {

using namespace reference;

namespace {
constexpr const char* kDbFile = "store.db";
}  // namespace

DiskStore::DiskStore(std::uint64_t seed, const std::string& node, std::function<TimeUs()> clock,
                     std::function<void(TimeUs)> on_busy)
    : disk_(Rng::Stream(seed, "disk:" + node)),
      clock_(clock),
      on_busy_(std::move(on_busy)),
      mount_(disk_, clock, Rng::Stream(seed, "disk-vfs:" + node)) {}

DiskStore::~DiskStore() { inner_.reset(); }  // before the mount

Status DiskStore::Open() {
  inner_.reset();
  auto s = OpenSqliteStoreOnVfs(mount_.Path(kDbFile), sim::kDiskVfsName);
  if (!s.ok()) return s.status();
  inner_ = std::move(*s);
  return {};
}

void DiskStore::PowerCut() {
  // The process dies first: closing its connection must not write (a real
  // crash runs no rollback), so the disk refuses everything meanwhile.
  double rates[sim::kDiskFaultCount];
  for (int i = 0; i < sim::kDiskFaultCount; ++i) rates[i] = disk_.fault_rate(static_cast<sim::DiskFault>(i));
  disk_.SetOffline(true);
  inner_.reset();
  batch_ = false;
  disk_.PowerCut();
  (void)disk_.TakeSyncLatency();
  busy_until_ = 0;
  // Reopen from what survived, with the faults off (recovery itself is not
  // what a fault window tests; a failed open is retried by the next call).
  for (int i = 0; i < sim::kDiskFaultCount; ++i) disk_.SetFault(static_cast<sim::DiskFault>(i), 0);
  (void)Open();
  for (int i = 0; i < sim::kDiskFaultCount; ++i) disk_.SetFault(static_cast<sim::DiskFault>(i), rates[i]);
  (void)disk_.TakeSyncLatency();
}

void DiskStore::ChargeLatency() {
  const TimeUs lat = disk_.TakeSyncLatency();
  if (lat <= 0) return;
  const TimeUs now = clock_ ? clock_() : 0;
  busy_until_ = std::max(busy_until_, now) + lat;
  if (on_busy_) on_busy_(busy_until_);
}

template <typename F>
auto DiskStore::Call(F&& fn) -> decltype(fn(std::declval<Store&>())) {
  if (!inner_) {
    if (batch_) return Status::Error("STORE-1", "the store on the simulated disk is not open");
    if (Status s = Open(); !s.ok()) {
      ChargeLatency();
      return s;
    }
  }
  auto r = fn(*inner_);
  ChargeLatency();
  return r;
}

Result<bool> DiskStore::CreateAccount(const Account& a) {
  return Call([&](Store& s) { return s.CreateAccount(a); });
}
Result<std::optional<Account>> DiskStore::GetAccount(std::string_view name) {
  return Call([&](Store& s) { return s.GetAccount(name); });
}
Result<std::uint64_t> DiskStore::CountAccounts() {
  return Call([&](Store& s) { return s.CountAccounts(); });
}
Status DiskStore::AddUpload(const Upload& u) {
  return Call([&](Store& s) { return s.AddUpload(u); });
}
Result<std::vector<Upload>> DiskStore::ListUploads(std::string_view mid) {
  return Call([&](Store& s) { return s.ListUploads(mid); });
}
Result<std::uint64_t> DiskStore::CountUploads() {
  return Call([&](Store& s) { return s.CountUploads(); });
}
Status DiskStore::PutMedia(const Media& m) {
  return Call([&](Store& s) { return s.PutMedia(m); });
}
Result<std::optional<Media>> DiskStore::GetMedia(std::string_view id) {
  return Call([&](Store& s) { return s.GetMedia(id); });
}
Result<std::optional<Profile>> DiskStore::GetProfile(std::string_view account) {
  return Call([&](Store& s) { return s.GetProfile(account); });
}
Result<std::vector<std::string>> DiskStore::UpdateProfile(std::string_view account, const Profile& f) {
  return Call([&](Store& s) { return s.UpdateProfile(account, f); });
}
Result<ContactList> DiskStore::GetContactList(std::string_view owner) {
  return Call([&](Store& s) { return s.GetContactList(owner); });
}
Result<std::optional<ContactEntry>> DiskStore::GetContact(std::string_view owner, std::string_view contact) {
  return Call([&](Store& s) { return s.GetContact(owner, contact); });
}
Result<std::uint32_t> DiskStore::CountContacts(std::string_view owner) {
  return Call([&](Store& s) { return s.CountContacts(owner); });
}
Result<ContactEditResult> DiskStore::EditContact(std::string_view owner, std::string_view contact,
                                                 ContactEdit op) {
  return Call([&](Store& s) { return s.EditContact(owner, contact, op); });
}
Result<std::vector<std::string>> DiskStore::ListOwnersOf(std::string_view contact) {
  return Call([&](Store& s) { return s.ListOwnersOf(contact); });
}
Result<std::uint64_t> DiskStore::AddOfflineMessage(const OfflineMessage& m) {
  return Call([&](Store& s) { return s.AddOfflineMessage(m); });
}
Result<std::vector<OfflineMessage>> DiskStore::ListOfflineMessages(std::string_view recipient) {
  return Call([&](Store& s) { return s.ListOfflineMessages(recipient); });
}
Result<std::uint64_t> DiskStore::CountOfflineMessages(std::string_view recipient) {
  return Call([&](Store& s) { return s.CountOfflineMessages(recipient); });
}
Result<bool> DiskStore::DeleteOfflineMessage(std::uint64_t id) {
  return Call([&](Store& s) { return s.DeleteOfflineMessage(id); });
}

Status DiskStore::BeginBatch() {
  if (batch_) return Status::Error("STORE-4", "a batch is already open");
  Status st = Call([&](Store& s) { return s.BeginBatch(); });
  if (st.ok()) batch_ = true;
  return st;
}

Status DiskStore::EndBatch() {
  if (!batch_) return Status::Error("STORE-4", "no batch is open");
  batch_ = false;
  if (!inner_) return Status::Error("STORE-1", "the store on the simulated disk was lost during the batch");
  Status st = inner_->EndBatch();
  ChargeLatency();
  return st;
}

}  // namespace mcpsim::scenarios
