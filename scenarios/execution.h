// Internal to the runner: one execution of a scenario on one seed. Not part
// of the scenarios API. Split by concept: runner.cc (the run: steps, ops,
// workload), runner_world.cc (the world it builds), runner_faults.cc (network,
// fault windows, crashes), runner_sg.cc (SG steps and notices), external.cc
// (external targets), runner_result.cc (counters, checkers, JSON).
//
// Invariants: every op the runner issues is recorded (Record) before the
// world runs again, so each McEvent with an op id finds its OpRecord; `open_`
// counts records without an event. SG reactions (a receiver's file decision,
// a sender's cancel) are issued from scheduled events, never from inside a
// run condition.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/runner.h"
#include "scenarios/sim_stage.h"

namespace mcpsim::scenarios {

class Execution {
 public:
  Execution(const Scenario& s, const RunOptions& o, std::uint64_t seed) : s_(s), o_(o), seed_(seed) {}

  // Builds the world and runs everything; returns a harness error or "".
  std::string Run();
  void Fill(RunResult& r, const std::optional<std::string>& rerun_hash, const std::vector<std::string>& checkers);
  // External runs: why the run could not be made at all ("" = it ran).
  const std::string& unimplemented() const { return unimplemented_; }
  TargetStage* stage() { return stage_.get(); }
  std::string hash() const { return w_->world().trace().HashHex(); }

 private:
  // A file offer of a `file` step and what its receivers do with it.
  struct Transfer {
    int step = -1, sender = 0;
    std::size_t op = 0;  // the kOfferFile record
    FileDecision decision = FileDecision::kAccept;
    std::uint32_t id = 0;  // transferId once AOI arrived
    bool cancel_issued = false;
    std::size_t cancel_op = 0;
  };
  // A condition a step also waits for (beyond its ops ending), until a deadline.
  struct Followup {
    int step = -1;
    TimeUs deadline = 0;
    std::function<bool()> done;
  };

  // The nodes of scenario node names ("mc-*", "servers", a name; ResolveNodes);
  // SCEN-NODE for a name the world lacks.
  Result<std::vector<sim::NodeId>> Nodes(const std::vector<std::string>& names);
  Status ApplyNetwork();
  void Issue(const Step& st, int step_index, int client, int rep);
  void IssueWorkload(int client, Rng& rng);
  void ScheduleWorkload(int client, std::shared_ptr<Rng> rng, TimeUs at);
  OpRecord& Record(int client, int step, reference::McOp op, std::uint64_t id, std::string upload = {});
  void Collect();
  // Crash / restart of a node (a step or a `crash` fault window). A crashed
  // client's open ops end `refused` ("lost in the crash"); ops issued to a
  // client while it is down end `refused` at once. Errors become step notes.
  void CrashNode(const std::string& name, int step);
  void RestartNode(const std::string& name, int step);
  void RefuseDown(const Step& st, int step, int c);
  std::uint64_t down_op_ = 0;  // synthetic op ids for RefuseDown
  bool StepDone(int step) const;
  Status RunUntilDone(const std::function<bool()>& done);
  // world().RunUntil(t) that collects events as they come (SG reactions need them).
  Status RunTo(TimeUs t);
  Counters MakeCounters();
  void SgCounters(Counters& c);
  std::string MediaUrl(int client, const std::string& tmpl);

  // runner_sg.cc
  std::string Provision();
  void IssueSg(const Step& st, int step, int c, int rep);
  // (client, account) targets of `st` for acting client c.
  std::vector<std::pair<int, std::string>> Targets(const Step& st, int c) const;
  int ClientOf(const std::string& account) const;
  void OnNotice(int c, const reference::McEvent& e);
  void OnOpEvent(int c, const OpRecord& r);
  void React();  // schedules the receivers' decisions and senders' cancels now due
  void AddFollowup(int step, TimeUs span, std::function<bool()> done);

  const Scenario& s_;
  const RunOptions& o_;
  std::uint64_t seed_;
  std::unique_ptr<RefWorld> w_;
  std::vector<OpRecord> ops_;
  std::map<std::pair<int, std::uint64_t>, std::size_t> by_op_;
  std::vector<std::string> last_captcha_, last_ad_image_;
  std::vector<std::string> notes_;
  std::uint64_t upload_seq_ = 0;
  std::size_t open_ = 0;  // ops without an event
  TimeUs workload_end_ = 0;
  // SG
  std::vector<Notice> notices_;
  std::vector<std::string> accounts_;   // client -> its account
  std::vector<std::uint32_t> call_;     // client -> current call (0: none)
  std::vector<Transfer> transfers_;
  std::vector<std::pair<int, std::uint32_t>> offers_;  // (receiver, transferId) not yet decided
  std::vector<Followup> followups_;
  std::uint64_t text_seq_ = 0;
  bool reaction_scheduled_ = false;
  std::vector<bool> hidden_;  // RunOptions::hide_first_notice, per client
  // A target playing server roles (scenarios/target_stage.h): external
  // (external.h, ext_) or inside the simulation (sim_stage.h, sim_stage_);
  // destroyed before w_'s world.
  std::unique_ptr<TargetStage> stage_;
  ExternalStage* ext_ = nullptr;
  SimStage* sim_stage_ = nullptr;
  std::map<std::string, conformance::ProvisionAccount> account_map_;  // scenario account -> real one
  std::vector<std::string> not_applicable_;
  std::string unimplemented_;
  std::uint64_t name_serial_ = 0;
  // external.cc: provisioning through the protocol; account name mapping.
  std::string ProvisionExternal();
  const conformance::ProvisionAccount& Map(const std::string& account);
  bool external() const { return stage_ != nullptr; }
  // A third-party server inside the simulation (sim_target.h); destroyed
  // before w_'s world (it holds a node's Env).
  std::unique_ptr<interpose::Process> target_;
  std::string SimTargetSetup(RefWorldOptions& wo);  // "" or why the run is N/A
  std::string SimStageSetup(RefWorldOptions& wo);   // the same for a target playing several roles
  std::uint64_t nonce() const { return o_.external ? o_.external->nonce : 0; }
  // runner_world.cc: the world's options from the scenario and run options
  // (an external target is opened and provisioned here). "" and
  // unimplemented() empty: build it; else a harness error, or "" with
  // unimplemented() saying why the run is N/A.
  std::string Configure(RefWorldOptions& wo);
};

}  // namespace mcpsim::scenarios
