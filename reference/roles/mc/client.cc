#include "reference/roles/mc/client.h"

#include <algorithm>

#include "reference/crypto/mid.h"
#include "reference/http/http1.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {

namespace {
// TRID-4: an MC starts each counter at a random value in 1..2147483647.
std::uint32_t FirstTrid(Rng& rng) { return static_cast<std::uint32_t>(rng.Range(1, 2147483647)); }

std::vector<std::string> Params(const wire::CommandView& c) {
  std::vector<std::string> p;
  for (std::size_t i = 0; i < c.param_count(); ++i) p.push_back(c.DecodeParam(i));
  return p;
}
}  // namespace

McClient::Services& McClient::svc() {
  if (!svc_) svc_ = std::make_unique<Services>();
  return *svc_;
}

McClient::McClient(McConfig config, Rng rng, std::string name)
    : config_(std::move(config)), rng_(rng), name_(std::move(name)),
      http_trids_(FirstTrid(rng_)) {
  if (auto m = ComputeMid(config_.imsi, config_.imei); m.ok()) mid_ = *m;
  if (!config_.cache_path.empty()) {
    cache_ = std::make_unique<ClientCache>(config_.cache_path);
    auto accepted = cache_->PrivacyAccepted(config_.device_id);  // PRIV-2
    privacy_accepted_ = accepted.ok() && *accepted;
  }
}

McClient::~McClient() = default;

void McClient::AdoptCache(std::unique_ptr<ClientCache> cache) {
  cache_ = std::move(cache);
  if (cache_) {
    auto accepted = cache_->PrivacyAccepted(config_.device_id);  // PRIV-2
    privacy_accepted_ = accepted.ok() && *accepted;
  }
}

std::uint64_t McClient::NewOp() { return next_op_++; }

void McClient::Emit(McEvent e) {
  events_.push_back(std::move(e));
  if (events_.size() == 1 && doorbell_) doorbell_();
}

std::vector<McEvent> McClient::TakeEvents() {
  std::vector<McEvent> out;
  out.swap(events_);
  return out;
}

std::uint64_t McClient::Refuse(TimeUs now, McOp op, std::string why) {
  McEvent e;
  e.op_id = NewOp();
  e.op = op;
  e.outcome = McEvent::Outcome::kRefused;
  e.detail = std::move(why);
  e.at = now;
  Emit(e);
  return e.op_id;
}

void McClient::SetCsEndpoint(const Endpoint& cs) {
  if (!svc().cs_ || svc().cs_->server() != cs) svc().cs_.emplace(cs, FirstTrid(rng_), config_.retry, config_.faults);
}

void McClient::SendHttp(TimeUs, HttpOp op) {
  const std::uint64_t id = svc().next_http_++;
  Output o;
  o.kind = Output::Kind::kHttp;
  o.to = op.to;
  o.conn = id;
  o.request = op.request;
  out_.push_back(std::move(o));
  svc().http_[id] = std::move(op);
}

McClient::HttpOp McClient::RsPost(std::uint64_t op_id, McOp op, std::string body) {
  HttpOp h;
  h.op_id = op_id;
  h.op = op;
  h.to = svc().rs_endpoint_;
  h.request.method = "POST";
  h.request.target = svc().rs_path_;
  h.request.headers["content-type"] = "application/x-mcp";
  if (!svc().rs_session_.empty()) h.request.headers["sessionid"] = svc().rs_session_;  // HTTP-7
  h.request.body = std::move(body);
  return h;
}

std::uint64_t McClient::QueryDispatch(TimeUs now) {
  std::string line;
  wire::LineWriter w(line, wire::Limits::Stream());
  w.Begin("RQQW", http_trids_.Next())
      .Param(config_.client_version)
      .Param(config_.platform)
      .Param(config_.device_id);
  if (!w.Finish().ok()) return Refuse(now, McOp::kDispatch, "client config violates LIM-22");
  HttpOp op;
  op.op_id = NewOp();
  op.op = McOp::kDispatch;
  op.to = config_.dp;
  op.request.method = "GET";
  op.request.target = "/mcp?q=" + http::UrlEncode(line);  // HTTP-1
  const std::uint64_t id = op.op_id;
  SendHttp(now, std::move(op));
  return id;
}

