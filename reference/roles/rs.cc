#include "reference/roles/rs.h"

#include <algorithm>

#include "reference/media/captcha.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {
namespace {
std::string Hex32(Rng& rng) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 2; ++i) {
    std::uint64_t v = rng.Next();
    for (int k = 0; k < 16; ++k, v >>= 4) s.push_back(hex[v & 15]);
  }
  return s;
}
bool SameIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto up = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; };
    if (up(a[i]) != up(b[i])) return false;
  }
  return true;
}
}  // namespace

RsRole::RsRole(RsConfig config, Store& store, Rng rng, std::string name)
    : config_(config), store_(store), rng_(rng), name_(std::move(name)),
      server_(*this, config.server), rap_limit_(config.rap_per_address),
      reg_limit_(config.reg_per_address) {}

RsRole::Session* RsRole::Find(const RequestContext& ctx) {
  std::string id;
  if (ctx.via == Via::kTcp) {
    auto c = by_conn_.find(ctx.peer.conn);
    if (c == by_conn_.end()) return nullptr;
    id = c->second;
  } else {
    id = ctx.http_session();
  }
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

RsRole::Session& RsRole::Create(const RequestContext& ctx) {
  const bool tcp = ctx.via == Via::kTcp;
  // RATE-7: the table is bounded; the oldest session goes first.
  while (sessions_.size() >= std::max<std::size_t>(1, config_.max_sessions) && !by_age_.empty()) {
    ++stats_.sessions_evicted;
    Close(std::string(by_age_.begin()->second));
  }
  std::string id = Hex32(rng_);  // RS-1: 128 random bits
  PushLimits limits;
  limits.faults = config_.server.faults;  // push.window.shrink on the RBIN chunks
  auto [it, inserted] = sessions_.try_emplace(
      id, tcp ? PushTransport::kTcp : PushTransport::kHttp, config_.retry, limits);
  (void)inserted;
  Session& s = it->second;
  s.id = id;
  s.seq = next_seq_++;
  by_age_[s.seq] = id;
  if (tcp) {
    s.conn = ctx.peer.conn;
    s.peer = conn_peer_[ctx.peer.conn];
    by_conn_[s.conn] = id;
  } else {
    ctx.issued_session = id;  // HTTP-7: the response's SessionID header
  }
  ++stats_.sessions_created;
  return s;
}

void RsRole::Close(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  if (it->second.conn != 0) by_conn_.erase(it->second.conn);
  by_age_.erase(it->second.seq);
  sessions_.erase(it);
}

void RsRole::HandleRequest(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply) {
  if (cmd.word() == "RAP") return Rap(ctx, cmd, reply);
  if (cmd.word() == "REG") return Reg(ctx, cmd, reply);
  if (IsServerOnlyWord(cmd.word())) return reply.Fail(StatusCode::kNotAllowed);  // WIRE-21
  reply.Fail(StatusCode::kUnknownCommand);
}

void RsRole::Rap(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply) {
  if (cmd.param_count() != 2) return reply.Fail(StatusCode::kBadParamCount);
  if (!ParseClientVersion(cmd.DecodeParam(0)) || !IsDeviceId(cmd.DecodeParam(1))) {
    return reply.Fail(StatusCode::kBadParam);
  }
  Session* s = Find(ctx);
  if (!s && ctx.via == Via::kHttp && !ctx.session.empty()) {
    return reply.Fail(StatusCode::kUnknownSession);  // SessionID names no session
  }
  // RATE-6 (keyed per RATE-2): no session, no captcha.
  if (!rap_limit_.Take(ctx.now, AddressKey(ctx.source, config_.server.test_rate_key_port))) {
    ++stats_.rate_limited;
    return reply.Fail(StatusCode::kRateLimited);
  }
  if (!s) s = &Create(ctx);
  s->last_active = ctx.now;
  // RS-2: a new captcha replaces the previous one and its pending chunks.
  // RS-3: PNG or binary PGM are both conforming; the MC must decode either.
  const CaptchaFormat format =
      FaultPoint(config_.server.faults, "rs.captcha.pgm") ? CaptchaFormat::kPgm : config_.captcha_format;
  Captcha c = MakeCaptcha(rng_, config_.captcha_length, format);
  s->push.Clear();
  s->captcha_id = next_captcha_id_++;
  s->captcha_text = c.text;
  s->captcha_live = true;
  s->captcha_expires = ctx.now + config_.captcha_ttl;
  ++stats_.captchas;
  if (config_.test_disclose_captcha && ctx.via == Via::kHttp) ctx.test_captcha = c.text;  // TEST-1
  const std::size_t total = c.png.size();
  for (std::size_t off = 0; off < total; off += 1024) {  // RS-4, LIM-9
    const std::uint32_t trid = s->push.NextTrid();
    std::string bytes;
    wire::LineWriter w(bytes, wire::Limits::Stream());
    w.Begin("RBIN", trid).ParamNumber(s->captcha_id).ParamNumber(off).ParamNumber(total);
    w.Payload(std::string_view(c.png).substr(off, std::min<std::size_t>(1024, total - off)));
    if (!w.Finish().ok()) return reply.Fail(StatusCode::kInternal);
    s->push.Push(trid, "RBIN", std::move(bytes), off, s->captcha_id);
  }
  reply.Ok({s->id, std::to_string(s->captcha_id), std::to_string(total),
            std::to_string((total + 1023) / 1024), c.mime});
}

void RsRole::Reg(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply) {
  if (cmd.param_count() != 5) return reply.Fail(StatusCode::kBadParamCount);
  Session* s = Find(ctx);
  if (!s) return reply.Fail(StatusCode::kUnknownSession);  // RS-13
  s->last_active = ctx.now;
  // RATE-6 (keyed per RATE-2): the captcha stays.
  if (!reg_limit_.Take(ctx.now, AddressKey(ctx.source, config_.server.test_rate_key_port))) {
    ++stats_.rate_limited;
    return reply.Fail(StatusCode::kRateLimited);
  }
  // LIM-23 / RATE-10: no room to wait for the hash; the captcha stays.
  if (!reply.can_defer()) return reply.Fail(reply.busy_status());
  if (config_.reg_text_length_first) {  // TEST-ONLY defect (RsConfig)
    const std::string text = cmd.DecodeParam(1);
    if (text.empty() || text.size() > 16) return reply.Fail(StatusCode::kBadParam);
  }
  const auto captcha_id = ParseDec(cmd.raw_param(0));
  if (!captcha_id) return reply.Fail(StatusCode::kBadParam);
  if (!s->captcha_live || *captcha_id != s->captcha_id || ctx.now >= s->captcha_expires) {
    return reply.Fail(StatusCode::kCaptchaUsed);
  }
  if (config_.captcha_single_use) s->captcha_live = false;  // RS-7: single use, whatever the outcome
  s->push.Clear();
  if (!SameIgnoringAsciiCase(cmd.DecodeParam(1), s->captcha_text)) {  // RS-9
    ++stats_.wrong_captcha;
    return reply.Fail(StatusCode::kCaptchaWrong);
  }
  Account a;
  a.name = cmd.DecodeParam(2);
  const std::string password = cmd.DecodeParam(3);
  a.nickname = cmd.DecodeParam(4);
  if (!IsAccountName(a.name)) return reply.Fail(StatusCode::kBadAccountName);
  if (!IsPassword(password)) return reply.Fail(StatusCode::kBadPassword);
  if (a.nickname.empty()) a.nickname = a.name.substr(0, a.name.find('@'));
  if (!IsNickname(a.nickname)) return reply.Fail(StatusCode::kBadParam);
  auto existing = store_.GetAccount(a.name);
  if (!existing.ok()) return reply.Fail(StatusCode::kStorage);
  if (existing->has_value()) {  // 205 without hashing; CreateAccount re-checks
    ++stats_.duplicate_accounts;
    return reply.Fail(StatusCode::kAccountExists);
  }
  // RS-10: the Argon2id hash is work for the host (role.h); ResumeRequest
  // creates the account with it. The salt comes from the RS's random source.
  Work w;
  w.kind = Work::Kind::kHashPassword;
  w.password = password;
  w.salt.resize(16);
  rng_.Fill(w.salt.data(), w.salt.size());
  w.cost = config_.password_cost;
  reply.Defer(std::move(w));
}

void RsRole::ResumeRequest(const RequestContext& ctx, const wire::CommandView& cmd,
                           const WorkResult& result, Reply& reply) {
  if (cmd.word() != "REG" || !result.ok) return reply.Fail(StatusCode::kInternal);
  Account a;
  a.name = cmd.DecodeParam(2);
  a.nickname = cmd.DecodeParam(4);
  if (a.nickname.empty()) a.nickname = a.name.substr(0, a.name.find('@'));
  a.password_hash = result.encoded;
  a.profile_version = 1;
  a.list_version = 1;
  a.created_ms = ctx.now / kMillis;
  reply.MarkWrite();
  auto created = store_.CreateAccount(a);
  if (!created.ok()) return reply.Fail(StatusCode::kStorage);
  if (!*created) {
    ++stats_.duplicate_accounts;
    return reply.Fail(StatusCode::kAccountExists);
  }
  ++stats_.accounts_created;
  reply.Ok({a.name});
  // RS-11: the registration session ends with AEG (if it still exists: it
  // may have idled out or been evicted while the hash was computed).
  if (Session* s = Find(ctx)) Close(s->id);
}

void RsRole::HandleAnswer(const RequestContext& ctx, const wire::CommandView& cmd) {
  Session* s = Find(ctx);
  if (!s) return;
  s->last_active = ctx.now;
  auto e = s->push.OnAnswer(cmd.trid(), cmd.word());
  if (!e) return;  // WIRE-23
  if (cmd.status().value_or(0) != 0) {
    if (config_.rbin_refusal_stops) s->push.Clear();  // RS-6: the client refused a chunk; stop this captcha
    return;
  }
  ++stats_.chunks_acked;
}

void RsRole::AppendHttpPushes(TimeUs, const std::string& session, std::string& body) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  std::vector<PushChannel::Entry> gave_up;
  it->second.push.AppendHttp(body, gave_up);
  if (!gave_up.empty()) it->second.push.Clear();  // TIMER-9: stop the captcha
}

