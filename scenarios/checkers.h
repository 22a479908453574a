// Checkers: named invariants and liveness properties evaluated on a finished
// scenario run. Each sees a RunView (the world after the run, every op the
// runner issued with its McEvent, the counters) and returns "" (pass) or one
// line saying what broke. They never mutate the world.
//
// Adding a checker = appending a CheckerDef to AllCheckers() (checkers.cc)
// and documenting it in scenarios/README.md. Checkers that need the SG (the
// messaging checkers) set `needs_sg`; naming one in a scenario without
// nodes.sg: 1 is a scenario-file error.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reference/roles/mc/client.h"
#include "scenarios/ref_world.h"

namespace mcpsim::scenarios {

struct Scenario;

// One user action issued by the runner and how it ended.
struct OpRecord {
  int client = 0;
  int step = -1;  // index into Scenario::steps, -1 for workload ops
  std::uint64_t op_id = 0;
  reference::McOp op = reference::McOp::kDispatch;
  TimeUs issued = 0;
  std::string upload_data;  // kUpload: the exact (unique) data sent
  std::optional<reference::McEvent> event;  // unset while pending
  // The client crashed while this op was open: it ended `refused` ("lost in
  // the crash"), but its request may have reached and changed a server.
  bool lost_in_crash = false;
  // SG ops.
  std::string text;            // kSendMessage / kSendOffline: the exact (unique) text sent
  std::uint32_t call = 0;      // kSendMessage, kOfferFile, ...: the call used
  std::vector<int> members;    // kSendMessage: other clients in the call when issued (per the back end)
  int target = -1;             // kSendOffline: the recipient client (-1: not a client)
  std::string target_account;  // kSendOffline / kEditContact / kInvite: the account named
  std::string file_bytes;      // kOfferFile: the bytes offered
};

// A notification (McEvent with op_id 0) a client reported, in order.
struct Notice {
  int client = 0;
  reference::McEvent event;
};

using Counters = std::map<std::string, std::int64_t>;

struct RunView {
  const Scenario& scenario;
  RefWorld& world;
  const std::vector<OpRecord>& ops;
  const Counters& counters;
  TimeUs end = 0;                  // virtual time the run stopped
  std::string trace_hash;          // of this run
  std::optional<std::string> rerun_hash;  // set iff a checker needed a second run
  std::vector<std::string> step_notes;    // runner findings per step (e.g. time limit hit)
  bool swarm = false;                     // the network was replaced by a swarm mix
  const std::vector<Notice>& notices;     // every client's notifications, in order
  const std::vector<std::string>& accounts;  // client -> account it last registered / logged in as
  // The servers are an external target (scenarios/external.h): their stores
  // and counters are not observable; RefWorld's server roles are idle.
  bool external = false;
  // ... and that target runs inside the simulation (sim_target.h): its store
  // is as unobservable, but the run replays, so determinism is judged.
  bool sim_target = false;
  // Fault points of the protocol code were on (RunOptions::fault_points):
  // answers may legally differ from what the steps expect (e.g. 501).
  bool fault_points = false;
  // External runs: scenario account names -> the provisioned real ones
  // (expected answer params naming an account are compared mapped).
  const std::map<std::string, std::string>* renamed = nullptr;
  // The SG session closes of an external target that the wire shows
  // (TargetStage::PushesGivenUp: TIMER-9 after a push gave up), with the
  // scenario's account names; in-process runs read world.sg_closes().
  const std::vector<RefWorld::SgClose>* target_sg_closes = nullptr;
};

// A checker's answer "this cannot be judged here" (never a pass): the
// runner reports it as not applicable with `why`.
std::string NotApplicable(const std::string& why);
bool IsNotApplicable(const std::string& reason);

struct CheckerDef {
  std::string name;
  std::string doc;  // one line, as in scenarios/README.md
  bool needs_sg = false;
  bool needs_rerun = false;  // the runner runs the scenario twice (same seed)
  std::function<std::string(const RunView&)> check;
};

const std::vector<CheckerDef>& AllCheckers();
const CheckerDef* FindChecker(const std::string& name);
// Applied when a scenario has no `checkers` key (everything cheap, no rerun).
std::vector<std::string> DefaultCheckers();
// Added to the defaults when the scenario hosts the SG.
std::vector<std::string> DefaultSgCheckers();

// The longest time an op may take to end under the client's retry policy:
// UDP ops give up at RetryPolicy::GiveUpAfter() (TIMER-3, 31 s); HTTP ops
// also pay per-attempt connect/stall bounds of the simulated streams.
// SG ops: one request (31 s), except login (RAT, RSII, every sync page,
// RPS: 10 min) and voice/file chunks (5 min).
TimeUs OpBudget(reference::McOp op, const sim::StreamOptions& streams);

// The SG checkers (checkers_sg.cc).
std::string ExactlyOnceMessages(const RunView& v);
std::string OfflineDelivered(const RunView& v);
std::string ContactsConverge(const RunView& v);
std::string FilesIntact(const RunView& v);
std::string LoginAfterHeal(const RunView& v);
// Why op `r` counts as "skipped: not logged in" (G-70): its client's last
// login failed, or the session it opened was lost before `r` ended, and that
// login step's expect accepts gave_up. "" if it does not: then `r` is judged
// by its own step's expect.
std::string NotLoggedIn(const RunView& v, const OpRecord& r);
// "op by mc-N (step S, line L) issued at T", for checker messages.
std::string DescribeOp(const RunView& v, const OpRecord& r);

}  // namespace mcpsim::scenarios
