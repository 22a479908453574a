// The conformance harness: a per-case context through which a case talks to
// the target and which records every exchange as a reports::WireEvent
// transcript.
//
// All I/O and timing go through a core::Env and its EventLoop (the single I/O
// path, conformance/README.md): on a real target the Asio Env of net/
// (net::AsioLoop), in the self-test and behind the fault proxy a simulated
// node (sim::WorldLoop, in virtual time or paced by the wall clock). Cases
// keep a blocking style — "send, then wait up to 600 ms for the answer" —
// because every wait runs the loop until the condition or the deadline.
// Nothing here opens a socket, starts a thread or reads a clock: the time of
// every transcript line and every deadline is the Env's Now().
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/loop.h"
#include "core/rng.h"
#include "core/status.h"
#include "reference/roles/role.h"
#include "reference/wire/command.h"
#include "reports/report.h"

namespace mcpsim::conformance {

// Bounds of one case against a hostile target (issue 15): received bytes
// kept in the transcript (later ones counted, a note marks the cut), bytes
// queued unread per channel (later arrivals dropped), and the total a case
// may receive before it is a flood (the case stops waiting and is FAILED).
// So a case holds at most ~kInboxCapBytes per channel + kTranscriptCapBytes,
// and the runner at most kReportWireCapBytes of transcripts per report.
constexpr std::size_t kTranscriptCapBytes = std::size_t{1} << 20;    // 1 MiB
constexpr std::size_t kInboxCapBytes = std::size_t{4} << 20;         // 4 MiB
constexpr std::size_t kFloodBytes = std::size_t{16} << 20;           // 16 MiB
constexpr std::size_t kReportWireCapBytes = std::size_t{64} << 20;   // 64 MiB

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// "HOST:PORT" or "http://HOST:PORT[/...]" / "udp://HOST:PORT" (scheme ignored).
Result<HostPort> ParseAddress(std::string_view text);
// The Endpoint of an address literal ("127.0.0.1", "::1", "[::1]", or
// "localhost" = 127.0.0.1); no name resolution (the caller resolves names).
// Clause CONF-1.
Result<Endpoint> ToEndpoint(const HostPort& hp);

// Names the parties of the run's capture (conformance/capture.h): the
// harness labels each source endpoint and stream it opens ("alice udp#1").
class PartyLabels {
 public:
  virtual ~PartyLabels() = default;
  virtual void LabelDatagramPort(std::uint16_t port, std::string label) = 0;
  virtual void LabelStream(StreamId id, std::string label) = 0;
};

// What the runner was told to test, and where its I/O runs.
struct Target {
  std::optional<HostPort> udp;
  std::optional<HostPort> tcp;
  std::optional<HostPort> http;
  // Encrypted UDP (PROTOCOL.md §6.5): the endpoint and the ENC-2 key table the
  // harness seals with (its first key). Cases needing "udps" require both.
  std::optional<HostPort> udps;
  std::map<std::uint8_t, std::array<std::uint8_t, 32>> udps_keys;
  // > 0: UDP requests on the default endpoint are resent every `resend_ms`
  // until answered (reference::RequestTracker, at most 10 sends), and
  // byte-identical answer datagrams are collapsed; set when a fault proxy
  // sits in front of the target. 0: no resends.
  int resend_ms = 0;
  // Set when the fault proxy may flip bits in datagrams (`corrupt=`): an
  // encrypted-UDP answer that fails to open is then network damage, dropped
  // like a lost datagram (ENC-4 lets no corrupted envelope through), not a
  // target failure. Plain answers cannot be told from wrong ones.
  bool corrupting_network = false;
  // The target's catalogue (issue 14; PROTOCOL.md requires no particular ad
  // slot or media id): ad slots to query with RAD and media ids to fetch from
  // MS (`--ad-slot`, `--media-id`). Empty: slot `top` is tried, and media ids
  // are learnt from AAD imageUrls (catalog.h FindMediaId).
  std::vector<std::string> ad_slots;
  std::vector<std::string> media_ids;
  // Differs per run against a persistent server (fresh account names,
  // encrypted-UDP sender ids); the self-test fixes it so runs repeat.
  std::uint64_t nonce = 0;
  // The Env and loop every Ctx uses (not owned; REQUIRED for Ctx).
  Env* env = nullptr;
  EventLoop* loop = nullptr;
  // Not owned; when set, the harness labels its endpoints and streams.
  PartyLabels* labels = nullptr;
  // Local UDP ports the run's cases have bound so far, shared by every copy
  // of this Target (RunCatalog sets it; a Ctx without one makes its own). A
  // case never gets a port an earlier case used: the target may still hold
  // a session bound to that endpoint (SG-SESS-1), and a RAT from it would
  // be 301 through no fault of the target.
  std::shared_ptr<std::set<std::uint16_t>> used_udp_ports;
  // The runner address's RATE-8 bucket at CS as the cases that send many
  // RUPs have charged it (catalog.h AwaitCsTokens); shared like
  // used_udp_ports. `at` < 0: never charged (full).
  struct TokenModel {
    double tokens = 0;
    TimeUs at = -1;
  };
  std::shared_ptr<TokenModel> cs_address_tokens;
};

// One case's I/O context. Owns its source endpoints (a fresh UDP port per
// case, so answer caches keyed by endpoint never leak between cases) and its
// streams; everything is closed with the Ctx.
class Ctx {
 public:
  // `io_timeout_ms`: longest wait for one expected answer; `case_budget_ms`:
  // hard deadline of the whole case. `seed` and `case_id` feed Fresh().
  // REQUIRES: target.env and target.loop set.
  Ctx(Target target, int io_timeout_ms, int case_budget_ms, std::uint64_t seed, std::string_view case_id = "");
  ~Ctx();
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;

