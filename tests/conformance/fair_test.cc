// Issue 14: the suite is fair to honest servers that differ from the
// reference (PGM or compressed-PNG captchas, another ad/media catalogue),
// and the runner judges what was claimed (--roles, --require, ARCH-1) and
// notices a target that dies mid-run (exit 3).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "conformance/catalog.h"
#include "conformance/runner.h"
#include "reports/report.h"
#include "tests/cli/run_cli.h"

namespace mcpsim::conformance {
namespace {

namespace fs = std::filesystem;
using testing::ReadWholeFile;
using testing::RunCli;

std::string TempDir() {
  char t[] = "/tmp/mcpsim-fair-XXXXXX";
  return mkdtemp(t);
}

std::string Serve(const std::string& config) {
  return std::string(MCPSIM_BIN) + " serve --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory: --config " +
         config;
}

// Every case of the selection is OK (or, for `allowed`, INFORMATIONAL).
void ExpectAllOk(const std::string& dir, const std::set<std::string>& informational = {}) {
  auto rep = reports::FromJson(ReadWholeFile(dir + "/report.json"));
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_FALSE(rep->cases.empty());
  for (const reports::CaseResult& c : rep->cases) {
    if (informational.count(c.id)) continue;
    EXPECT_EQ(c.verdict, reports::Verdict::kOk) << c.id << ": " << c.reason << " / " << c.actual;
  }
}

TEST(Fair, PgmCaptchaAndAnotherCatalogue) {
  // RS sends PGM captchas; the only ad slot is `side`, its banner `promo-7`.
  const std::string dir = TempDir();
  std::ofstream(dir + "/c.yaml") << "rs: {password_cost: minimal, captcha_format: pgm}\n"
                                    "dp: {latest_version: 1.10.0}\n"
                                    "ads:\n  - {slot: side, ad_id: ad-9, media_id: promo-7, click_url: 'http://x.invalid/c'}\n";
  const std::string cases = "rs.*,ms.*,amp.*,cs.ad.media,sg.login.ok,sg.http.login,dp.version.numeric";
  const auto r = RunCli("conform --timeout 3000 --roles dp,rs,sg,cs,ms --ad-slot side --cases '" + cases +
                        "' --launch '" + Serve(dir + "/c.yaml") + "' --out " + dir + "/a");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectAllOk(dir + "/a");
  EXPECT_NE(r.out.find("OK rs.rbin.captcha"), std::string::npos) << r.out;
  // Without --ad-slot the suite tries `top`, finds no ad there, and judges
  // what it can: the empty AAD is valid; media cases are not judged.
  const auto d = RunCli("conform --timeout 3000 --cases 'amp.*,cs.ad.media,ms.get.ok,ms.head.no_body' --launch '" +
                        Serve(dir + "/c.yaml") + "' --out " + dir + "/b");
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  ExpectAllOk(dir + "/b", {"cs.ad.media", "ms.get.ok", "ms.head.no_body"});
  EXPECT_NE(d.out.find("INFORMATIONAL ms.get.ok: not judged: give --media-id"), std::string::npos) << d.out;
  // --media-id alone is enough for the MS cases.
  const auto m = RunCli("conform --timeout 3000 --media-id promo-7 --cases 'ms.*' --launch '" + Serve(dir + "/c.yaml") +
                        "' --out " + dir + "/m");
  EXPECT_EQ(m.exit_code, 0) << m.out << m.err;
  ExpectAllOk(dir + "/m");
  fs::remove_all(dir);
}

TEST(Fair, CompressedPngCaptcha) {
  const std::string dir = TempDir();
  std::ofstream(dir + "/c.yaml") << "rs: {password_cost: minimal, captcha_format: png-deflate}\n";
  const auto r = RunCli("conform --timeout 3000 --cases 'rs.*,sg.login.ok' --launch '" + Serve(dir + "/c.yaml") +
                        "' --out " + dir + "/a");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectAllOk(dir + "/a");
  fs::remove_all(dir);
}

TEST(Fair, RolesAndRequiredTransports) {
  const std::string dir = TempDir();
  std::ofstream(dir + "/c.yaml") << "rs: {password_cost: minimal}\n";
  const std::string udp_only =
      std::string(MCPSIM_BIN) + " serve --udp 127.0.0.1:0 --roles cs --db :memory: --config " + dir + "/c.yaml";
  // A UDP-only target claiming every role: ARCH-1 makes TCP and HTTP mandatory.
  const auto all = RunCli("conform --timeout 1000 --cases 'arch.*,cs.rup.ok' --launch '" + udp_only + "' --out " + dir + "/a");
  EXPECT_EQ(all.exit_code, 1) << all.out << all.err;
  EXPECT_NE(all.out.find("FAILED arch.transports.sg: ARCH-1: sg must offer udp+tcp+http; no tcp,http"),
            std::string::npos) << all.out;
  EXPECT_NE(all.out.find("OK arch.transports.cs"), std::string::npos) << all.out;
  // Claiming CS only: judged and passing; other roles' cases not judged.
  const auto cs = RunCli("conform --timeout 1000 --roles cs --cases 'arch.*,cs.rup.ok,dp.rqqw.ok' --launch '" + udp_only +
                         "' --out " + dir + "/b");
  EXPECT_EQ(cs.exit_code, 0) << cs.out << cs.err;
  EXPECT_NE(cs.out.find("UNIMPLEMENTED dp.rqqw.ok: not judged: needs role dp, which is not in --roles cs"),
            std::string::npos) << cs.out;
  auto rep = reports::FromJson(ReadWholeFile(dir + "/b/report.json"));
  ASSERT_TRUE(rep.ok());
  EXPECT_NE(rep->target.find("(roles judged: cs)"), std::string::npos) << rep->target;
  // --require names transports that must be given (issue 19).
  const auto req = RunCli("conform --timeout 1000 --roles cs --require udp,tcp --cases 'run.*,cs.rup.ok' --launch '" +
                          udp_only + "' --out " + dir + "/c");
  EXPECT_EQ(req.exit_code, 1) << req.out << req.err;
  EXPECT_NE(req.out.find("FAILED run.require: --require udp,tcp: no tcp target given"), std::string::npos) << req.out;
  EXPECT_EQ(RunCli("conform --roles xx --udp 127.0.0.1:9").exit_code, 2);
  EXPECT_EQ(RunCli("conform --require sctp --udp 127.0.0.1:9").exit_code, 2);
  fs::remove_all(dir);
}

TEST(Fair, TargetDyingMidRunIsExit3) {
  const std::string dir = TempDir();
  std::ofstream(dir + "/c.yaml") << "rs: {password_cost: minimal}\n";
  // The target serves for a moment, then exits: the runner must say so and
  // stop with exit 3 instead of failing every remaining case.
  const std::string launch = "sh -c \"" + std::string(MCPSIM_BIN) +
                             " serve --udp 127.0.0.1:0 --http 127.0.0.1:0 --tcp 127.0.0.1:0 --db :memory: --config " +
                             dir + "/c.yaml & p=\\$!; sleep 1.5; kill \\$p; wait \\$p; exit 7\"";
  const auto r = RunCli("conform --timeout 500 --cases 'cs.*,wire.*,udp.*,dp.*,ms.*' --launch '" + launch + "' --out " + dir);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  // Usually the exit is seen first; if the probe runs before the reap, the
  // silence is reported instead. Either way the run says why it stopped.
  EXPECT_TRUE(r.out.find("run stopped: the launched target exited with status 7") != std::string::npos ||
              r.out.find("run stopped: the target stopped answering") != std::string::npos)
      << r.out;
  auto rep = reports::FromJson(ReadWholeFile(dir + "/report.json"));
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->cases.back().id, "run.target_alive");
  EXPECT_EQ(rep->cases.back().verdict, reports::Verdict::kError);
  fs::remove_all(dir);
}

TEST(Fair, EveryCaseNamesItsRoles) {
  for (const CaseDef& d : Catalog()) {
    if (d.id.rfind("http.path", 0) == 0 || d.id.rfind("http.method", 0) == 0) continue;  // any HTTP role
    EXPECT_FALSE(CaseRoles(d).empty()) << d.id;
    for (const std::string& r : CaseRoles(d)) {
      EXPECT_NE(std::find(AllRoles().begin(), AllRoles().end(), r), AllRoles().end()) << d.id << " " << r;
    }
  }
  EXPECT_EQ(MandatoryTransports("sg"), (std::vector<std::string>{"udp", "tcp", "http"}));
  EXPECT_EQ(MediaIdFromUrl("http://h:1/media/promo-7"), std::optional<std::string>("promo-7"));
  EXPECT_FALSE(MediaIdFromUrl("http://h:1/media/bad!id").has_value());
  EXPECT_FALSE(MediaIdFromUrl("").has_value());
}

// A clause is either judged by a case or listed as not judged (with its
// reason), never both: not_judged.cc must not hide a clause a case checks.
TEST(Fair, NoCitedClauseIsListedAsNotJudged) {
  for (const CaseDef& d : Catalog()) {
    for (const std::string& c : d.clauses) EXPECT_EQ(NotJudgedReason(c), "") << d.id << " cites " << c;
  }
  for (const char* c : {"CLU-9", "SG-SYNC-13", "TCP-10", "HTTP-16", "RATE-10"}) EXPECT_NE(NotJudgedReason(c), "") << c;
}

}  // namespace
}  // namespace mcpsim::conformance
