#include "scenarios/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "scenarios/checkers.h"
#include "scenarios/scenario_parse.h"
#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {

using yaml::YamlCtx;
using Outcome = reference::McEvent::Outcome;

Result<Scenario> ScenarioParser::Parse(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    ctx_.FailAt(e.mark.line + 1, e.mark.column + 1, e.msg);
    return Status::Error("SCEN", ctx_.error());
  }
  try {
    s_.file = ctx_.file();
    if (!root.IsMap()) {
      ctx_.FailAt(1, 1, "a scenario must be a YAML mapping");
    } else if (ctx_.CheckKeys(root, {"name", "purpose", "seed", "time_limit", "settle", "nodes", "provision", "network",
                                     "steps", "workload", "checkers", "expect_counters"},
                              "scenario")) {
      if (!root["name"]) ctx_.FailAt(1, 1, "missing required key 'name'");
      if (!root["purpose"]) ctx_.FailAt(1, 1, "missing required key 'purpose'");
      ctx_.Str(root, "name", s_.name);
      ctx_.Str(root, "purpose", s_.purpose);
      if (!ctx_.failed() && s_.name.empty()) ctx_.Fail(root["name"], "name must not be empty");
      if (!ctx_.failed() && s_.purpose.find('\n') != std::string::npos) {
        ctx_.Fail(root["purpose"], "purpose must be one line");
      }
      std::int64_t seed = 1;
      ctx_.Int(root, "seed", 0, INT64_MAX, seed);
      s_.seed = static_cast<std::uint64_t>(seed);
      ctx_.Duration(root, "time_limit", s_.time_limit);
      ctx_.Duration(root, "settle", s_.settle);
      if (!ctx_.failed() && s_.time_limit <= 0) ctx_.Fail(root["time_limit"], "time_limit must be > 0");
      if (root["nodes"]) Nodes(root["nodes"]);
      if (root["provision"] && !ctx_.failed()) ParseProvision(ctx_, root["provision"], s_);
      if (root["network"] && !ctx_.failed()) Network(root["network"]);
      if (root["steps"] && !ctx_.failed()) Steps(root["steps"]);
      if (root["workload"] && !ctx_.failed()) ParseWorkload(root["workload"]);
      if (!ctx_.failed()) Checkers(root["checkers"]);
      if (root["expect_counters"] && !ctx_.failed()) Counters(root["expect_counters"]);
      if (!ctx_.failed() && s_.steps.empty() && !s_.workload) {
        ctx_.FailAt(1, 1, "a scenario needs 'steps' or a 'workload'");
      }
    }
  } catch (const YAML::Exception& e) {  // defensive: typed access on odd nodes
    ctx_.FailAt(e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  if (ctx_.failed()) return Status::Error("SCEN", ctx_.error());
  return std::move(s_);
}

void ScenarioParser::Nodes(const YAML::Node& n) {
  if (!ctx_.CheckKeys(n, {"clients", "servers", "sg", "client_cache", "min_version", "latest_version",
                          "client_version", "cs_rate_per_s", "cs_burst", "disk", "group_commit", "external"},
                      "nodes")) {
    return;
  }
  if (const YAML::Node e = n["external"]) {
    // A third-party server inside the simulation (scenarios/sim_stage.h).
    if (!e.IsMap() || !ctx_.CheckKeys(e, {"cmd", "roles"}, "nodes.external")) {
      if (!ctx_.failed()) ctx_.Fail(e, "nodes.external is a map {cmd: \"…\", roles: [dp, rs, sg, cs, ms]}");
      return;
    }
    ctx_.Str(e, "cmd", s_.external_cmd);
    if (s_.external_cmd.empty()) return ctx_.Fail(e, "nodes.external needs cmd (the target's command line)");
    s_.external_roles = {"dp", "rs", "sg", "cs", "ms"};
    if (const YAML::Node r = e["roles"]) s_.external_roles = ctx_.StrList(r);
    for (const std::string& role : s_.external_roles) {
      if (role != "dp" && role != "rs" && role != "sg" && role != "cs" && role != "ms") {
        return ctx_.Fail(e["roles"], "unknown role '" + role + "' (known: dp, rs, sg, cs, ms)");
      }
    }
  }
  std::int64_t v = s_.clients;
  ctx_.Int(n, "clients", 0, 64, v);
  s_.clients = static_cast<int>(v);
  v = s_.sg;
  ctx_.Int(n, "sg", 0, 1, v);
  s_.sg = static_cast<int>(v);
  ctx_.Bool(n, "client_cache", s_.client_cache);
  ctx_.Bool(n, "group_commit", s_.group_commit);
  if (const YAML::Node d = n["disk"]) {
    if (d.IsScalar() && (d.Scalar() == "true" || d.Scalar() == "false")) {
      ctx_.Bool(n, "disk", s_.disk_all);
    } else {
      for (const std::string& name : ctx_.StrList(d)) {
        if (!DiskNode(name)) return ctx_.Fail(d, "no disk for '" + name + "' (a disk holds the store of sg, cs or ms)");
        if (std::find(s_.disks.begin(), s_.disks.end(), name) == s_.disks.end()) s_.disks.push_back(name);
      }
    }
  }
  if (const YAML::Node srv = n["servers"]) {
    for (const std::string& name : ctx_.StrList(srv)) {
      if (name != "dp" && name != "rs" && name != "cs" && name != "ms") {
        ctx_.Fail(srv, "unknown server role '" + name + "' (known: dp, rs, cs, ms)");
      }
    }
    s_.servers = ctx_.StrList(srv);
  }
  ctx_.Str(n, "min_version", s_.min_version);
  ctx_.Str(n, "latest_version", s_.latest_version);
  ctx_.Str(n, "client_version", s_.client_version);
  v = s_.cs_rate_per_s;
  ctx_.Int(n, "cs_rate_per_s", 0, 1000000, v);
  s_.cs_rate_per_s = static_cast<std::uint32_t>(v);
  v = s_.cs_burst;
  ctx_.Int(n, "cs_burst", 0, 1000000, v);
  s_.cs_burst = static_cast<std::uint32_t>(v);
}

std::vector<int> ScenarioParser::Clients(const YAML::Node& n, bool* all) {
  std::vector<int> out;
  if (n.IsScalar() && n.Scalar() == "all") {
    *all = true;
    for (int i = 0; i < s_.clients; ++i) out.push_back(i);
    return out;
  }
  auto one = [&](const YAML::Node& e) {
    if (auto v = ctx_.IntOf(e, 0, std::max(0, s_.clients - 1))) out.push_back(static_cast<int>(*v));
  };
  if (n.IsSequence()) {
    for (const auto& e : n) one(e);
  } else {
    one(n);
  }
  if (s_.clients == 0) ctx_.Fail(n, "no clients in this scenario (nodes.clients is 0)");
  return out;
}

void ScenarioParser::Outcomes(const YAML::Node& n, Expect& e) {
  auto one = [&](const YAML::Node& x) {
    if (!x.IsScalar()) return ctx_.Fail(x, "expected an outcome (ok, refused, gave_up, answered, any) or a status");
    const std::string& v = x.Scalar();
    if (v == "ok") e.ok = true;
    else if (v == "refused") e.refused = true;
    else if (v == "gave_up") e.gave_up = true;
    else if (v == "answered") e.answered = true;
    else if (v == "any") {
    } else if (auto st = ctx_.IntOf(x, 1, 65535)) {
      e.statuses.push_back(static_cast<std::uint16_t>(*st));
    }
  };
  if (n.IsSequence()) {
    for (const auto& x : n) one(x);
  } else {
    one(n);
  }
}

Expect ScenarioParser::ParseExpect(const YAML::Node& n) {
  Expect e;
  if (!n.IsMap()) {
    Outcomes(n, e);
    return e;
  }
  if (!ctx_.CheckKeys(n, {"outcome", "status", "params", "params_count", "data_prefix"}, "expect")) return e;
  if (n["outcome"]) Outcomes(n["outcome"], e);
  if (n["status"]) Outcomes(n["status"], e);
  if (const YAML::Node p = n["params"]) {
    if (!p.IsMap()) {
      ctx_.Fail(p, "expect.params must map a param index to its value");
      return e;
    }
    for (const auto& kv : p) {
      auto idx = ctx_.IntOf(kv.first, 0, 63);
      auto val = ctx_.StrOf(kv.second);
      if (idx && val) e.params[static_cast<std::size_t>(*idx)] = *val;
    }
  }
  std::int64_t c = -1;
  ctx_.Int(n, "params_count", 0, 64, c);
  if (c >= 0) e.params_count = static_cast<std::size_t>(c);
  ctx_.Str(n, "data_prefix", e.data_prefix);
  return e;
}

void ScenarioParser::Steps(const YAML::Node& n) {
  if (!n.IsSequence()) return ctx_.Fail(n, "steps must be a list");
  for (const auto& st : n) {
    OneStep(st);
    if (ctx_.failed()) return;
  }
}

void ScenarioParser::OneStep(const YAML::Node& n) {
  static const char* kOps =
      "dispatch, accept_privacy, captcha, register, upload, ad, media, wait, await, login, logout, contact, "
      "presence, profile, invite, add_member, message, leave, offline, file, voice, nudge, crash, restart";
  if (!n.IsMap() || !n["do"]) return ctx_.Fail(n, std::string("a step needs 'do' (") + kOps + ")");
  Step s;
  s.pos = Pos(n);
  const std::string op = ctx_.StrOf(n["do"]).value_or("");
  std::initializer_list<const char*> common = {"do", "client", "at", "wait", "count", "spacing", "expect",
                                               "min_ok"};
  std::vector<const char*> keys(common);
  struct Simple {
    const char* name;
    StepOp op;
    std::vector<const char*> keys;
  };
  static const Simple simple[] = {
      {"dispatch", StepOp::kDispatch, {}},
      {"accept_privacy", StepOp::kAcceptPrivacy, {}},
      {"captcha", StepOp::kCaptcha, {}},
      {"register", StepOp::kRegister, {"account", "password", "password_again", "nickname", "captcha"}},
      {"upload", StepOp::kUpload, {"kind", "data"}},
      {"ad", StepOp::kAd, {"slot"}},
      {"media", StepOp::kMedia, {"url"}},
      {"login", StepOp::kLogin, {"account", "password"}},
      {"logout", StepOp::kLogout, {}},
      {"contact", StepOp::kContact, {"op", "to"}},
      {"presence", StepOp::kPresence, {"presence", "caps"}},
      {"profile", StepOp::kProfile, {"nickname", "psm", "avatar"}},
      {"invite", StepOp::kInvite, {"to"}},
      {"add_member", StepOp::kAddMember, {"to"}},
      {"message", StepOp::kMessage, {"text"}},
      {"leave", StepOp::kLeave, {}},
      {"offline", StepOp::kOffline, {"to", "text"}},
      {"file", StepOp::kFile, {"name", "size", "decision"}},
      {"voice", StepOp::kVoice, {"frames", "valid", "container", "check"}},
      {"nudge", StepOp::kNudge, {"from"}},
  };
  bool known = false;
  for (const Simple& x : simple) {
    if (op == x.name) {
      s.op = x.op;
      keys.insert(keys.end(), x.keys.begin(), x.keys.end());
      known = true;
    }
  }
  if (known) {
  } else if (op == "wait") {
    s.op = StepOp::kWait;
    keys = {"do", "at", "for"};
  } else if (op == "await") {
    s.op = StepOp::kAwait;
    keys = {"do", "at"};
  } else if (op == "crash" || op == "restart") {
    s.op = op == "crash" ? StepOp::kCrash : StepOp::kRestart;
    keys = {"do", "at", "node"};
    if (!n["node"]) return ctx_.Fail(n, op + " needs 'node' (dp, rs, cs, ms, sg or mc-<i>)");
    s.node = OneName(n["node"]);
    if (!CrashableNode(s.node)) {
      return ctx_.Fail(n["node"], op + " needs one node: a hosted server (dp, rs, cs, ms, sg) or mc-<i>");
    }
  } else {
    return ctx_.Fail(n["do"], "unknown step '" + op + "' (" + kOps + ")");
  }
  if (IsSgStep(s.op) && s_.sg == 0) {
    return ctx_.Fail(n["do"], "step '" + op + "' talks to the SG: set nodes.sg: 1");
  }
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    if (std::none_of(keys.begin(), keys.end(), [&](const char* a) { return k == a; })) {
      std::string list;
      for (const char* a : keys) list += (list.empty() ? "" : ", ") + std::string(a);
      return ctx_.Fail(kv.first, "unknown key '" + k + "' in step '" + op + "' (allowed: " + list + ")");
    }
  }
  if (n["client"]) s.clients = Clients(n["client"], &s.all_clients);
  else if (s_.clients == 0 && s.op != StepOp::kWait && s.op != StepOp::kAwait && s.op != StepOp::kCrash &&
           s.op != StepOp::kRestart) {
    return ctx_.Fail(n, "no clients in this scenario (nodes.clients is 0)");
  }
  if (n["at"]) s.at = ctx_.DurationOf(n["at"]);
  ctx_.Bool(n, "wait", s.wait);
  std::int64_t count = 1;
  ctx_.Int(n, "count", 1, 100000, count);
  s.count = static_cast<int>(count);
  ctx_.Duration(n, "spacing", s.spacing);
  if (s.op == StepOp::kWait) {
    if (!n["for"]) return ctx_.Fail(n, "wait needs 'for' (a duration)");
    ctx_.Duration(n, "for", s.duration);
  }
  ctx_.Str(n, "kind", s.kind);
  ctx_.Str(n, "data", s.data);
  ctx_.Str(n, "slot", s.slot);
  ctx_.Str(n, "url", s.url);
  ctx_.Str(n, "account", s.account);
  ctx_.Str(n, "password", s.password);
  if (n["password_again"]) s.password_again = ctx_.StrOf(n["password_again"]);
  ctx_.Str(n, "nickname", s.nickname);
  if (const YAML::Node c = n["captcha"]) {
    const std::string v = ctx_.StrOf(c).value_or("");
    if (v == "read") s.captcha = CaptchaMode::kRead;
    else if (v == "wrong") s.captcha = CaptchaMode::kWrong;
    else {
      s.captcha = CaptchaMode::kLiteral;
      s.captcha_text = v;
    }
  }
  if (IsSgStep(s.op)) ParseSgStepFields(ctx_, n, s_.clients, s);
  if (n["expect"]) s.expect = ParseExpect(n["expect"]);
  if (n["min_ok"]) {
    if (auto v = ctx_.IntOf(n["min_ok"], 0, 10000000)) s.min_ok = static_cast<int>(*v);
  }
  s_.steps.push_back(std::move(s));
}

