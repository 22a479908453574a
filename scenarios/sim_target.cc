#include "scenarios/sim_target.h"

namespace mcpsim::scenarios {

namespace {
std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}
}  // namespace

std::string SimTarget::Flags() const {
  std::string r;
  for (const auto& x : roles) r += (r.empty() ? "" : ",") + x;
  return " --sim-launch " + Quote(command) + " --sim-roles " + r;
}

Status SimTarget::Validate() const {
  if (command.empty()) return Status::Error("INTERPOSE-5", "--sim-launch needs a command");
  if (roles.size() != 1) {
    return Status::Error("INTERPOSE-5", "--sim-roles: one role per target for now (several roles on one node: not yet)");
  }
  const std::string& r = roles.front();
  if (r == "cs") return Status();
  if (r == "dp" || r == "rs" || r == "ms" || r == "sg") {
    return Status::Error("INTERPOSE-5", "--sim-roles " + r +
                                            ": only the cs role can be given to a target in scenarios yet (the "
                                            "interposer simulates TCP/HTTP: run the conformance catalog against such "
                                            "a target with `mcpsim conform --sim-launch CMD`)");
  }
  return Status::Error("INTERPOSE-5", "--sim-roles: unknown role '" + r + "' (dp, rs, cs, ms, sg)");
}

Result<std::unique_ptr<interpose::Process>> StartSimTarget(const SimTarget& t, Env& env, std::uint16_t& port) {
  if (Status s = t.Validate(); !s.ok()) return s;
  if (Status s = interpose::CheckProgram(t.command); !s.ok()) return s;
  auto lib = interpose::FindPreload();
  if (!lib.ok()) return lib.status();
  interpose::ProcessOptions po;
  po.command = t.command;
  po.preload = *lib;
  auto p = std::make_unique<interpose::Process>(env, po);
  if (Status s = p->Start(); !s.ok()) {
    const std::string why = SimTargetFailure(*p);
    return why.empty() ? s : Status::Error("INTERPOSE-4", why);
  }
  if (std::string f = SimTargetFailure(*p); !f.empty()) return Status::Error("INTERPOSE-4", f);
  const auto ports = p->udp_ports();
  if (ports.size() != 1) {
    return Status::Error("INTERPOSE-6", "the target bound " + std::to_string(ports.size()) +
                                            " UDP ports before it first waited; a cs target binds exactly one");
  }
  port = ports.front();
  return p;
}

std::string SimTargetFailure(const interpose::Process& p) {
  std::string why;
  if (!p.refusals().empty()) {
    why = "refused: " + p.refusals().front();
    if (p.refusals().size() > 1) why += " (+" + std::to_string(p.refusals().size() - 1) + " more)";
  }
  if (!p.failure().empty()) why += (why.empty() ? "" : "; ") + std::string("target ") + p.failure();
  return why;
}

}  // namespace mcpsim::scenarios
