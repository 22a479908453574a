// The MC's client cache (PROTOCOL.md §7.11 CACHE-1..5, §7.12 PRIV-2): the
// phone's own SQLite file, surviving power-off and restart.
//
// Keyed by (DeviceId, account) (CACHE-1): the own profile (version, nickname,
// psm, avatarId) and avatar image, the contact-list version, up to 1000
// contact records (account, nickname, psm, avatarId, profileVersion, flags)
// with their avatar images, and the msgIds of offline messages already shown
// (SG-OFF-6). Per DeviceId: the privacy-agreement acceptance (PRIV-2).
//
// Memory: a file database is opened for each call and closed before it
// returns, so an idle client holds no SQLite connection; ":memory:" (and
// "file::memory:..." URIs) are kept open for the cache's lifetime, since
// closing would lose them. Every write is one transaction (atomic commit,
// SG-SYNC-8). Errors are values (clause STORE-1/STORE-2 from the wrapper).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/atom.h"
#include "core/status.h"
#include "reference/store/sqlite.h"

namespace mcpsim::reference {

// One contact as the client keeps it (record fields of §7.4 minus `op`).
// Text fields are Atoms (core/atom.h: interned, shared by every phone that
// lists the same contact), read like const std::strings.
struct McContact {
  Atom nickname, psm, avatar_id;
  std::uint32_t profile_version = 0;
  std::uint32_t flags = 0;  // bit 1 = blocked by the user
  bool operator==(const McContact&) const = default;
};

// The user's own profile (RPS/APS fields). version 0 = nothing cached.
struct McProfile {
  std::uint32_t version = 0;
  Atom nickname, psm, avatar_id;
  bool operator==(const McProfile&) const = default;
};

// What the cache holds for one (DeviceId, account).
struct McCachedAccount {
  std::uint32_t list_version = 0;  // 0 = no cached list
  McProfile profile;
  std::map<std::string, McContact> contacts;  // by account, ascending
};

class ClientCache {
 public:
  // No I/O happens here; the file is created on first use.
  explicit ClientCache(std::string path);

  const std::string& path() const { return path_; }

  Result<bool> PrivacyAccepted(std::string_view device);
  Status SetPrivacyAccepted(std::string_view device);

  // Everything cached for (device, account); an empty McCachedAccount if none.
  Result<McCachedAccount> Load(std::string_view device, std::string_view account);

  // Commits one complete sync atomically (SG-SYNC-8): on `full` the stored
  // list becomes exactly `upserts`; otherwise `upserts` are inserted or
  // replaced and `removed` deleted. A contact whose avatarId changes loses its
  // cached avatar image. Then the list version becomes `list_version`.
  Status CommitSync(std::string_view device, std::string_view account,
                    std::uint32_t list_version, bool full,
                    const std::vector<std::pair<std::string, McContact>>& upserts,
                    const std::vector<std::string>& removed);

  // Stores the own profile (SG-PROF-4); a changed avatarId drops the image.
  Status SaveProfile(std::string_view device, std::string_view account, const McProfile& p);

  // Avatar images (CACHE-2). `contact` empty = the own avatar. Save stores the
  // bytes only if the record still has `avatar_id`.
  Status SaveAvatar(std::string_view device, std::string_view account, std::string_view contact,
                    std::string_view avatar_id, std::string_view bytes);
  Result<std::optional<std::string>> Avatar(std::string_view device, std::string_view account,
                                            std::string_view contact);

  // Offline messages already shown (SG-OFF-6). At most `kMaxSeenMessages`
  // msgIds are kept per account (the lowest are dropped first: SG msgIds grow).
  static constexpr std::size_t kMaxSeenMessages = 1000;
  Result<bool> SeenOfflineMessage(std::string_view device, std::string_view account,
                                  std::uint32_t msg_id);
  Status AddSeenOfflineMessage(std::string_view device, std::string_view account,
                               std::uint32_t msg_id);

 private:
  // Opens (and migrates) the database if it is not open.
  Result<sql::Db*> Acquire();
  // Closes a file database (keeps in-memory ones).
  void Release();
  Status Transaction(const std::function<Status(sql::Db&)>& body);

  std::string path_;
  bool keep_open_ = false;
  std::optional<sql::Db> db_;
};

}  // namespace mcpsim::reference
