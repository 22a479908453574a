#include "conformance/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "conformance/pcap_tap.h"
#include "reference/http/http1.h"
#include "reference/wire/parse.h"

namespace mcpsim::conformance {
namespace {

std::int64_t WallUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool Resolve(const HostPort& hp, int socktype, sockaddr_storage& out, socklen_t& len) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(hp.port);
  if (getaddrinfo(hp.host.c_str(), port.c_str(), &hints, &res) != 0 || !res) return false;
  std::memcpy(&out, res->ai_addr, res->ai_addrlen);
  len = res->ai_addrlen;
  freeaddrinfo(res);
  return true;
}

}  // namespace

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

Ctx::Ctx(Target target, int io_timeout_ms, int case_budget_ms, std::uint64_t seed)
    : target_(std::move(target)), io_timeout_ms_(io_timeout_ms), seed_(seed) {
  start_us_ = WallUs();
  deadline_us_ = start_us_ + static_cast<std::int64_t>(case_budget_ms) * 1000;
}

Ctx::~Ctx() {
  if (udp_fd_ >= 0) close(udp_fd_);
  for (const Conn& c : conns_) {
    if (c.fd >= 0) close(c.fd);
  }
}

std::int64_t Ctx::NowUs() const { return WallUs() - start_us_; }
bool Ctx::Expired() const { return WallUs() >= deadline_us_; }

int Ctx::Remaining(int want_ms) const {
  const std::int64_t left = (deadline_us_ - WallUs()) / 1000;
  if (left <= 0) return 0;
  return static_cast<int>(std::min<std::int64_t>(left, want_ms));
}

void Ctx::Note(std::string text) { wire_.push_back({NowUs(), "note", "note", std::move(text)}); }

Status Ctx::OpenUdp() {
  if (!target_.udp) return Status::Error("CONF-2", "no UDP target given (--udp)");
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!Resolve(*target_.udp, SOCK_DGRAM, sa, len)) return Status::Error("CONF-2", "cannot resolve " + target_.udp->ToString());
  if (udp_fd_ >= 0) close(udp_fd_);
  udp_fd_ = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (udp_fd_ < 0) return Status::Error("CONF-2", std::string("socket: ") + std::strerror(errno));
  if (connect(udp_fd_, reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    return Status::Error("CONF-2", std::string("connect: ") + std::strerror(errno));
  }
  return Status();
}

Status Ctx::UdpNewEndpoint() { return OpenUdp(); }

Status Ctx::UdpSend(std::string_view bytes) {
  if (udp_fd_ < 0) {
    if (Status s = OpenUdp(); !s.ok()) return s;
  }
  wire_.push_back({NowUs(), "send", "udp", std::string(bytes)});
  if (target_.resend_ms > 0) unanswered_.emplace_back(bytes);
  if (send(udp_fd_, bytes.data(), bytes.size(), 0) < 0) {
    return Status::Error("CONF-2", std::string("send: ") + std::strerror(errno));
  }
  if (target_.tap) target_.tap->Udp(udp_fd_, true, bytes);
  return Status();
}

std::vector<std::string> Ctx::UdpRecv(int first_wait_ms, int quiet_ms, std::size_t max) {
  if (target_.resend_ms > 0) return UdpRecvResending(first_wait_ms, quiet_ms, max);
  std::vector<std::string> got;
  if (udp_fd_ < 0) return got;
  std::string buf(65536, '\0');
  if (quiet_ms < 0) quiet_ms = quiet_ms_;
  while (got.size() < max) {
    const int wait = Remaining(got.empty() ? first_wait_ms : quiet_ms);
    pollfd p{udp_fd_, POLLIN, 0};
    if (wait <= 0 || poll(&p, 1, wait) <= 0) break;
    const ssize_t n = recv(udp_fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == ECONNREFUSED) Note("ICMP port unreachable");
      if (errno == EINTR || errno == ECONNREFUSED) continue;
      break;
    }
    got.emplace_back(buf.data(), static_cast<std::size_t>(n));
    wire_.push_back({NowUs(), "recv", "udp", got.back()});
    if (target_.tap) target_.tap->Udp(udp_fd_, false, got.back());
  }
  return got;
}

