// libFuzzer target: the scenario YAML reader (scenarios/scenario.h). Any text
// either parses or yields an error value with a clause — never a crash or an
// exception — and a parsed scenario re-emitted canonically parses again to
// the same canonical text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scenarios/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto s = mcpsim::scenarios::ParseScenario(text, "fuzz.yaml");
  if (!s.ok()) {
    if (s.status().clause().empty()) __builtin_trap();
    return 0;
  }
  const std::string canon = mcpsim::scenarios::ToYaml(*s);
  auto again = mcpsim::scenarios::ParseScenario(canon, "canon.yaml");
  if (!again.ok()) __builtin_trap();
  if (mcpsim::scenarios::ToYaml(*again) != canon) __builtin_trap();
  return 0;
}
