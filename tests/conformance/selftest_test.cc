// `mcpsim serve --list-mutants / --mutant` and `mcpsim conform --self-test`
// on loopback. The full self-test (every mutant) takes ~80 s; ctest runs
// it on a fixed sample covering a decorator mutant, a config-switch mutant
// and a SHOULD-level mutant (killed by NON-STRICT). The full run is the
// nightly-style command in conformance/README.md.
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

TEST(SelfTest, SampleOfMutantsIsKilled) {
  const auto r = RunCli("conform --self-test --jobs 3 --mutants 'ms-head-body,rcr-no-wait,http-strict-content-type'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("killed ms-head-body by ms.head.no_body"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("killed rcr-no-wait by sg.sync.paging"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("killed http-strict-content-type by http.content_type.lenient"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mutation-score: 3/3"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mcpsim::conformance
