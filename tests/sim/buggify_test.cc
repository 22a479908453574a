#include <gtest/gtest.h>

#include <string>

#include "core/buggify.h"
#include "sim/fault_points.h"
#include "sim/world.h"

namespace mcpsim::sim {
namespace {

TEST(SimBuggify, SiteKeyIsBasenameAndLine) {
  static_assert(SourceBasename("/a/b/c.cc") == "c.cc");
  static_assert(SourceBasename("c.cc") == "c.cc");
  static_assert(SourceBasename("x\\y.h") == "y.h");
  EXPECT_EQ(BuggifySiteKey("/x/y/buggify_test.cc", 12), "buggify_test.cc:12");
  // The helper sees its caller's line, not its own.
  struct Recorder : FaultPoints {
    std::string last;
    bool Fire(std::string_view site) override {
      last = std::string(site);
      return false;
    }
  } rec;
  const unsigned line = __LINE__ + 1;
  EXPECT_FALSE(Buggify(&rec));
  EXPECT_EQ(rec.last, "buggify_test.cc:" + std::to_string(line));
  const unsigned line2 = __LINE__ + 1;
  EXPECT_FALSE(MCPSIM_BUGGIFY(&rec));
  EXPECT_EQ(rec.last, "buggify_test.cc:" + std::to_string(line2));
}

TEST(SimBuggify, NullNeverFires) {
  FaultPoints* none = nullptr;
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(MCPSIM_BUGGIFY(none));
  World w(1);
  EXPECT_EQ(w.faults(), nullptr);  // off unless options.buggify
}

TEST(SimBuggify, EnabledFractionAndFireRateFollowTheSeed) {
  TimeUs now = 0;
  Trace t(&now);
  SimFaultPoints fp(123, &t, 0.25, 0.5);
  int enabled = 0;
  for (int i = 0; i < 2000; ++i) enabled += fp.Enabled("f.cc:" + std::to_string(i));
  EXPECT_NEAR(enabled / 2000.0, 0.25, 0.03);
  // An enabled site fires about half the time; a disabled one never.
  std::string on, off;
  for (int i = 0; on.empty() || off.empty(); ++i) {
    const std::string k = "g.cc:" + std::to_string(i);
    (fp.Enabled(k) ? on : off) = k;
  }
  int fired_on = 0, fired_off = 0;
  for (int i = 0; i < 4000; ++i) {
    fired_on += fp.Fire(on);
    fired_off += fp.Fire(off);
  }
  EXPECT_NEAR(fired_on / 4000.0, 0.5, 0.03);
  EXPECT_EQ(fired_off, 0);
  EXPECT_EQ(fp.FireCounts().at(on), static_cast<std::uint64_t>(fired_on));
  // Same seed, same decisions (independent of first-seen order).
  SimFaultPoints again(123, &t, 0.25, 0.5);
  EXPECT_TRUE(again.Enabled(on));
  EXPECT_FALSE(again.Enabled(off));
}

TEST(SimBuggify, WorldFaultPointsAreTraced) {
  WorldOptions o;
  o.buggify = true;
  o.buggify_sites = 1.0;
  o.buggify_fire = 1.0;
  o.capture_trace = true;
  World w(9, o);
  ASSERT_NE(w.faults(), nullptr);
  EXPECT_TRUE(MCPSIM_BUGGIFY(w.faults()));
  const auto& lines = w.trace().lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"ev\":\"buggify_site\",\"site\":\"buggify_test.cc:"), std::string::npos);
  EXPECT_NE(lines[1].find("\"ev\":\"buggify\""), std::string::npos);
}

}  // namespace
}  // namespace mcpsim::sim
