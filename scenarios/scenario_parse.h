// Internal to the scenario parser (scenario.cc, scenario_sg.cc): the SG
// parts, as functions over the parser's YamlCtx. Not part of the API.
#pragma once

#include <yaml-cpp/yaml.h>

#include "scenarios/scenario.h"
#include "scenarios/yaml_util.h"

namespace mcpsim::scenarios {

// The SG fields of step `s` (op already set) from map `n`; `clients` bounds
// client indices in `to`.
void ParseSgStepFields(yaml::YamlCtx& ctx, const YAML::Node& n, int clients, Step& s);
// The `provision` section into `s` (nodes already parsed).
void ParseProvision(yaml::YamlCtx& ctx, const YAML::Node& n, Scenario& s);

}  // namespace mcpsim::scenarios
