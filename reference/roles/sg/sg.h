// SG, the service gateway (PROTOCOL.md §7.3–§7.8): sessions and login
// (RAT/RSII/RLI/RPOL/RLO, ROUT), contact-list sync (RCS/RCR), own profile
// (RPS), contact edits (RCE), presence (RNP), conversations (RSI/RSR/RCM/RSM/
// RSB → RRI/RRR/RAC/RRM/RRB), offline messages (ROM/RPN), file transfer
// (ROI/ROR/ROC/ROT → ROA/ROR/ROC/ROT), voice clips (RSV → RRV) and nudges
// (RRN), over UDP, TCP and HTTP POST /mcp (ARCH-1, §6).
//
// Sans-I/O (reference/roles/role.h): inputs through the Role methods, outputs
// through Drain(). Shared, cross-user state lives in the Backend, so several
// SgRoles of one world (behind one DP) serve users that talk to each other.
//
// Determinism: tokens are 128 bits from the role's Rng, first push trids from
// its "push-trids" fork; ids come from
// counters starting at 1 (callId, transferId, voiceId in the Backend; msgId in
// the Store); fan-out follows the spec's order; no clock is read.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/endpoint_hash.h"
#include "core/flat_hash.h"
#include "core/rng.h"
#include "reference/roles/role.h"
#include "reference/roles/sg/backend.h"
#include "reference/roles/sg/state.h"
#include "reference/store/store.h"
#include "reference/transport/deadline_heap.h"
#include "reference/transport/push.h"
#include "reference/transport/ratelimit.h"
#include "reference/transport/retry.h"
#include "reference/transport/server.h"