std::uint64_t McClient::RequestCaptcha(TimeUs now) {
  if (!privacy_accepted_) return Refuse(now, McOp::kCaptcha, "privacy agreement not accepted (PRIV-1)");
  if (svc().update_ == "required") return Refuse(now, McOp::kCaptcha, "client update required (DP-2)");
  if (svc().rs_endpoint_.port == 0) return Refuse(now, McOp::kCaptcha, "no RS address: query DP first");
  std::string body;
  wire::LineWriter w(body, wire::Limits::Stream());
  w.Begin("RAP", http_trids_.Next()).Param(config_.client_version).Param(config_.device_id);
  (void)w.Finish();
  HttpOp op = RsPost(NewOp(), McOp::kCaptcha, std::move(body));  // RS-1: reuses a session
  svc().captcha_ = Captcha{};
  svc().captcha_.op_id = op.op_id;
  svc().pending_abin_.clear();
  const std::uint64_t id = op.op_id;
  SendHttp(now, std::move(op));
  return id;
}

std::uint64_t McClient::Register(TimeUs now, const std::string& captcha_text,
                                 const std::string& account, const std::string& password,
                                 const std::string& password_again, const std::string& nickname) {
  if (!privacy_accepted_) return Refuse(now, McOp::kRegister, "privacy agreement not accepted (PRIV-1)");
  if (password != password_again) {
    return Refuse(now, McOp::kRegister, "the two password entries differ (RS-12)");
  }
  if (svc().rs_session_.empty()) return Refuse(now, McOp::kRegister, "no registration session: request a captcha first");
  const std::uint32_t trid = http_trids_.Next();
  std::string body;
  wire::LineWriter w(body, wire::Limits::Stream());
  w.Begin("REG", trid).ParamNumber(svc().captcha_.id).Param(captcha_text).Param(account).Param(password).Param(nickname);
  if (!w.Finish().ok()) return Refuse(now, McOp::kRegister, "parameters do not fit the wire limits");
  HttpOp op = RsPost(NewOp(), McOp::kRegister, std::move(body));
  svc().reg_ops_[trid] = op.op_id;
  const std::uint64_t id = op.op_id;
  SendHttp(now, std::move(op));
  return id;
}

std::uint64_t McClient::Upload(TimeUs now, const std::string& kind, const std::string& data,
                               std::uint64_t timestamp_ms) {
  if (!svc().cs_) return Refuse(now, McOp::kUpload, "no CS address: query DP first");
  if (mid_.empty()) return Refuse(now, McOp::kUpload, "IMSI/IMEI invalid: no MID (MID-2)");
  const std::uint64_t op = NewOp();
  auto trid = svc().cs_->Send(now, "RUP", [&](wire::LineWriter& w) {
    w.Param(mid_).Param(kind).ParamNumber(timestamp_ms).Param(data);
  }, op);
  if (!trid.ok()) {
    --next_op_;
    return Refuse(now, McOp::kUpload, trid.status().ToString());
  }
  svc().udp_ops_[op] = {McOp::kUpload, op};
  return op;
}

std::uint64_t McClient::QueryAd(TimeUs now, const std::string& slot) {
  if (!svc().cs_) return Refuse(now, McOp::kAd, "no CS address: query DP first");
  if (mid_.empty()) return Refuse(now, McOp::kAd, "IMSI/IMEI invalid: no MID (MID-2)");
  const std::uint64_t op = NewOp();
  auto trid = svc().cs_->Send(now, "RAD", [&](wire::LineWriter& w) { w.Param(mid_).Param(slot); }, op,
                        config_.ad_pad_to);
  if (!trid.ok()) {
    --next_op_;
    return Refuse(now, McOp::kAd, trid.status().ToString());
  }
  svc().udp_ops_[op] = {McOp::kAd, op};
  return op;
}

std::uint64_t McClient::FetchMedia(TimeUs now, const std::string& url) {
  auto uri = ParseUri(url);
  if (!uri || (uri->scheme != "http" && uri->scheme != "https")) {
    return Refuse(now, McOp::kMedia, "not an http media URL: " + url);
  }
  HttpOp op;
  op.op_id = NewOp();
  op.op = McOp::kMedia;
  op.to = uri->endpoint;
  op.request.method = "GET";
  op.request.target = uri->path.empty() ? "/" : uri->path;
  const std::uint64_t id = op.op_id;
  SendHttp(now, std::move(op));
  return id;
}