void ScenarioParser::ParseWorkload(const YAML::Node& n) {
  if (!ctx_.CheckKeys(n, {"start", "duration", "rate_per_s", "clients", "mix"}, "workload")) return;
  Workload w;
  w.pos = Pos(n);
  ctx_.Duration(n, "start", w.start);
  if (!n["duration"]) return ctx_.Fail(n, "workload needs 'duration'");
  ctx_.Duration(n, "duration", w.duration);
  ctx_.Real(n, "rate_per_s", 0.001, 1000.0, w.rate_per_s);
  if (n["clients"]) {
    bool all = false;
    w.clients = Clients(n["clients"], &all);
    if (all) w.clients.clear();
  }
  if (s_.clients == 0) return ctx_.Fail(n, "a workload needs clients (nodes.clients is 0)");
  if (const YAML::Node m = n["mix"]) {
    if (!ctx_.CheckKeys(m, {"upload", "ad", "media", "dispatch", "message", "offline"}, "workload.mix")) return;
    std::int64_t v;
    v = 0, ctx_.Int(m, "upload", 0, 1000, v), w.upload = static_cast<int>(v);
    v = 0, ctx_.Int(m, "ad", 0, 1000, v), w.ad = static_cast<int>(v);
    v = 0, ctx_.Int(m, "media", 0, 1000, v), w.media = static_cast<int>(v);
    v = 0, ctx_.Int(m, "dispatch", 0, 1000, v), w.dispatch = static_cast<int>(v);
    v = 0, ctx_.Int(m, "message", 0, 1000, v), w.message = static_cast<int>(v);
    v = 0, ctx_.Int(m, "offline", 0, 1000, v), w.offline = static_cast<int>(v);
    if (!ctx_.failed() && w.message + w.offline > 0 && s_.sg == 0) {
      return ctx_.Fail(m, "message/offline workload needs nodes.sg: 1");
    }
    if (!ctx_.failed() && w.upload + w.ad + w.media + w.dispatch + w.message + w.offline == 0) {
      return ctx_.Fail(m, "mix weights are all 0");
    }
  }
  s_.workload = w;
}

