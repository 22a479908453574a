#include "conformance/client_servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "conformance/pcap_tap.h"
#include "core/rng.h"
#include "reference/http/http1.h"
#include "reference/media/captcha.h"

namespace mcpsim::conformance {
namespace {

std::int64_t MonoUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Line(const std::string& word, std::uint32_t trid, std::optional<std::uint32_t> status,
                 std::vector<std::string> params, std::optional<std::string> payload = std::nullopt) {
  wire::Command c;
  c.word = word;
  c.trid = trid;
  c.status = status;
  c.params = std::move(params);
  c.payload = std::move(payload);
  return Encode(c);
}

std::string Hex32(Rng& rng) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) s.push_back(hex[rng.Below(16)]);
  return s;
}

}  // namespace

struct ClientServers::Impl {
  struct Conn {
    reference::http::RequestParser parser{1 << 20};
  };
  int udp_fd = -1, tcp_fd = -1, wake[2] = {-1, -1};
  PcapTap* tap = nullptr;
  Rng rng{1};
  HostPort self;
  std::map<int, Conn> conns;
  std::thread thread;
  std::atomic<bool> stop{false};

  mutable std::mutex mu;  // guards everything below
  ClientPolicy policy;
  std::int64_t case_start = 0;
  ClientObserved obs;
  std::map<std::pair<std::uint32_t, std::string>, int> sends;  // CS (trid, word) -> sends seen
  // RS state of the case.
  std::string captcha_png;
  std::uint32_t captcha_id = 0;
  std::uint32_t next_trid = 1;     // the server's per-session counter (TRID-4)
  std::size_t next_chunk = 0;
  bool resent = false;
  FakeSg sg;

  std::int64_t Now() const { return MonoUs() - case_start; }

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

  void OnDatagram(const std::string& d, const sockaddr_storage& from, socklen_t len) {
    std::string reply;
    {
      std::lock_guard<std::mutex> g(mu);
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
      if (!reply.empty()) Record("send", "udp", reply);
    }
    if (reply.empty()) return;
    sendto(udp_fd, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&from), len);
    if (tap) tap->Udp(udp_fd, true, reply, reinterpret_cast<const sockaddr*>(&from), len);
  }

  void OnConnReadable(int fd) {
    char buf[16384];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    Conn& c = conns[fd];
    bool done = n <= 0;
    if (n > 0) {
      if (tap) tap->TcpData(fd, false, std::string_view(buf, static_cast<std::size_t>(n)));
      if (!c.parser.Append(std::string_view(buf, static_cast<std::size_t>(n))).ok()) done = true;
    }
    if (auto req = c.parser.Next()) {
      std::string raw;
      {
        std::lock_guard<std::mutex> g(mu);
        Record("recv", "http", reference::http::SerializeRequest(*req, self.ToString()));
        reference::HttpResponse resp = Serve(*req);
        raw = reference::http::SerializeResponse(resp);
        obs.http.push_back({Now(), *req, resp.body});
        Record("send", "http", raw);
      }
      std::size_t off = 0;
      while (off < raw.size()) {
        pollfd w{fd, POLLOUT, 0};
        if (poll(&w, 1, 1000) <= 0) break;
        const ssize_t k = send(fd, raw.data() + off, raw.size() - off, MSG_NOSIGNAL);
        if (k <= 0) break;
        off += static_cast<std::size_t>(k);
      }
      if (tap) tap->TcpData(fd, true, std::string_view(raw).substr(0, off));
      done = true;  // Connection: close
    }
    if (done) {
      if (tap) tap->TcpClose(fd);
      close(fd);
      conns.erase(fd);
    }
  }

  void Loop() {
    std::string buf(65536, '\0');
    while (!stop.load()) {
      std::vector<pollfd> fds{{wake[0], POLLIN, 0}, {udp_fd, POLLIN, 0}, {tcp_fd, POLLIN, 0}};
      for (const auto& [fd, c] : conns) fds.push_back({fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 200) <= 0) continue;
      if (fds[0].revents) break;
      if (fds[1].revents & POLLIN) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        const ssize_t n = recvfrom(udp_fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n >= 0) {
          const std::string d = buf.substr(0, static_cast<std::size_t>(n));
          if (tap) tap->Udp(udp_fd, false, d, reinterpret_cast<const sockaddr*>(&from), len);
          OnDatagram(d, from, len);
        }
      }
      if (fds[2].revents & POLLIN) {
        const int fd = accept4(tcp_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
          conns[fd];
          if (tap) tap->TcpOpen(fd, false);
        }
      }
      for (std::size_t i = 3; i < fds.size(); ++i) {
        if (fds[i].revents) OnConnReadable(fds[i].fd);
      }
    }
  }
};

Result<std::unique_ptr<ClientServers>> ClientServers::Start(const HostPort& listen, PcapTap* tap, std::uint64_t seed) {
  auto s = std::unique_ptr<ClientServers>(new ClientServers());
  s->impl_ = std::make_unique<Impl>();
  Impl& m = *s->impl_;
  m.tap = tap;
  m.rng = Rng::Stream(seed, "client-conformance/servers");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(listen.port);
  if (inet_pton(AF_INET, listen.host.c_str(), &a.sin_addr) != 1) {
    return Status::Error("CONF-1", "--listen needs an IPv4 address, got " + listen.host);
  }
  // One port number for both: bind TCP first (port 0 picks it), then UDP on it.
  m.tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(m.tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = sizeof a;
  if (bind(m.tcp_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(m.tcp_fd, 16) != 0 ||
      getsockname(m.tcp_fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return Status::Error("CONF-3", "cannot listen on " + listen.ToString() + ": " + std::strerror(errno));
  }
  m.udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (bind(m.udp_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || pipe2(m.wake, O_CLOEXEC) != 0) {
    return Status::Error("CONF-3", "cannot bind UDP " + listen.host + ":" + std::to_string(ntohs(a.sin_port)) + ": " +
                                       std::strerror(errno));
  }
  s->address_ = HostPort{listen.host, ntohs(a.sin_port)};
  m.self = s->address_;
  m.case_start = MonoUs();
  m.thread = std::thread([&m] { m.Loop(); });
  return s;
}

ClientServers::~ClientServers() {
  if (!impl_) return;
  if (impl_->thread.joinable()) {
    impl_->stop = true;
    (void)!write(impl_->wake[1], "x", 1);
    impl_->thread.join();
  }
  for (const auto& [fd, c] : impl_->conns) close(fd);
  for (int fd : {impl_->udp_fd, impl_->tcp_fd, impl_->wake[0], impl_->wake[1]}) {
    if (fd >= 0) close(fd);
  }
}

void ClientServers::BeginCase(const ClientPolicy& p) {
  std::lock_guard<std::mutex> g(impl_->mu);
  Impl& m = *impl_;
  m.policy = p;
  m.obs = ClientObserved{};
  m.sends.clear();
  m.captcha_png.clear();
  m.next_trid = 1;
  m.next_chunk = 0;
  m.resent = false;
  m.sg.Reset(p.sg);
  m.case_start = MonoUs();
}

ClientObserved ClientServers::Snapshot() const {
  std::lock_guard<std::mutex> g(impl_->mu);
  return impl_->obs;
}

}  // namespace mcpsim::conformance
