// The scenario language: a YAML file (schema in scenarios/README.md) parsed
// into a Scenario value, and written back (ToYaml) for shrinking.
//
// Parsing is strict: unknown keys, wrong types, unknown node names, negative
// durations and out-of-range probabilities are errors. Every error is a
// Status with clause "SCEN" whose message reads `file:line:col: message`
// (1-based line and column of the offending YAML node, from yaml-cpp's Mark).
// Parsing never throws.
//
// Node names usable in `network`: dp, rs, cs, ms, sg, mc-<i> (i < clients),
// and the groups `clients` (every mc-<i>) and `servers` (dp, rs, cs, ms, sg).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "reference/roles/mc/client.h"
#include "sim/link_model.h"

namespace mcpsim::scenarios {

// 1-based position of a YAML node (0 = synthesized, e.g. by the shrinker).
struct SourcePos {
  int line = 0, col = 0;
};

// What a step's operations must end with. Every op of the step is checked.
struct Expect {
  // Accepted outcomes (any of); all false = any outcome.
  bool ok = false, refused = false, gave_up = false, answered = false;
  std::vector<std::uint16_t> statuses;   // accepted non-zero statuses
  std::map<std::size_t, std::string> params;  // status 0: param index -> exact value
  std::optional<std::size_t> params_count;     // status 0: number of params
  std::string data_prefix;                     // status 0: data starts with this
  // "" if `e` satisfies the expectation, else why not.
  std::string Mismatch(const reference::McEvent& e) const;
  std::string Describe() const;
};

enum class StepOp : std::uint8_t {
  kDispatch, kAcceptPrivacy, kCaptcha, kRegister, kUpload, kAd, kMedia, kWait, kAwait,
  kCrash, kRestart,  // `node` crashes (memory, timers, datagrams in flight, streams lost) / restarts
  // SG (need nodes.sg: 1)
  kLogin, kLogout, kContact, kPresence, kProfile, kInvite, kAddMember, kMessage, kLeave,
  kOffline, kFile, kVoice, kNudge
};
// True for the steps that talk to the SG.
bool IsSgStep(StepOp op);

// What the receivers of a `file` step do with the offer (`cancel`: the sender
// cancels right after AOI, before any decision).
enum class FileDecision : std::uint8_t { kAccept, kReject, kCancel, kIgnore };
const char* FileDecisionName(FileDecision d);
const char* StepOpName(StepOp op);

enum class CaptchaMode : std::uint8_t { kRead, kWrong, kLiteral };

struct Step {
  SourcePos pos;
  StepOp op = StepOp::kWait;
  std::vector<int> clients{0};     // acting clients (resolved from `client`)
  bool all_clients = false;        // written as `client: all`
  std::optional<TimeUs> at;        // run until this virtual time before acting
  bool wait = true;                // wait for this step's ops to end
  int count = 1;                   // repetitions per client
  TimeUs spacing = 0;              // virtual time between repetitions
  TimeUs duration = 0;             // kWait
  // Action parameters; "{i}" expands to the repetition index, "{c}" to the client.
  std::string kind = "impression", data = "event {i}", slot = "top", url = "${ad.image}";
  std::string account = "user{c}@live.cn", password = "correct horse";
  std::optional<std::string> password_again;  // default: same as password
  std::string nickname;
  CaptchaMode captcha = CaptchaMode::kRead;
  std::string captcha_text;  // kLiteral
  std::optional<Expect> expect;
  std::optional<int> min_ok;  // at least this many ops of the step end ok
  // SG steps. `to`: the target accounts; entries are client indices (>= 0,
  // resolved to that client's account at run time) or literal accounts.
  std::vector<int> to_clients;
  std::vector<std::string> to_accounts;
  bool to_others = false;                 // `to: others`: every other client
  std::string text = "message {i}";       // message, offline (the runner appends a unique suffix)
  std::string contact_op = "add";         // contact: add, del, block, unblock
  std::string presence = "busy";          // presence token
  std::uint32_t caps = 7;                 // presence caps
  std::string psm;                        // profile (nickname: `nickname`)
  std::string avatar;                     // profile avatarId
  std::string file_name = "file-{c}-{i}.bin";
  std::uint32_t size = 4096;              // file bytes
  FileDecision decision = FileDecision::kAccept;
  std::uint32_t frames = 50;              // voice: GSM frames (20 ms each)
  bool voice_valid = true;                // voice: GSM 6.10 or junk bytes
  bool wav = true;                        // voice container: WAV 0x0031 or raw GSM
  bool client_check = true;               // voice: false = the client sends it unchecked (TEST ONLY)
  bool from_client = false;               // nudge: the client sends RSN (TEST ONLY) instead of the back end
  std::string from = "buddy@live.cn";     // nudge: the back-end user
  std::string node;                       // crash, restart: dp, rs, cs, ms, sg or mc-<i>
};

struct LinkOverride {
  SourcePos pos;
  std::string from, to;
  bool both = false;
  sim::LinkConfig cfg;
};

// kCrash: `node` crashes at start and restarts at end.
// kDisk: a fault of `node`'s simulated disk during [start, end) (the node
// gets a disk: Scenario::disks): an I/O error on reads and/or writes and/or
// syncs, a full disk, slow syncs, or power_cut (the node crashes at start —
// its disk loses or tears what it had not synced — and restarts at end).
enum class FaultKind : std::uint8_t { kPartition, kClog, kClogNode, kLinkDown, kLinkChange, kCrash, kDisk };
enum class DiskFaultKind : std::uint8_t { kIoError, kReadError, kWriteError, kSyncError, kFull, kPowerCut, kSlowSync };
const char* DiskFaultName(DiskFaultKind k);
// The nodes that can have a simulated disk (their store lives there).
bool DiskNode(const std::string& name);
const char* FaultKindName(FaultKind k);

struct Fault {
  SourcePos pos;
  FaultKind kind = FaultKind::kPartition;
  std::vector<std::string> a, b;  // kPartition
  std::string from, to;           // kClog, kLinkDown, kLinkChange
  std::string node;               // kClogNode, kCrash
  bool both = false;              // kClog, kLinkDown, kLinkChange: also to->from
  bool two_way = true;            // kPartition
  TimeUs start = 0, end = 0;      // [start, end); kLinkChange uses start only
  sim::LinkConfig link;           // kLinkChange: the new configuration
  DiskFaultKind disk = DiskFaultKind::kIoError;  // kDisk
  double rate = 1.0;              // kDisk errors/full: probability per operation
  TimeUs latency = 200 * kMillis; // kDisk slow_sync: virtual time per sync
};

struct Workload {
  SourcePos pos;
  TimeUs start = 0, duration = 0;
  double rate_per_s = 1.0;  // per client, Poisson arrivals
  std::vector<int> clients;  // empty = all
  int upload = 1, ad = 0, media = 0, dispatch = 0;  // relative weights
  int message = 0, offline = 0;  // SG weights (need nodes.sg: 1)
};

struct CounterBound {
  SourcePos pos;
  std::string counter;
  std::optional<std::int64_t> min, max;
};

struct Scenario {
  std::string file;  // as given to the parser (for messages and replay lines)
  std::string name, purpose;
  std::uint64_t seed = 1;
  TimeUs time_limit = 120 * kSeconds;
  // After every op has ended, the world keeps running this long (within
  // time_limit) so packets still in flight (late answers, duplicates) land
  // before the checkers look.
  TimeUs settle = 10 * kSeconds;
  // nodes
  int clients = 1;
  std::vector<std::string> servers{"dp", "rs", "cs", "ms"};  // roles hosted (nodes always exist)
  int sg = 0;  // SG nodes hosted (0 or 1: RefWorld hosts one SG, node "sg")
  bool client_cache = true;  // every client keeps its §7.11 cache (in memory)
  // Server nodes whose store lives on a simulated disk (`nodes.disk`: true =
  // every hosted one of sg, cs, ms; or a list). A `kind: disk` fault adds its node.
  std::vector<std::string> disks;
  bool disk_all = false;     // written as `disk: true`
  bool group_commit = false; // `nodes.group_commit`: SG/CS batch each receive burst
  // `nodes.external: {cmd, roles}`: a third-party server inside the
  // simulation plays these roles (scenarios/sim_stage.h); `{mcpsim}` in cmd
  // is the running mcpsim binary. Empty cmd: none (flags may still give one).
  std::string external_cmd;
  std::vector<std::string> external_roles;
  // Provisioning done directly in the store before the run (no network).
  bool provision_accounts = false;   // user{c}@live.cn / "correct horse" for every client
  bool provision_contacts = false;   // every provisioned client lists every other one
  int extra_contacts = 0;            // contact-NNNN@live.cn accounts on every client's list
  std::string min_version = "1.0.0", latest_version = "1.3.0", client_version = "1.3.0";
  std::uint32_t cs_rate_per_s = 0, cs_burst = 0;
  // network
  sim::LinkConfig default_link;
  std::vector<LinkOverride> links;
  std::vector<Fault> faults;
  // behaviour
  std::vector<Step> steps;
  std::optional<Workload> workload;
  std::vector<std::string> checkers;  // resolved: the default set if absent
  bool checkers_explicit = false;
  std::vector<CounterBound> expect_counters;
};

// Counter names usable in `expect_counters` (and in run results).
const std::vector<std::string>& CounterNames();

// Parses YAML text. `file` labels error messages.
Result<Scenario> ParseScenario(std::string_view text, const std::string& file);
// Reads and parses a file (error "SCEN" `file:0:0: cannot read` if unreadable).
Result<Scenario> ParseScenarioFile(const std::string& path);

// Canonical YAML of `s` that ParseScenario accepts and that describes the same
// scenario (positions aside).
std::string ToYaml(const Scenario& s);

// Resolves a node or group name to node names, given the client count.
// Empty if unknown.
std::vector<std::string> ResolveNodes(const std::string& name, int clients);

}  // namespace mcpsim::scenarios
