// What a failed group commit undoes in the CommandServer (Role::EndBatch,
// G-79): executions that wrote are forgotten (a resend executes again);
// executions that wrote nothing stand (a resend replays their answer).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "reference/transport/server.h"

namespace mcpsim::reference {
namespace {

// RWRITE marks a store write; RSAY does not. Both count their executions.
class CountingHandler : public CommandHandler {
 public:
  void HandleRequest(const RequestContext&, const wire::CommandView& cmd, Reply& reply) override {
    ++runs[std::string(cmd.word())];
    if (cmd.word() == "RWRITE") reply.MarkWrite();
    if (cmd.word() == "RWRITE" || cmd.word() == "RSAY") {
      return reply.Ok({std::to_string(runs[std::string(cmd.word())])});
    }
    reply.Fail(StatusCode::kUnknownCommand);
  }
  void ResumeRequest(const RequestContext&, const wire::CommandView&, const WorkResult&, Reply& reply) override {
    reply.Fail(StatusCode::kInternal);
  }
  bool IsValidated(const PeerKey&) const override { return true; }
  std::map<std::string, int> runs;
};

const Endpoint kA = Endpoint::V4(0x0A000002, 4000);

std::string Bytes(const std::vector<Output>& out) {
  std::string s;
  for (const Output& o : out) {
    if (o.kind == Output::Kind::kDatagram) s += o.bytes;
  }
  return s;
}

TEST(GroupCommit, FailedBatchForgetsOnlyTheAnswersOfExecutionsThatWrote) {
  CountingHandler h;
  CommandServer s(h);
  std::vector<Output> out;
  s.BeginBatch();
  s.OnDatagram(0, kA, "RWRITE 1\r\nRSAY 2\r\n", out);
  s.EndBatch(false);  // the host discards `out`: neither answer left
  EXPECT_EQ(s.stats().requests_executed, 1u);  // RSAY's execution stands
  out.clear();
  s.OnDatagram(1, kA, "RWRITE 1\r\nRSAY 2\r\n", out);  // the client's resend
  EXPECT_EQ(h.runs["RWRITE"], 2);                       // its write was lost: again
  EXPECT_EQ(h.runs["RSAY"], 1);                         // replayed, not repeated
  EXPECT_EQ(Bytes(out), "AWRITE 1 0 2\r\nASAY 2 0 1\r\n");
}

TEST(GroupCommit, CommittedBatchKeepsEveryAnswer) {
  CountingHandler h;
  CommandServer s(h);
  std::vector<Output> out;
  s.BeginBatch();
  s.OnDatagram(0, kA, "RWRITE 1\r\nRSAY 2\r\n", out);
  s.EndBatch(true);
  out.clear();
  s.OnDatagram(1, kA, "RWRITE 1\r\nRSAY 2\r\n", out);
  EXPECT_EQ(h.runs["RWRITE"], 1);
  EXPECT_EQ(h.runs["RSAY"], 1);
  EXPECT_EQ(Bytes(out), "AWRITE 1 0 1\r\nASAY 2 0 1\r\n");
  EXPECT_EQ(s.stats().requests_executed, 2u);
}

}  // namespace
}  // namespace mcpsim::reference
