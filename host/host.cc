#include "host/host.h"

#include <vector>

#include <spdlog/spdlog.h>

namespace mcpsim::host {

using reference::HttpRequest;
using reference::HttpResponse;
using reference::Output;

namespace {
Bytes AsBytes(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
std::string_view AsView(Bytes b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
// The first line of a datagram, for trace logs (at most 120 bytes, controls as '.').
std::string FirstLine(Bytes b) {
  std::string s(AsView(b).substr(0, 120));
  if (const auto eol = s.find('\r'); eol != std::string::npos) s.resize(eol);
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
  }
  return s;
}
}  // namespace

struct RoleHost::HttpServerConn {
  explicit HttpServerConn(std::size_t max_body) : parser(max_body) {}
  reference::http::RequestParser parser;
  Endpoint peer;
  bool asked = false;      // the request went to the role (its answer may come later)
  bool responded = false;  // one exchange per connection (Connection: close)
  bool head_done = false;
  std::optional<TimerId> timer;  // the header/body deadline, then the linger
};

struct RoleHost::HttpClientConn {
  StreamId stream = 0;
  reference::http::ResponseParser parser;
  bool done = false;
};

struct RoleHost::Streams {
  std::map<StreamId, std::unique_ptr<HttpServerConn>> http_server;
  std::map<std::uint64_t, std::unique_ptr<HttpClientConn>> http_client;  // by role's id
  std::map<StreamId, TimerId> tcp_unanswered;  // TCP-10 deadlines
  std::map<std::uint64_t, StreamId> stream_client;  // kConnect streams: role's id -> Env stream
};

RoleHost::Streams& RoleHost::streams() {
  if (!streams_) streams_ = std::make_unique<Streams>();
  return *streams_;
}

RoleHost::RoleHost(Env& env, reference::Role& role)
    : env_(env), role_(role), alive_(std::make_shared<bool>(true)) {}

RoleHost::~RoleHost() {
  *alive_ = false;
  if (timer_) env_.CancelTimer(*timer_);
}

Status RoleHost::Start(const HostPorts& ports) {
  std::weak_ptr<bool> alive = alive_;
  if (ports.udp) {
    auto ep = env_.BindDatagram(*ports.udp, [this, alive](const Endpoint& from, Bytes payload) {
      if (alive.expired()) return;
      ++stats_.datagrams_received;
      if (spdlog::should_log(spdlog::level::trace)) {
        spdlog::trace("{} t={}us: datagram from {} ({} bytes): {}", role_.name(), env_.Now(), from.ToString(),
                      payload.size(), FirstLine(payload));
      }
      if (batch_store_ && !batch_open_) OpenBatch();
      role_.OnDatagram(env_.Now(), from, AsView(payload));
      if (!batch_open_ || ++batch_inputs_ >= kMaxBatch) Pump();
    });
    if (!ep.ok()) return ep.status();
    udp_ep_ = *ep;
    udp_port_ = ep->port;
  }
  if (ports.tcp) {
    auto ep = env_.Listen(*ports.tcp, [this, alive](StreamId id, const Endpoint& peer) {
      StreamHandlers h;
      if (alive.expired()) return h;
      CloseBatch();
      spdlog::debug("{} t={}us: TCP stream {} from {}", role_.name(), env_.Now(), id, peer.ToString());
      role_.OnStreamOpen(env_.Now(), id, peer);
      // TCP-10: a connection the role has not answered within the deadline
      // (no complete request: an idle or trickling peer) is reset.
      if (limits_.tcp_first_answer_timeout != kNever) {
        streams().tcp_unanswered[id] = env_.StartTimer(env_.Now() + limits_.tcp_first_answer_timeout, [this, alive, id] {
          if (alive.expired() || !streams().tcp_unanswered.erase(id)) return;
          ++stats_.deadline_closes;
          env_.StreamReset(id);  // on_closed tells the role
        });
      }
      h.on_data = [this, alive, id](Bytes b) {
        if (alive.expired()) return;
        CloseBatch();
        role_.OnStreamData(env_.Now(), id, AsView(b));
        Pump();
      };
      h.on_eof = [this, alive, id] {
        if (alive.expired()) return;
        (void)env_.StreamShutdownWrite(id);
      };
      h.on_closed = [this, alive, id](const Status&) {
        if (alive.expired()) return;
        if (auto t = streams().tcp_unanswered.find(id); t != streams().tcp_unanswered.end()) {
          env_.CancelTimer(t->second);
          streams().tcp_unanswered.erase(t);
        }
        CloseBatch();
        role_.OnStreamClosed(env_.Now(), id);
        Pump();
      };
      return h;
    });
    if (!ep.ok()) return ep.status();
    tcp_ep_ = *ep;
  }
  if (ports.http) {
    auto ep = env_.Listen(*ports.http, [this, alive](StreamId id, const Endpoint& peer) {
      StreamHandlers h;
      if (alive.expired()) return h;
      auto conn = std::make_unique<HttpServerConn>(limits_.http_max_body);
      conn->parser.SetRejectConflictingLength(limits_.http_reject_conflicting_length);
      conn->peer = peer;
      HttpServerConn& c = *conn;
      streams().http_server[id] = std::move(conn);
      // HTTP-16: the request head must be complete within the header deadline.
      ArmHttpTimer(c, id, limits_.http_header_timeout, /*linger=*/false);
      h.on_data = [this, alive, id](Bytes b) {
        if (alive.expired()) return;
        auto it = streams().http_server.find(id);
        if (it == streams().http_server.end() || it->second->asked || it->second->responded) return;
        HttpServerConn& c = *it->second;
        if (Status s = c.parser.Append(AsView(b)); !s.ok()) {
          // HTTP-13/14/15: 413, 400 or 431, then the connection closes.
          ++stats_.http_rejected;
          HttpResponse resp;
          resp.status = reference::http::ErrorStatus(s);
          if (resp.status == 431 && !limits_.http_head_too_large_431) resp.status = 400;  // TEST-ONLY defect
          resp.body = s.ToString() + "\n";
          Respond(id, resp);
        } else if (auto req = c.parser.Next()) {
          req->peer = c.peer;
          ++stats_.http_requests;
          spdlog::debug("{} t={}us: HTTP {} {} from {} ({} body bytes)", role_.name(), env_.Now(), req->method,
                        req->target, c.peer.ToString(), req->body.size());
          c.asked = true;
          if (c.timer) env_.CancelTimer(*c.timer);
          c.timer.reset();
          CloseBatch();
          role_.OnHttp(env_.Now(), id, *req);  // answered by a kHttpResponse output
          Pump();
        } else if (!c.head_done && c.parser.HeadDone()) {
          c.head_done = true;  // HTTP-16: now the body deadline runs
          ArmHttpTimer(c, id, limits_.http_body_timeout, /*linger=*/false);
        }
      };
      h.on_eof = [this, alive, id] {
        if (alive.expired()) return;
        auto it = streams().http_server.find(id);
        if (it == streams().http_server.end() || it->second->asked || it->second->responded) return;
        if (!limits_.http_reclaim_on_peer_close) return;  // TEST-ONLY mutant: wait for a deadline
        // HTTP-17: the peer closed without a complete request: reclaim the
        // connection now (not at the idle timeout).
        ++stats_.http_abandoned;
        it->second->responded = true;
        if (it->second->timer) env_.CancelTimer(*it->second->timer);
        it->second->timer.reset();
        (void)env_.StreamShutdownWrite(id);
      };
      h.on_closed = [this, alive, id](const Status&) {
        if (alive.expired()) return;
        auto it = streams().http_server.find(id);
        if (it == streams().http_server.end()) return;
        if (it->second->timer) env_.CancelTimer(*it->second->timer);
        streams().http_server.erase(it);
      };
      return h;
    });
    if (!ep.ok()) return ep.status();
    http_ep_ = *ep;
  }
  Pump();
  return {};
}

void RoleHost::StartHttpClient(const Output& o) {
  const std::uint64_t id = o.conn;
  auto conn = std::make_unique<HttpClientConn>();
  HttpClientConn* c = conn.get();
  streams().http_client[id] = std::move(conn);
  std::weak_ptr<bool> alive = alive_;
  const std::string request = reference::http::SerializeRequest(o.request, o.to.ToString());
  auto finish = [this, alive, id](bool ok, const HttpResponse& resp) {
    if (alive.expired()) return;
    auto it = streams().http_client.find(id);
    if (it == streams().http_client.end() || it->second->done) return;
    it->second->done = true;
    if (!ok) ++stats_.http_failures;
    CloseBatch();
    role_.OnHttpResponse(env_.Now(), id, ok, resp);
    Pump();
  };
  StreamHandlers h;
  h.on_connected = [this, alive, c, request] {
    if (alive.expired()) return;
    (void)env_.StreamSend(c->stream, AsBytes(request));
  };
  h.on_data = [alive, c, finish](Bytes b) {
    if (alive.expired() || c->done) return;
    if (!c->parser.Append(AsView(b)).ok()) return finish(false, HttpResponse{});
    if (auto resp = c->parser.Next()) finish(true, *resp);
  };
  h.on_eof = [alive, c, finish] {
    if (alive.expired() || c->done) return;
    finish(false, HttpResponse{});
  };
  h.on_closed = [alive, c, finish](const Status&) {
    if (alive.expired() || c->done) return;
    finish(false, HttpResponse{});
  };
  auto stream = env_.Connect(o.to, std::move(h));
  if (!stream.ok()) {
    // Report asynchronously-equivalent: the role learns on this same pump.
    c->done = true;
    ++stats_.http_failures;
    CloseBatch();
    role_.OnHttpResponse(env_.Now(), id, false, HttpResponse{});
    return;
  }
  c->stream = *stream;
}

void RoleHost::Respond(StreamId id, const HttpResponse& resp) {
  auto it = streams().http_server.find(id);
  if (it == streams().http_server.end() || it->second->responded) {
    ++stats_.http_answers_dropped;  // the peer went away first (role.h contract)
    return;
  }
  HttpServerConn& c = *it->second;
  c.responded = true;
  (void)env_.StreamSend(id, AsBytes(reference::http::SerializeResponse(resp)));
  (void)env_.StreamShutdownWrite(id);
  // HTTP-17: a peer that does not close after the answer is reset.
  ArmHttpTimer(c, id, limits_.http_linger, /*linger=*/true);
}

void RoleHost::ArmHttpTimer(HttpServerConn& c, StreamId id, TimeUs after, bool linger) {
  if (c.timer) env_.CancelTimer(*c.timer);
  c.timer.reset();
  if (after == kNever) return;
  std::weak_ptr<bool> alive = alive_;
  c.timer = env_.StartTimer(env_.Now() + after, [this, alive, id, linger] {
    if (alive.expired()) return;
    auto it = streams().http_server.find(id);
    if (it == streams().http_server.end()) return;
    it->second->timer.reset();
    ++stats_.deadline_closes;
    if (linger || it->second->asked) {
      env_.StreamReset(id);  // on_closed forgets it
      return;
    }
    // HTTP-16: too slow to send its request: 408, then close.
    HttpResponse resp;
    resp.status = 408;
    Respond(id, resp);
  });
}

void RoleHost::RunWork(const Output& o) {
  // Off the event loop (Env::Offload); the result comes back as an input.
  const std::uint64_t id = o.conn;
  std::shared_ptr<const reference::Work> work = o.work;
  if (!work) return;
  auto result = std::make_shared<reference::WorkResult>();
  ++stats_.work_started;
  std::weak_ptr<bool> alive = alive_;
  env_.Offload(
      reference::ModelledCost(*work), [work, result] { *result = reference::RunWork(*work); },
      [this, alive, id, result] {
        if (alive.expired()) return;
        ++stats_.work_done;
        CloseBatch();
        role_.OnWorkDone(env_.Now(), id, *result);
        Pump();
      });
}

void RoleHost::Pump() {
  if (batch_open_) return CloseBatch();  // drains after the commit
  Flush();
}

void RoleHost::OpenBatch() {
  if (!batch_store_->BeginBatch().ok()) return;  // no batch: each write commits alone
  batch_open_ = true;
  batch_inputs_ = 0;
  role_.BeginBatch(env_.Now());
  std::weak_ptr<bool> alive = alive_;
  batch_timer_ = env_.StartTimer(env_.Now(), [this, alive] {
    if (alive.expired()) return;
    batch_timer_.reset();
    CloseBatch();
  });
}

void RoleHost::CloseBatch() {
  if (!batch_open_) return;
  batch_open_ = false;
  if (batch_timer_) env_.CancelTimer(*batch_timer_);
  batch_timer_.reset();
  const bool committed = batch_store_->EndBatch().ok();
  role_.EndBatch(env_.Now(), committed);
  if (committed) {
    ++stats_.batches_committed;
  } else {
    ++stats_.batches_failed;
    std::vector<Output> discard;
    role_.Drain(discard);  // answers to writes that were rolled back: never sent
  }
  Flush();
}

namespace {
// Output buffers shared by the hosts of one thread (a world of 100k phones
// must not keep one per host); a stack, since a Flush may run inside another
// host's Flush.
thread_local std::vector<std::vector<Output>> scratch_pool;
std::vector<Output> TakeScratch() {
  if (scratch_pool.empty()) return {};
  std::vector<Output> v = std::move(scratch_pool.back());
  scratch_pool.pop_back();
  return v;
}
void ReturnScratch(std::vector<Output>&& v) {
  v.clear();
  if (scratch_pool.size() < 8) scratch_pool.push_back(std::move(v));
}
}  // namespace

void RoleHost::Flush() {
  if (pumping_) return;  // outputs produced by nested inputs are drained by the outer loop
  pumping_ = true;
  std::vector<Output> outs = TakeScratch();
  for (;;) {
    outs.clear();
    role_.Drain(outs);
    if (outs.empty()) break;
    for (const Output& o : outs) {
      switch (o.kind) {
        case Output::Kind::kDatagram:
          if (spdlog::should_log(spdlog::level::trace)) {
            spdlog::trace("{} t={}us: datagram to {} ({} bytes): {}", role_.name(), env_.Now(), o.to.ToString(),
                          o.bytes.size(), FirstLine(AsBytes(o.bytes)));
          }
          if (env_.SendDatagram(udp_port_, o.to, AsBytes(o.bytes)).ok()) {
            ++stats_.datagrams_sent;
          } else {
            ++stats_.send_errors;
            spdlog::debug("{} t={}us: datagram to {} not sent", role_.name(), env_.Now(), o.to.ToString());
          }
          break;
        case Output::Kind::kStream:
          if (streams_) {
            auto& unanswered = streams_->tcp_unanswered;
            if (auto t = unanswered.find(StreamOf(o.conn)); t != unanswered.end()) {
              env_.CancelTimer(t->second);  // TCP-10: answered
              unanswered.erase(t);
            }
          }
          if (!env_.StreamSend(StreamOf(o.conn), AsBytes(o.bytes)).ok()) ++stats_.send_errors;
          break;
        case Output::Kind::kCloseStream:
          (void)env_.StreamShutdownWrite(StreamOf(o.conn));
          break;
        case Output::Kind::kHttp:
          StartHttpClient(o);
          break;
        case Output::Kind::kHttpResponse:
          Respond(o.conn, o.response);
          break;
        case Output::Kind::kWork:
          RunWork(o);
          break;
        case Output::Kind::kConnect:
          StartStreamClient(o);
          break;
      }
    }
  }
  ReturnScratch(std::move(outs));
  pumping_ = false;
  ArmTimer();
}

StreamId RoleHost::StreamOf(std::uint64_t conn) const {
  if (!streams_) return conn;
  auto it = streams_->stream_client.find(conn);
  return it == streams_->stream_client.end() ? conn : it->second;
}

void RoleHost::StartStreamClient(const Output& o) {
  std::weak_ptr<bool> alive = alive_;
  const std::uint64_t conn = o.conn;
  const Endpoint to = o.to;
  StreamHandlers h;
  h.on_connected = [this, alive, conn, to] {
    if (alive.expired()) return;
    CloseBatch();
    role_.OnStreamOpen(env_.Now(), conn, to);
    Pump();
  };
  h.on_data = [this, alive, conn](Bytes b) {
    if (alive.expired()) return;
    CloseBatch();
    role_.OnStreamData(env_.Now(), conn, AsView(b));
    Pump();
  };
  h.on_eof = [this, alive, conn] {
    if (alive.expired()) return;
    (void)env_.StreamShutdownWrite(StreamOf(conn));
  };
  h.on_closed = [this, alive, conn](const Status&) {
    if (alive.expired()) return;
    streams().stream_client.erase(conn);
    CloseBatch();
    role_.OnStreamClosed(env_.Now(), conn);
    Pump();
  };
  auto sid = env_.Connect(to, std::move(h));
  if (!sid.ok()) {
    ++stats_.send_errors;
    // Not inside this drain: the role hears of the failure from a timer.
    env_.StartTimer(env_.Now(), [this, alive, conn] {
      if (alive.expired()) return;
      role_.OnStreamClosed(env_.Now(), conn);
      Pump();
    });
    return;
  }
  streams().stream_client[conn] = *sid;
}

void RoleHost::ArmTimer() {
  const TimeUs at = role_.NextDeadline();
  if (at == timer_at_ && timer_) return;
  if (timer_) {
    env_.CancelTimer(*timer_);
    timer_.reset();
  }
  timer_at_ = at;
  if (at == kNever) return;
  // Captures `this` only (fits std::function's inline buffer: no allocation
  // per re-arm); safe because ~RoleHost cancels timer_ (Env: a cancelled
  // timer never fires).
  timer_ = env_.StartTimer(at, [this] {
    timer_.reset();
    timer_at_ = kNever;
    CloseBatch();
    role_.OnTimer(env_.Now());
    Pump();
  });
}

}  // namespace mcpsim::host