void RsRole::FlushTcp(TimeUs now, Session& s) {
  std::vector<std::string> sends;
  s.push.TakeSends(now, sends);
  for (std::string& b : sends) {
    Output o;
    o.kind = Output::Kind::kStream;
    o.conn = s.conn;
    o.to = s.peer;
    o.bytes = std::move(b);
    out_.push_back(std::move(o));
  }
}

void RsRole::OnStreamOpen(TimeUs, std::uint64_t conn, const Endpoint& peer) { conn_peer_[conn] = peer; }

void RsRole::OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) {
  server_.OnStreamData(now, conn, conn_peer_[conn], bytes, out_);
  if (auto c = by_conn_.find(conn); c != by_conn_.end()) {
    if (auto s = sessions_.find(c->second); s != sessions_.end()) FlushTcp(now, s->second);
  }
}

void RsRole::OnStreamClosed(TimeUs, std::uint64_t conn) {
  server_.OnStreamClosed(conn);
  if (auto c = by_conn_.find(conn); c != by_conn_.end()) Close(c->second);
  conn_peer_.erase(conn);
}

void RsRole::OnHttp(TimeUs now, std::uint64_t exchange, const HttpRequest& req) {
  HttpResponse resp;
  if (req.target != "/mcp") {
    resp.status = 404;
    return out_.push_back(HttpAnswer(exchange, std::move(resp)));
  }
  if (req.method != "POST") {
    resp.status = 405;
    resp.headers["allow"] = "POST";
    return out_.push_back(HttpAnswer(exchange, std::move(resp)));
  }
  server_.OnHttpBody(now, exchange, req, out_);  // HTTP-7: SessionID set by Create
}