namespace mcpsim::reference {

// Every default is the spec's (CONV-2).
struct SgConfig {
  ServerConfig server;       // dedup (TIMER-5/6), AMP-1, LIM-21
  RetryPolicy retry;         // TIMER-1..3 for server-initiated requests
  PushLimits push;           // LIM-20, PAY-8, HTTP-8
  TimeUs session_idle = 180 * kSeconds;   // TIMER-10
  TimeUs transfer_idle = 300 * kSeconds;  // TIMER-12 (files and voice clips)
  // SG-SYNC-13 / G-78: an initial sync or offline delivery the store failed
  // is tried again this long after, until the store answers.
  TimeUs store_retry = 1 * kSeconds;
  std::uint32_t poll_interval_s = 60;     // APOL on UDP/TCP (TIMER-11)
  std::uint32_t http_poll_interval_s = 5; // APOL on HTTP (HTTP-9)
  std::int64_t epoch_ms = 0;              // wall-clock ms at now == 0 (RPN timestamps)
  std::uint32_t max_contacts = 1000;      // LIM-6
  std::uint32_t max_members = 20;         // LIM-14
  std::uint32_t max_offline = 100;        // LIM-16
  std::uint32_t max_text = 1000;          // LIM-5
  std::uint32_t max_object = 2097152;     // LIM-7, LIM-8
  // SG-LOGIN-16: the cost of the dummy hash an unknown account is verified
  // against; set it to the cost of the stored hashes (RsConfig::password_cost).
  PasswordCost dummy_cost;
  // §6.8: RAT limits per source address and per account name (RATE-4), and
  // the back-off after failed logins (RATE-5). RateSpec{} (off) disables one.
  RateSpec rat_per_address{10, 40};
  RateSpec rat_per_account{2, 10};
  BackoffSpec login_backoff;  // 3 free failures, then 1 s doubling to 60 s
  // TEST-ONLY defect switches (mcpsim serve --mutant; conformance self-test).
  // A conforming configuration keeps the defaults.
  std::uint32_t rcr_page_records = 4;     // LIM-15 records per RCR page
  bool rcr_stop_and_wait = true;          // SG-SYNC-5: page k+1 only after ACR k
  bool offline_keep_refused = true;       // SG-OFF-5: an RPN answered non-zero keeps the message
  bool rps_completes_sync = true;         // SG-SYNC-12: an RPS with the final sync request in flight
  bool profile_limits = true;             // LIM-12/LIM-13: RPS nickname and psm are checked (103)
  bool random_push_trids = true;          // TRID-4: a session's server trids start at random (else 1)
  bool voice_refusal_stops = true;        // SG-VOICE-4: a non-zero ARV stops that member's clip
  bool sync_records_at_rcs = true;        // SG-SYNC-4: else each RCR page reads the current entries
  bool ignore_refused_answers = true;     // SG-CHAT-9: else a non-zero ARM removes the member
  bool rps_effects_in_order = true;       // SG-PROF-6: else a first RPS's presence exchange is not
                                          // deferred behind its commit (RNP before the watcher's RCS)
};

class SgRole final : public Role, private CommandHandler {
 public:
  // `store` and `backend` are not owned and must outlive the role; `store`
  // must be backend.store(). The role registers itself with the backend.
  SgRole(SgConfig config, Store& store, Backend& backend, Rng rng, std::string name = "sg");
  ~SgRole() override;
  SgRole(const SgRole&) = delete;
  SgRole& operator=(const SgRole&) = delete;

  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) override;
  void OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) override;
  void OnStreamOpen(TimeUs now, std::uint64_t conn, const Endpoint& peer) override;
  void OnStreamClosed(TimeUs now, std::uint64_t conn) override;
  // POST /mcp (HTTP-3..10); 404 for other paths, 405 for other methods.
  void OnHttp(TimeUs now, std::uint64_t exchange, const HttpRequest& req) override;
  // A password verification (RAT, SG-LOGIN-1) finished.
  void OnWorkDone(TimeUs now, std::uint64_t id, const WorkResult& result) override;
  void OnTimer(TimeUs now) override;
  TimeUs NextDeadline() const override;
  void Drain(std::vector<Output>& out) override;
  // Group commit (Role): a failed batch forgets the answers of the requests
  // that wrote and drops the effects waiting for its commit (AfterCommit);
  // pushes queued by requests that wrote nothing stay queued and are resent
  // like lost datagrams, and their answers stay cached (G-79).
  void BeginBatch(TimeUs) override;
  void EndBatch(TimeUs now, bool committed) override;
  std::string_view name() const override { return name_; }

  // ---- introspection (tests, checkers, traces) ----
  struct SessionInfo {
    std::string account;
    SessionState state = SessionState::kConnected;
    std::string presence;
    std::uint32_t caps = 0;
    Via via = Via::kUdp;
    std::string token;
    // A contact sync run (SG-SYNC-5, stop-and-wait pages) is still going:
    // one of its pages is queued or in flight. Each page's push is bounded by
    // TIMER-3 (give-up closes the session), so a run of P pages may take up
    // to (P + 1) x 31 s on a lossy link.
    bool sync_running = false;
  };
  std::optional<SessionInfo> SessionOf(std::string_view account) const;
  std::size_t session_count() const { return sessions_.size(); }
  // AMP: whether datagrams from `e` are answered without the AMP-1 budget.
  bool EndpointValidated(const Endpoint& e) const { return IsValidated(PeerKey{e, 0}); }
  // RATs refused by RATE-4/RATE-5 (answered 403).
  std::uint64_t rat_refused() const { return rat_refused_; }
  const ServerStats& server_stats() const { return server_.stats(); }
  // Why a session ended (SG-SESS-6): RLO, a new login of the account
  // (SG-LOGIN-8), a push that gave up (TIMER-9), idleness (TIMER-10), a sync
  // the MC refused (SG-SYNC-6), its TCP connection closed (TCP-6).
  enum class CloseWhy : std::uint8_t { kLogout, kReplaced, kGaveUp, kIdle, kSyncFailed, kTcpClosed };
  // Told of every session end, once, when it happens (checkers and traces:
  // the server-side closes an MC is not told of, G-46/G-71). It must not call
  // back into the role. Empty: nobody is told.
  using CloseObserver = std::function<void(TimeUs now, const std::string& account, CloseWhy why)>;
  void set_close_observer(CloseObserver observer) { on_close_ = std::move(observer); }

 private:
  friend class Backend;
  struct Peer {
    SgRole* sg = nullptr;
    Session* s = nullptr;
    explicit operator bool() const { return s != nullptr; }
  };
  using Handler = void (SgRole::*)(const RequestContext&, Session*, const wire::CommandView&,
                                   Reply&);

  // CommandHandler
  void HandleRequest(const RequestContext& ctx, const wire::CommandView& cmd,
                     Reply& reply) override;
  void ResumeRequest(const RequestContext& ctx, const wire::CommandView& cmd,
                     const WorkResult& result, Reply& reply) override;
  void HandleAnswer(const RequestContext& ctx, const wire::CommandView& cmd) override;
  bool IsValidated(const PeerKey& peer) const override;
  void AppendHttpPushes(TimeUs now, const std::string& session, std::string& body) override;

  // session.cc — bindings, pushes, closing, timers
  Session* SessionFor(const RequestContext& ctx);
  Peer Locate(std::string_view account);
  // Queues a server-initiated request for `s` (on whatever SG holds it);
  // returns its trid (0 if nothing was queued: closed session).
  std::uint32_t Enqueue(Session& s, std::string_view word, const std::vector<std::string>& params,
               std::uint64_t tag = 0, std::uint64_t group = 0,
               std::optional<std::string_view> payload = std::nullopt);
  void Flush(TimeUs now);
  void SendNow(Session& s, std::vector<std::string>& cmds);
  void CloseSession(TimeUs now, Session& s, CloseWhy why);
  void Finish(TimeUs now);
  // Runs `effect` now or, inside a group-commit batch, once the batch has
  // committed; a failed batch drops it. For what follows a store write and
  // announces it (pushes, syncs): nothing of a rolled-back write gets out.
  template <class Effect>
  void AfterCommit(Effect&& effect) {
    if (in_batch_) {
      after_commit_.emplace_back(std::forward<Effect>(effect));
    } else {
      effect();  // outside a batch (the common case): no std::function
    }
  }
  void OnGaveUp(TimeUs now, Session& s);
  void OnPushAnswer(TimeUs now, Session& s, const PushChannel::Entry& e, std::uint32_t status);

  // login_sync.cc — §7.3, §7.4.1–3
  void Rat(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  // RAT after its password verification (SG-LOGIN-1/2/8).
  void RatVerified(const RequestContext&, const wire::CommandView&, bool match, Reply&);
  // TCP-3/TCP-9: the server closed stream connections in out_[first..].
  void CloseStreamsClosedBy(TimeUs now, std::size_t first);
  void Rsii(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Rli(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Rpol(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Rlo(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Rps(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void StartSync(Session& s, std::uint32_t base, bool initial);
  void SendPage(Session& s, std::uint32_t page);
  void OnSyncAnswer(TimeUs now, Session& s, const PushChannel::Entry& e, std::uint32_t status);
  // SG-SYNC-12: an RPS in ONLINE while the initial sync's final RCS/RCR is in
  // flight completes the sync as if answered 0; true when it did.
  bool RpsCompletesSync(TimeUs now, Session& s);
  // SG-SYNC-9: `owner`'s list changed.
  void ListChanged(std::string_view owner);
  void EnterActive(TimeUs now, Session& s);

  // contacts_presence.cc — §7.4.4–5
  void Rce(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  bool IsOnline(std::string_view account);  // ACTIVE MCP session or back-end user
  std::pair<std::string, std::uint32_t> VisiblePresence(std::string_view u, std::string_view w);
  // SG-PRES-4: tells `watcher` (if ACTIVE and listing `subject`) about subject.
  void NotifyPair(std::string_view watcher, std::string_view subject);
  void NotifyWatchers(std::string_view subject);

  // chat.cc — §7.5, nudges
  void Rsi(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Rsr(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Rcm(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Rsm(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Rsb(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  // Common checks for callId-bearing requests: 103, 302, 303.
  Call* MemberCall(const wire::CommandView& cmd, std::size_t i, const Session& s, Reply& reply);
  // Sends a request to an account's ACTIVE session or logs it for a back-end user.
  void DeliverTo(std::string_view account, std::string_view word,
                 const std::vector<std::string>& params, std::uint64_t tag = 0);
  // SG-CHAT-11/13/14: removes `account` from call `id` with `reason`.
  void RemoveMember(TimeUs now, std::uint64_t id, std::string_view account, std::string_view reason);
  bool Nudge(TimeUs now, std::string_view from, std::string_view to);

  // offline.cc — §7.6
  void Rom(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  Result<std::uint64_t> StoreOffline(TimeUs now, std::string_view from, std::string_view to,
                                     std::string text);
  void DeliverOffline(Session& s);
  // SG-SYNC-13 / G-78: what the store failed for `s` (the initial sync,
  // the offline messages) is tried again at now + store_retry.
  void RetryStoreLater(Session& s);
  // Tries it now (after the session's next request, or at store_retry_at).
  void RetryStore(Session& s);

  // transfer.cc — §7.7
  void Roi(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Ror(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Roc(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void Rot(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void OnFileAnswer(TimeUs now, Session& s, const PushChannel::Entry& e, std::uint32_t status);
  // Ends `t` as failed (SG-FILE-12); `tell_peer`: also the other process's
  // half of a transfer across processes (CLU-17).
  void FailTransfer(Transfer& t, bool tell_peer = true);
  void EndTransfersOf(std::string_view account, std::uint64_t call_id);
  // CLU-17: an event of a transfer across SG processes, emitted / received.
  void RelayFile(const Transfer& t, std::string_view event, std::string data = {});
  // The receiver's "accept", "reject" or "done" for `t`: ROR to the sender
  // (SG-FILE-5/4/9), relayed first when `t` is a mirror (CLU-17).
  void FileDecided(Transfer& t, std::string_view decision);
  // SG-FILE-8: queues the uploaded file `t.data` to its receiver as ROT chunks.
  void PushChunks(Transfer& t);
  void OnFileRelay(TimeUs now, const Relay& r);
  // SG process `sg` died: transfers with a half there fail (CLU-17).
  void EndTransfersWith(std::uint32_t sg);

  // voice.cc — §7.8
  void Rsv(const RequestContext&, Session*, const wire::CommandView&, Reply&);
  void OnVoiceAnswer(Session& s, const PushChannel::Entry& e, std::uint32_t status);
  // SG-VOICE-3: `clip` of `from` in conversation `call_id` to `to` (if
  // ACTIVE and voice-capable) under a new voiceId.
  void RelayClip(Session& to, std::uint64_t call_id, const std::string& from, const std::string& clip);
  void EndVoiceOf(std::string_view account, std::uint64_t call_id);

  std::string NewToken();
  std::int64_t WallMs(TimeUs now) const { return config_.epoch_ms + now / kMillis; }

  SgConfig config_;
  RateLimiter rat_addr_, rat_account_;
  FailureBackoff login_backoff_;
  std::uint64_t rat_refused_ = 0;
  Store& store_;
  Backend& backend_;
  Rng rng_;
  Rng trid_rng_;
  CloseObserver on_close_;  // rng_.Fork("push-trids"): first push trid per session (TRID-4)
  std::string name_;
  CommandServer server_;
  std::vector<Output> out_;
  bool in_batch_ = false;
  std::vector<std::function<void()>> after_commit_;  // in order of AfterCommit

  std::uint64_t next_session_ = 1;
  // Lookup-only hash maps (never iterated where order reaches output); flat
  // tables (core/flat_hash.h): found once or twice per datagram, one probe
  // each even with 100k sessions.
  FlatHashMap<std::uint64_t, std::unique_ptr<Session>> sessions_;
  FlatHashMap<Endpoint, std::uint64_t, EndpointHash> by_endpoint_;  // UDP
  std::map<std::uint64_t, std::uint64_t> by_conn_; // TCP
  std::map<std::string, std::uint64_t, std::less<>> by_token_;  // HTTP
  std::map<std::uint64_t, Endpoint> conn_peer_;
  std::vector<Detached> detached_;
  // Sessions with new pushes, in order of their first push (CONV-3: output
  // order follows creation order across sessions).
  std::vector<std::uint64_t> dirty_;
  std::set<std::uint64_t> dirty_set_;
  void MarkDirty(const Session& s);
  std::vector<std::unique_ptr<Session>> graveyard_;  // closed during this input
  std::vector<std::uint64_t> close_conns_;           // TCP-6 after this input's answers
  TimeUs now_ = 0;                                   // the current input's time

  // Session deadlines (push resends, TIMER-10), indexed so that NextDeadline
  // and OnTimer cost O(log n) per changed session instead of O(sessions).
  // Sessions whose deadline may have become earlier are Touch()ed (the input's
  // session, every flushed or timed session, new sessions) and re-indexed
  // lazily. Invariant: an indexed deadline is never later than the session's
  // true one (untouched changes — answers, last_activity, dropped pushes —
  // only move it later; an early entry just fires a no-op timer). A closed
  // session leaves the index and the touched list at once (CloseSession).
  void Touch(Session& s) const {
    if (!s.touched) {
      s.touched = true;
      touched_.push_back(&s);
    }
  }
  void Reindex() const;
  mutable DeadlineHeap<Session> deadlines_;
  mutable std::vector<Session*> touched_;
};

}  // namespace mcpsim::reference
