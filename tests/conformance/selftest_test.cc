// `mcpsim serve --list-mutants / --mutant` and `mcpsim conform --self-test`.
// The full self-test (every mutant x every case, in virtual time: ~3 s of CPU)
// runs here: the suite must be all OK on the clean reference, kill every
// mutant and print the same self-test-hash twice (also split over worker
// processes). A bounded real-socket smoke (--real, two mutants) keeps the
// loopback path covered.
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

std::string Line(const std::string& out, const std::string& prefix) {
  const auto p = out.find(prefix);
  if (p == std::string::npos) return "";
  return out.substr(p, out.find('\n', p) - p);
}

TEST(SelfTest, EveryMutantIsKilledInVirtualTime) {
  const auto r = RunCli("conform --self-test");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("survived"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("killed ms-head-body by ms.head.no_body"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("killed rcr-no-wait by sg.sync.paging"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("killed http-strict-content-type by http.content_type.lenient"), std::string::npos) << r.out;
  const std::string score = "mutation-score: " + std::to_string(Mutants().size()) + "/" +
                            std::to_string(Mutants().size());
  EXPECT_NE(r.out.find(score), std::string::npos) << r.out;
  const std::string hash = Line(r.out, "self-test-hash: ");
  ASSERT_EQ(hash.size(), std::string("self-test-hash: ").size() + 16) << r.out;
  // Deterministic: the same hash again, and with the runs split over two workers.
  const auto again = RunCli("conform --self-test --jobs 2");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(Line(again.out, "self-test-hash: "), hash);
}

TEST(SelfTest, SampleOverRealSockets) {
  const auto r = RunCli(
      "conform --self-test --real --jobs 2 --mutants 'trid-plus-one,rrm-dropped' --cases 'cs.*,wire.*,sg.chat.*'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("killed trid-plus-one by "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("killed rrm-dropped by "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mutation-score: 2/2"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("self-test-hash"), std::string::npos) << "real runs are timing-dependent: no hash";
}

}  // namespace
}  // namespace mcpsim::conformance
