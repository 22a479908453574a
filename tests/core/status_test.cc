#include <gtest/gtest.h>

#include "core/status.h"

namespace mcpsim {
namespace {

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(Status, ErrorCarriesClauseAndOffset) {
  Status s = Status::Error("WIRE-7", "malformed escape", 12);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.clause(), "WIRE-7");
  EXPECT_EQ(s.offset(), 12u);
  EXPECT_EQ(s.ToString(), "[WIRE-7] at byte 12: malformed escape");
  EXPECT_EQ(Status::Error("SIM-1", "too many events").ToString(), "[SIM-1]: too many events");
}

TEST(Result, HoldsValueOrStatus) {
  Result<int> r = 5;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5);
  Result<int> e = Status::Error("X-1", "nope");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().clause(), "X-1");
}

}  // namespace
}  // namespace mcpsim
