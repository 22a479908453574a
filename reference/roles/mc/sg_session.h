// One MC session with an SG over UDP (PROTOCOL.md §7.3-§7.8, §7.11): login in
// the seed's client-cache order, contact sync, presence, profile, contact
// edits, conversations, offline messages, file transfer, voice clips and
// nudges. Owned by McClient (one SgSession per Login); it reports through the
// client's McEventSink and persists through its ClientCache.
//
// Login (SG-LOGIN-5/6): RAT (privacy 1, padded per AMP-4) -> on AAT 0 RSII
// (token, presence, caps, cached listVersion or 0) -> ACS / ACR per page
// (SG-SYNC-5, 103 for an unexpected page per SG-SYNC-10) with the records
// applied atomically on completion (SG-SYNC-8) -> RPS with the cached own
// profile (SG-PROF-4) -> ACTIVE on APS 0 (kLogin reported then).
//
// Server-initiated requests are answered through the UdpLink, whose answer
// cache makes each (server trid, word) execute once (TIMER-8): a resent RRM or
// RPN is answered again but delivered to the app once. A new session (new
// Login) gets a fresh link, so trids the SG restarts at 1 never hit an old
// cached answer.
//
// Sans-I/O and deterministic: no clock, no threads, no randomness here (the
// first trid comes from the client's Rng). Memory: idle state is the contact
// list, presence map and conversations; transfer buffers exist only while a
// transfer runs and are freed when it ends.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/atom.h"
#include "core/flat_map.h"
#include "reference/roles/mc/cache.h"
#include "reference/roles/mc/config.h"
#include "reference/roles/mc/events.h"
#include "reference/roles/mc/flat_id_set.h"
#include "reference/roles/mc/udp_link.h"

namespace mcpsim::reference {

// How a session reports to its owner.
class McEventSink {
 public:
  virtual ~McEventSink() = default;
  virtual std::uint64_t NewOp() = 0;
  virtual void Emit(McEvent e) = 0;
};

// Client view of the SG session state (SG-SESS-1 plus the client's own steps).
enum class SgState : std::uint8_t {
  kAuthenticating,  // RAT sent
  kGoingOnline,     // AAT 0 received, RSII sent
  kSyncing,         // initial contact sync running (ASII 0 or RCS seen)
  kProfile,         // initial sync complete, RPS sent
  kActive,          // APS 0: presence, conversations, transfers
  kClosed,          // logged out, kicked (ROUT), failed or lost
};
const char* SgStateName(SgState s);

struct McPresence {
  Atom state;  // SG-PRES-1 token (never "offline": offline contacts are absent)
  std::uint32_t caps = 0;
  std::uint32_t trid = 0;  // of the RNP that set it (SG-PRES-8); not compared
  bool operator==(const McPresence& o) const { return state == o.state && caps == o.caps; }
};

struct McConversation {
  std::vector<Atom> members;  // join order as far as known (ACM replaces it)
};

class SgSession final : private LinkHandler {
 public:
  // `cache` may be null (no cache, CACHE-4); `config`, `cache` and `sink` must
  // outlive the session.
  // `stream_conn` set: the session runs over a TCP connection it opens to
  // `sg` with that id (§6.6); else over UDP.
  SgSession(const McConfig& config, const Endpoint& sg, std::uint32_t first_trid,
            ClientCache* cache, McEventSink& sink, std::optional<std::uint64_t> stream_conn = std::nullopt);

  // Starts the login; the returned op is reported once (kLogin). The caller
  // has checked PRIV-1 and DP-2.
  std::uint64_t Login(TimeUs now, const std::string& account, const std::string& password);

