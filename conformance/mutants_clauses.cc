// Mutants for the coverage cases of catalog_clauses.cc (issue 14): each named
// after its clause and killed by the case in its comment. See mutants.h.
#include <algorithm>

#include "conformance/mutants.h"
#include "net/server.h"
#include "reference/roles/sg/sg.h"

namespace mcpsim::conformance {
namespace {

using wire::Command;

bool IsPayloadAnswer(const Command& c) {
  return c.word == "ABIN" || c.word == "AOT" || c.word == "ASV" || c.word == "ARV";
}
bool IsCsAnswer(const Command& c) { return c.word == "AUP" || c.word == "AAD"; }

}  // namespace

void AddClauseMutants(std::vector<Mutant>& v) {
  Mutant m;
  // wire.payload.framing
  m = M("payload-length-101", "PAY-2", "a missing, non-decimal or too large payload length is answered 101, not 104");
  m.on_command = [](Command& c) {
    if (IsPayloadAnswer(c) && c.status == 104u) c.status = 101;
    return true;
  };
  v.push_back(std::move(m));
  m = M("length-before-escape", "WIRE-12", "the payload length is checked before the params (104 for a line whose "
                                           "first violation is an escape)");
  m.on_command = [](Command& c) {
    if (c.word == "ABIN" && c.status == 101u) c.status = 104;
    return true;
  };
  v.push_back(std::move(m));
  // udp.dispatch.whole: each command of a datagram goes to its own role.
  m = M("dispatch-per-command", "ARCH-6", "a datagram mixing CS and SG words is split between the roles");
  m.on_batch = [](std::vector<Command>& batch) {
    bool cs = false, other = false;
    for (const Command& c : batch) (IsCsAnswer(c) ? cs : other) = true;
    if (!cs || !other) return;
    for (Command& c : batch) {
      if (c.status == 100u) c.status = 0;
    }
  };
  v.push_back(std::move(m));
  // sg.udp.bound_endpoint: a command from another endpoint of the account's
  // host is executed as if it came from the session.
  m = M("session-any-endpoint", "UDP-3", "a command from an endpoint without a session is executed (ACE 0)");
  m.on_command = [](Command& c) {
    if (c.word == "ACE" && c.status == 200u) {
      c.status = 0;
      c.params = {"1"};
    }
    return true;
  };
  v.push_back(std::move(m));
  // sg.timer.server_resend
  m = M("sg-resend-500ms", "TIMER-1", "SG resends its own requests after 500 ms instead of 1000 ms");
  m.sg = [](reference::SgConfig& c) { c.retry.initial_timeout = 500 * kMillis; };
  v.push_back(std::move(m));
  m = M("sg-resend-no-backoff", "TIMER-1", "SG resends its own requests every 1000 ms (the wait is never doubled)");
  m.sg = [](reference::SgConfig& c) { c.retry.backoff = 1; };
  v.push_back(std::move(m));
  m = M("rrm-trid-doubled", "TRID-2", "RRM trids are doubled (the session's counter is not incremented by 1)");
  m.on_command = [](Command& c) {
    if (c.word == "RRM" && !c.status) c.trid *= 2;
    return true;
  };
  v.push_back(std::move(m));
  // rs.rap.new_captcha
  m = M("captcha-id-constant", "RS-2", "every captcha has captchaId 1 (no RS-wide counter)");
  m.on_command = [](Command& c) {
    if (c.word == "AAP" && c.status == 0u && c.params.size() == 5) c.params[1].assign(1, '1');
    return true;
  };
  v.push_back(std::move(m));
  // sg.file.chunks
  m = M("chunk-total-unchecked", "PAY-6", "a chunk whose total differs from the object's first chunk is accepted");
  m.on_command = [](Command& c) {
    if (c.word == "ASV" && c.status == 104u) c.status = 0;
    return true;
  };
  v.push_back(std::move(m));
  m = M("duplicate-chunk-overwrites", "PAY-9", "the relayed chunk at offset 1024 carries other bytes than the first accepted copy (as a server keeping a duplicate's bytes)");
  m.on_command = [](Command& c) {  // models the relay of the last copy: the kept bytes are the duplicate's
    if (c.word == "ROT" && !c.status && c.payload && c.params.size() == 3 && c.params[1] == "1024") {
      c.payload->assign(c.payload->size(), 'x');
    }
    return true;
  };
  v.push_back(std::move(m));
  m = M("id-param-after-lookup", "CONV-5", "an id param that is not a decimal is looked up first (302/unknown) instead of 103");
  m.on_command = [](Command& c) {
    if ((c.word == "ASV" || c.word == "AOT") && c.status == 103u) c.status = 302;
    return true;
  };
  v.push_back(std::move(m));
  m = M("file-name-unbounded", "LIM-17", "a file name over 255 bytes is accepted (AOI 0)");
  m.on_command = [](Command& c) {
    if (c.word == "AOI" && c.status == 103u) {
      c.status = 0;
      c.params = {"999999"};
    }
    return true;
  };
  v.push_back(std::move(m));
  // sg.file.refused
  m = M("aoa-nonzero-not-reject", "SG-FILE-4", "the sender never gets ROR reject (a non-zero AOA, like any reject, "
                                               "leaves the sender waiting)");
  m.on_command = [](const Command& c) { return !(c.word == "ROR" && !c.status && c.params.size() == 2 && c.params[1] == "reject"); };
  v.push_back(std::move(m));
  m = M("rot-refused-done", "SG-FILE-10", "a transfer whose relayed ROT the receiver refused is reported done");
  m.on_command = [](Command& c) {
    if (c.word == "ROR" && !c.status && c.params.size() == 2 && c.params[1] == "failed") c.params[1].assign("done");
    return true;
  };
  v.push_back(std::move(m));
  // sg.cont.presence: the user's own session is not told after an edit (the
  // reference sends the edit's RNP in the datagram of its delta RCS).
  m = M("contact-edit-no-presence", "SG-CONT-4", "a contact edit does not re-evaluate what the user sees (no RNP with the delta RCS)");
  m.on_batch = [](std::vector<Command>& batch) {
    const bool rcs = std::any_of(batch.begin(), batch.end(), [](const Command& c) { return c.word == "RCS" && !c.status; });
    if (rcs) batch.erase(std::remove_if(batch.begin(), batch.end(), [](const Command& c) { return c.word == "RNP" && !c.status; }), batch.end());
  };
  v.push_back(std::move(m));
  // http.header.too_large
  m = M("header-too-large-400", "HTTP-15", "a request head over 8192 bytes is answered 400 instead of 431");
  m.server = [](net::ServerOptions& o) { o.test_http_head_too_large_431 = false; };
  v.push_back(std::move(m));
}

}  // namespace mcpsim::conformance