void McClient::OnHttpResponse(TimeUs now, std::uint64_t id, bool ok, const HttpResponse& resp) {
  auto it = svc().http_.find(id);
  if (it == svc().http_.end()) return;
  HttpOp op = std::move(it->second);
  svc().http_.erase(it);
  if (op.avatar && ok && resp.status != 503) return AvatarDone(now, op, &resp);
  if (!ok || resp.status == 503) {
    // Transport failure: retry the same request with the UDP backoff schedule.
    if (op.attempts >= config_.retry.max_resends) {
      if (op.avatar) return AvatarDone(now, op, nullptr);
      McEvent e;
      e.op_id = op.op_id;
      e.op = op.op;
      e.outcome = McEvent::Outcome::kGaveUp;
      e.detail = ok ? "HTTP 503" : "HTTP exchange failed";
      e.at = now;
      Emit(e);
      return;
    }
    TimeUs wait = config_.retry.initial_timeout;
    for (std::uint32_t i = 0; i < op.attempts; ++i) {
      wait = std::min<TimeUs>(wait * config_.retry.backoff, config_.retry.max_timeout);
    }
    ++op.attempts;
    op.retry_at = now + wait;
    svc().http_retry_[svc().next_http_++] = std::move(op);
    return;
  }
  switch (op.op) {
    case McOp::kDispatch:
      return HandleDispatch(now, op, resp);
    case McOp::kCaptcha:
    case McOp::kRegister:
      return HandleRsBody(now, op, resp);
    case McOp::kMedia: {
      McEvent e;
      e.op_id = op.op_id;
      e.op = McOp::kMedia;
      e.at = now;
      if (resp.status == 200) {
        e.data = resp.body;
        e.params = {resp.content_type};
      } else {
        e.outcome = McEvent::Outcome::kStatus;
        e.status = static_cast<std::uint16_t>(resp.status);
      }
      return Emit(std::move(e));
    }
    default:
      return;
  }
}

void McClient::HandleDispatch(TimeUs now, const HttpOp& op, const HttpResponse& resp) {
  McEvent e;
  e.op_id = op.op_id;
  e.op = McOp::kDispatch;
  e.at = now;
  e.outcome = McEvent::Outcome::kStatus;
  e.status = static_cast<std::uint16_t>(resp.status == 200 ? Code(StatusCode::kMalformed) : resp.status);
  wire::ParseDatagram(resp.body, wire::Limits::Stream(), [&](const wire::CommandView& c, std::uint64_t) {
    if (c.word() != "AQQW") return;
    e.status = static_cast<std::uint16_t>(c.status().value_or(0));
    if (e.status != 0 || c.param_count() != 7) return;
    e.outcome = McEvent::Outcome::kOk;
    e.params = Params(c);
    svc().update_ = e.params[0];
    svc().sg_ = e.params[3];
    svc().rs_ = e.params[4];
    svc().cs_list_ = e.params[5];
    svc().ms_ = e.params[6];
    if (auto rs = FirstWithScheme(svc().rs_, "http")) {
      svc().rs_endpoint_ = rs->endpoint;
      svc().rs_path_ = rs->path.empty() ? "/mcp" : rs->path;
    }
    if (auto cs = FirstWithScheme(svc().cs_list_, "udp")) SetCsEndpoint(cs->endpoint);
    if (auto sg = FirstWithScheme(svc().sg_, "udp")) sg_endpoint_ = sg->endpoint;
    if (auto sg = FirstWithScheme(svc().sg_, "tcp")) sg_tcp_endpoint_ = sg->endpoint;
  }, [](const wire::WireError&) {});
  Emit(std::move(e));
}