  // ---- user actions (each returns an op id reported once) ----
  std::uint64_t Logout(TimeUs now);                                         // RLO
  std::uint64_t SetPresence(TimeUs now, const std::string& presence, std::uint32_t caps);  // RLI
  std::uint64_t SetProfile(TimeUs now, const std::string& nickname, const std::string& psm,
                           const std::string& avatar_id);                   // RPS
  // op: "add", "del", "block" or "unblock" (RCE).
  std::uint64_t EditContact(TimeUs now, const std::string& op, const std::string& account);
  std::uint64_t Invite(TimeUs now, const std::string& account);             // RSI
  std::uint64_t AddMember(TimeUs now, std::uint32_t call, const std::string& account);  // RSR
  std::uint64_t ListMembers(TimeUs now, std::uint32_t call);                // RCM
  std::uint64_t SendMessage(TimeUs now, std::uint32_t call, const std::string& text);  // RSM
  std::uint64_t Leave(TimeUs now, std::uint32_t call);                      // RSB
  std::uint64_t SendOffline(TimeUs now, const std::string& account, const std::string& text);  // ROM
  // ROI; on ROR accept the bytes are sent as ROT chunks (SG-FILE-6).
  std::uint64_t OfferFile(TimeUs now, std::uint32_t call, const std::string& name,
                          std::string bytes);
  std::uint64_t AcceptFile(TimeUs now, std::uint32_t transfer);             // ROR accept
  std::uint64_t RejectFile(TimeUs now, std::uint32_t transfer);             // ROR reject
  std::uint64_t CancelFile(TimeUs now, std::uint32_t transfer);             // ROC
  std::uint64_t SendVoice(TimeUs now, std::uint32_t call, std::string clip);  // RSV chunks
  // TEST ONLY: refused unless McConfig::nonconforming_send_nudge (SG-NUDGE-3).
  std::uint64_t SendNudge(TimeUs now, std::uint32_t call);

  // ---- driving ----
  void OnDatagram(TimeUs now, std::string_view bytes);  // a datagram, or stream bytes over TCP
  // TCP: the connection ended (peer close, reset, or failed connect).
  void OnStreamClosed(TimeUs now);
  // TCP: the connection id the session uses (nullopt over UDP).
  std::optional<std::uint64_t> stream_conn() const {
    return link_.stream() ? std::optional<std::uint64_t>(link_.conn()) : std::nullopt;
  }
  void OnTimer(TimeUs now);
  TimeUs NextDeadline() const;
  void Drain(std::vector<Output>& out) { link_.Drain(out); }

  // ---- state for UIs and checkers ----
  SgState state() const { return state_; }
  bool active() const { return state_ == SgState::kActive; }
  const std::string& account() const { return account_; }
  const Endpoint& server() const { return link_.server(); }
  std::uint32_t list_version() const { return list_version_; }
  const McProfile& profile() const { return profile_; }
  const FlatMap<Atom, McContact>& contacts() const { return contacts_; }
  // Non-offline presence by account, including accounts not (yet) on the list
  // (SG-PRES-7).
  const FlatMap<Atom, McPresence>& presence() const { return presence_; }
  const FlatMap<std::uint32_t, McConversation>& conversations() const { return calls_; }
  const LinkStats& link_stats() const { return link_.stats(); }
  // The link's answers to server-initiated requests, handed from a closed
  // session to the next one on the same SG (UdpLink::TakeServerAnswers, G-80).
  AnswerCache TakeServerAnswers() { return link_.TakeServerAnswers(); }
  void AdoptServerAnswers(AnswerCache answers) { link_.AdoptServerAnswers(std::move(answers)); }
  // Avatars to download from MS and store in the cache (MS-5, CACHE-2):
  // (contact account, or "" for the own avatar; avatarId), for records whose
  // non-empty avatarId changed. Only with a cache. Cleared by the call.
  std::vector<std::pair<std::string, std::string>> TakeAvatarWanted() {
    return std::exchange(avatars_wanted_, {});
  }
  std::size_t cache_errors() const { return cache_errors_; }
  // Transfers still holding state (for leak checks).
  std::size_t open_transfers() const {
    if (!xfer_) return 0;
    return xfer_->files_out_.size() + xfer_->voice_out_.size() + xfer_->files_in_.size() + xfer_->voice_in_.size();
  }

