// Test harness for SgRole: a world of SGs on one Backend/Store and scripted
// clients speaking raw MCP bytes over UDP, TCP or HTTP. Clients parse what SG
// sends with the codec, answer server-initiated requests (status per word,
// default 0), suppress duplicate requests per TIMER-8 and record everything.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "reference/deploy/accounts.h"
#include "reference/deploy/deployment.h"
#include "reference/roles/sg/sg.h"
#include "reference/store/store.h"
#include "reference/wire/command.h"
#include "reference/wire/framer.h"

namespace mcpsim::reference::sgtest {

inline const std::string kPassword = "password1";

class World;

class Client {
 public:
  Client(World& w, std::string account, Via via, std::size_t sg_index = 0);

  // Sends one raw message (datagram / stream bytes / POST body).
  void SendRaw(const std::string& bytes);
  // Serializes a request with the next client trid and sends it; returns the trid.
  std::uint32_t Send(const std::string& word, const std::vector<std::string>& params,
                     std::optional<std::string> payload = std::nullopt);
  // The serialized form of a request (no send); consumes a trid.
  std::string Build(const std::string& word, const std::vector<std::string>& params,
                    std::optional<std::string> payload = std::nullopt, std::uint32_t* trid = nullptr);
  // Send + pump; returns the answer (nullopt if none arrived).
  std::optional<wire::Command> Call(const std::string& word, const std::vector<std::string>& params,
                                    std::optional<std::string> payload = std::nullopt);
  // Status of Call (or -1 when unanswered).
  int Status(const std::string& word, const std::vector<std::string>& params,
             std::optional<std::string> payload = std::nullopt);
  std::optional<wire::Command> AnswerTo(std::uint32_t trid) const;
  // As Status, with the datagram padded by RPAD to >= 256 bytes (AMP-3/4).
  int StatusPadded(const std::string& word, const std::vector<std::string>& params);

  // RAT → AAT; returns the status.
  int Login(const std::string& password = kPassword);
  // RAT, RSII (answering the sync), RPS; returns true when ACTIVE.
  bool FullLogin(std::uint32_t caps = 7, std::uint32_t list_version = 0,
                 const std::string& presence = "online");
  // HTTP: POST whatever answers are pending (or RPOL when `poll`).
  void Post(const std::string& body);
  void Poll();

  // Requests received from SG (first copies only), in arrival order.
  std::vector<wire::Command> Received(const std::string& word) const;
  std::vector<wire::Command> received;
  std::vector<wire::Command> answers;
  std::vector<std::string> log;      // words of everything received, in order
  std::size_t duplicates = 0;        // copies suppressed by TIMER-8
  std::set<std::string> hold;        // request words recorded but not answered
  std::map<std::string, std::uint32_t> status_for;  // answer status per word (default 0)
  bool deaf = false;                 // drop everything SG sends (UDP loss)
  bool closed = false;               // the TCP connection was closed by SG
  std::string token;
  std::string account;
  Via via;
  Endpoint ep;
  std::uint64_t conn = 0;
  std::uint32_t next_trid = 5001;
  std::size_t datagrams_in = 0;
  std::size_t bytes_in_last = 0;

  // Feeds bytes SG sent to this client (from World routing).
  void OnBytes(const std::string& bytes);
  bool has_pending() const { return !pending_.empty(); }
  void FlushPending();

 private:
  void Handle(const wire::CommandView& v);
  World& w_;
  std::size_t sg_;
  wire::StreamFramer framer_;
  std::set<std::pair<std::uint32_t, std::string>> seen_;
  std::string pending_;  // answers to send
};

class World {
 public:
  // `processes`: each SG has its own Backend (as SG processes of one
  // deployment sharing the store: relays on, SG ids 1..sgs) and Route carries
  // their relays between them (CLU-10..14) the way a database queue would:
  // each receiver gets its relays in emission order. The SGs, back ends and
  // store come from reference::Deployment (seed 1), accounts from
  // reference::DirectAccounts.
  explicit World(std::size_t sgs = 1, SgConfig config = {}, const std::string& store_path = ":memory:",
                 bool processes = false);
  ~World();