std::string McClient::HandleRbin(const wire::CommandView& cmd) {
  auto answer = [&](StatusCode code) {
    std::string out;
    wire::LineWriter w(out);
    w.Begin("ABIN", cmd.trid(), Code(code));
    (void)w.Finish();
    return out;
  };
  // Params (the codec strips the length): captchaId offset total.
  if (cmd.param_count() != 3) return answer(StatusCode::kBadParamCount);
  const auto id = ParseDec(cmd.raw_param(0));
  const auto offset = ParseDec(cmd.raw_param(1));
  const auto total = ParseDec(cmd.raw_param(2));
  const std::string_view data = cmd.payload().value_or("");
  // PAY-5 chunk rules.
  if (!id || !offset || !total || *total == 0 || *total > 65536 || *offset % 1024 != 0 ||
      *offset >= *total || data.size() != std::min<std::uint32_t>(1024, *total - *offset)) {
    return answer(StatusCode::kBadPayload);
  }
  if (*id != svc().captcha_.id) return answer(StatusCode::kBadParam);  // not our current captcha
  if (svc().captcha_.total == 0) svc().captcha_.total = *total;
  if (*total != svc().captcha_.total) return answer(StatusCode::kBadPayload);  // PAY-6
  if (svc().captcha_.bytes.size() != svc().captcha_.total) {
    svc().captcha_.bytes.assign(svc().captcha_.total, '\0');
    svc().captcha_.have.assign((svc().captcha_.total + 1023) / 1024, false);
  }
  const std::size_t chunk = *offset / 1024;
  if (!svc().captcha_.have[chunk]) {  // PAY-9: keep the first copy
    svc().captcha_.bytes.replace(*offset, data.size(), data);
    svc().captcha_.have[chunk] = true;
  }
  return answer(StatusCode::kOk);
}

void McClient::HandleRsBody(TimeUs now, const HttpOp& op, const HttpResponse& resp) {
  if (auto s = resp.headers.find("sessionid"); s != resp.headers.end()) svc().rs_session_ = s->second;
  const bool body_ok = resp.status == 200;
  wire::ParseDatagram(resp.body, wire::Limits::Stream(), [&](const wire::CommandView& c, std::uint64_t) {
    // HTTP-10: RS no longer knows our session (it expired, or RS restarted
    // and lost it): forget it, so the next RAP starts a new one (RS-1, RS-15).
    if (c.is_answer() && c.status().value_or(0) == Code(StatusCode::kUnknownSession)) svc().rs_session_.clear();
    if (c.word() == "AAP") {
      if (c.status().value_or(0) != 0) {
        McEvent e{op.op_id, McOp::kCaptcha, McEvent::Outcome::kStatus,
                  static_cast<std::uint16_t>(*c.status()), {}, {}, {}, now};
        svc().captcha_.reported = true;
        return Emit(std::move(e));
      }
      if (c.param_count() == 5) {
        svc().rs_session_ = c.DecodeParam(0);
        svc().captcha_.id = ParseDec(c.raw_param(1)).value_or(0);
        svc().captcha_.total = ParseDec(c.raw_param(2)).value_or(0);
      }
    } else if (c.word() == "RBIN") {
      svc().pending_abin_ += HandleRbin(c);
    } else if (c.word() == "AEG") {
      auto r = svc().reg_ops_.find(c.trid());
      if (r == svc().reg_ops_.end()) return;
      McEvent e;
      e.op_id = r->second;
      e.op = McOp::kRegister;
      e.at = now;
      e.status = static_cast<std::uint16_t>(c.status().value_or(0));
      e.outcome = e.status == 0 ? McEvent::Outcome::kOk : McEvent::Outcome::kStatus;
      if (e.status == 0) e.params = Params(c);
      svc().reg_ops_.erase(r);
      Emit(std::move(e));
    }
  }, [](const wire::WireError&) {});
  if (!body_ok && op.op == McOp::kRegister) {
    McEvent e{op.op_id, McOp::kRegister, McEvent::Outcome::kStatus,
              static_cast<std::uint16_t>(resp.status), {}, {}, "HTTP error", now};
    return Emit(std::move(e));
  }
  const bool complete = svc().captcha_.total > 0 && !svc().captcha_.have.empty() &&
                        std::all_of(svc().captcha_.have.begin(), svc().captcha_.have.end(), [](bool b) { return b; });
  if (complete && !svc().captcha_.reported) {
    svc().captcha_.reported = true;
    McEvent e{svc().captcha_.op_id, McOp::kCaptcha, McEvent::Outcome::kOk, 0, {std::to_string(svc().captcha_.id)},
              svc().captcha_.bytes, {}, now};
    Emit(std::move(e));
  }
  if (!svc().pending_abin_.empty() && !svc().rs_session_.empty()) {
    // RS-5: answer every RBIN; the response carries the next chunks (HTTP-8).
    HttpOp next = RsPost(svc().captcha_.op_id, McOp::kCaptcha, std::move(svc().pending_abin_));
    svc().pending_abin_.clear();
    SendHttp(now, std::move(next));
  }
}