  const Target& target() const { return target_; }
  std::uint64_t seed() const { return seed_; }
  int io_timeout_ms() const { return io_timeout_ms_; }
  // True past the case deadline, or once the target flooded the case.
  bool Expired() const;
  // Why the case was flooded (kFloodBytes received), nullopt if it was not.
  std::optional<std::string> Flooded() const;
  // True when received bytes were left out of the transcript.
  bool Truncated() const;
  // Microseconds since the case started (the Env's clock).
  std::int64_t NowUs() const;
  // Lets `ms` pass (bounded by the case deadline) while receiving.
  void Sleep(int ms);
  // Lets up to `ms` pass (bounded by the case deadline) until `done()` holds;
  // returns done()'s final value. Services run meanwhile (below).
  bool WaitUntil(int ms, const std::function<bool()>& done);

  // Background parties (issue 14). A service owns handle `h` (an Open()ed
  // channel): at every wait of this Ctx (Sleep, WaitUntil, Recv, UdpRecv,
  // Http, Open) `fn` runs — never from inside an Env callback — at the
  // start, whenever h has something queued and when the time it last
  // returned (NowUs() scale, -1: none) has come. It reads h only through Drain() and may Send(); it must
  // not wait. So every SG session of a case answers the target's requests
  // as they arrive, whichever party the case is waiting on. Returns an id
  // for RemoveService (call it before the service's owner goes away).
  int AddService(int h, std::function<std::int64_t()> fn);
  void RemoveService(int id);
  // What is queued on handle h, without waiting (UDP: whole datagrams; TCP:
  // chunks).
  std::vector<std::string> Drain(int h);
  // The owner of handle h resends its own requests: the harness's resends
  // (target().resend_ms) are off on it.
  void SelfResending(int h);
  // A 64-bit value unique to this case and run: Rng::Stream(seed ^ nonce,
  // case_id). For names that must not repeat on a persistent server.
  std::uint64_t Fresh() { return fresh_.Next(); }

  // Sends one datagram to target().udp from this case's endpoint.
  Status UdpSend(std::string_view bytes);
  // Receives datagrams: waits up to `first_wait_ms` for the first, then keeps
  // collecting while each next one arrives within `quiet_ms`, until `max`
  // datagrams. Never waits past the case deadline.
  // `quiet_ms` < 0 means quiet_ms() (150 unless set_quiet_ms).
  std::vector<std::string> UdpRecv(int first_wait_ms, int quiet_ms = -1, std::size_t max = 64);
  // Replaces this case's UDP endpoint by a new one (a different source port).
  Status UdpNewEndpoint();