Result<int> Ctx::Open(std::string_view transport) {
  const bool tcp = transport == "tcp";
  if (!tcp && transport != "udp" && transport != "udps") {
    return Status::Error("CONF-2", "unknown transport " + std::string(transport));
  }
  const std::optional<HostPort>& to = tcp ? target_.tcp : transport == "udps" ? target_.udps : target_.udp;
  if (!to) return Status::Error("CONF-2", std::string("no ") + std::string(transport) + " target given");
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!Resolve(*to, tcp ? SOCK_STREAM : SOCK_DGRAM, sa, len)) return Status::Error("CONF-2", "cannot resolve " + to->ToString());
  const int fd = socket(sa.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error("CONF-2", std::string("socket: ") + std::strerror(errno));
  if (tcp) {
    // Non-blocking connect bounded by the io timeout, then blocking I/O with poll.
    const int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 && errno != EINPROGRESS) {
      close(fd);
      return Status::Error("CONF-3", std::string("connect: ") + std::strerror(errno));
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t elen = sizeof err;
    if (poll(&p, 1, Remaining(io_timeout_ms_)) <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
      close(fd);
      return Status::Error("CONF-3", "TCP connect to " + to->ToString() + " failed");
    }
    fcntl(fd, F_SETFL, flags);
  } else if (connect(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    close(fd);
    return Status::Error("CONF-2", std::string("connect: ") + std::strerror(errno));
  }
  const int h = static_cast<int>(conns_.size());
  conns_.push_back({fd, tcp, false, std::string(transport) + "#" + std::to_string(h)});
  Note("opened " + conns_.back().channel);
  return h;
}

Status Ctx::Send(int h, std::string_view bytes) {
  if (h < 0 || static_cast<std::size_t>(h) >= conns_.size()) return Status::Error("CONF-2", "bad handle");
  Conn& c = conns_[static_cast<std::size_t>(h)];
  wire_.push_back({NowUs(), "send", c.channel, std::string(bytes)});
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = send(c.fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNREFUSED && !c.tcp) return Status();  // an ICMP error of an earlier datagram
      return Status::Error("CONF-2", std::string("send: ") + std::strerror(errno));
    }
    off += static_cast<std::size_t>(n);
    if (!c.tcp) break;
  }
  return Status();
}

std::vector<std::string> Ctx::Recv(int h, int first_wait_ms, int quiet_ms, std::size_t max) {
  std::vector<std::string> got;
  if (h < 0 || static_cast<std::size_t>(h) >= conns_.size()) return got;
  Conn& c = conns_[static_cast<std::size_t>(h)];
  if (quiet_ms < 0) quiet_ms = quiet_ms_;
  std::string buf(65536, '\0');
  while (got.size() < max && !c.closed) {
    const int wait = Remaining(got.empty() ? first_wait_ms : quiet_ms);
    pollfd p{c.fd, POLLIN, 0};
    if (wait <= 0 || poll(&p, 1, wait) <= 0) break;
    const ssize_t n = recv(c.fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR || (errno == ECONNREFUSED && !c.tcp)) continue;
      if (c.tcp) c.closed = true;
      break;
    }
    if (n == 0 && c.tcp) {
      c.closed = true;
      Note(c.channel + " closed by the peer");
      break;
    }
    got.emplace_back(buf.data(), static_cast<std::size_t>(n));
    wire_.push_back({NowUs(), "recv", c.channel, got.back()});
  }
  return got;
}

bool Ctx::PeerClosed(int h) const {
  return h >= 0 && static_cast<std::size_t>(h) < conns_.size() && conns_[static_cast<std::size_t>(h)].closed;
}

Result<reference::HttpResponse> Ctx::Http(const reference::HttpRequest& req) {
  if (!target_.http) return Status::Error("CONF-2", "no HTTP target given (--http)");
  return HttpRaw(reference::http::SerializeRequest(req, target_.http->ToString()));
}

