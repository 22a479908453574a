#include "reference/store/faulty_store.h"

namespace mcpsim::reference {
namespace {

Status Injected(std::string_view site) {
  return Status::Error("STORE-1", "injected storage failure (fault point " + std::string(site) + ")");
}

class FaultyStore final : public Store {
 public:
  FaultyStore(Store& inner, FaultPoints* faults) : in_(inner), f_(faults) {}

  // STORE-1 / RS-11: nothing is created; RS answers 501.
  Result<bool> CreateAccount(const Account& a) override {
    if (FaultPoint(f_, "store.account.create.fail")) return Injected("store.account.create.fail");
    return in_.CreateAccount(a);
  }
  // STORE-1: a read fails; the request needing it is answered 501.
  Result<std::optional<Account>> GetAccount(std::string_view name) override {
    if (FaultPoint(f_, "store.account.get.fail")) return Injected("store.account.get.fail");
    return in_.GetAccount(name);
  }
  Result<std::uint64_t> CountAccounts() override { return in_.CountAccounts(); }

  // STORE-1 / CS-1: nothing is recorded; CS answers RUP 501.
  Status AddUpload(const Upload& u) override {
    if (FaultPoint(f_, "store.upload.add.fail")) return Injected("store.upload.add.fail");
    return in_.AddUpload(u);
  }
  Result<std::vector<Upload>> ListUploads(std::string_view mid) override { return in_.ListUploads(mid); }
  Result<std::uint64_t> CountUploads() override { return in_.CountUploads(); }

  Status PutMedia(const Media& m) override { return in_.PutMedia(m); }
  // STORE-1 / MS-2: MS answers 503.
  Result<std::optional<Media>> GetMedia(std::string_view id) override {
    if (FaultPoint(f_, "store.media.get.fail")) return Injected("store.media.get.fail");
    return in_.GetMedia(id);
  }

  Result<std::optional<Profile>> GetProfile(std::string_view account) override { return in_.GetProfile(account); }
  // STORE-1 / SG-PROF-1: no version bump anywhere; SG answers 501.
  Result<std::vector<std::string>> UpdateProfile(std::string_view account, const Profile& fields) override {
    if (FaultPoint(f_, "store.profile.update.fail")) return Injected("store.profile.update.fail");
    return in_.UpdateProfile(account, fields);
  }
  Result<ContactList> GetContactList(std::string_view owner) override { return in_.GetContactList(owner); }
  Result<std::optional<ContactEntry>> GetContact(std::string_view owner, std::string_view contact) override {
    return in_.GetContact(owner, contact);
  }
  Result<std::uint32_t> CountContacts(std::string_view owner) override { return in_.CountContacts(owner); }
  // STORE-1 / SG-CONT-1: the list and its version stay; SG answers 501.
  Result<ContactEditResult> EditContact(std::string_view owner, std::string_view contact,
                                        ContactEdit op) override {
    if (FaultPoint(f_, "store.contact.edit.fail")) return Injected("store.contact.edit.fail");
    return in_.EditContact(owner, contact, op);
  }
  Result<std::vector<std::string>> ListOwnersOf(std::string_view contact) override {
    return in_.ListOwnersOf(contact);
  }

  // STORE-1 / SG-OFF-1: not stored, so not acknowledged (ROM 501).
  Result<std::uint64_t> AddOfflineMessage(const OfflineMessage& m) override {
    if (FaultPoint(f_, "store.offline.add.fail")) return Injected("store.offline.add.fail");
    return in_.AddOfflineMessage(m);
  }
  Result<std::vector<OfflineMessage>> ListOfflineMessages(std::string_view recipient) override {
    return in_.ListOfflineMessages(recipient);
  }
  Result<std::uint64_t> CountOfflineMessages(std::string_view recipient) override {
    return in_.CountOfflineMessages(recipient);
  }
  // STORE-1 / SG-OFF-3, SG-OFF-6: the message stays queued; offered again at
  // the next login, where the MC answers APN 0 without showing it again.
  Result<bool> DeleteOfflineMessage(std::uint64_t id) override {
    if (FaultPoint(f_, "store.offline.delete.fail")) return Injected("store.offline.delete.fail");
    return in_.DeleteOfflineMessage(id);
  }

  Status BeginBatch() override { return in_.BeginBatch(); }
  Status EndBatch() override { return in_.EndBatch(); }
  bool in_batch() const override { return in_.in_batch(); }

 private:
  Store& in_;
  FaultPoints* f_;
};

}  // namespace

std::unique_ptr<Store> WithFaultPoints(Store& inner, FaultPoints* faults) {
  return std::make_unique<FaultyStore>(inner, faults);
}

}  // namespace mcpsim::reference
