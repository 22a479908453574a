// The conformance harness: a per-case context that talks to a real target
// over loopback/network sockets (plain POSIX sockets with poll timeouts) and
// records every exchange as a reports::WireEvent transcript.
//
// Not protocol core: it reads the wall clock (transcript timestamps, I/O
// deadlines) and blocks. Every wait is bounded by the case deadline.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "reference/roles/role.h"
#include "reference/wire/command.h"
#include "reports/report.h"

namespace mcpsim::conformance {

class PcapTap;

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// "HOST:PORT" or "http://HOST:PORT[/...]" / "udp://HOST:PORT" (scheme ignored).
Result<HostPort> ParseAddress(std::string_view text);

// What the runner was told to test.
struct Target {
  std::optional<HostPort> udp;
  std::optional<HostPort> tcp;
  std::optional<HostPort> http;
  // Encrypted UDP (PROTOCOL.md §6.5): the endpoint and the ENC-2 key table the
  // harness seals with (its first key). Cases needing "udps" require both.
  std::optional<HostPort> udps;
  std::map<std::uint8_t, std::array<std::uint8_t, 32>> udps_keys;
  // > 0: UDP requests are resent every `resend_ms` until every request in the
  // datagrams sent since the last receive got an answer (at most 10 sends), and
  // byte-identical answer datagrams are collapsed; set when a fault proxy
  // (conformance/fault_proxy.h) sits in front of the target. 0: no resends.
  int resend_ms = 0;
  // The target's catalogue (issue 14; PROTOCOL.md requires no particular ad
  // slot or media id): ad slots to query with RAD and media ids to fetch from
  // MS (`--ad-slot`, `--media-id`). Empty: slot `top` is tried, and media ids
  // are learnt from AAD imageUrls (catalog.h FindMediaId).
  std::vector<std::string> ad_slots;
  std::vector<std::string> media_ids;
  // Not owned; when set, every datagram and HTTP exchange is recorded.
  PcapTap* tap = nullptr;
};

// One case's I/O context. Owns one UDP socket (a fresh source endpoint per
// case, so answer caches keyed by endpoint never leak between cases).
class Ctx {
 public:
  // `io_timeout_ms`: longest wait for one expected answer; `case_budget_ms`:
  // hard deadline of the whole case. `seed` feeds Rng() for names.
  Ctx(Target target, int io_timeout_ms, int case_budget_ms, std::uint64_t seed);
  ~Ctx();
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;

  const Target& target() const { return target_; }
  std::uint64_t seed() const { return seed_; }
  int io_timeout_ms() const { return io_timeout_ms_; }
  bool Expired() const;

  // Sends one datagram to target().udp from this case's socket.
  Status UdpSend(std::string_view bytes);
  // Receives datagrams: waits up to `first_wait_ms` for the first, then keeps
  // collecting while each next one arrives within `quiet_ms`, until `max`
  // datagrams. Never waits past the case deadline.
  // `quiet_ms` < 0 means quiet_ms() (150 unless set_quiet_ms).
  std::vector<std::string> UdpRecv(int first_wait_ms, int quiet_ms = -1, std::size_t max = 64);
  // Opens a second socket (a different source endpoint) for later sends.
  Status UdpNewEndpoint();

  // One HTTP exchange on a new TCP connection (the request is serialized by
  // reference::http::SerializeRequest, which adds Host/Content-Length).
  Result<reference::HttpResponse> Http(const reference::HttpRequest& req);
  // As Http() but with raw request bytes.
  Result<reference::HttpResponse> HttpRaw(std::string_view request_bytes);

  // Extra connections for multi-session cases: "udp" opens a new source
  // endpoint to target().udp, "udps" one to target().udps (bytes are sent
  // as given: the case seals them), "tcp" a new connection to target().tcp.
  // Returns a handle >= 0; transcript channel "udp#<h>" / "tcp#<h>".
  // Connections close with the Ctx.
  Result<int> Open(std::string_view transport);
  Status Send(int h, std::string_view bytes);
  // UDP: whole datagrams; TCP: byte chunks as read. Waits up to
  // `first_wait_ms` for the first, then while more arrive within `quiet_ms`
  // (< 0: quiet_ms()). Never past the case deadline.
  std::vector<std::string> Recv(int h, int first_wait_ms, int quiet_ms = -1, std::size_t max = 64);
  // TCP: true once the peer closed the connection (EOF or reset seen).
  bool PeerClosed(int h) const;

  // How long a receive waits for silence after the last datagram/chunk.
  int quiet_ms() const { return quiet_ms_; }
  void set_quiet_ms(int ms) { quiet_ms_ = ms; }

  void Note(std::string text);
  std::vector<reports::WireEvent>& wire() { return wire_; }

 private:
  std::int64_t NowUs() const;
  int Remaining(int want_ms) const;
  Status OpenUdp();
  // UdpRecv when target().resend_ms > 0 (harness_resend.cc).
  std::vector<std::string> UdpRecvResending(int first_wait_ms, int quiet_ms, std::size_t max);
  std::vector<std::string> unanswered_;  // datagrams sent since the last UdpRecv (resend mode)

  Target target_;
  int io_timeout_ms_;
  std::int64_t start_us_;
  std::int64_t deadline_us_;
  std::uint64_t seed_;
  int udp_fd_ = -1;
  int quiet_ms_ = 150;
  struct Conn {
    int fd = -1;
    bool tcp = false;
    bool closed = false;
    std::string channel;
  };
  std::vector<Conn> conns_;
  std::vector<reports::WireEvent> wire_;
};

// Decodes every command of a datagram/body (stream limits: payloads up to
// 64 KiB). Commands that fail to decode are reported in `errors` (clause@offset).
std::vector<wire::Command> Decode(std::string_view bytes, std::vector<std::string>* errors = nullptr);
// Wire form of `c` ("" if it cannot be serialized).
std::string Encode(const wire::Command& c);
// "AUP 7 0 a b" for display.
std::string Show(const wire::Command& c);

}  // namespace mcpsim::conformance
