// ToYaml: the canonical YAML form of a Scenario (used by the shrinker). Only
// non-default values are written, so a shrunk scenario stays readable.
#include <yaml-cpp/yaml.h>

#include "scenarios/scenario.h"
#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {

using yaml::EmitLink;
using yaml::FormatDuration;

namespace {

void EmitExpect(YAML::Emitter& out, const Expect& e) {
  out << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "outcome" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  if (e.ok) out << "ok";
  if (e.refused) out << "refused";
  if (e.gave_up) out << "gave_up";
  if (e.answered) out << "answered";
  for (auto st : e.statuses) out << std::to_string(st);
  if (!e.ok && !e.refused && !e.gave_up && !e.answered && e.statuses.empty()) out << "any";
  out << YAML::EndSeq;
  if (!e.params.empty()) {
    out << YAML::Key << "params" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [i, v] : e.params) out << YAML::Key << std::to_string(i) << YAML::Value << v;
    out << YAML::EndMap;
  }
  if (e.params_count) out << YAML::Key << "params_count" << YAML::Value << std::to_string(*e.params_count);
  if (!e.data_prefix.empty()) out << YAML::Key << "data_prefix" << YAML::Value << e.data_prefix;
  out << YAML::EndMap;
}

void EmitSgFields(YAML::Emitter& out, const Step& s) {
  const Step d;
  auto str = [&](const char* k, const std::string& v, const std::string& dv) {
    if (v != dv) out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
  };
  auto num = [&](const char* k, std::uint32_t v, std::uint32_t dv) {
    if (v != dv) out << YAML::Key << k << YAML::Value << std::to_string(v);
  };
  if (s.to_others) {
    out << YAML::Key << "to" << YAML::Value << "others";
  } else if (!s.to_clients.empty() || !s.to_accounts.empty()) {
    out << YAML::Key << "to" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (int c : s.to_clients) out << std::to_string(c);
    for (const auto& a : s.to_accounts) out << a;
    out << YAML::EndSeq;
  }
  switch (s.op) {
    case StepOp::kLogin:
      str("account", s.account, d.account);
      str("password", s.password, d.password);
      break;
    case StepOp::kContact:
      str("op", s.contact_op, d.contact_op);
      break;
    case StepOp::kPresence:
      str("presence", s.presence, d.presence);
      num("caps", s.caps, d.caps);
      break;
    case StepOp::kProfile:
      str("nickname", s.nickname, d.nickname);
      str("psm", s.psm, d.psm);
      str("avatar", s.avatar, d.avatar);
      break;
    case StepOp::kMessage:
    case StepOp::kOffline:
      str("text", s.text, d.text);
      break;
    case StepOp::kFile:
      str("name", s.file_name, d.file_name);
      num("size", s.size, d.size);
      if (s.decision != d.decision) out << YAML::Key << "decision" << YAML::Value << FileDecisionName(s.decision);
      break;
    case StepOp::kVoice:
      num("frames", s.frames, d.frames);
      if (!s.voice_valid) out << YAML::Key << "valid" << YAML::Value << "false";
      if (!s.wav) out << YAML::Key << "container" << YAML::Value << "raw";
      if (!s.client_check) out << YAML::Key << "check" << YAML::Value << "false";
      break;
    case StepOp::kNudge:
      if (s.from_client) {
        out << YAML::Key << "from" << YAML::Value << "client";
      } else {
        str("from", s.from, d.from);
      }
      break;
    default:
      break;
  }
}

