// SG sessions: transport bindings (SG-SESS-3), the state table (SG-SESS-2),
// server-initiated requests (SG-SESS-4, TIMER-8/9), closing (SG-SESS-6) and
// timers (TIMER-10/12).
#include <algorithm>
#include <iterator>

#include "reference/http/http1.h"
#include "reference/roles/sg/sg.h"

namespace mcpsim::reference {
namespace {

constexpr std::uint8_t Bit(SessionState s) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(s)); }
constexpr std::uint8_t kAny = 0x1f;
constexpr std::uint8_t kActiveOnly = Bit(SessionState::kActive);

// Words a client may never send: Appendix A's server-only words (WIRE-21)
// and the nudge request RSN (SG-NUDGE-4).
bool ServerOnly(std::string_view w) { return IsServerOnlyWord(w) || w == "RSN"; }

}  // namespace

SgRole::SgRole(SgConfig config, Store& store, Backend& backend, Rng rng, std::string name)
    : config_(std::move(config)), rat_addr_(config_.rat_per_address),
      rat_account_(config_.rat_per_account), login_backoff_(config_.login_backoff),
      store_(store), backend_(backend), rng_(rng),
      trid_rng_(rng.Fork("push-trids")), name_(std::move(name)), server_(*this, config_.server) {
  backend_.Register(this);
}

SgRole::~SgRole() {
  std::vector<std::string> mine;  // a flat table: erasing moves entries
  for (const auto& [account, where] : backend_.online_) {
    if (where.sg == this) mine.push_back(account);
  }
  for (const std::string& account : mine) backend_.online_.erase(account);
  backend_.Unregister(this);
}

std::string SgRole::NewToken() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string t;
  for (int half = 0; half < 2; ++half) {
    const std::uint64_t v = rng_.Next();
    for (int i = 15; i >= 0; --i) t.push_back(kHex[(v >> (4 * i)) & 0xf]);
  }
  return t;
}

// ---- Role entry points ----

void SgRole::OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) {
  now_ = now;
  if (auto it = by_endpoint_.find(from); it != by_endpoint_.end()) {
    Session& s = *sessions_.at(it->second);
    s.last_activity = now;  // SG-LOGIN-10
    Touch(s);
  }
  server_.OnDatagram(now, from, bytes, out_);  // AMP-6: judged on arrival there
  Finish(now);
}

void SgRole::OnStreamOpen(TimeUs, std::uint64_t conn, const Endpoint& peer) {
  conn_peer_[conn] = peer;
}

void SgRole::OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) {
  now_ = now;
  if (auto it = by_conn_.find(conn); it != by_conn_.end()) {
    Session& s = *sessions_.at(it->second);
    s.last_activity = now;
    Touch(s);
  }
  const std::size_t first = out_.size();
  server_.OnStreamData(now, conn, conn_peer_[conn], bytes, out_);
  CloseStreamsClosedBy(now, first);
  Finish(now);
}

void SgRole::CloseStreamsClosedBy(TimeUs now, std::size_t first) {
  // TCP-3 (decode error) / TCP-9 (backlog): the server closed the connection.
  for (std::size_t i = first; i < out_.size(); ++i) {
    if (out_[i].kind != Output::Kind::kCloseStream) continue;
    const std::uint64_t conn = out_[i].conn;
    if (auto it = by_conn_.find(conn); it != by_conn_.end()) {
      CloseSession(now, *sessions_.at(it->second), CloseWhy::kTcpClosed);
    }
    conn_peer_.erase(conn);
  }
}

void SgRole::OnWorkDone(TimeUs now, std::uint64_t id, const WorkResult& result) {
  now_ = now;
  const std::size_t first = out_.size();
  server_.OnWorkDone(now, id, result, out_);
  CloseStreamsClosedBy(now, first);
  Finish(now);
}