  void CreateAccount(const std::string& name, const std::string& nickname = "");
  void AddContact(const std::string& owner, const std::string& contact);
  // Both directions.
  void Befriend(const std::string& a, const std::string& b);
  Client& NewClient(const std::string& account, Via via = Via::kUdp, std::size_t sg = 0);

  // Routes SG outputs to clients until nothing moves.
  void Pump();
  // Delivers what the SGs output (datagrams, stream bytes, HTTP answers),
  // runs the work they ask for at once (Output::kWork -> OnWorkDone), until
  // they output nothing; clients only queue their answers. True if anything moved.
  bool Route();
  // One HTTP exchange with SG `sg`: OnHttp, then Route until it is answered.
  HttpResponse Http(const HttpRequest& req, std::size_t sg = 0);
  // Advances time by `dt`, firing SG timers on the way (and pumping).
  void Advance(TimeUs dt);

  SgRole& sg(std::size_t i = 0) { return *deploy_->sg(i); }
  std::size_t sg_count() const { return deploy_->sg_count(); }
  // Every first copy of a request any client received: (recipient, command),
  // in delivery order.
  std::vector<std::pair<std::string, wire::Command>> trace;
  std::vector<std::pair<std::string, wire::Command>> Trace(const std::string& word) const {
    std::vector<std::pair<std::string, wire::Command>> out;
    for (const auto& t : trace) {
      if (t.second.word == word) out.push_back(t);
    }
    return out;
  }
  Store& store() { return deploy_->store(ServerRole::kSg); }
  // Every job the SGs asked for (Output::kWork), in order; and, when
  // `hold_work`, the ids Route left unfinished (finish with FinishWork).
  std::vector<Work> work_log;
  bool hold_work = false;
  struct Held {
    std::size_t sg;
    std::uint64_t id;
    Work work;
  };
  std::vector<Held> held_work;
  // Runs the held jobs (in order) and pumps.
  void FinishWork();
  Backend& backend(std::size_t i = 0) { return *deploy_->backend(i); }
  // Processes only: SG `i`'s process dies (kill -9): it gets no more input,
  // and its outputs and relays are lost; relays for it wait in its queue.
  void Kill(std::size_t i);
  // Its lease ends: the others hear it (Backend::SgGone) and the first live
  // one takes what waits in its queue (Backend::OnOrphanRelay).
  void LeaseOver(std::size_t i);
  std::size_t relays_carried = 0;
  TimeUs now = 1 * kSeconds;

 private:
  friend class Client;
  std::unique_ptr<Deployment> deploy_;
  std::unique_ptr<DirectAccounts> accounts_;
  std::unique_ptr<SharedIds> ids_;  // processes: one counter per id kind for all (CLU-9)
  bool processes_ = false;
  std::set<std::size_t> dead_;
  std::map<std::size_t, std::vector<Relay>> queued_for_dead_;
  bool CarryRelays();
  std::vector<std::unique_ptr<Client>> clients_;
  std::uint64_t next_conn_ = 1;
  std::uint64_t next_exchange_ = 1;
  std::map<std::uint64_t, HttpResponse> http_answers_;  // by exchange, until taken
  std::uint16_t next_port_ = 4000;
};

// a + b without operator+ chains (g++ 12 -O3 raises a false -Wrestrict on them).
inline std::string Cat(std::string a, const std::string& b) {
  a.append(b);
  return a;
}

// "A<word> trid status" helpers.
inline int StatusOf(const std::optional<wire::Command>& c) {
  return c && c->status ? static_cast<int>(*c->status) : -1;
}

}  // namespace mcpsim::reference::sgtest
