// MC, the mobile client engine (the phone): the user's actions become MCP
// requests over the transports the spec gives each server, and everything the
// servers answer or push becomes McEvents for the UI (or a scenario).
//
//   DP:  RQQW over HTTP GET (§7.1)       -> addresses, update advice
//   RS:  RAP / RBIN / REG over HTTP POST  -> captcha image, account (§7.2)
//   CS:  RUP / RAD over UDP               -> uploads, banner ads (§7.9)
//   MS:  GET /media/<id>                  -> media bytes (§7.10)
//   SG:  RAT ... RLO over UDP             -> IM session (§7.3-§7.8), see
//        sg_session.h; one SgSession per Login, the client cache (§7.11)
//        shared by all of them
//
// Client-side rules enforced here: PRIV-1 (no RAP/REG before the privacy
// agreement is accepted), RS-12 (two password entries must match; only one
// is sent), MID-2 (IMSI/IMEI never sent), TRID-4 (random first trids),
// AMP-4 (RAD pre-padded), DP-2 (no registration while an update is required).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "core/rng.h"
#include "reference/roles/mc/cache.h"
#include "reference/roles/mc/config.h"
#include "reference/roles/mc/events.h"
#include "reference/roles/mc/sg_session.h"
#include "reference/roles/mc/udp_link.h"
#include "reference/roles/role.h"
#include "reference/roles/uri.h"

namespace mcpsim::reference {

class McClient final : public Role, private LinkHandler, private McEventSink {
 public:
  // With config.cache_path set, the client cache is opened there and the
  // privacy acceptance of config.device_id is read from it (PRIV-2).
  McClient(McConfig config, Rng rng, std::string name = "mc");
  ~McClient() override;

  // ---- user actions; each returns an op id reported once in an McEvent ----
  // PRIV-1/2: persisted in the cache (if any); never asked again once accepted.
  void AcceptPrivacyAgreement();
  bool privacy_accepted() const { return privacy_accepted_; }
  std::uint64_t QueryDispatch(TimeUs now);
  std::uint64_t RequestCaptcha(TimeUs now);
  std::uint64_t Register(TimeUs now, const std::string& captcha_text, const std::string& account,
                         const std::string& password, const std::string& password_again,
                         const std::string& nickname);
  std::uint64_t Upload(TimeUs now, const std::string& kind, const std::string& data,
                       std::uint64_t timestamp_ms);
  std::uint64_t QueryAd(TimeUs now, const std::string& slot);
  std::uint64_t FetchMedia(TimeUs now, const std::string& url);

  // ---- SG (§7.3-§7.8); see sg_session.h and events.h for the reports ----
  // Starts a new SG session (replacing a closed one) at the first udp:// URI
  // of AQQW's sg list (or SetSgEndpoint). Refused before the privacy
  // agreement (PRIV-1), while an update is required (DP-2), without an SG
  // address, or while a session is open. Never retried automatically
  // (SG-LOGIN-9).
  std::uint64_t Login(TimeUs now, const std::string& account, const std::string& password);
  std::uint64_t Logout(TimeUs now);
  std::uint64_t SetPresence(TimeUs now, const std::string& presence, std::uint32_t caps);
  std::uint64_t SetProfile(TimeUs now, const std::string& nickname, const std::string& psm,
                           const std::string& avatar_id);
  // op_token: "add", "del", "block", "unblock".
  std::uint64_t EditContact(TimeUs now, const std::string& op_token, const std::string& account);
  std::uint64_t Invite(TimeUs now, const std::string& account);
  std::uint64_t AddMember(TimeUs now, std::uint32_t call, const std::string& account);
  std::uint64_t ListMembers(TimeUs now, std::uint32_t call);
  std::uint64_t SendMessage(TimeUs now, std::uint32_t call, const std::string& text);
  std::uint64_t Leave(TimeUs now, std::uint32_t call);
  std::uint64_t SendOffline(TimeUs now, const std::string& account, const std::string& text);
  std::uint64_t OfferFile(TimeUs now, std::uint32_t call, const std::string& name, std::string bytes);
  std::uint64_t AcceptFile(TimeUs now, std::uint32_t transfer);
  std::uint64_t RejectFile(TimeUs now, std::uint32_t transfer);
  std::uint64_t CancelFile(TimeUs now, std::uint32_t transfer);
  std::uint64_t SendVoice(TimeUs now, std::uint32_t call, std::string clip);
  // TEST ONLY: refused unless config.nonconforming_send_nudge (SG-NUDGE-3).
  std::uint64_t SendNudge(TimeUs now, std::uint32_t call);
  // Overrides the SG address (normally from AQQW).
  void SetSgEndpoint(const Endpoint& sg) { sg_endpoint_ = sg; }
  const Endpoint& sg_endpoint() const { return sg_endpoint_; }
  // The same for SG over TCP (normally AQQW's first tcp:// SG URI).
  void SetSgTcpEndpoint(const Endpoint& sg) { sg_tcp_endpoint_ = sg; }
  const Endpoint& sg_tcp_endpoint() const { return sg_tcp_endpoint_; }
  // The current (or last) SG session; nullptr before the first Login. Its
  // accessors give the contact list, presence map and conversations.
  const SgSession* sg() const { return session_.get(); }
  ClientCache* cache() { return cache_.get(); }
  // A phone restart (the simulation's crash): the cache is what survives a
  // crash. TakeCache moves it out of this (dying) client; AdoptCache gives it
  // to the next one, which reads its privacy acceptance from it (PRIV-2).
  std::unique_ptr<ClientCache> TakeCache() { return std::move(cache_); }
  void AdoptCache(std::unique_ptr<ClientCache> cache);