Result<reference::HttpResponse> Ctx::HttpRaw(std::string_view request_bytes) {
  if (!target_.http) return Status::Error("CONF-2", "no HTTP target given (--http)");
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!Resolve(*target_.http, SOCK_STREAM, sa, len)) return Status::Error("CONF-2", "cannot resolve " + target_.http->ToString());
  const int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::Error("CONF-2", std::string("socket: ") + std::strerror(errno));
  struct Closer {
    int fd;
    PcapTap* tap;
    ~Closer() {
      if (tap) tap->TcpClose(fd);
      close(fd);
    }
  } closer{fd, target_.tap};
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 && errno != EINPROGRESS) {
    return Status::Error("CONF-3", std::string("connect: ") + std::strerror(errno));
  }
  pollfd p{fd, POLLOUT, 0};
  if (poll(&p, 1, Remaining(io_timeout_ms_)) <= 0) return Status::Error("CONF-3", "connect timed out");
  int err = 0;
  socklen_t elen = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  if (err != 0) return Status::Error("CONF-3", std::string("connect: ") + std::strerror(err));
  if (target_.tap) target_.tap->TcpOpen(fd, true);
  wire_.push_back({NowUs(), "send", "http", std::string(request_bytes)});
  std::size_t off = 0;
  while (off < request_bytes.size()) {
    pollfd w{fd, POLLOUT, 0};
    if (poll(&w, 1, Remaining(io_timeout_ms_)) <= 0) return Status::Error("CONF-3", "send timed out");
    const ssize_t n = send(fd, request_bytes.data() + off, request_bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Status::Error("CONF-3", std::string("send: ") + std::strerror(errno));
    }
    if (target_.tap) target_.tap->TcpData(fd, true, request_bytes.substr(off, static_cast<std::size_t>(n)));
    off += static_cast<std::size_t>(n);
  }
  reference::http::ResponseParser parser(1 << 20);
  // RFC 9110 §9.3.2: a HEAD response ends with its header block; bytes after
  // it (a body sent in violation of MS-6) are collected for the case below.
  const bool head = request_bytes.substr(0, 5) == "HEAD ";
  parser.SetHeadRequest(head);
  std::string raw;
  char buf[16384];
  for (;;) {
    pollfd r{fd, POLLIN, 0};
    if (poll(&r, 1, Remaining(io_timeout_ms_)) <= 0) {
      wire_.push_back({NowUs(), "recv", "http", raw});
      return Status::Error("CONF-4", "no complete HTTP response within the timeout");
    }
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Status::Error("CONF-4", std::string("recv: ") + std::strerror(errno));
    }
    if (n == 0) {
      wire_.push_back({NowUs(), "recv", "http", raw});
      return Status::Error("CONF-4", "connection closed before a complete HTTP response");
    }
    raw.append(buf, static_cast<std::size_t>(n));
    if (target_.tap) target_.tap->TcpData(fd, false, std::string_view(buf, static_cast<std::size_t>(n)));
    if (Status s = parser.Append(std::string_view(buf, static_cast<std::size_t>(n))); !s.ok()) {
      wire_.push_back({NowUs(), "recv", "http", raw});
      return Status::Error("CONF-4", "malformed HTTP response: " + s.message());
    }
    if (auto msg = parser.Next()) {
      if (head) {
        // Whatever follows within the quiet period (or until close) becomes
        // the body the case checks is empty.
        std::string extra(parser.Buffered());
        for (;;) {
          pollfd q{fd, POLLIN, 0};
          if (poll(&q, 1, Remaining(quiet_ms_)) <= 0) break;
          const ssize_t m = recv(fd, buf, sizeof buf, 0);
          if (m <= 0 && (m == 0 || (errno != EAGAIN && errno != EINTR))) break;
          if (m <= 0) continue;
          raw.append(buf, static_cast<std::size_t>(m));
          extra.append(buf, static_cast<std::size_t>(m));
          if (target_.tap) target_.tap->TcpData(fd, false, std::string_view(buf, static_cast<std::size_t>(m)));
          if (extra.size() > (1u << 20)) break;
        }
        msg->body = std::move(extra);
      }
      wire_.push_back({NowUs(), "recv", "http", raw});
      return *msg;
    }
  }
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