void EmitStep(YAML::Emitter& out, const Step& s) {
  const Step d;
  out << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "do" << YAML::Value << StepOpName(s.op);
  if (s.op == StepOp::kCrash || s.op == StepOp::kRestart) {
    out << YAML::Key << "node" << YAML::Value << s.node;
    if (s.at) out << YAML::Key << "at" << YAML::Value << FormatDuration(*s.at);
    out << YAML::EndMap;
    return;
  }
  if (s.op == StepOp::kWait || s.op == StepOp::kAwait) {
    if (s.at) out << YAML::Key << "at" << YAML::Value << FormatDuration(*s.at);
    if (s.op == StepOp::kWait) out << YAML::Key << "for" << YAML::Value << FormatDuration(s.duration);
    out << YAML::EndMap;
    return;
  }
  if (s.all_clients) {
    out << YAML::Key << "client" << YAML::Value << "all";
  } else if (s.clients.size() == 1) {
    if (s.clients[0] != 0) out << YAML::Key << "client" << YAML::Value << std::to_string(s.clients[0]);
  } else {
    out << YAML::Key << "client" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (int c : s.clients) out << std::to_string(c);
    out << YAML::EndSeq;
  }
  if (s.at) out << YAML::Key << "at" << YAML::Value << FormatDuration(*s.at);
  if (!s.wait) out << YAML::Key << "wait" << YAML::Value << "false";
  if (s.count != 1) out << YAML::Key << "count" << YAML::Value << std::to_string(s.count);
  if (s.spacing) out << YAML::Key << "spacing" << YAML::Value << FormatDuration(s.spacing);
  auto str = [&](const char* k, const std::string& v, const std::string& dv) {
    if (v != dv) out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
  };
  switch (s.op) {
    case StepOp::kUpload:
      str("kind", s.kind, d.kind);
      str("data", s.data, d.data);
      break;
    case StepOp::kAd:
      str("slot", s.slot, d.slot);
      break;
    case StepOp::kMedia:
      str("url", s.url, d.url);
      break;
    case StepOp::kRegister:
      str("account", s.account, d.account);
      str("password", s.password, d.password);
      if (s.password_again) str("password_again", *s.password_again, "\x01");
      str("nickname", s.nickname, d.nickname);
      if (s.captcha == CaptchaMode::kWrong) out << YAML::Key << "captcha" << YAML::Value << "wrong";
      if (s.captcha == CaptchaMode::kLiteral) str("captcha", s.captcha_text, "\x01");
      break;
    default:
      break;
  }
  if (IsSgStep(s.op)) EmitSgFields(out, s);
  if (s.expect) {
    out << YAML::Key << "expect" << YAML::Value;
    EmitExpect(out, *s.expect);
  }
  if (s.min_ok) out << YAML::Key << "min_ok" << YAML::Value << std::to_string(*s.min_ok);
  out << YAML::EndMap;
}

void EmitNames(YAML::Emitter& out, const std::vector<std::string>& names) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& n : names) out << n;
  out << YAML::EndSeq;
}

void EmitFault(YAML::Emitter& out, const Fault& f) {
  out << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << FaultKindName(f.kind);
  switch (f.kind) {
    case FaultKind::kPartition:
      out << YAML::Key << "a" << YAML::Value;
      EmitNames(out, f.a);
      out << YAML::Key << "b" << YAML::Value;
      EmitNames(out, f.b);
      if (!f.two_way) out << YAML::Key << "two_way" << YAML::Value << "false";
      break;
    case FaultKind::kClogNode:
    case FaultKind::kCrash:
      out << YAML::Key << "node" << YAML::Value << f.node;
      break;
    case FaultKind::kDisk: {
      const Fault d;
      out << YAML::Key << "node" << YAML::Value << f.node;
      out << YAML::Key << "fault" << YAML::Value << DiskFaultName(f.disk);
      if (f.rate != d.rate) out << YAML::Key << "rate" << YAML::Value << yaml::FormatReal(f.rate);
      if (f.disk == DiskFaultKind::kSlowSync && f.latency != d.latency) {
        out << YAML::Key << "latency" << YAML::Value << FormatDuration(f.latency);
      }
      break;
    }
    default:
      out << YAML::Key << "from" << YAML::Value << f.from << YAML::Key << "to" << YAML::Value << f.to;
      if (f.both) out << YAML::Key << "both" << YAML::Value << "true";
  }
  if (f.kind == FaultKind::kLinkChange) {
    out << YAML::Key << "at" << YAML::Value << FormatDuration(f.start);
    out << YAML::Key << "link" << YAML::Value << YAML::Flow << YAML::BeginMap;
    EmitLink(out, f.link);
    out << YAML::EndMap;
  } else {
    out << YAML::Key << "start" << YAML::Value << FormatDuration(f.start);
    out << YAML::Key << "end" << YAML::Value << FormatDuration(f.end);
  }
  out << YAML::EndMap;
}

}  // namespace