  // One HTTP exchange on a new connection (the request is serialized by
  // reference::http::SerializeRequest, which adds Host/Content-Length).
  Result<reference::HttpResponse> Http(const reference::HttpRequest& req);
  // As Http() but with raw request bytes.
  Result<reference::HttpResponse> HttpRaw(std::string_view request_bytes);
  // POST /mcp with `body` (Content-Type application/x-mcp, HTTP-3) and the
  // `sessionid` header when `sid` is not empty (HTTP-7).
  Result<reference::HttpResponse> PostMcp(const std::string& body, const std::string& sid = "");

  // Extra connections for multi-session cases: "udp" opens a new source
  // endpoint to target().udp, "udps" one to target().udps (bytes are sent
  // as given: the case seals them), "tcp" a new connection to target().tcp,
  // "http-tcp" a raw TCP connection to target().http (bytes as given).
  // Returns a handle >= 0; transcript channel "udp#<h>" / "tcp#<h>"; `who`
  // (e.g. "alice") names the party in the capture. Closed with the Ctx.
  Result<int> Open(std::string_view transport, std::string_view who = "");
  Status Send(int h, std::string_view bytes);
  // Closes handle h from this side (TCP: FIN after the queued bytes; UDP:
  // the endpoint). Later Send on it fails.
  Status Close(int h);
  // UDP: whole datagrams; TCP: byte chunks as received. Waits up to
  // `first_wait_ms` for the first, then while more arrive within `quiet_ms`
  // (< 0: quiet_ms()). Never past the case deadline.
  std::vector<std::string> Recv(int h, int first_wait_ms, int quiet_ms = -1, std::size_t max = 64);
  // TCP: true once the peer closed the connection (EOF or reset seen).
  bool PeerClosed(int h) const;

  // How long a receive waits for silence after the last datagram/chunk.
  int quiet_ms() const { return quiet_ms_; }
  void set_quiet_ms(int ms) { quiet_ms_ = ms; }

  void Note(std::string text);
  // Encrypted UDP: the plaintext `plain` of an envelope sent on handle `h`
  // (`sent`; transcript dir "sealed") or received on it (dir "opened",
  // counted against the transcript cap like received bytes). Bad handles are
  // ignored.
  void Plain(int h, bool sent, std::string plain);
  // The transcript: every send, every datagram/chunk/response received (at
  // its arrival), notes; in time order.
  std::vector<reports::WireEvent>& wire();

 private:
  struct Shared;  // state the Env callbacks share with the Ctx
  struct Chan;
  TimeUs Deadline(int want_ms) const;  // min(now + want, case deadline)
  // loop_.RunUntil(deadline, done) that also runs the services (AddService)
  // when their channel has input or their time has come.
  bool Wait(TimeUs deadline, const std::function<bool()>& done);
  // Runs the due services; returns the earliest Env time one asked for
  // (kNoWake: none).
  TimeUs RunServices();
  bool ServiceInput() const;
  struct Service {
    int id = 0;
    int h = -1;
    std::function<std::int64_t()> fn;
    std::int64_t wake = -1;  // NowUs() scale; -1: only on input
  };
  std::vector<Service> services_;
  int next_service_ = 0;
  bool in_service_ = false;
  Status OpenUdp(Chan& c, const HostPort& to, const std::string& label);
  std::vector<std::string> Take(Chan& c, int first_wait_ms, int quiet_ms, std::size_t max);
  // UdpRecv/Recv on a plain UDP channel when target().resend_ms > 0
  // (harness_resend.cc).
  std::vector<std::string> UdpRecvResending(Chan& ch, int first_wait_ms, int quiet_ms, std::size_t max);

  Target target_;
  Env& env_;
  EventLoop& loop_;
  int io_timeout_ms_;
  TimeUs start_;
  TimeUs deadline_;
  std::uint64_t seed_;
  Rng fresh_;
  int quiet_ms_ = 150;
  std::shared_ptr<Shared> sh_;
};

// Decodes every command of a datagram/body (stream limits: payloads up to
// 64 KiB). Commands that fail to decode are reported in `errors` (clause@offset).
std::vector<wire::Command> Decode(std::string_view bytes, std::vector<std::string>* errors = nullptr);
// Wire form of `c` ("" if it cannot be serialized).
std::string Encode(const wire::Command& c);
// "AUP 7 0 a b" for display.
std::string Show(const wire::Command& c);

}  // namespace mcpsim::conformance
