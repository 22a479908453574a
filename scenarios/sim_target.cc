#include "scenarios/sim_target.h"

#include <algorithm>
#include <filesystem>

namespace mcpsim::scenarios {

namespace {
std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}
}  // namespace

std::string SimTarget::Flags() const {
  if (from_scenario) return "";
  std::string r;
  for (const auto& x : roles) r += (r.empty() ? "" : ",") + x;
  return " --sim-launch " + Quote(command) + " --sim-roles " + r;
}

Status SimTarget::Validate() const {
  if (command.empty()) return Status::Error("INTERPOSE-5", "--sim-launch needs a command");
  if (roles.empty()) return Status::Error("INTERPOSE-5", "--sim-roles: name at least one role (dp, rs, sg, cs, ms)");
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const std::string& r = roles[i];
    if (r != "dp" && r != "rs" && r != "cs" && r != "ms" && r != "sg") {
      return Status::Error("INTERPOSE-5", "--sim-roles: unknown role '" + r + "' (dp, rs, sg, cs, ms)");
    }
    if (std::find(roles.begin(), roles.begin() + static_cast<std::ptrdiff_t>(i), r) != roles.begin() +
                                                                                       static_cast<std::ptrdiff_t>(i)) {
      return Status::Error("INTERPOSE-5", "--sim-roles: role '" + r + "' named twice");
    }
  }
  const bool sg = std::find(roles.begin(), roles.end(), "sg") != roles.end();
  const bool rs = std::find(roles.begin(), roles.end(), "rs") != roles.end();
  if (sg && !rs) {
    return Status::Error("INTERPOSE-5", "--sim-roles: a target playing sg plays rs too (SG and RS share the "
                                        "accounts, which are provisioned through the target's RS)");
  }
  return Status();
}

std::vector<std::string> ParseRoleList(const std::string& list) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : list + ",") {
    if (c != ',') {
      cur += c;
    } else if (!cur.empty()) {
      out.push_back(cur), cur.clear();
    }
  }
  return out;
}

std::string ExpandTargetCommand(const std::string& cmd, const std::string& scenario_file) {
  std::string out = cmd;
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  const std::string mcpsim = ec ? "mcpsim" : self;
  const std::filesystem::path parent = std::filesystem::path(scenario_file).parent_path();
  const std::string dir = (parent.empty() ? std::filesystem::path(".") : parent).string();
  for (std::size_t at; (at = out.find("{mcpsim}")) != std::string::npos;) out.replace(at, 8, mcpsim);
  for (std::size_t at; (at = out.find("{dir}")) != std::string::npos;) out.replace(at, 5, dir);
  return out;
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
