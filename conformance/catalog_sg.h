// Helpers shared by the SG catalog files (catalog_sg*.cc): a harness-side SG
// session over UDP or TCP that answers server-initiated requests, account
// registration through RS over HTTP, and the login sequence of SG-LOGIN-5.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "conformance/catalog.h"
#include "reference/wire/framer.h"

namespace mcpsim::conformance::sg {

constexpr const char* kPassword = "correct-horse";

// One SG session seen from the harness. Every received command is kept in
// `log`; server-initiated requests (R-words) are answered at once with the
// A-word, the same trid and the status in `answer_status` (default 0),
// except words in `hold`, which the case answers itself (Answer()).
// Its trid counter starts at a value drawn from the case seed and `who`
// (TRID-4: uniform in 1..2147483647); answers are matched to requests by
// trid AND word (TRID-5).
//
// Duplicates (TIMER-8, TRID-6; issue 14): a server request already seen on
// this session (same word and trid: the target resent it because an answer
// was lost) is answered again with the status first sent, not logged again;
// a held one not yet answered by the case is ignored. Behind a proxy
// (target().resend_ms > 0) an answer whose (word, trid) was already taken is
// a network or cache duplicate and is dropped unless the case sent that
// request again (SendRaw of the same bytes); `raw()` holds only datagrams
// that brought something new, so size checks see one answer per request.
// Over UDP the session is a Ctx service (Ctx::AddService): it answers the
// target's requests at every wait of the case, whichever party the case
// waits on, and resends its own unanswered requests every resend_ms (10
// sends at most, as the runner's other channels).
//
// Over "http" (SG over POST /mcp, HTTP-3..10) every Request() is one POST
// carrying the answers owed to server requests first; the token from AAT is
// sent as the SessionID header from then on (HTTP-7); Pump() polls with RPOL
// so that queued server requests arrive (HTTP-8, HTTP-9).
class SgClient {
 public:
  // Opens a new UDP endpoint ("udp") or TCP connection ("tcp") in `ctx`, or
  // uses POST /mcp ("http").
  SgClient(Ctx& ctx, std::string transport, std::string who);
  ~SgClient();
  SgClient(const SgClient&) = delete;  // the Ctx service holds `this`
  SgClient& operator=(const SgClient&) = delete;
  bool ok() const { return h_ >= 0; }
  const std::string& error() const { return error_; }
  const std::string& who() const { return who_; }
  // The transcript channel of this session ("udp#3", "tcp#4"; "http").
  std::string channel() const { return http_ ? "http" : (tcp_ ? "tcp#" : "udp#") + std::to_string(h_); }

  // Sends one request with the next trid; returns that trid.
  std::uint32_t Request(const std::string& word, const std::vector<std::string>& params,
                        std::optional<std::string> payload = std::nullopt);
  // Takes the next trid for a request of `word` the case writes itself
  // (several requests in one SendRaw datagram); answers match it (TRID-5).
  std::uint32_t Reserve(const std::string& word) {
    sent_[trid_] = word;
    return trid_++;
  }
  // Sends bytes as they are (one datagram / one TCP write).
  void SendRaw(std::string_view bytes);
  // Answers a held server request.
  void Answer(const wire::Command& req, std::uint32_t status);

  // Receives until `until()` holds or `wait_ms` passed (the case deadline
  // bounds it too). Returns until()'s final value (false without until).
  // Behind a proxy (target().resend_ms > 0) a wait with `until` gets 16000 ms
  // more: the target's own resends of a lost push (TIMER-1: +1000, +3000,
  // +7000, +15000 ms), so a push lost four times still arrives.
  bool Pump(int wait_ms, const std::function<bool()>& until = {});
  // The answer to `trid`, waiting up to the io timeout.
  const wire::Command* Await(std::uint32_t trid);
  const wire::Command* AnswerTo(std::uint32_t trid) const;
  // Received server requests of `word`, in order.
  std::vector<wire::Command> Got(const std::string& word) const;
  // Raw bytes received so far (all datagrams/chunks concatenated).
  const std::string& raw() const { return raw_; }
  bool closed() const;

  std::map<std::string, std::uint32_t> answer_status;
  std::set<std::string> hold;
  std::vector<wire::Command> log;
  std::vector<std::string> decode_errors;
  bool sync_done = false;  // the last RCS/RCR sync completed (SG-SYNC-7)
  int duplicates = 0;      // server requests and answers suppressed as duplicates

