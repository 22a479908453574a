// Serialization: exact bytes, validation, and "unchanged on error".
#include <gtest/gtest.h>

#include <string>

#include "reference/wire/command.h"

namespace mcpsim::wire {
namespace {

TEST(WireWriter, ExactBytes) {
  std::string out = "prefix|";
  LineWriter w(out);
  w.Begin("RSM", 7).Param("hi there").Param("").Param("100%\r\n");
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(out, "prefix|RSM 7 hi%20there  100%25%0D%0A\r\n");
  w.Begin("ASII", 12, 0).ParamNumber(7);
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(out, "prefix|RSM 7 hi%20there  100%25%0D%0A\r\nASII 12 0 7\r\n");
}

TEST(WireWriter, PayloadAppendsLength) {
  std::string out;
  LineWriter w(out);
  w.Begin("RBIN", 3).Param("captcha").ParamNumber(0).Payload(std::string("a\r\nb\0", 5));
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(out, std::string("RBIN 3 captcha 0 5\r\na\r\nb\0", 25));
}

Status Fails(const Command& c, const Limits& limits = Limits::Stream()) {
  std::string out = "keep";
  Status s = AppendCommand(c, out, limits);
  EXPECT_EQ(out, "keep");
  return s;
}

TEST(WireWriter, ValidatesAndLeavesOutputUnchanged) {
  Command c{"RSM", 1, std::nullopt, {"x"}, std::nullopt};
  EXPECT_EQ(Fails({"rsm", 1, std::nullopt, {}, std::nullopt}).clause(), "WIRE-3");
  EXPECT_EQ(Fails({"ASM", 1, std::nullopt, {}, std::nullopt}).clause(), "WIRE-5");
  EXPECT_EQ(Fails({"RSM", 1, 0u, {}, std::nullopt}).clause(), "WIRE-5");
  EXPECT_EQ(Fails({"ASM", 1, 65536u, {}, std::nullopt}).clause(), "WIRE-5");
  EXPECT_EQ(Fails({"RSM", 1, std::nullopt, {"\xFF"}, std::nullopt}).clause(), "WIRE-8");
  EXPECT_EQ(Fails({"RSM", 1, std::nullopt, {}, std::string("x")}).clause(), "PAY-1");
  EXPECT_EQ(Fails({"RBIN", 1, std::nullopt, {}, std::nullopt}).clause(), "PAY-2");
  EXPECT_EQ(Fails({"RBIN", 1, std::nullopt, {}, std::string(1025, 'x')}, Limits::Datagram()).clause(), "LIM-4");
  EXPECT_EQ(Fails({"RSM", 1, std::nullopt, {std::string(5000, 'x')}, std::nullopt}).clause(), "LIM-1");
  EXPECT_EQ(Fails({"RSM", 1, std::nullopt, std::vector<std::string>(33, "p"), std::nullopt}).clause(), "LIM-2");
  EXPECT_EQ(Fails({"RBIN", 1, std::nullopt, std::vector<std::string>(32, "p"), std::string()}).clause(), "LIM-2");
  std::string out;
  EXPECT_TRUE(AppendCommand(c, out).ok());
  EXPECT_EQ(out, "RSM 1 x\r\n");
}

}  // namespace
}  // namespace mcpsim::wire