void McClient::OnAnswer(TimeUs now, std::uint64_t tag, const wire::CommandView& answer) {
  auto it = svc().udp_ops_.find(tag);
  if (it == svc().udp_ops_.end()) return;
  McEvent e;
  e.op_id = it->second.second;
  e.op = it->second.first;
  e.at = now;
  e.status = static_cast<std::uint16_t>(answer.status().value_or(0));
  e.outcome = e.status == 0 ? McEvent::Outcome::kOk : McEvent::Outcome::kStatus;
  if (e.status == 0) e.params = Params(answer);
  svc().udp_ops_.erase(it);
  Emit(std::move(e));
}

void McClient::OnGaveUp(TimeUs now, std::uint64_t tag) {
  auto it = svc().udp_ops_.find(tag);
  if (it == svc().udp_ops_.end()) return;
  McEvent e;
  e.op_id = it->second.second;
  e.op = it->second.first;
  e.outcome = McEvent::Outcome::kGaveUp;
  e.detail = "no answer after the resend limit (TIMER-3)";
  e.at = now;
  svc().udp_ops_.erase(it);
  Emit(std::move(e));
}

void McClient::OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) {
  const bool from_cs = svc_ && svc_->cs_ && from == svc_->cs_->server();
  const bool from_sg = session_ && from == session_->server();
  // ARCH-3: CS and SG may share one endpoint (`mcpsim serve`). CS only sends
  // answers to this client's RUP/RAD/RPAD, and a server packs one role's
  // commands per datagram, so such a datagram goes to the SG session unless
  // it starts with a CS answer word (else the CS link would answer the SG's
  // pushes, e.g. RCS with 100, and break the login).
  const std::string_view word = bytes.substr(0, std::min(bytes.find_first_of(" \r\n"), bytes.size()));
  const bool cs_answer = word == "AUP" || word == "AAD" || word == "APAD";
  if (from_cs && (!from_sg || cs_answer)) {
    svc().cs_->OnDatagram(now, bytes, *this);
    return;
  }
  if (from_sg) {
    session_->OnDatagram(now, bytes);
    CollectAvatars(now);
  }
}

void McClient::OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) {
  if (!session_ || session_->stream_conn() != conn) return;
  session_->OnDatagram(now, bytes);
  CollectAvatars(now);
}

void McClient::OnStreamClosed(TimeUs now, std::uint64_t conn) {
  if (session_ && session_->stream_conn() == conn) session_->OnStreamClosed(now);
}

void McClient::OnTimer(TimeUs now) {
  if (svc_ && svc_->cs_) svc_->cs_->OnTimer(now, *this);
  if (session_ && session_->NextDeadline() <= now) session_->OnTimer(now);
  if (!svc_) return;
  for (auto it = svc().http_retry_.begin(); it != svc().http_retry_.end();) {
    if (it->second.retry_at <= now) {
      HttpOp op = std::move(it->second);
      it = svc().http_retry_.erase(it);
      SendHttp(now, std::move(op));
    } else {
      ++it;
    }
  }
}

TimeUs McClient::NextDeadline() const {
  TimeUs t = svc_ && svc_->cs_ ? svc_->cs_->NextDeadline() : kNever;
  if (session_) t = std::min(t, session_->NextDeadline());
  if (svc_) {
    for (const auto& [id, op] : svc_->http_retry_) t = std::min(t, op.retry_at);
  }
  return t;
}

void McClient::Drain(std::vector<Output>& out) {
  // Straight into the host's vector (queued HTTP first, then CS, then SG), so
  // an idle phone keeps no output buffer of its own.
  if (!out_.empty()) {
    std::move(out_.begin(), out_.end(), std::back_inserter(out));
    std::vector<Output>().swap(out_);
  }
  if (svc_ && svc_->cs_) svc_->cs_->Drain(out);
  if (session_) session_->Drain(out);
}

}  // namespace mcpsim::reference