 private:
  using Key = std::pair<std::string, std::uint32_t>;  // (word, trid)
  // Logs `c` unless it is a duplicate; answers server requests. True if logged.
  bool Take(const wire::Command& c);
  void Process(const std::string& chunk);  // one datagram / TCP chunk
  std::int64_t Service();                  // Ctx service: input + resends
  void SendAnswer(const wire::Command& req, std::uint32_t status);
  int service_ = 0;
  bool resend_ = false;  // UDP behind a proxy: this session resends
  std::map<Key, std::optional<std::uint32_t>> server_reqs_;  // seen; status sent (nullopt: held)
  std::map<Key, int> expect_;  // (A-word, trid) -> answers still expected
  std::set<Key> answered_;     // (A-word, trid) taken
  struct Pending {
    std::string bytes;
    std::set<Key> keys;  // (A-word, trid) still unanswered
    int sends = 1;
    std::int64_t due = 0;  // NowUs()
  };
  std::vector<Pending> pending_;
  Ctx& ctx_;
  bool tcp_;
  std::string who_;
  int h_ = -1;
  std::string error_;
  bool http_ = false;
  std::uint32_t trid_ = 1;
  std::map<std::uint32_t, std::string> sent_;  // trid -> request word (TRID-5)
  std::string raw_;
  wire::StreamFramer framer_;
  // HTTP mode: the SessionID (token from AAT), answers owed to server
  // requests (sent at the head of the next POST), when the last POST left.
  std::string session_;
  std::string owed_;
  std::int64_t last_post_ms_ = 0;
  void Post(const std::string& body);
};

// Registers a fresh account through RS over HTTP (RAP, RBIN/ABIN, REG) with
// the captcha read by reference::ReadCaptcha. Returns the account, or an
// Outcome explaining why it failed (the case then fails with it).
struct Registered {
  std::string account;
  std::optional<Outcome> failure;
};
// `transport` "tcp": the registration runs on one TCP connection (TCP-4),
// RBIN chunks answered on it; the connection then closes with the Ctx.
Registered Register(Ctx& ctx, const std::string& tag, const std::string& transport = "http");

// RAT (privacy 1) → AAT 0, RSII → ASII 0, sync answered, RPS → APS 0: the
// session is ACTIVE. `caps` as in RSII; nullopt on success, else why not.
std::optional<Outcome> Login(SgClient& c, const std::string& account, int caps = 7,
                             std::uint32_t list_version = 0, const std::string& presence = "online");

// Two ACTIVE users over `transport` where `a` lists `b` (added with
// AddContact: the delta sync is complete, `list_version` is a's listVersion
// after it) and `a` invited `b` into a conversation (callId in `call`).
struct Pair {
  std::unique_ptr<SgClient> a, b;
  std::string a_account, b_account, call;
  std::uint32_t list_version = 0;
  std::optional<Outcome> failure;
};
Pair MakePair(Ctx& ctx, const std::string& transport_a = "udp", const std::string& transport_b = "udp");

// A registered and logged-in (ACTIVE) user over UDP, logged in with `caps`;
// nullopt when registration and login succeeded, else why not.
struct User {
  std::unique_ptr<SgClient> c;
  std::string account;
};
std::optional<Outcome> NewUser(Ctx& ctx, const std::string& tag, User& u, int caps = 7);

// A contact-list sync as the session received it (catalog_sg_sync.cc): the
// RCS and the records (7 params each) of its pages, in page order.
struct Sync {
  wire::Command rcs;
  std::vector<std::vector<std::string>> records;
};
// SG-SYNC-7 read from `c.log`: the sync with the lowest listVersion >=
// `min_version` if its RCS and every page (RCRs of that same listVersion,
// pages 1..pages) arrived, else nullopt. Pages of other versions (a late
// resend of an earlier sync's page) never count.
std::optional<Sync> CompletedSync(const SgClient& c, std::uint32_t min_version);
// Pumps `c` until an RCS of listVersion >= min_version arrived, then until
// CompletedSync(c, min_version) (each wait the io timeout plus the proxy's
// push slack); returns it or nullopt.
std::optional<Sync> AwaitSync(Ctx& ctx, SgClient& c, std::uint32_t min_version);
std::string ShowSync(const std::optional<Sync>& s);
// RCE add `account` → ACE 0 (else `failure`, SG-CONT-2), then waits for the
// delta sync of that listVersion to complete (a missing one is only noted:
// sg.cont.edits judges it). `version` is the ACE's listVersion.
struct Added {
  std::uint32_t version = 0;
  std::optional<Outcome> failure;
};
Added AddContact(Ctx& ctx, SgClient& c, const std::string& account);

// Expectation helpers: nullopt if `got` is an answer `word`/`status` with
// `nparams` params (any count if nullopt).
std::optional<std::string> Check(const wire::Command* got, const std::string& word, std::uint32_t status,
                                 std::optional<std::size_t> nparams = std::nullopt);
std::string ShowOne(const wire::Command* got);
// Check() as an Outcome: nullopt if it matches, else FAILED naming `clause`.
std::optional<Outcome> Expect(const wire::Command* got, const std::string& word, std::uint32_t status,
                              std::optional<std::size_t> n, const std::string& clause);
// Sends one RSM per text in conversation `call` in ONE datagram and expects
// each answered ASM 0 (SG-CHAT-7); nullopt on success.
std::optional<Outcome> SendRsmsInOneDatagram(SgClient& c, const std::string& call, const std::vector<std::string>& texts);

// Appends an SG case of group "SG" over `transport` (default "udp+http": SG
// over UDP, accounts registered through RS over HTTP).
void Add(std::vector<CaseDef>& out, std::string id, std::string title, std::vector<std::string> clauses,
         std::function<Outcome(Ctx&)> run, bool required = true, std::string transport = "udp+http");

}  // namespace mcpsim::conformance::sg