void SgRole::OnStreamClosed(TimeUs now, std::uint64_t conn) {
  now_ = now;
  server_.OnStreamClosed(conn);
  if (auto it = by_conn_.find(conn); it != by_conn_.end()) {
    CloseSession(now, *sessions_.at(it->second), CloseWhy::kTcpClosed);
  }
  conn_peer_.erase(conn);
  Finish(now);
}

void SgRole::OnHttp(TimeUs now, std::uint64_t exchange, const HttpRequest& req) {
  HttpResponse resp;
  if (http::TargetPath(req.target) != "/mcp") {
    resp.status = 404;  // HTTP-6
    return out_.push_back(HttpAnswer(exchange, std::move(resp)));
  }
  if (req.method != "POST") {
    resp.status = 405;
    resp.headers["allow"] = "POST";
    return out_.push_back(HttpAnswer(exchange, std::move(resp)));
  }
  now_ = now;
  if (auto h = req.headers.find("sessionid"); h != req.headers.end()) {
    if (auto it = by_token_.find(h->second); it != by_token_.end()) {
      Session& s = *sessions_.at(it->second);
      s.last_activity = now;
      Touch(s);
    }
  }
  server_.OnHttpBody(now, exchange, req, out_);  // HTTP-7: SessionID set by RAT
  Finish(now);
}

void SgRole::Drain(std::vector<Output>& out) {
  std::move(out_.begin(), out_.end(), std::back_inserter(out));
  out_.clear();
}

// ---- requests ----

void SgRole::HandleRequest(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply) {
  struct Spec {
    std::string_view word;
    std::size_t params;
    std::uint8_t states;
    Handler handler;
  };
  static const Spec kSpecs[] = {
      {"RAT", 5, Bit(SessionState::kConnected), &SgRole::Rat},
      {"RSII", 4, Bit(SessionState::kAuthed), &SgRole::Rsii},
      {"RLI", 2, kActiveOnly, &SgRole::Rli},
      {"RPOL", 0, kAny, &SgRole::Rpol},
      {"RLO", 0,
       Bit(SessionState::kAuthed) | Bit(SessionState::kOnline) | Bit(SessionState::kActive),
       &SgRole::Rlo},
      {"RPS", 4, Bit(SessionState::kOnline) | Bit(SessionState::kActive), &SgRole::Rps},
      {"RCE", 2, kActiveOnly, &SgRole::Rce},
      {"RSI", 1, kActiveOnly, &SgRole::Rsi},
      {"RSR", 2, kActiveOnly, &SgRole::Rsr},
      {"RCM", 1, kActiveOnly, &SgRole::Rcm},
      {"RSM", 2, kActiveOnly, &SgRole::Rsm},
      {"RSB", 1, kActiveOnly, &SgRole::Rsb},
      {"ROM", 2, kActiveOnly, &SgRole::Rom},
      {"ROI", 3, kActiveOnly, &SgRole::Roi},
      {"ROR", 2, kActiveOnly, &SgRole::Ror},
      {"ROC", 1, kActiveOnly, &SgRole::Roc},
      {"ROT", 3, kActiveOnly, &SgRole::Rot},
      {"RSV", 4, kActiveOnly, &SgRole::Rsv},
  };
  now_ = ctx.now;
  const std::string_view word = cmd.word();
  if (ServerOnly(word)) return reply.Fail(StatusCode::kNotAllowed);
  const Spec* spec = nullptr;
  for (const Spec& s : kSpecs) {
    if (s.word == word) spec = &s;
  }
  if (!spec) return reply.Fail(StatusCode::kUnknownCommand);  // WIRE-21
  if (cmd.param_count() != spec->params) return reply.Fail(StatusCode::kBadParamCount);
  Session* s = SessionFor(ctx);
  const SessionState state = s ? s->state : SessionState::kConnected;
  // SG-SESS-2 (RPS in ONLINE only after the initial sync, SG-SYNC-7, or with
  // its final request in flight, SG-SYNC-12).
  const bool allowed =
      (spec->states & Bit(state)) &&
      !(word == "RPS" && state == SessionState::kOnline && !s->initial_sync_done &&
        !(config_.rps_completes_sync && RpsCompletesSync(ctx.now, *s)));
  if (!allowed) {
    if (word == "RAT") return reply.Fail(StatusCode::kAlreadyLoggedIn);
    if (s) return reply.Fail(StatusCode::kWrongState);
    // HTTP-10: an unknown or expired SessionID.
    if (ctx.via == Via::kHttp && !ctx.session.empty()) return reply.Fail(StatusCode::kUnknownSession);
    return reply.Fail(StatusCode::kNotAuthenticated);
  }
  const std::uint64_t sid = s ? s->id : 0;
  (this->*spec->handler)(ctx, s, cmd, reply);
  // SG-SYNC-13 / G-78: what the store failed for this session is tried now.
  if (sid != 0) {
    if (auto it = sessions_.find(sid); it != sessions_.end()) RetryStore(*it->second);
  }
}

