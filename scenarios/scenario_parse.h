// Internal to the scenario parser (scenario.cc: the document, nodes, steps,
// workload, checkers; scenario_network.cc: the network section;
// scenario_sg.cc: the SG parts, as functions over the parser's YamlCtx).
// Not part of the API: ParseScenario (scenario.h) is.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/scenario.h"
#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {

// One parse of one scenario document (ParseScenario).
class ScenarioParser {
 public:
  explicit ScenarioParser(const std::string& file) : ctx_(file) {}
  Result<Scenario> Parse(std::string_view text);

 private:
  void Nodes(const YAML::Node& n);
  void Network(const YAML::Node& n);  // scenario_network.cc: links and faults
  // scenario_network.cc: node names (one, or a list) resolved against the
  // scenario (ResolveNodes); a failure on the context and "" for an unknown one.
  std::vector<std::string> Names(const YAML::Node& n);
  std::string OneName(const YAML::Node& n);
  // One node that hosts something: mc-<i>, or a server role the scenario hosts.
  bool CrashableNode(const std::string& name) const {
    if (name.rfind("mc-", 0) == 0) return ResolveNodes(name, s_.clients).size() == 1;
    if (name == "sg") return s_.sg > 0;
    return std::find(s_.servers.begin(), s_.servers.end(), name) != s_.servers.end();
  }
  void Steps(const YAML::Node& n);
  void OneStep(const YAML::Node& n);
  void Outcomes(const YAML::Node& n, Expect& e);
  Expect ParseExpect(const YAML::Node& n);
  std::vector<int> Clients(const YAML::Node& n, bool* all);
  void ParseWorkload(const YAML::Node& n);
  void Checkers(const YAML::Node& n);
  void Counters(const YAML::Node& n);
  SourcePos Pos(const YAML::Node& n) { return {n.Mark().line + 1, n.Mark().column + 1}; }

  yaml::YamlCtx ctx_;
  Scenario s_;
};

// The SG fields of step `s` (op already set) from map `n`; `clients` bounds
// client indices in `to`.
void ParseSgStepFields(yaml::YamlCtx& ctx, const YAML::Node& n, int clients, Step& s);
// The `provision` section into `s` (nodes already parsed).
void ParseProvision(yaml::YamlCtx& ctx, const YAML::Node& n, Scenario& s);

}  // namespace mcpsim::scenarios