  // Events since the last call, in the order they happened.
  std::vector<McEvent> TakeEvents();
  bool has_events() const { return !events_.empty(); }
  // Optional doorbell: called synchronously (inside the input or action that
  // produced it) whenever an event lands in an empty queue, so that a host of
  // many clients drains only those with news instead of polling all of them.
  // It must not call back into this client.
  void SetEventDoorbell(std::function<void()> fn) { doorbell_ = std::move(fn); }

  // What DP told us (empty until a successful QueryDispatch).
  const std::string& update_advice() const { return svc_ ? svc_->update_ : Empty(); }
  const std::string& sg_list() const { return svc_ ? svc_->sg_ : Empty(); }
  const std::string& mid() const { return mid_; }
  // Overrides the CS address (normally from AQQW).
  void SetCsEndpoint(const Endpoint& cs);

  // The RS registration session (HTTP-7) and its live captcha id, so that a
  // client process restarting between RAP and REG (the `mcpsim client` CLI)
  // can resume it. Restoring does not touch the addresses from DP (ARCH-2).
  struct RegistrationState {
    std::string session;
    std::uint32_t captcha_id = 0;
  };
  RegistrationState registration_state() const {
    return svc_ ? RegistrationState{svc_->rs_session_, svc_->captcha_.id} : RegistrationState{};
  }
  void RestoreRegistration(const RegistrationState& s) {
    svc().rs_session_ = s.session;
    svc().captcha_.id = s.captcha_id;
  }