Session* SgRole::SessionFor(const RequestContext& ctx) {
  std::uint64_t id = 0;
  if (ctx.via == Via::kUdp) {
    auto it = by_endpoint_.find(ctx.peer.endpoint);
    if (it != by_endpoint_.end()) id = it->second;
  } else if (ctx.via == Via::kTcp) {
    auto it = by_conn_.find(ctx.peer.conn);
    if (it != by_conn_.end()) id = it->second;
  } else if (!ctx.session.empty()) {
    auto it = by_token_.find(ctx.session);
    if (it != by_token_.end()) id = it->second;
  }
  auto it = sessions_.find(id);
  return it == sessions_.end() || it->second->state == SessionState::kClosed ? nullptr
                                                                              : it->second.get();
}

SgRole::Peer SgRole::Locate(std::string_view account) {
  auto it = backend_.online_.find(account);
  if (it == backend_.online_.end()) return {};
  SgRole* sg = it->second.sg;
  auto s = sg->sessions_.find(it->second.session);
  if (s == sg->sessions_.end() || s->second->state == SessionState::kClosed) return {};
  return Peer{sg, s->second.get()};
}

bool SgRole::IsValidated(const PeerKey& peer) const {
  if (peer.conn != 0) return true;  // AMP applies to UDP only
  auto it = by_endpoint_.find(peer.endpoint);
  return it != by_endpoint_.end() && sessions_.at(it->second)->validated;
}

// ---- server-initiated requests ----

std::uint32_t SgRole::Enqueue(Session& s, std::string_view word,
                              const std::vector<std::string>& params, std::uint64_t tag,
                              std::uint64_t group, std::optional<std::string_view> payload) {
  if (s.state == SessionState::kClosed) return 0;
  SgRole& home = *s.home;
  const wire::Limits& limits =
      s.via == Via::kUdp ? home.config_.server.udp_limits : home.config_.server.stream_limits;
  std::string bytes;
  wire::LineWriter w(bytes, limits);
  const std::uint32_t trid = s.push.NextTrid();
  w.Begin(word, trid);
  for (const std::string& p : params) w.Param(p);
  if (payload) w.Payload(*payload);
  // Params are validated on input, so this cannot fail; if it did, nothing
  // malformed may reach the wire.
  if (!w.Finish().ok()) return 0;
  s.push.Push(trid, word, std::move(bytes), tag, group);
  home.MarkDirty(s);
  return trid;
}

void SgRole::MarkDirty(const Session& s) {
  if (s.home->dirty_set_.insert(s.id).second) s.home->dirty_.push_back(s.id);
}

