// SG file transfer (§7.7: ROI/ROA/ROR/ROT/ROC) and voice clips (§7.8: RSV),
// between two ACTIVE users in a conversation, over UDP.
#include <string>

#include "conformance/catalog_sg.h"

namespace mcpsim::conformance {
namespace {

using sg::Check;
using sg::Pair;
using sg::Add;
using sg::Expect;
using sg::ShowOne;



// The first server request `word` at `who` whose param 0 (or 1) is `id`.
std::optional<wire::Command> Find(sg::SgClient& who, const std::string& word, const std::string& id, std::size_t at) {
  for (const wire::Command& c : who.Got(word)) {
    if (c.params.size() > at && c.params[at] == id) return c;
  }
  return std::nullopt;
}

Outcome FileTransfer(Ctx& c) {
  Pair p = sg::MakePair(c);
  if (p.failure) return *p.failure;
  const wire::Command* aoi = p.a->Await(p.a->Request("ROI", {p.call, "notes.txt", "100"}));
  if (auto bad = Expect(aoi, "AOI", 0, 1, "SG-FILE-2")) return *bad;
  const std::string tid = aoi->params[0];
  if (!p.b->Pump(c.io_timeout_ms(), [&] { return Find(*p.b, "ROA", tid, 1).has_value(); })) {
    return Failed("ROA " + p.call + " " + tid + " ...", ShowAll(p.b->log), "SG-FILE-2");
  }
  if (auto bad = Expect(p.b->Await(p.b->Request("ROR", {tid, "accept"})), "AOR", 0, 0, "SG-FILE-5")) return *bad;
  if (!p.a->Pump(c.io_timeout_ms(), [&] { return Find(*p.a, "ROR", tid, 0).has_value(); })) {
    return Failed("ROR " + tid + " accept to alice", ShowAll(p.a->log), "SG-FILE-5");
  }
  const std::string data(100, 'f');
  if (auto bad = Expect(p.a->Await(p.a->Request("ROT", {tid, "0", "100"}, data)), "AOT", 0, 0, "SG-FILE-6")) return *bad;
  if (!p.b->Pump(c.io_timeout_ms(), [&] { return Find(*p.b, "ROT", tid, 0).has_value(); })) {
    return Failed("ROT " + tid + " 0 100 <100 bytes> to bob", ShowAll(p.b->log), "SG-FILE-8");
  }
  const wire::Command rot = *Find(*p.b, "ROT", tid, 0);
  if (!rot.payload || *rot.payload != data) return Failed("the 100 bytes sent", Show(rot), "SG-FILE-8");
  auto done = [&] {
    for (const wire::Command& r : p.a->Got("ROR")) {
      if (r.params.size() == 2 && r.params[0] == tid && r.params[1] == "done") return true;
    }
    return false;
  };
  if (!p.a->Pump(c.io_timeout_ms(), done)) return Failed("ROR " + tid + " done", ShowAll(p.a->Got("ROR")), "SG-FILE-9");
  return Ok("AOI, ROA, ROR accept, ROT relayed, ROR done", "transfer " + tid + " done");
}

Outcome FileTooLarge(Ctx& c) {
  Pair p = sg::MakePair(c);
  if (p.failure) return *p.failure;
  if (auto bad = Expect(p.a->Await(p.a->Request("ROI", {p.call, "big.bin", "2097153"})), "AOI", 400, 0, "LIM-7")) {
    return *bad;
  }
  if (auto bad = Expect(p.a->Await(p.a->Request("ROI", {p.call, "max.bin", "2097152"})), "AOI", 0, 1, "LIM-7")) {
    return *bad;
  }
  return Ok("AOI 400 for 2097153 bytes, AOI 0 for 2097152", "as required");
}

Outcome FileCancel(Ctx& c) {
  Pair p = sg::MakePair(c);
  if (p.failure) return *p.failure;
  const wire::Command* aoi = p.a->Await(p.a->Request("ROI", {p.call, "x.txt", "10"}));
  if (auto bad = Expect(aoi, "AOI", 0, 1, "SG-FILE-2")) return *bad;
  const std::string tid = aoi->params[0];
  if (!p.b->Pump(c.io_timeout_ms(), [&] { return Find(*p.b, "ROA", tid, 1).has_value(); })) {
    return Failed("ROA to bob", ShowAll(p.b->log), "SG-FILE-2");
  }
  if (auto bad = Expect(p.a->Await(p.a->Request("ROC", {tid})), "AOC", 0, 0, "SG-FILE-7")) return *bad;
  if (!p.b->Pump(c.io_timeout_ms(), [&] { return Find(*p.b, "ROC", tid, 0).has_value(); })) {
    return Failed("ROC " + tid + " to bob", ShowAll(p.b->log), "SG-FILE-7: the receiver learns the cancel");
  }
  if (auto bad = Expect(p.b->Await(p.b->Request("ROR", {tid, "accept"})), "AOR", 309, 0, "SG-FILE-7")) return *bad;
  return Ok("AOC 0, ROC to bob, later accept 309", "cancelled");
}

Outcome Voice(Ctx& c) {
  Pair p = sg::MakePair(c);
  if (p.failure) return *p.failure;
  std::string bad_clip(33, '\0');
  if (auto bad = Expect(p.a->Await(p.a->Request("RSV", {p.call, "1", "0", "33"}, bad_clip)), "ASV", 404, 0,
                        "SG-VOICE-6")) {
    return *bad;
  }
  std::string gsm(66, '\x55');
  gsm[0] = '\xD1';
  gsm[33] = '\xD2';
  if (auto bad = Expect(p.a->Await(p.a->Request("RSV", {p.call, "2", "0", "66"}, gsm)), "ASV", 0, 0, "SG-VOICE-6")) {
    return *bad;
  }
  if (!p.b->Pump(c.io_timeout_ms(), [&] { return !p.b->Got("RRV").empty(); })) {
    return Failed("RRV to bob", ShowAll(p.b->log), "SG-VOICE-3");
  }
  const wire::Command rrv = p.b->Got("RRV")[0];
  if (p.b->Got("RRV").size() != 1 || !rrv.payload || *rrv.payload != gsm) {
    return Failed("one RRV with the 66-byte clip", ShowAll(p.b->Got("RRV")), "SG-VOICE-3 (the invalid clip is discarded)");
  }
  return Ok("ASV 404 for non-GSM, ASV 0 + RRV for raw GSM 6.10", Show(rrv));
}

}  // namespace

void AddSgTransferCases(std::vector<CaseDef>& out) {
  Add(out, "sg.file.transfer", "ROI, ROA, ROR accept, ROT relayed to the receiver, ROR done",
      {"SG-FILE-2", "SG-FILE-5", "SG-FILE-6", "SG-FILE-8", "SG-FILE-9"}, FileTransfer);
  Add(out, "sg.file.limit", "A file over 2097152 bytes is 400; exactly 2097152 is accepted", {"LIM-7"}, FileTooLarge);
  Add(out, "sg.file.cancel", "ROC before the first ROT cancels the offer at the receiver", {"SG-FILE-7"}, FileCancel);
  Add(out, "sg.voice.gsm", "A non-GSM clip is 404 and not relayed; raw GSM 6.10 is relayed by RRV",
      {"SG-VOICE-6", "SG-VOICE-2", "SG-VOICE-3"}, Voice);
}

}  // namespace mcpsim::conformance
