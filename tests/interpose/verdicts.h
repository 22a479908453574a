// Verdicts of `mcpsim run` output, for comparing a target under the
// interposer with the in-process reference (issue 17's proof targets).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <regex>
#include <sstream>
#include <string>

namespace mcpsim::testing {

// "PASS name seed=N ..." / "FAIL …" / "N/A …" -> verdict by "name seed=N".
inline std::map<std::string, std::string> Verdicts(const std::string& out) {
  std::map<std::string, std::string> v;
  std::istringstream in(out);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, std::regex("^(PASS|FAIL|N/A) (\\S+ seed=[0-9]+)"))) v[m[2]] = m[1];
  }
  return v;
}

// The target's output `tgt` has the reference's verdict for each of the
// `runs` runs of `ref`, and judged every one (no N/A).
inline void ExpectSameVerdicts(const std::string& ref, const std::string& tgt, std::size_t runs) {
  const auto rv = Verdicts(ref), tv = Verdicts(tgt);
  ASSERT_EQ(rv.size(), runs) << ref;
  ASSERT_EQ(tv.size(), rv.size()) << tgt;
  std::size_t judged = 0;
  for (const auto& [run, verdict] : rv) {
    ASSERT_TRUE(tv.count(run)) << run;
    EXPECT_EQ(tv.at(run), verdict) << run << "\n" << tgt;
    judged += tv.at(run) != "N/A";
  }
  EXPECT_EQ(judged, rv.size()) << tgt;
}

}  // namespace mcpsim::testing
