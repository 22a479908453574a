#include "conformance/client_servers.h"

#include <map>

#include "conformance/fake_lines.h"
#include "core/rng.h"
#include "reference/http/http1.h"
#include "reference/media/captcha.h"

namespace mcpsim::conformance {
namespace {

using fake::Hex32;
using fake::Line;

}  // namespace

struct ClientServers::Impl {
  struct Conn {
    reference::http::RequestParser parser{1 << 20};
    bool answered = false;
  };
  Env* env = nullptr;
  Rng rng{1};
  HostPort self;
  std::uint16_t port = 0;
  std::map<StreamId, Conn> conns;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);  // the listener outlives the servers

  ClientPolicy policy;
  TimeUs case_start = 0;
  ClientObserved obs;
  std::map<std::pair<std::uint32_t, std::string>, int> sends;  // CS (trid, word) -> sends seen
  // RS state of the case.
  std::string captcha_png;
  std::uint32_t captcha_id = 0;
  std::uint32_t next_trid = 1;     // the server's per-session counter (TRID-4)
  std::size_t next_chunk = 0;
  bool resent = false;
  FakeSg sg;

  std::int64_t Now() const { return env->Now() - case_start; }

  void Record(const char* dir, const char* transport, std::string_view bytes) {
    obs.wire.push_back({Now(), dir, transport, std::string(bytes)});
  }

  std::string NextChunks(std::size_t n) {
    std::string out;
    const std::size_t chunks = (captcha_png.size() + 1023) / 1024;
    for (; n > 0 && next_chunk < chunks; --n, ++next_chunk) {
      const std::size_t off = next_chunk * 1024;
      const std::string rbin = Line("RBIN", next_trid++, std::nullopt,
                                    {std::to_string(captcha_id), std::to_string(off), std::to_string(captcha_png.size())},
                                    captcha_png.substr(off, 1024));
      obs.rbin_sent.push_back(rbin);
      out += rbin;
    }
    return out;
  }

  reference::HttpResponse Serve(const reference::HttpRequest& req) {
    reference::HttpResponse resp;
    resp.content_type = "application/x-mcp";
    const std::string base = self.host + ":" + std::to_string(self.port);
    const std::string_view path = reference::http::TargetPath(req.target);
    if (req.method == "GET" && path == "/mcp") {  // DP
      const auto q = reference::http::QueryParam(req.target, "q");
      if (!q) {
        resp.status = 400;
        return resp;
      }
      for (const wire::Command& c : Decode(*q)) {
        if (c.word == "RQQW") {
          resp.body += Line("AQQW", c.trid, 0,
                            {"none", "1.3.0", "", "udp://" + base, "http://" + base + "/mcp", "udp://" + base, "http://" + base});
        } else if (!c.word.empty() && c.word[0] == 'R') {
          resp.body += Line("A" + c.word.substr(1), c.trid, 100, {});
        }
      }
      return resp;
    }
    if (req.method == "POST" && path == "/mcp") {  // RS
      std::string answers;
      for (const wire::Command& c : Decode(req.body)) {
        if (c.word == "RAP") {
          obs.rs_session = Hex32(rng);
          reference::Captcha cap = reference::MakeCaptcha(rng);
          captcha_png = cap.png;
          ++captcha_id;
          next_chunk = 0;
          resp.headers["SessionID"] = obs.rs_session;
          const std::size_t chunks = (captcha_png.size() + 1023) / 1024;
          answers += Line("AAP", c.trid, 0,
                          {obs.rs_session, std::to_string(captcha_id), std::to_string(captcha_png.size()),
                           std::to_string(chunks), "image/png"});
        } else if (c.word == "ABIN") {
          if (policy.rs_resend_rbin && !resent && !obs.rbin_sent.empty()) {
            const auto first = Decode(obs.rbin_sent[0]);
            if (!first.empty() && first[0].trid == c.trid) {
              resent = true;
              obs.rbin_resent = obs.rbin_sent[0];
              answers += obs.rbin_sent[0];
            }
          }
        } else if (c.word == "REG") {
          answers += Line("AEG", c.trid, 0, {c.params.size() > 2 ? c.params[2] : std::string()});
        } else if (!c.word.empty() && c.word[0] == 'R') {
          answers += Line("A" + c.word.substr(1), c.trid, 100, {});
        }
      }
      resp.body = answers + NextChunks(2);
      return resp;
    }
    if (req.method == "GET" && path.substr(0, 7) == "/media/") {  // MS
      const std::uint8_t px[16] = {0, 255, 0, 255, 255, 0, 255, 0, 0, 255, 0, 255, 255, 0, 255, 0};
      resp.content_type = "image/png";
      resp.body = reference::EncodePngGray8(px, 4, 4);
      return resp;
    }
    resp.status = 404;
    resp.content_type = "text/plain";
    return resp;
  }

