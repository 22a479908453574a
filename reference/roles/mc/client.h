// MC, the mobile client engine (the phone): the user's actions become MCP
// requests over the transports the spec gives each server, and everything the
// servers answer or push becomes McEvents for the UI (or a scenario).
//
//   DP:  RQQW over HTTP GET (§7.1)       -> addresses, update advice
//   RS:  RAP / RBIN / REG over HTTP POST  -> captcha image, account (§7.2)
//   CS:  RUP / RAD over UDP               -> uploads, banner ads (§7.9)
//   MS:  GET /media/<id>                  -> media bytes (§7.10)
//
// Client-side rules enforced here: PRIV-1 (no RAP/REG before the privacy
// agreement is accepted), RS-12 (two password entries must match; only one
// is sent), MID-2 (IMSI/IMEI never sent), TRID-4 (random first trids),
// AMP-4 (RAD pre-padded), DP-2 (no registration while an update is required).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/rng.h"
#include "reference/roles/mc/udp_link.h"
#include "reference/roles/role.h"
#include "reference/roles/uri.h"

namespace mcpsim::reference {

struct McConfig {
  std::string device_id = "dev-1";
  std::string platform = "s60";
  std::string client_version = "1.3.0";
  std::string imsi = "460001234567890";
  std::string imei = "356938035643809";
  Endpoint dp;                 // DP's HTTP endpoint
  RetryPolicy retry;           // UDP resends (TIMER-1..3) and HTTP exchange retries
  std::size_t ad_pad_to = 512; // AMP-4: RAD datagrams are padded to this size
};

enum class McOp : std::uint8_t { kDispatch, kCaptcha, kRegister, kUpload, kAd, kMedia };
const char* McOpName(McOp op);

struct McEvent {
  enum class Outcome : std::uint8_t {
    kOk,         // status 0 (data/params filled)
    kStatus,     // a non-zero status (in `status`)
    kGaveUp,     // no answer within the retry budget (TIMER-3) / HTTP retries exhausted
    kRefused,    // the client refused to send (PRIV-1, RS-12, DP-2, no address)
  };
  std::uint64_t op_id = 0;
  McOp op = McOp::kDispatch;
  Outcome outcome = Outcome::kOk;
  std::uint16_t status = 0;
  std::vector<std::string> params;  // decoded answer params (status 0)
  std::string data;                 // captcha image or media bytes
  std::string detail;               // why, for kRefused / kGaveUp
  TimeUs at = 0;
};

class McClient final : public Role, private LinkHandler {
 public:
  McClient(McConfig config, Rng rng, std::string name = "mc");

  // ---- user actions; each returns an op id reported once in an McEvent ----
  void AcceptPrivacyAgreement() { privacy_accepted_ = true; }  // PRIV-1/2
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

  // Events since the last call, in the order they happened.
  std::vector<McEvent> TakeEvents();

  // What DP told us (empty until a successful QueryDispatch).
  const std::string& update_advice() const { return update_; }
  const std::string& sg_list() const { return sg_; }
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
  RegistrationState registration_state() const { return {rs_session_, captcha_.id}; }
  void RestoreRegistration(const RegistrationState& s) {
    rs_session_ = s.session;
    captcha_.id = s.captcha_id;
  }

  // ---- Role ----
  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) override;
  void OnHttpResponse(TimeUs now, std::uint64_t id, bool ok, const HttpResponse& resp) override;
  void OnTimer(TimeUs now) override;
  TimeUs NextDeadline() const override;
  void Drain(std::vector<Output>& out) override;
  std::string_view name() const override { return name_; }

  const LinkStats* cs_stats() const { return cs_ ? &cs_->stats() : nullptr; }

 private:
  struct HttpOp {
    std::uint64_t op_id = 0;
    McOp op = McOp::kDispatch;
    HttpRequest request;
    Endpoint to;
    std::uint32_t attempts = 0;
    TimeUs retry_at = kNever;
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

  std::uint64_t NewOp();
  void Emit(McEvent e);
  std::uint64_t Refuse(TimeUs now, McOp op, std::string why);
  void SendHttp(TimeUs now, HttpOp op);
  void HandleRsBody(TimeUs now, const HttpOp& op, const HttpResponse& resp);
  std::string HandleRbin(const wire::CommandView& cmd);
  void HandleDispatch(TimeUs now, const HttpOp& op, const HttpResponse& resp);

  McConfig config_;
  Rng rng_;
  std::string name_;
  std::string mid_;
  bool privacy_accepted_ = false;
  std::uint64_t next_op_ = 1;
  std::uint64_t next_http_ = 1;
  TridAllocator http_trids_;
  std::vector<McEvent> events_;
  std::vector<Output> out_;
  std::map<std::uint64_t, HttpOp> http_;  // by http exchange id
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
};

}  // namespace mcpsim::reference