 private:
  enum class Req : std::uint8_t {
    kRat, kRsii, kRpsLogin, kRps, kRpol, kRli, kRce, kRlo, kRsi, kRsr, kRcm, kRcmAuto, kRsm, kRsb,
    kRom, kRoi, kRor, kRoc, kRot, kRsv, kRsn,
    kRloStale,  // SG-LOGIN-15: ends a session SG still holds on this binding
  };
  struct Pending {
    Req req = Req::kRpol;
    std::uint64_t op = 0;
    std::uint32_t trid = 0;
    std::uint32_t id = 0;      // callId / transferId / voiceId
    std::uint32_t offset = 0;  // chunk offset
    std::string arg;           // account, op token, ...
  };
  struct Record {
    char op = 'A';
    std::string account;
    McContact contact;
  };
  struct Sync {
    std::uint32_t version = 0;
    std::string mode;
    std::uint32_t count = 0, pages = 0, next_page = 1;
    std::uint32_t trid = 0;  // of the RCS (SG-PRES-8: older RNPs only are undone by D)
    bool initial = false;
    std::vector<Record> records;
  };
  // SG-PRES-8: forgets `account`'s presence unless a newer RNP than `trid` set it.
  void DropPresenceOlderThan(const std::string& account, std::uint32_t trid);
  // An object this client uploads (file after ROR accept, or voice clip).
  struct Upload {
    std::uint64_t op = 0;  // voice: the kSendVoice op; file: 0 (reported at AOI)
    std::uint32_t call = 0, id = 0;
    std::string data;
    std::uint32_t next_offset = 0, acked = 0, outstanding = 0;
    bool sending = false;  // file: ROR accept received
    bool cancelled = false;
  };
  // An object this client receives (relayed ROT or RRV chunks).
  struct Incoming {
    std::uint32_t call = 0, total = 0, received = 0;
    std::string sender, name;
    std::string bytes;       // allocated at the first chunk
    std::vector<bool> have;  // per 1024-byte chunk
    TimeUs last_progress = 0;
  };

  // sg_session.cc
  using ParamsFn = std::function<void(wire::LineWriter&)>;
  std::uint64_t Send(TimeUs now, Req req, std::string_view word, const ParamsFn& params,
                     Pending p, std::size_t pad_to = 0);
  std::uint64_t Refuse(TimeUs now, McOp op, std::string why);
  std::uint64_t NeedActive(TimeUs now, McOp op);  // 0 if ACTIVE, else the refused op
  void Report(TimeUs now, std::uint64_t op, McOp kind, std::uint16_t status,
              const wire::CommandView* answer);
  void Notify(McEvent e);
  // Ends the session locally: the pending login fails, or a kSessionLost /
  // kKicked notification (with `status`) is emitted for those `why_op`s.
  void Close(TimeUs now, McOp why_op, std::string detail, std::uint16_t status = 0);
  static McOp OpOf(Req r);
  void FailLogin(TimeUs now, McEvent::Outcome outcome, std::uint16_t status, std::string detail);
  void OnAnswer(TimeUs now, std::uint64_t tag, const wire::CommandView& answer) override;
  void OnGaveUp(TimeUs now, std::uint64_t tag) override;
  void OnServerRequest(TimeUs now, const wire::CommandView& req, Reply& reply) override;
  void SendRat(TimeUs now);  // RAT with account_ / password_ (SG-LOGIN-5, -15)
  void SendRps(TimeUs now, Req req, std::uint64_t op, const McProfile& p);
  void AfterAnswer(TimeUs now, const Pending& p, const wire::CommandView& a, std::uint16_t status);

