#include "conformance/harness.h"
#include "conformance/harness_impl.h"

#include <arpa/inet.h>

#include <cstring>
#include <deque>

#include "reference/http/http1.h"
#include "reference/wire/parse.h"

namespace mcpsim::conformance {

Result<HostPort> ParseAddress(std::string_view text) {
  if (auto p = text.find("://"); p != std::string_view::npos) text.remove_prefix(p + 3);
  if (auto p = text.find('/'); p != std::string_view::npos) text = text.substr(0, p);
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return Status::Error("CONF-1", "expected HOST:PORT");
  std::string host(text.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string_view port = text.substr(colon + 1);
  unsigned value = 0;
  if (port.empty() || port.size() > 5) return Status::Error("CONF-1", "bad port");
  for (char c : port) {
    if (c < '0' || c > '9') return Status::Error("CONF-1", "bad port");
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return Status::Error("CONF-1", "port out of range");
  return HostPort{host, static_cast<std::uint16_t>(value)};
}

Result<Endpoint> ToEndpoint(const HostPort& hp) {
  std::string host = hp.host;
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return Endpoint::V4(ntohl(v4.s_addr), hp.port);
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    Endpoint e;
    std::memcpy(e.addr.data(), &v6, 16);
    e.v6 = true;
    e.port = hp.port;
    return e;
  }
  return Status::Error("CONF-1", "not an IP address: " + hp.host + " (give an address, or let mcpsim resolve the name)");
}

Ctx::Ctx(Target target, int io_timeout_ms, int case_budget_ms, std::uint64_t seed, std::string_view case_id)
    : target_(std::move(target)),
      env_(*target_.env),
      loop_(*target_.loop),
      io_timeout_ms_(io_timeout_ms),
      seed_(seed),
      fresh_(Rng::Stream(seed ^ target_.nonce, case_id.empty() ? "case" : case_id)),
      sh_(std::make_shared<Shared>()) {
  if (!target_.used_udp_ports) target_.used_udp_ports = std::make_shared<std::set<std::uint16_t>>();
  if (!target_.cs_address_tokens) target_.cs_address_tokens = std::make_shared<Target::TokenModel>();
  start_ = env_.Now();
  deadline_ = start_ + static_cast<TimeUs>(case_budget_ms) * kMillis;
  sh_->env = &env_;
  sh_->start = start_;
  sh_->chans.emplace_back();
  sh_->chans.front().channel = "udp";
}

Ctx::~Ctx() {
  for (Chan& c : sh_->chans) {
    if (c.port != 0) env_.CloseDatagram(c.port);
    if (c.sid != 0 && !c.closed) env_.StreamReset(c.sid);
  }
}

std::int64_t Ctx::NowUs() const { return env_.Now() - start_; }
bool Ctx::Expired() const { return sh_->flooded || env_.Now() >= deadline_; }
std::optional<std::string> Ctx::Flooded() const {
  if (!sh_->flooded) return std::nullopt;
  return "the target flooded the case: " + std::to_string(sh_->recv_bytes) + " bytes received (more than " +
         std::to_string(kFloodBytes) + "); transcript kept " + std::to_string(sh_->kept_bytes) + " bytes";
}
bool Ctx::Truncated() const { return sh_->truncated; }
std::vector<reports::WireEvent>& Ctx::wire() { return sh_->wire; }
void Ctx::Note(std::string text) { sh_->Record("note", "note", std::move(text)); }

void Ctx::Plain(int h, bool sent, std::string plain) {
  if (Chan* c = sh_->Handle(h)) sh_->Record(sent ? "sealed" : "opened", c->channel, std::move(plain));
}

TimeUs Ctx::Deadline(int want_ms) const {
  if (sh_->flooded) return env_.Now();  // a flooded case stops waiting
  const TimeUs want = env_.Now() + static_cast<TimeUs>(std::max(want_ms, 0)) * kMillis;
  return std::min(want, deadline_);
}

void Ctx::Sleep(int ms) { Wait(Deadline(ms), [] { return false; }); }
bool Ctx::WaitUntil(int ms, const std::function<bool()>& done) { return Wait(Deadline(ms), done); }

Status Ctx::OpenUdp(Chan& c, const HostPort& to, const std::string& label) {
  auto ep = ToEndpoint(to);
  if (!ep.ok()) return Status::Error("CONF-2", ep.status().message());
  if (c.port != 0) env_.CloseDatagram(c.port);
  c.port = 0;
  c.to = *ep;
  c.inbox.clear();
  c.inbox_bytes = 0;
  std::weak_ptr<Shared> weak = sh_;
  Chan* cp = &c;  // std::deque: stable while the Ctx lives; the callback ends with it (CloseDatagram)
  auto bind = [&] {
    return env_.BindDatagram(0, [weak, cp](const Endpoint& from, Bytes b) {
      auto sh = weak.lock();
      if (!sh || from != cp->to) return;  // only the target's datagrams
      sh->Arrive(*cp, std::string(reinterpret_cast<const char*>(b.data()), b.size()));
    });
  };
  // A port an earlier case of the run used is held (so the OS hands out
  // another) until a fresh one is bound; then the held ones are released.
  std::vector<std::uint16_t> held;
  auto bound = bind();
  for (int tries = 0; bound.ok() && tries < 64 && !target_.used_udp_ports->insert(bound->port).second; ++tries) {
    held.push_back(bound->port);
    bound = bind();
  }
  for (std::uint16_t p : held) env_.CloseDatagram(p);
  if (!bound.ok()) return Status::Error("CONF-2", "cannot bind a UDP endpoint: " + bound.status().message());
  c.port = bound->port;
  if (target_.labels) target_.labels->LabelDatagramPort(c.port, label);
  return Status();
}

Status Ctx::UdpNewEndpoint() {
  if (!target_.udp) return Status::Error("CONF-2", "no UDP target given (--udp)");
  return OpenUdp(sh_->chans.front(), *target_.udp, "runner udp");
}

Status Ctx::UdpSend(std::string_view bytes) {
  Chan& c = sh_->chans.front();
  if (c.port == 0) {
    if (Status s = UdpNewEndpoint(); !s.ok()) return s;
  }
  sh_->Record("send", c.channel, std::string(bytes));
  if (target_.resend_ms > 0) c.unanswered.emplace_back(bytes);
  Status s = env_.SendDatagram(c.port, c.to, Bytes(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  if (!s.ok()) return Status::Error("CONF-2", "send: " + s.message());
  return Status();
}

std::vector<std::string> Ctx::Take(Chan& c, int first_wait_ms, int quiet_ms, std::size_t max) {
  std::vector<std::string> got;
  if (quiet_ms < 0) quiet_ms = quiet_ms_;
  while (got.size() < max) {
    if (c.inbox.empty()) {
      if (c.tcp && c.closed) break;
      const TimeUs until = Deadline(got.empty() ? first_wait_ms : quiet_ms);
      if (!Wait(until, [&c] { return !c.inbox.empty() || (c.tcp && c.closed); })) break;
      if (c.inbox.empty()) break;
    }
    got.push_back(Shared::Pop(c));
  }
  return got;
}

std::vector<std::string> Ctx::UdpRecv(int first_wait_ms, int quiet_ms, std::size_t max) {
  Chan& c = sh_->chans.front();
  if (target_.resend_ms > 0) return UdpRecvResending(c, first_wait_ms, quiet_ms, max);
  if (c.port == 0) return {};
  return Take(c, first_wait_ms, quiet_ms, max);
}

Result<int> Ctx::Open(std::string_view transport, std::string_view who) {
  const bool raw_http = transport == "http-tcp";
  const bool tcp = transport == "tcp" || raw_http;
  if (!tcp && transport != "udp" && transport != "udps") {
    return Status::Error("CONF-2", "unknown transport " + std::string(transport));
  }
  const std::optional<HostPort>& to = raw_http             ? target_.http
                                      : tcp                ? target_.tcp
                                      : transport == "udps" ? target_.udps
                                                            : target_.udp;
  if (!to) return Status::Error("CONF-2", std::string("no ") + std::string(transport) + " target given");
  const int h = static_cast<int>(sh_->chans.size()) - 1;
  sh_->chans.emplace_back();
  Chan& c = sh_->chans.back();
  c.tcp = tcp;
  c.channel = std::string(transport) + "#" + std::to_string(h);
  const std::string label = (who.empty() ? std::string("runner") : std::string(who)) + " " + c.channel;
  if (!tcp) {
    c.resend = transport == "udp";  // sealed udps datagrams are not resent (ENC-5 replay window)
    if (Status s = OpenUdp(c, *to, label); !s.ok()) return s;
    Note("opened " + c.channel);
    return h;
  }
  auto ep = ToEndpoint(*to);
  if (!ep.ok()) return Status::Error("CONF-2", ep.status().message());
  c.to = *ep;
  std::weak_ptr<Shared> weak = sh_;
  Chan* cp = &c;
  StreamHandlers hs;
  hs.on_connected = [weak, cp] {
    if (auto sh = weak.lock()) cp->connected = true;
  };
  hs.on_data = [weak, cp](Bytes b) {
    auto sh = weak.lock();
    if (!sh) return;
    sh->Arrive(*cp, std::string(reinterpret_cast<const char*>(b.data()), b.size()));
  };
  hs.on_eof = [weak, cp] {
    auto sh = weak.lock();
    if (!sh || cp->closed) return;
    cp->closed = true;
    sh->Record("note", "note", cp->channel + " closed by the peer");
  };
  hs.on_closed = [weak, cp](const Status& why) {
    auto sh = weak.lock();
    if (!sh) return;
    cp->sid = 0;  // the Env forgot it
    if (cp->closed) return;
    cp->closed = true;
    cp->close_reason = why;
    if (cp->connected) sh->Record("note", "note", cp->channel + (why.ok() ? " closed" : " reset: " + why.message()));
  };
  auto sid = env_.Connect(c.to, std::move(hs));
  if (!sid.ok()) return Status::Error("CONF-3", "TCP connect to " + to->ToString() + ": " + sid.status().message());
  c.sid = *sid;
  if (target_.labels) target_.labels->LabelStream(c.sid, label);
  Wait(Deadline(io_timeout_ms_), [cp] { return cp->connected || cp->closed; });
  if (!c.connected) {
    const std::string why = c.closed && !c.close_reason.ok() ? ": " + c.close_reason.message() : "";
    if (c.sid != 0) env_.StreamReset(c.sid);
    c.sid = 0;
    c.closed = true;
    return Status::Error("CONF-3", "TCP connect to " + to->ToString() + " failed" + why);
  }
  Note("opened " + c.channel);
  return h;
}

Status Ctx::Close(int h) {
  Chan* cp = sh_->Handle(h);
  if (!cp) return Status::Error("CONF-2", "bad handle");
  Chan& c = *cp;
  if (!c.tcp) {
    if (c.port != 0) env_.CloseDatagram(c.port);
    c.port = 0;
    return Status();
  }
  if (c.sid == 0) return Status();
  Note(c.channel + " closed by the runner");
  return env_.StreamShutdownWrite(c.sid);
}

Status Ctx::Send(int h, std::string_view bytes) {
  Chan* cp = sh_->Handle(h);
  if (!cp) return Status::Error("CONF-2", "bad handle");
  Chan& c = *cp;
  sh_->Record("send", c.channel, std::string(bytes));
  const Bytes b(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (!c.tcp) {
    if (c.resend && target_.resend_ms > 0) c.unanswered.emplace_back(bytes);
    Status s = env_.SendDatagram(c.port, c.to, b);
    return s.ok() ? s : Status::Error("CONF-2", "send: " + s.message());
  }
  if (c.sid == 0) return Status::Error("CONF-2", "send: " + c.channel + " is closed");
  Status s = env_.StreamSend(c.sid, b);
  return s.ok() ? s : Status::Error("CONF-2", "send: " + s.message());
}

std::vector<std::string> Ctx::Recv(int h, int first_wait_ms, int quiet_ms, std::size_t max) {
  Chan* cp = sh_->Handle(h);
  if (!cp) return {};
  Chan& c = *cp;
  if (c.resend && target_.resend_ms > 0) return UdpRecvResending(c, first_wait_ms, quiet_ms, max);
  return Take(c, first_wait_ms, quiet_ms, max);
}

bool Ctx::PeerClosed(int h) const {
  const Chan* cp = sh_->Handle(h);
  if (!cp) return false;
  const Chan& c = *cp;
  return c.tcp && c.closed && c.inbox.empty();
}

Result<reference::HttpResponse> Ctx::Http(const reference::HttpRequest& req) {
  if (!target_.http) return Status::Error("CONF-2", "no HTTP target given (--http)");
  return HttpRaw(reference::http::SerializeRequest(req, target_.http->ToString()));
}

Result<reference::HttpResponse> Ctx::PostMcp(const std::string& body, const std::string& sid) {
  reference::HttpRequest req;
  req.method = "POST";
  req.target = "/mcp";
  req.headers["content-type"] = "application/x-mcp";
  if (!sid.empty()) req.headers["sessionid"] = sid;
  req.body = body;
  return Http(req);
}

Result<reference::HttpResponse> Ctx::HttpRaw(std::string_view request_bytes) {
  if (!target_.http) return Status::Error("CONF-2", "no HTTP target given (--http)");
  auto ep = ToEndpoint(*target_.http);
  if (!ep.ok()) return Status::Error("CONF-2", ep.status().message());
  sh_->chans.emplace_back();
  Chan& c = sh_->chans.back();
  c.channel = "http";
  c.tcp = true;
  c.http = true;
  c.to = *ep;
  c.parser = std::make_unique<reference::http::ResponseParser>(1 << 20);
  c.head = request_bytes.substr(0, 5) == "HEAD ";
  c.parser->SetHeadRequest(c.head);
  std::weak_ptr<Shared> weak = sh_;
  Chan* cp = &c;
  Env* env = &env_;
  const std::string request(request_bytes);
  StreamHandlers hs;
  hs.on_connected = [weak, cp, env, request] {
    auto sh = weak.lock();
    if (!sh) return;
    cp->connected = true;
    sh->Record("send", "http", request);
    (void)env->StreamSend(cp->sid, Bytes(reinterpret_cast<const std::uint8_t*>(request.data()), request.size()));
  };
  hs.on_data = [weak, cp](Bytes b) {
    auto sh = weak.lock();
    if (!sh || !cp->parse_error.ok()) return;
    const std::string_view chunk(reinterpret_cast<const char*>(b.data()), b.size());
    if (cp->response) {
      if (cp->head && cp->extra.size() < (1u << 20)) {
        cp->raw.append(chunk);
        cp->extra.append(chunk);
      }
      return;
    }
    cp->raw.append(chunk);
    if (Status s = cp->parser->Append(chunk); !s.ok()) {
      cp->parse_error = s;
      sh->Record("recv", "http", cp->raw);
      return;
    }
    if (auto msg = cp->parser->Next()) {
      cp->response = std::move(*msg);
      if (cp->head) cp->extra = std::string(cp->parser->Buffered());
      sh->Record("recv", "http", cp->raw);
    }
  };
  hs.on_eof = [weak, cp] {
    if (auto sh = weak.lock()) cp->closed = true;
  };
  hs.on_closed = [weak, cp](const Status& why) {
    auto sh = weak.lock();
    if (!sh) return;
    cp->sid = 0;
    if (!cp->closed) cp->close_reason = why;
    cp->closed = true;
  };
  auto sid = env_.Connect(c.to, std::move(hs));
  if (!sid.ok()) return Status::Error("CONF-3", "connect: " + sid.status().message());
  c.sid = *sid;
  if (target_.labels) target_.labels->LabelStream(c.sid, "runner http");
  const TimeUs connect_by = Deadline(io_timeout_ms_);
  Wait(connect_by, [cp] { return cp->connected || cp->closed; });
  if (!c.connected) {
    const std::string why = !c.close_reason.ok() ? c.close_reason.message() : "connect timed out";
    return Status::Error("CONF-3", "connect: " + why);
  }
  Wait(Deadline(io_timeout_ms_),
                 [cp] { return cp->response.has_value() || !cp->parse_error.ok() || cp->closed; });
  if (c.response && c.head) {
    // Whatever follows the header block within the quiet period (or until
    // close) becomes the body the case checks is empty (MS-6).
    Wait(Deadline(quiet_ms_), [cp] { return cp->closed; });
    c.response->body = c.extra;
    if (!c.extra.empty()) sh_->Record("recv", "http", c.extra);
  }
  // One exchange per connection: this side closes now (the peer sees EOF).
  if (c.sid != 0) (void)env_.StreamShutdownWrite(c.sid);
  if (c.response) return *c.response;
  if (!c.parse_error.ok()) return Status::Error("CONF-4", "malformed HTTP response: " + c.parse_error.message());
  sh_->Record("recv", "http", c.raw);
  if (c.closed) return Status::Error("CONF-4", "connection closed before a complete HTTP response");
  return Status::Error("CONF-4", "no complete HTTP response within the timeout");
}

std::vector<wire::Command> Decode(std::string_view bytes, std::vector<std::string>* errors) {
  std::vector<wire::Command> out;
  wire::Limits limits = wire::Limits::Stream();
  limits.max_datagram = 1 << 20;
  wire::DatagramParser p(bytes, limits);
  wire::Outcome o;
  while (p.Next(o)) {
    if (o.is_command()) {
      out.push_back(wire::Command::FromView(o.command));
    } else if (errors) {
      errors->push_back(std::string(o.error.clause) + "@" + std::to_string(o.error.offset));
    }
  }
  return out;
}

std::string Encode(const wire::Command& c) {
  auto s = wire::Serialize(c);
  return s.ok() ? *s : std::string();
}

std::string Show(const wire::Command& c) {
  std::string s = c.word;
  s += ' ';
  s += std::to_string(c.trid);
  if (c.status) {
    s += ' ';
    s += std::to_string(*c.status);
  }
  for (const std::string& p : c.params) {
    s += ' ';
    s += wire::Escape(p);
  }
  if (c.payload) {
    s += " <";
    s += std::to_string(c.payload->size());
    s += " payload bytes>";
  }
  return s;
}

}  // namespace mcpsim::conformance
