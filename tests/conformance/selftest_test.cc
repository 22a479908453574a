// `mcpsim serve --list-mutants / --mutant` and `mcpsim conform --self-test`
// on loopback. The full self-test (every mutant, ~80 s on 2 cores) runs here:
// the suite must be all OK on the clean reference and kill every mutant.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "conformance/mutants.h"
#include "tests/cli/run_cli.h"

namespace mcpsim::conformance {
namespace {

using testing::RunCli;

TEST(SelfTest, ListMutantsMatchesTheCatalog) {
  const auto r = RunCli("serve --list-mutants");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string line;
  std::set<std::string> names;
  while (std::getline(in, line)) {
    const auto sp = line.find(' ');
    ASSERT_NE(sp, std::string::npos) << line;
    names.insert(line.substr(0, sp));
    EXPECT_NE(line.find(": "), std::string::npos) << line;
  }
  EXPECT_EQ(names.size(), Mutants().size());
  EXPECT_GE(names.size(), 32u);
}

TEST(SelfTest, UnknownMutantIsAUsageError) {
  const auto r = RunCli("serve --mutant no-such-mutant --udp 127.0.0.1:0 --db :memory:");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

TEST(SelfTest, EveryMutantIsKilled) {
  const auto r = RunCli("conform --self-test --jobs 3");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("survived"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("killed ms-head-body by ms.head.no_body"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("killed rcr-no-wait by sg.sync.paging"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("killed http-strict-content-type by http.content_type.lenient"), std::string::npos) << r.out;
  const std::string score = "mutation-score: " + std::to_string(Mutants().size()) + "/" +
                            std::to_string(Mutants().size());
  EXPECT_NE(r.out.find(score), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mcpsim::conformance