void SgRole::SendNow(Session& s, std::vector<std::string>& cmds) {
  if (cmds.empty()) return;
  SgRole& home = *s.home;
  if (s.via == Via::kUdp) {
    // UDP-7: packing server-initiated requests is a MAY (sg.push.unpacked).
    const bool one_each = cmds.size() > 1 && FaultPoint(home.config_.server.faults, "sg.push.unpacked");
    PackDatagrams(cmds, s.endpoint, home.config_.server.udp_limits.max_datagram, home.out_, one_each);
  } else if (s.via == Via::kTcp) {
    for (std::string& c : cmds) {
      Output o;
      o.kind = Output::Kind::kStream;
      o.conn = s.conn;
      o.to = s.endpoint;
      o.bytes = std::move(c);
      home.out_.push_back(std::move(o));
    }
  }
  cmds.clear();
}

void SgRole::Flush(TimeUs now) {
  std::vector<std::string> cmds;
  for (std::uint64_t id : dirty_) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second->state == SessionState::kClosed) continue;
    Session& s = *it->second;
    Touch(s);
    if (s.via == Via::kHttp) continue;  // HTTP-8: carried by the next response
    s.push.TakeSends(now, cmds);
    SendNow(s, cmds);
  }
  dirty_.clear();
  dirty_set_.clear();
  for (auto it = detached_.begin(); it != detached_.end();) {
    if (it->via == Via::kHttp) {
      it = it->push.idle() ? detached_.erase(it) : std::next(it);
      continue;
    }
    it->push.TakeSends(now, cmds);
    Output o;
    o.to = it->endpoint;
    if (it->via == Via::kUdp) {
      PackDatagrams(cmds, it->endpoint, config_.server.udp_limits.max_datagram, out_);
      cmds.clear();
      it = it->push.idle() ? detached_.erase(it) : std::next(it);
      continue;
    }
    // TCP-6: ROUT, then close the connection without waiting for AOUT.
    o.kind = Output::Kind::kStream;
    o.conn = it->conn;
    for (std::string& c : cmds) o.bytes += c;
    cmds.clear();
    if (!o.bytes.empty()) out_.push_back(o);
    o.kind = Output::Kind::kCloseStream;
    o.bytes.clear();
    out_.push_back(o);
    server_.OnStreamClosed(it->conn);
    conn_peer_.erase(it->conn);
    it = detached_.erase(it);
  }
  for (std::uint64_t conn : close_conns_) {
    Output o;
    o.kind = Output::Kind::kCloseStream;
    o.conn = conn;
    out_.push_back(o);
    server_.OnStreamClosed(conn);
    conn_peer_.erase(conn);
  }
  close_conns_.clear();
  graveyard_.clear();
}

void SgRole::Finish(TimeUs now) { backend_.FlushAll(now); }

void SgRole::HandleAnswer(const RequestContext& ctx, const wire::CommandView& cmd) {
  now_ = ctx.now;
  const std::uint32_t status = cmd.status().value_or(0);
  if (Session* s = SessionFor(ctx)) {
    if (auto e = s->push.OnAnswer(cmd.trid(), cmd.word())) {
      MarkDirty(*s);  // a window slot is free
      OnPushAnswer(ctx.now, *s, *e, status);
      return;
    }
  }
  for (Detached& d : detached_) {
    const bool same = d.via == ctx.via &&
                      (ctx.via == Via::kUdp   ? d.endpoint == ctx.peer.endpoint
                       : ctx.via == Via::kTcp ? d.conn == ctx.peer.conn
                                              : d.token == ctx.session);
    if (same && d.push.OnAnswer(cmd.trid(), cmd.word())) return;  // AOUT
  }
  // WIRE-23: anything else is ignored.
}