void RsRole::OnWorkDone(TimeUs now, std::uint64_t id, const WorkResult& result) {
  server_.OnWorkDone(now, id, result, out_);
  // A resumed TCP connection may have run a RAP (RBIN pushes to send).
  for (auto& [sid, s] : sessions_) {
    if (s.conn != 0) FlushTcp(now, s);
  }
}

void RsRole::OnTimer(TimeUs now) {
  server_.Expire(now);
  std::vector<std::string> expired;
  for (auto& [id, s] : sessions_) {
    if (now - s.last_active >= config_.session_idle) {
      expired.push_back(id);
      continue;
    }
    std::vector<std::string> resend;
    std::vector<PushChannel::Entry> gave_up;
    s.push.OnTimer(now, resend, gave_up);
    if (!gave_up.empty() && s.conn != 0) {
      // TIMER-13: unanswered for the whole budget on TCP: close the connection.
      Output o;
      o.kind = Output::Kind::kCloseStream;
      o.conn = s.conn;
      o.to = s.peer;
      out_.push_back(o);
      expired.push_back(id);
    }
  }
  for (const std::string& id : expired) Close(id);
}

TimeUs RsRole::NextDeadline() const {
  TimeUs t = server_.NextDeadline();
  for (const auto& [id, s] : sessions_) {
    t = std::min({t, s.last_active + config_.session_idle, s.push.NextDeadline()});
  }
  return t;
}

void RsRole::Drain(std::vector<Output>& out) {
  std::move(out_.begin(), out_.end(), std::back_inserter(out));
  out_.clear();
}

std::string RsRole::CaptchaTextForTest(const std::string& session_id) const {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? "" : it->second.captcha_text;
}

}  // namespace mcpsim::reference