std::string ToYaml(const Scenario& s) {
  const Scenario d;
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << s.name;
  out << YAML::Key << "purpose" << YAML::Value << s.purpose;
  out << YAML::Key << "seed" << YAML::Value << std::to_string(s.seed);
  out << YAML::Key << "time_limit" << YAML::Value << FormatDuration(s.time_limit);
  if (s.settle != d.settle) out << YAML::Key << "settle" << YAML::Value << FormatDuration(s.settle);
  out << YAML::Key << "nodes" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "clients" << YAML::Value << std::to_string(s.clients);
  if (s.servers != d.servers) {
    out << YAML::Key << "servers" << YAML::Value;
    EmitNames(out, s.servers);
  }
  if (s.min_version != d.min_version) out << YAML::Key << "min_version" << YAML::Value << s.min_version;
  if (s.latest_version != d.latest_version) out << YAML::Key << "latest_version" << YAML::Value << s.latest_version;
  if (s.client_version != d.client_version) out << YAML::Key << "client_version" << YAML::Value << s.client_version;
  if (s.cs_rate_per_s) out << YAML::Key << "cs_rate_per_s" << YAML::Value << std::to_string(s.cs_rate_per_s);
  if (s.cs_burst) out << YAML::Key << "cs_burst" << YAML::Value << std::to_string(s.cs_burst);
  if (s.sg) out << YAML::Key << "sg" << YAML::Value << std::to_string(s.sg);
  if (!s.client_cache) out << YAML::Key << "client_cache" << YAML::Value << "false";
  if (s.group_commit) out << YAML::Key << "group_commit" << YAML::Value << "true";
  if (!s.external_cmd.empty()) {
    out << YAML::Key << "external" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "cmd" << YAML::Value << YAML::DoubleQuoted << s.external_cmd;
    out << YAML::Key << "roles" << YAML::Value;
    EmitNames(out, s.external_roles);
    out << YAML::EndMap;
  }
  if (s.disk_all) {
    out << YAML::Key << "disk" << YAML::Value << "true";
  } else {
    // The disks no disk fault implies.
    std::vector<std::string> own;
    for (const std::string& n : s.disks) {
      bool implied = false;
      for (const Fault& f : s.faults) implied = implied || (f.kind == FaultKind::kDisk && f.node == n);
      if (!implied) own.push_back(n);
    }
    if (!own.empty()) {
      out << YAML::Key << "disk" << YAML::Value;
      EmitNames(out, own);
    }
  }
  out << YAML::EndMap;
  if (s.provision_accounts) {
    out << YAML::Key << "provision" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "accounts" << YAML::Value << "true";
    if (s.provision_contacts) out << YAML::Key << "contacts" << YAML::Value << "mutual";
    if (s.extra_contacts) out << YAML::Key << "extra_contacts" << YAML::Value << std::to_string(s.extra_contacts);
    out << YAML::EndMap;
  }

  out << YAML::Key << "network" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "default" << YAML::Value << YAML::Flow << YAML::BeginMap;
  EmitLink(out, s.default_link);
  out << YAML::EndMap;
  if (!s.links.empty()) {
    out << YAML::Key << "links" << YAML::Value << YAML::BeginSeq;
    for (const LinkOverride& l : s.links) {
      out << YAML::Flow << YAML::BeginMap;
      out << YAML::Key << "from" << YAML::Value << l.from << YAML::Key << "to" << YAML::Value << l.to;
      if (l.both) out << YAML::Key << "both" << YAML::Value << "true";
      EmitLink(out, l.cfg);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!s.faults.empty()) {
    out << YAML::Key << "faults" << YAML::Value << YAML::BeginSeq;
    for (const Fault& f : s.faults) EmitFault(out, f);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;

  if (!s.steps.empty()) {
    out << YAML::Key << "steps" << YAML::Value << YAML::BeginSeq;
    for (const Step& st : s.steps) EmitStep(out, st);
    out << YAML::EndSeq;
  }
  if (s.workload) {
    const Workload& w = *s.workload;
    out << YAML::Key << "workload" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "start" << YAML::Value << FormatDuration(w.start);
    out << YAML::Key << "duration" << YAML::Value << FormatDuration(w.duration);
    out << YAML::Key << "rate_per_s" << YAML::Value << yaml::FormatReal(w.rate_per_s);
    if (!w.clients.empty()) {
      out << YAML::Key << "clients" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (int c : w.clients) out << std::to_string(c);
      out << YAML::EndSeq;
    }
    out << YAML::Key << "mix" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "upload" << YAML::Value << std::to_string(w.upload);
    out << YAML::Key << "ad" << YAML::Value << std::to_string(w.ad);
    out << YAML::Key << "media" << YAML::Value << std::to_string(w.media);
    out << YAML::Key << "dispatch" << YAML::Value << std::to_string(w.dispatch);
    if (w.message) out << YAML::Key << "message" << YAML::Value << std::to_string(w.message);
    if (w.offline) out << YAML::Key << "offline" << YAML::Value << std::to_string(w.offline);
    out << YAML::EndMap << YAML::EndMap;
  }
  if (s.checkers_explicit) {
    out << YAML::Key << "checkers" << YAML::Value;
    EmitNames(out, s.checkers);
  }
  if (!s.expect_counters.empty()) {
    out << YAML::Key << "expect_counters" << YAML::Value << YAML::BeginMap;
    for (const CounterBound& b : s.expect_counters) {
      out << YAML::Key << b.counter << YAML::Value << YAML::Flow << YAML::BeginMap;
      if (b.min) out << YAML::Key << "min" << YAML::Value << std::to_string(*b.min);
      if (b.max) out << YAML::Key << "max" << YAML::Value << std::to_string(*b.max);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace mcpsim::scenarios