void SgRole::OnPushAnswer(TimeUs now, Session& s, const PushChannel::Entry& e,
                          std::uint32_t status) {
  const std::string_view w = e.word;
  if (w == "RCS" || w == "RCR") return OnSyncAnswer(now, s, e, status);
  if ((w == "RRI" || w == "RRR") && status != 0) {  // SG-CHAT-2/6
    return RemoveMember(now, e.tag, s.account, "rejected");
  }
  if (w == "RPN" && (status == 0 || !config_.offline_keep_refused)) {  // SG-OFF-3
    (void)store_.DeleteOfflineMessage(e.tag);
    return;
  }
  if (w == "ROA" || w == "ROT") return OnFileAnswer(now, s, e, status);
  if (w == "RRV") return OnVoiceAnswer(s, e, status);
  if (w == "RRM" && status != 0 && !config_.ignore_refused_answers) {  // TEST-ONLY defect
    return RemoveMember(now, e.tag, s.account, "rejected");
  }
  // RNP, RAC, RRM, RRB, ROR, ROC, RRN: nothing beyond ending resends (SG-CHAT-9).
}

void SgRole::AppendHttpPushes(TimeUs now, const std::string& token, std::string& body) {
  if (token.empty()) return;
  std::vector<PushChannel::Entry> gave_up;
  if (auto it = by_token_.find(token); it != by_token_.end()) {
    Session& s = *sessions_.at(it->second);
    s.push.AppendHttp(body, gave_up);
    if (!gave_up.empty()) OnGaveUp(now, s);
    return;
  }
  for (auto it = detached_.begin(); it != detached_.end(); ++it) {
    if (it->via != Via::kHttp || it->token != token) continue;
    it->push.AppendHttp(body, gave_up);
    if (it->push.idle()) detached_.erase(it);
    return;
  }
}

void SgRole::OnGaveUp(TimeUs now, Session& s) { CloseSession(now, s, CloseWhy::kGaveUp); }

// ---- closing (SG-SESS-6) ----

void SgRole::CloseSession(TimeUs now, Session& s, CloseWhy why) {
  if (s.state == SessionState::kClosed) return;
  SgRole& home = *s.home;
  const std::string account = s.account;
  const bool was_active = s.state == SessionState::kActive;
  s.state = SessionState::kClosed;  // from here on it is invisible and gets nothing
  if (on_close_) on_close_(now, account, why);
  if (auto it = backend_.online_.find(account);
      it != backend_.online_.end() && it->second.sg == &home && it->second.session == s.id) {
    backend_.online_.erase(it);
  }
  EndTransfersOf(account, 0);
  EndVoiceOf(account, 0);
  const std::vector<std::uint64_t> calls = backend_.calls_.CallsOf(account);  // ascending
  for (std::uint64_t id : calls) RemoveMember(now, id, account, "offline");
  if (was_active) backend_.PublishPresence(account, "offline", 0);  // CLU-11
  if (was_active) NotifyWatchers(account);
  s.push.Clear();
  bool stream_closed_by_rout = false;
  // SG-LOGIN-8: ROUT 208 from a detached sender (never to an unvalidated UDP
  // endpoint, AMP-1).
  if (why == CloseWhy::kReplaced && (s.via != Via::kUdp || s.validated)) {
    std::string bytes;
    wire::LineWriter w(bytes);
    const std::uint32_t trid = s.push.NextTrid();
    w.Begin("ROUT", trid).ParamNumber(Code(StatusCode::kLoggedInElsewhere));
    if (w.Finish().ok()) {
      s.push.Push(trid, "ROUT", std::move(bytes), 0);
      Detached d(s.via, std::move(s.push));
      d.endpoint = s.endpoint;
      d.conn = s.conn;
      d.token = s.token;
      home.detached_.push_back(std::move(d));
      stream_closed_by_rout = s.via == Via::kTcp;
    }
  }
  if (s.via == Via::kUdp) home.by_endpoint_.erase(s.endpoint);
  if (s.via == Via::kTcp) {
    home.by_conn_.erase(s.conn);
    if (why != CloseWhy::kTcpClosed && !stream_closed_by_rout) home.close_conns_.push_back(s.conn);
  }
  home.by_token_.erase(s.token);
  home.dirty_set_.erase(s.id);
  home.deadlines_.Remove(s);  // leaves the index and the touched list
  if (s.touched) {
    home.touched_.erase(std::find(home.touched_.begin(), home.touched_.end(), &s));
    s.touched = false;
  }
  auto it = home.sessions_.find(s.id);
  home.graveyard_.push_back(std::move(it->second));  // freed after this input
  home.sessions_.erase(it);
}