  void OnDatagram(const std::string& d, const Endpoint& from) {
    std::string reply;
    obs.udp.push_back({Now(), d});
    Record("recv", "udp", d);
    const auto cmds = Decode(d);
    reply = sg.OnCommands(cmds, obs, rng);
    for (const wire::Command& c : cmds) {
      if (!IsCsWord(c.word) || c.word == "RPAD" || c.status) continue;
      const int n = ++sends[{c.trid, c.word}];
      if (policy.cs_silent_sends < 0 || n <= policy.cs_silent_sends) continue;
      if (c.word == "RUP") {
        if (policy.cs_wrong_answers_first && n == 1) {
          reply += Line("AAD", c.trid, 0, {}) + Line("AUP", c.trid + 1, 0, {});
        } else {
          reply += Line("AUP", c.trid, 0, {});
        }
      } else if (c.word == "RAD") {
        if (policy.rad_needed > 0 && d.size() < policy.rad_needed) {
          reply += Line("AAD", c.trid, 405, {std::to_string(policy.rad_needed)});
        } else {
          const std::string base = self.host + ":" + std::to_string(self.port);
          reply += Line("AAD", c.trid, 0, {"ad-1", "http://" + base + "/media/ad-1", "http://example.com/", "4", "4"});
        }
      } else {
        reply += Line("A" + c.word.substr(1), c.trid, 100, {});
      }
    }
    if (reply.empty()) return;
    Record("send", "udp", reply);
    (void)env->SendDatagram(port, from, Bytes(reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()));
  }

  StreamHandlers Accept(StreamId id) {
    conns[id];
    StreamHandlers h;
    h.on_data = [this, id](Bytes b) { OnStreamData(id, b); };
    h.on_eof = [this, id] {
      if (conns.count(id) && !conns[id].answered) (void)env->StreamShutdownWrite(id);
    };
    h.on_closed = [this, id](const Status&) { conns.erase(id); };
    return h;
  }

  void OnStreamData(StreamId id, Bytes b) {
    auto it = conns.find(id);
    if (it == conns.end() || it->second.answered) return;
    Conn& c = it->second;
    if (!c.parser.Append(std::string_view(reinterpret_cast<const char*>(b.data()), b.size())).ok()) {
      c.answered = true;
      env->StreamReset(id);
      return;
    }
    auto req = c.parser.Next();
    if (!req) return;
    Record("recv", "http", reference::http::SerializeRequest(*req, self.ToString()));
    reference::HttpResponse resp = Serve(*req);
    const std::string raw = reference::http::SerializeResponse(resp);
    obs.http.push_back({Now(), *req, resp.body});
    Record("send", "http", raw);
    c.answered = true;  // Connection: close
    (void)env->StreamSend(id, Bytes(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
    (void)env->StreamShutdownWrite(id);
  }
};

Result<std::unique_ptr<ClientServers>> ClientServers::Start(Env& env, const HostPort& listen, std::uint64_t seed,
                                                            PartyLabels* labels) {
  auto s = std::unique_ptr<ClientServers>(new ClientServers());
  s->impl_ = std::make_unique<Impl>();
  Impl& m = *s->impl_;
  m.env = &env;
  m.rng = Rng::Stream(seed, "client-conformance/servers");
  // One port number for both: UDP first (port 0 picks it), then TCP on the
  // same number. With port 0 that number may be taken for TCP by another
  // process: then the UDP port is given back and another one is tried (the
  // Env can close a datagram port, not a listener).
  std::weak_ptr<bool> alive = m.alive;
  Result<Endpoint> udp = Status::Error("CONF-3", "no port tried");
  Result<Endpoint> tcp = Status::Error("CONF-3", "no port tried");
  for (int attempt = 0; attempt < (listen.port == 0 ? 16 : 1); ++attempt) {
    udp = env.BindDatagram(listen.port, [&m, alive](const Endpoint& from, Bytes b) {
      if (alive.expired()) return;
      m.OnDatagram(std::string(reinterpret_cast<const char*>(b.data()), b.size()), from);
    });
    if (!udp.ok()) continue;
    tcp = env.Listen(udp->port, [&m, alive](StreamId id, const Endpoint&) {
      return alive.expired() ? StreamHandlers{} : m.Accept(id);
    });
    if (tcp.ok()) break;
    env.CloseDatagram(udp->port);
  }
  if (!udp.ok()) return Status::Error("CONF-3", "cannot bind UDP " + listen.ToString() + ": " + udp.status().message());
  if (!tcp.ok()) {
    return Status::Error("CONF-3", "cannot listen on " + listen.host + ":" + std::to_string(udp->port) + ": " +
                                       tcp.status().message());
  }
  m.port = udp->port;
  s->address_ = HostPort{listen.host, tcp->port};
  m.self = s->address_;
  m.case_start = env.Now();
  if (labels) labels->LabelDatagramPort(m.port, "servers udp (cs,sg)");
  return s;
}

ClientServers::~ClientServers() {
  if (!impl_) return;
  impl_->alive.reset();
  impl_->env->CloseDatagram(impl_->port);
  for (const auto& [id, c] : impl_->conns) impl_->env->StreamReset(id);
}

void ClientServers::BeginCase(const ClientPolicy& p) {
  Impl& m = *impl_;
  m.policy = p;
  m.obs = ClientObserved{};
  m.sends.clear();
  m.captcha_png.clear();
  m.next_trid = 1;
  m.next_chunk = 0;
  m.resent = false;
  m.sg.Reset(p.sg);
  m.case_start = m.env->Now();
}

ClientObserved ClientServers::Snapshot() const { return impl_->obs; }

}  // namespace mcpsim::conformance
