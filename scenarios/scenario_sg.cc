// The SG parts of the scenario parser: SG step fields (`to`, text, file,
// voice, nudge, ...) and the `provision` section. Same error rules as
// scenario.cc: the first failure is recorded in the YamlCtx with its position.
#include <algorithm>

#include "scenarios/scenario_parse.h"

namespace mcpsim::scenarios {

using yaml::YamlCtx;

namespace {

void Targets(YamlCtx& ctx, const YAML::Node& n, int clients, Step& s) {
  s.to_clients.clear();
  s.to_accounts.clear();
  if (n.IsScalar() && n.Scalar() == "others") {
    s.to_others = true;
    return;
  }
  auto one = [&](const YAML::Node& e) {
    if (e.IsScalar() && e.Scalar().find('@') != std::string::npos) {
      s.to_accounts.push_back(e.Scalar());
    } else if (auto v = ctx.IntOf(e, 0, std::max(0, clients - 1))) {
      s.to_clients.push_back(static_cast<int>(*v));
    }
  };
  if (n.IsSequence()) {
    for (const auto& e : n) one(e);
  } else {
    one(n);
  }
  if (!ctx.failed() && s.to_clients.empty() && s.to_accounts.empty()) {
    ctx.Fail(n, "'to' names no target (a client index, a list of them, others, or an account)");
  }
}

}  // namespace

void ParseSgStepFields(YamlCtx& ctx, const YAML::Node& n, int clients, Step& s) {
  if (n["to"]) {
    Targets(ctx, n["to"], clients, s);
  } else if (s.op == StepOp::kContact || s.op == StepOp::kInvite || s.op == StepOp::kAddMember ||
             s.op == StepOp::kOffline) {
    return ctx.Fail(n, std::string("step '") + StepOpName(s.op) + "' needs 'to'");
  }
  if (s.op == StepOp::kInvite && !s.to_others && s.to_clients.size() + s.to_accounts.size() != 1) {
    return ctx.Fail(n["to"], "invite takes one target (add the others with add_member)");
  }
  ctx.Str(n, "text", s.text);
  if (const YAML::Node o = n["op"]) {
    s.contact_op = ctx.StrOf(o).value_or("");
    if (s.contact_op != "add" && s.contact_op != "del" && s.contact_op != "block" && s.contact_op != "unblock") {
      return ctx.Fail(o, "contact op must be add, del, block or unblock");
    }
  }
  ctx.Str(n, "presence", s.presence);
  std::int64_t v = s.caps;
  ctx.Int(n, "caps", 0, 7, v);
  s.caps = static_cast<std::uint32_t>(v);
  ctx.Str(n, "psm", s.psm);
  ctx.Str(n, "avatar", s.avatar);
  ctx.Str(n, "name", s.file_name);
  v = s.size;
  ctx.Int(n, "size", 1, 8 * 1024 * 1024, v);
  s.size = static_cast<std::uint32_t>(v);
  if (const YAML::Node d = n["decision"]) {
    const std::string x = ctx.StrOf(d).value_or("");
    bool found = false;
    for (auto k : {FileDecision::kAccept, FileDecision::kReject, FileDecision::kCancel, FileDecision::kIgnore}) {
      if (x == FileDecisionName(k)) s.decision = k, found = true;
    }
    if (!found) return ctx.Fail(d, "decision must be accept, reject, cancel or ignore");
  }
  v = s.frames;
  ctx.Int(n, "frames", 2, 20000, v);
  s.frames = static_cast<std::uint32_t>(v);
  if (s.frames % 2 != 0) return ctx.Fail(n["frames"], "frames must be even (WAV GSM blocks hold two frames)");
  ctx.Bool(n, "valid", s.voice_valid);
  ctx.Bool(n, "check", s.client_check);
  if (const YAML::Node c = n["container"]) {
    const std::string x = ctx.StrOf(c).value_or("");
    if (x != "wav" && x != "raw") return ctx.Fail(c, "container must be wav or raw");
    s.wav = x == "wav";
  }
  if (const YAML::Node f = n["from"]) {
    const std::string x = ctx.StrOf(f).value_or("");
    if (x == "client") {
      s.from_client = true;
    } else if (x.find('@') != std::string::npos) {
      s.from = x;
    } else {
      return ctx.Fail(f, "nudge 'from' must be client or a back-end account (name@domain)");
    }
  }
}

void ParseProvision(YamlCtx& ctx, const YAML::Node& n, Scenario& sc) {
  if (!ctx.CheckKeys(n, {"accounts", "contacts", "extra_contacts"}, "provision")) return;
  ctx.Bool(n, "accounts", sc.provision_accounts);
  if (const YAML::Node c = n["contacts"]) {
    const std::string x = ctx.StrOf(c).value_or("");
    if (x != "mutual" && x != "none") return ctx.Fail(c, "provision.contacts must be mutual or none");
    sc.provision_contacts = x == "mutual";
  }
  std::int64_t v = 0;
  ctx.Int(n, "extra_contacts", 0, 1000, v);
  sc.extra_contacts = static_cast<int>(v);
  if (!ctx.failed() && (sc.provision_contacts || sc.extra_contacts > 0) && !sc.provision_accounts) {
    ctx.Fail(n, "provision.contacts and extra_contacts need provision.accounts: true");
  }
  if (!ctx.failed() && sc.provision_accounts && sc.sg == 0) ctx.Fail(n, "provisioning needs nodes.sg: 1");
}

}  // namespace mcpsim::scenarios