// ---- timers ----

void SgRole::OnTimer(TimeUs now) {
  now_ = now;
  server_.Expire(now);
  // Only sessions with a deadline due can act (for the others OnTimer is a
  // no-op); ascending id as before.
  Reindex();
  std::vector<std::uint64_t> ids;
  deadlines_.ForEachDue(now, [&](std::uint64_t id, const Session&) { ids.push_back(id); });
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> cmds;
  for (std::uint64_t id : ids) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second->state == SessionState::kClosed) continue;
    Session& s = *it->second;
    Touch(s);
    std::vector<PushChannel::Entry> gave_up;
    s.push.OnTimer(now, cmds, gave_up);
    SendNow(s, cmds);
    if (!gave_up.empty()) {
      OnGaveUp(now, s);  // TIMER-9
    } else if (now >= s.last_activity + config_.session_idle) {
      CloseSession(now, s, CloseWhy::kIdle);  // TIMER-10
    } else if (now >= s.store_retry_at) {
      RetryStore(s);  // SG-SYNC-13 / G-78
    }
  }
  for (auto it = detached_.begin(); it != detached_.end();) {
    std::vector<PushChannel::Entry> gave_up;
    it->push.OnTimer(now, cmds, gave_up);
    if (it->via == Via::kUdp) PackDatagrams(cmds, it->endpoint, config_.server.udp_limits.max_datagram, out_);
    cmds.clear();
    it = it->push.idle() ? detached_.erase(it) : std::next(it);
  }
  // TIMER-12: transfers and clips homed here.
  std::vector<std::uint64_t> stale;
  for (auto& [id, t] : backend_.transfers_) {
    if (t.home == this && t.timed_here() && now >= t.last_progress + config_.transfer_idle) stale.push_back(id);
  }
  for (std::uint64_t id : stale) FailTransfer(backend_.transfers_.at(id));
  for (auto it = backend_.clips_.begin(); it != backend_.clips_.end();) {
    const bool expired = it->second.home == this && now >= it->second.last_progress + config_.transfer_idle;
    it = expired ? backend_.clips_.erase(it) : std::next(it);
  }
  Finish(now);
}

TimeUs SgRole::NextDeadline() const {
  Reindex();
  TimeUs t = server_.NextDeadline();
  t = std::min(t, deadlines_.Top());
  for (const Detached& d : detached_) t = std::min(t, d.push.NextDeadline());
  for (const auto& [id, x] : backend_.transfers_) {
    if (x.home == this && x.timed_here()) t = std::min(t, x.last_progress + config_.transfer_idle);
  }
  for (const auto& [key, c] : backend_.clips_) {
    if (c.home == this) t = std::min(t, c.last_progress + config_.transfer_idle);
  }
  return t;
}

void SgRole::Reindex() const {
  for (Session* s : touched_) {
    s->touched = false;
    // Closed sessions left the list in CloseSession.
    const TimeUs t = std::min({s->push.NextDeadline(), s->last_activity + config_.session_idle, s->store_retry_at});
    deadlines_.Set(*s, t, s->id);
  }
  touched_.clear();
}

std::optional<SgRole::SessionInfo> SgRole::SessionOf(std::string_view account) const {
  const Session* found = nullptr;  // the oldest live one (sessions_ is unordered)
  for (const auto& [id, s] : sessions_) {
    if (s->account == account && s->state != SessionState::kClosed && (!found || s->id < found->id)) {
      found = s.get();
    }
  }
  if (!found) return std::nullopt;
  return SessionInfo{found->account, found->state, found->presence, found->caps, found->via, found->token, found->sync_running};
}

}  // namespace mcpsim::reference
