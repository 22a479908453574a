// FrontRole: several server roles behind one set of listeners (what `mcpsim
// serve` hosts on one RoleHost). It only routes; every protocol decision
// stays in the roles of reference/:
//
//   HTTP  GET  /mcp?q=…         -> dp
//         GET|HEAD /media/…     -> ms
//         other /mcp requests   -> rs, or sg when the body's first command
//                                  word is not RAP, REG or ABIN (ARCH-5)
//   TCP   a stream goes to rs, or to sg when its first command word is not
//         RAP/REG/ABIN (ARCH-5; decided once per stream)
//   UDP   a datagram goes to cs when its first word is RUP, RAD or RPAD, else
//         to sg (ARCH-3 co-location); to cs when there is no sg
//
// Absent roles (nullptr) answer HTTP 404 / drop the input. Timers and outputs
// of every routed role are merged (NextDeadline is the minimum; Drain takes
// each role's outputs in route order); group-commit batches (Role::BeginBatch
// / EndBatch) are forwarded to every routed role, since they share one store.
// Work ids (Output::kWork) are made unique across roles without state: the
// front's id is the role's id times 8 plus the role's route slot (dp 0, rs 1,
// sg 2, cs 3, ms 4; a role on several routes uses its first).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "reference/roles/role.h"

namespace mcpsim::net {

struct FrontRoutes {
  reference::Role* dp = nullptr;
  reference::Role* rs = nullptr;
  reference::Role* sg = nullptr;
  reference::Role* cs = nullptr;
  reference::Role* ms = nullptr;
};

class FrontRole final : public reference::Role {
 public:
  // The roles are not owned and must outlive the front.
  explicit FrontRole(FrontRoutes routes, std::string name = "front");
  // Replaces the routes (e.g. DP, which needs the bound listener addresses,
  // is created after the listeners). Streams keep the role they were given.
  void SetRoutes(FrontRoutes routes);

  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) override;
  void OnStreamOpen(TimeUs now, std::uint64_t conn, const Endpoint& peer) override;
  void OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) override;
  void OnStreamClosed(TimeUs now, std::uint64_t conn) override;
  void OnHttp(TimeUs now, std::uint64_t exchange, const reference::HttpRequest& req) override;
  void OnWorkDone(TimeUs now, std::uint64_t id, const reference::WorkResult& result) override;
  void OnTimer(TimeUs now) override;
  TimeUs NextDeadline() const override;
  void Drain(std::vector<reference::Output>& out) override;
  void BeginBatch(TimeUs now) override;
  void EndBatch(TimeUs now, bool committed) override;
  std::string_view name() const override { return name_; }

  // The first command word of `bytes` (up to the first space or CR/LF), or
  // empty if none is complete yet.
  static std::string_view FirstWord(std::string_view bytes);

 private:
  struct Stream {
    Endpoint peer;
    reference::Role* role = nullptr;  // chosen on the first complete word
    std::string head;                 // bytes held until then (bounded)
    bool decided = false;
  };
  reference::Role* ForMcpWord(std::string_view word) const;
  // The role of route slot i (dp, rs, sg, cs, ms), or nullptr.
  reference::Role* Slot(std::size_t i) const;

  FrontRoutes routes_;
  std::vector<reference::Role*> distinct_;  // each routed role once, route order
  std::string name_;
  std::map<std::uint64_t, Stream> streams_;
  std::vector<reference::Output> own_;  // the front's own 404 answers
};

}  // namespace mcpsim::net