  // ---- Role ----
  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) override;
  void OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) override;
  void OnStreamClosed(TimeUs now, std::uint64_t conn) override;
  void OnHttpResponse(TimeUs now, std::uint64_t id, bool ok, const HttpResponse& resp) override;
  void OnTimer(TimeUs now) override;
  TimeUs NextDeadline() const override;
  void Drain(std::vector<Output>& out) override;
  // The MC serves no HTTP.
  void OnHttp(TimeUs, std::uint64_t exchange, const HttpRequest&) override {
    out_.push_back(NoHttpBinding(exchange));
  }
  std::string_view name() const override { return name_; }
  const McConfig& config() const { return config_; }

  const LinkStats* cs_stats() const { return svc_ && svc_->cs_ ? &svc_->cs_->stats() : nullptr; }
  // Requests resent to SG (TIMER-2) over every session of this client so far.
  std::uint64_t sg_resends() const { return sg_resends_before_ + (session_ ? session_->link_stats().resends : 0); }
  // HTTP exchanges sent or waiting for a retry (e.g. the last ABIN answers to
  // RS, RS-5): a host should let them finish before shutting the client down.
  bool http_in_flight() const { return svc_ && (!svc_->http_.empty() || !svc_->http_retry_.empty()); }

 private:
  struct HttpOp {
    std::uint64_t op_id = 0;
    McOp op = McOp::kDispatch;
    HttpRequest request;
    Endpoint to;
    std::uint32_t attempts = 0;
    TimeUs retry_at = kNever;
    // An avatar download (MS-5) for the cache: (account, contact or "" = own, avatarId).
    std::optional<std::array<std::string, 3>> avatar;
  };
  struct Captcha {
    std::uint32_t id = 0;
    std::uint32_t total = 0;
    std::string bytes;
    std::vector<bool> have;
    std::uint64_t op_id = 0;
    bool reported = false;
  };

  void OnAnswer(TimeUs now, std::uint64_t tag, const wire::CommandView& answer) override;
  void OnGaveUp(TimeUs now, std::uint64_t tag) override;

  std::uint64_t NewOp() override;
  void Emit(McEvent e) override;
  std::uint64_t Refuse(TimeUs now, McOp op, std::string why);
  void SendHttp(TimeUs now, HttpOp op);
  // A POST /mcp of `body` to RS, carrying the registration SessionID if any.
  HttpOp RsPost(std::uint64_t op_id, McOp op, std::string body);
  void HandleRsBody(TimeUs now, const HttpOp& op, const HttpResponse& resp);
  std::string HandleRbin(const wire::CommandView& cmd);
  void HandleDispatch(TimeUs now, const HttpOp& op, const HttpResponse& resp);
  // MS-5 / CACHE-2: avatars the session asked for, fetched a few at a time.
  void CollectAvatars(TimeUs now);
  void AvatarDone(TimeUs now, const HttpOp& op, const HttpResponse* resp);

  // The DP/RS/CS/MS side (dispatch answer, registration, uploads, HTTP
  // exchanges, avatar downloads): allocated on first use, so a phone that
  // only chats through the SG carries none of it (memory per phone at scale).
  struct Services {
    std::uint64_t next_http_ = 1;
    std::map<std::uint64_t, HttpOp> http_;        // by http exchange id
    std::map<std::uint64_t, HttpOp> http_retry_;  // waiting for retry_at
    std::optional<UdpLink> cs_;
    std::map<std::uint64_t, std::pair<McOp, std::uint64_t>> udp_ops_;  // tag -> (op, op id)
    // From AQQW.
    std::string update_, sg_, rs_, cs_list_, ms_;
    // RS registration session (HTTP).
    std::string rs_session_;
    Endpoint rs_endpoint_;
    std::string rs_path_ = "/mcp";
    Captcha captcha_;
    std::string pending_abin_;  // ABIN answers to send with the next POST
    std::map<std::uint64_t, std::uint64_t> reg_ops_;  // REG trid -> op id
    std::vector<std::array<std::string, 3>> avatar_queue_;  // (no deque: it allocates when empty)
    std::size_t avatars_in_flight_ = 0;
  };
  Services& svc();  // creates it
  bool update_required() const { return svc_ && svc_->update_ == "required"; }
  static const std::string& Empty() {
    static const std::string empty;
    return empty;
  }

  McConfig config_;
  Rng rng_;
  std::string name_;
  std::string mid_;
  bool privacy_accepted_ = false;
  std::uint64_t next_op_ = 1;
  TridAllocator http_trids_;
  std::vector<McEvent> events_;
  std::function<void()> doorbell_;
  std::vector<Output> out_;
  std::unique_ptr<Services> svc_;
  // SG.
  std::unique_ptr<ClientCache> cache_;
  Endpoint sg_endpoint_;      // SG over UDP (DP's first udp:// SG URI)
  Endpoint sg_tcp_endpoint_;  // SG over TCP (DP's first tcp:// SG URI)
  std::uint64_t sg_conns_ = 0;  // TCP sessions opened (connection ids: high bit set)
  std::unique_ptr<SgSession> session_;
  std::uint64_t sg_resends_before_ = 0;  // resends of the sessions replaced by later logins
};

}  // namespace mcpsim::reference
