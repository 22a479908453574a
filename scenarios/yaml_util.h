// Internal helpers of the scenario parser: typed, position-reporting access to
// yaml-cpp nodes. Every failure is recorded once in a YamlCtx as
// "file:line:col: message"; callers check ctx.failed() and stop.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "sim/link_model.h"

namespace mcpsim::scenarios::yaml {

class YamlCtx {
 public:
  explicit YamlCtx(std::string file) : file_(std::move(file)) {}
  // Records the first error only (later ones are consequences).
  void Fail(const YAML::Node& at, const std::string& message);
  void FailAt(int line, int col, const std::string& message);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& file() const { return file_; }

  // Errors if `map` is not a map or has a key outside `allowed`.
  bool CheckKeys(const YAML::Node& map, std::initializer_list<const char*> allowed,
                 const std::string& what);
  // Typed getters: absent keys leave `out` unchanged; wrong types fail.
  void Str(const YAML::Node& map, const char* key, std::string& out);
  void Int(const YAML::Node& map, const char* key, std::int64_t lo, std::int64_t hi,
           std::int64_t& out);
  void Bool(const YAML::Node& map, const char* key, bool& out);
  void Prob(const YAML::Node& map, const char* key, double& out);  // [0, 1] or "N%"
  void Real(const YAML::Node& map, const char* key, double lo, double hi, double& out);
  void Duration(const YAML::Node& map, const char* key, TimeUs& out);
  std::optional<TimeUs> DurationOf(const YAML::Node& n);
  std::optional<std::int64_t> IntOf(const YAML::Node& n, std::int64_t lo, std::int64_t hi);
  std::optional<std::string> StrOf(const YAML::Node& n);
  // A list of strings, or one string.
  std::vector<std::string> StrList(const YAML::Node& n);

  // A LinkConfig from a map of LinkConfig fields, starting from `base`.
  sim::LinkConfig Link(const YAML::Node& map, sim::LinkConfig base,
                       std::initializer_list<const char*> extra_keys = {});

 private:
  std::string file_;
  std::string error_;
};

// "120s", "250ms", "500us", "2m", "1.5s"; a plain integer means milliseconds.
std::optional<TimeUs> ParseDuration(const std::string& s);
// Shortest exact form ("1500ms", "2s", "0").
std::string FormatDuration(TimeUs t);

// Shortest "%g" form that reads back as exactly `v`.
std::string FormatReal(double v);

// Emits the non-default fields of `cfg` (as compared with a default LinkConfig)
// into an open YAML map.
void EmitLink(YAML::Emitter& out, const sim::LinkConfig& cfg);

}  // namespace mcpsim::scenarios::yaml