void ScenarioParser::Checkers(const YAML::Node& n) {
  if (!n) {
    s_.checkers = DefaultCheckers();
    if (s_.sg > 0) {
      for (const std::string& c : DefaultSgCheckers()) s_.checkers.push_back(c);
    }
    return;
  }
  s_.checkers_explicit = true;
  if (!n.IsSequence()) return ctx_.Fail(n, "checkers must be a list of names");
  for (const auto& c : n) {
    auto name = ctx_.StrOf(c);
    if (!name) return;
    const CheckerDef* def = FindChecker(*name);
    if (!def) {
      std::string list;
      for (const auto& d : AllCheckers()) list += (list.empty() ? "" : ", ") + d.name;
      return ctx_.Fail(c, "unknown checker '" + *name + "' (known: " + list + ")");
    }
    if (def->needs_sg && s_.sg == 0) return ctx_.Fail(c, "checker '" + *name + "' needs nodes.sg: 1");
    s_.checkers.push_back(*name);
  }
}

void ScenarioParser::Counters(const YAML::Node& n) {
  if (!n.IsMap()) return ctx_.Fail(n, "expect_counters must map counter names to bounds");
  for (const auto& kv : n) {
    CounterBound b;
    b.pos = Pos(kv.first);
    b.counter = kv.first.Scalar();
    const auto& names = CounterNames();
    if (std::find(names.begin(), names.end(), b.counter) == names.end()) {
      std::string list;
      for (const auto& c : names) list += (list.empty() ? "" : ", ") + c;
      return ctx_.Fail(kv.first, "unknown counter '" + b.counter + "' (known: " + list + ")");
    }
    if (kv.second.IsMap()) {
      if (!ctx_.CheckKeys(kv.second, {"min", "max"}, "counter bound")) return;
      std::int64_t v = INT64_MIN;
      ctx_.Int(kv.second, "min", INT64_MIN + 1, INT64_MAX, v);
      if (v != INT64_MIN) b.min = v;
      v = INT64_MIN;
      ctx_.Int(kv.second, "max", INT64_MIN + 1, INT64_MAX, v);
      if (v != INT64_MIN) b.max = v;
    } else if (auto v = ctx_.IntOf(kv.second, INT64_MIN + 1, INT64_MAX)) {
      b.min = b.max = *v;
    }
    if (ctx_.failed()) return;
    s_.expect_counters.push_back(b);
  }
}

Result<Scenario> ParseScenario(std::string_view text, const std::string& file) {
  return ScenarioParser(file).Parse(text);
}

Result<Scenario> ParseScenarioFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Error("SCEN", path + ":0:0: cannot read the file");
  std::stringstream ss;
  ss << f.rdbuf();
  return ParseScenario(ss.str(), path);
}

}  // namespace mcpsim::scenarios