  // sg_sync.cc: contact sync, presence, profile.
  void OnRcs(TimeUs now, const wire::CommandView& c, Reply& reply);
  void OnRcr(TimeUs now, const wire::CommandView& c, Reply& reply);
  void OnRnp(TimeUs now, const wire::CommandView& c, Reply& reply);
  void RefuseSync(TimeUs now, Reply& reply, StatusCode code, const char* clause);
  void CommitSync(TimeUs now);
  void OnAps(TimeUs now, const Pending& p, const wire::CommandView& a, std::uint16_t status);

  // sg_chat.cc: conversations, offline messages, nudges.
  void OnChatRequest(TimeUs now, const wire::CommandView& c, Reply& reply);
  void OnRpn(TimeUs now, const wire::CommandView& c, Reply& reply);
  bool SeenMessage(std::uint32_t msg_id);
  void RememberMessage(std::uint32_t msg_id);

  // sg_transfer.cc: files and voice.
  void OnRoa(TimeUs now, const wire::CommandView& c, Reply& reply);
  void OnRorFromSg(TimeUs now, const wire::CommandView& c, Reply& reply);
  void OnRocFromSg(TimeUs now, const wire::CommandView& c, Reply& reply);
  void OnChunk(TimeUs now, const wire::CommandView& c, Reply& reply, bool voice);
  void OnChunkAnswer(TimeUs now, const Pending& p, std::uint16_t status, bool gave_up);
  void FailUpload(TimeUs now, bool voice, std::uint32_t id, McEvent::Outcome outcome,
                  std::uint16_t status, std::string detail);
  void PumpChunks(TimeUs now);
  void ExpireIncoming(TimeUs now);
  TimeUs IncomingDeadline() const;

  const McConfig& config_;
  ClientCache* cache_;
  McEventSink& sink_;
  UdpLink link_;
  SgState state_ = SgState::kAuthenticating;
  std::string account_, token_;
  std::uint64_t login_op_ = 0;
  // SG-LOGIN-15: the password for the one RAT retry after a 301, and whether
  // that retry was used.
  std::string password_;
  bool stale_cleared_ = false;
  std::string presence_state_;
  std::uint32_t caps_ = 0;
  TimeUs poll_interval_;
  McProfile profile_;
  std::uint32_t list_version_ = 0;
  // Per-session state in flat sorted vectors (FlatMap: one allocation, no
  // node headers, trimmed as it shrinks): memory per phone at scale.
  FlatMap<Atom, McContact> contacts_;
  FlatMap<Atom, McPresence> presence_;
  // SG-PRES-8: trid of the last applied RNP `offline`, per account now absent
  // from presence_ (the entry goes when the account is seen online again).
  FlatMap<std::string, std::uint32_t> offline_trid_;
  FlatMap<std::uint32_t, McConversation> calls_;
  std::unique_ptr<Sync> sync_;  // only while a contact sync runs
  std::string initial_mode_;
  std::uint32_t initial_count_ = 0;
  FlatMap<std::uint64_t, Pending> pending_;  // by link tag (ascending: appended)
  std::uint64_t next_tag_ = 1;
  FlatIdSet seen_msgs_;  // without a cache (bounded)
  // Files and voice clips: allocated at the first transfer of the session.
  struct Transfers {
    std::map<std::uint32_t, Upload> files_out_, voice_out_;
    std::map<std::uint32_t, std::string> early_decisions_;  // ROR before our AOI arrived
    std::map<std::uint32_t, Incoming> files_in_, voice_in_;
    // Completed incoming objects (late duplicates answer 0); vectors, not deques:
    // an empty std::deque already allocates ~600 bytes.
    std::vector<std::uint32_t> done_files_, done_voice_;
    std::uint32_t next_voice_id_ = 1;
  };
  Transfers& xfer() {
    if (!xfer_) xfer_ = std::make_unique<Transfers>();
    return *xfer_;
  }
  std::unique_ptr<Transfers> xfer_;
  std::size_t cache_errors_ = 0;
  std::vector<std::pair<std::string, std::string>> avatars_wanted_;
};

}  // namespace mcpsim::reference
