// SG file transfer (§7.7: ROI/ROA, ROR, ROC, ROT, SG-FILE-*): store and
// forward — the sender uploads every chunk, then SG relays the file to the
// receiver chunk by chunk within the PAY-8 window.
#include <algorithm>

#include "reference/roles/sg/sg.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {
namespace {

// LIM-17 and ROI: 1..255 bytes, no '/', '\', NUL, not "." or "..".
bool IsFileName(std::string_view n) {
  return !n.empty() && n.size() <= 255 && n != "." && n != ".." &&
         n.find_first_of(std::string_view("/\\\0", 3)) == std::string_view::npos;
}

// The transfer param 0 names whose `party` (sender or receiver) is
// `account` — the check of ROR, ROC and ROT — or nullptr once `reply` has
// failed: 103 for a malformed id, 308 for a transfer unknown or another's.
template <typename Transfers>
Transfer* PartyTransfer(Transfers& transfers, const wire::CommandView& cmd, std::string Transfer::*party,
                        const std::string& account, Reply& reply) {
  const auto id = ParseDec(cmd.DecodeParam(0));
  if (!id) {
    reply.Fail(StatusCode::kBadParam);
    return nullptr;
  }
  auto it = transfers.find(*id);
  if (it == transfers.end() || it->second.*party != account) {
    reply.Fail(StatusCode::kUnknownTransfer);
    return nullptr;
  }
  return &it->second;
}

}  // namespace

void SgRole::Roi(const RequestContext& ctx, Session* s, const wire::CommandView& cmd,
                 Reply& reply) {
  Call* call = MemberCall(cmd, 0, *s, reply);
  if (!call) return;
  if (call->members.size() != 2) return reply.Fail(StatusCode::kWrongState);
  const std::string receiver = call->members[0] == s->account ? call->members[1] : call->members[0];
  Peer r = Locate(receiver);
  bool capable = r && r.s->state == SessionState::kActive && (r.s->caps & kCapFile);
  std::uint32_t peer_sg = 0;  // CLU-17: the receiver is ACTIVE at another SG process
  if (auto it = backend_.remote_.find(receiver); !r && it != backend_.remote_.end()) {
    capable = (it->second.caps & kCapFile) != 0;
    peer_sg = it->second.sg;
  }
  // SG-FILE-1: both parties declared the file capability.
  if (!(s->caps & kCapFile) || !capable) return reply.Fail(StatusCode::kNoCapability);
  const std::string name = cmd.DecodeParam(1);
  const auto size = ParseDec64(cmd.DecodeParam(2));
  if (!IsFileName(name) || !size || *size == 0) return reply.Fail(StatusCode::kBadParam);
  if (*size > config_.max_object) return reply.Fail(StatusCode::kTooLarge);  // LIM-7
  auto next = backend_.NextTransferId();
  if (!next.ok()) return reply.Fail(StatusCode::kStorage);  // CLU-9
  const std::uint64_t id = *next;
  Transfer& t = backend_.transfers_[id];
  t.id = id;
  t.call_id = call->id;
  t.sender = s->account;
  t.receiver = receiver;
  t.name = name;
  t.size = static_cast<std::uint32_t>(*size);
  t.have.assign(t.chunks(), false);
  t.last_progress = ctx.now;
  t.home = this;
  t.peer_sg = peer_sg;
  reply.Ok({std::to_string(id)});
  // SG-FILE-2: then ROA to the receiver (at its process, CLU-17).
  if (peer_sg != 0) {
    RelayFile(t, "offer");
  } else {
    Enqueue(*r.s, "ROA",
            {std::to_string(call->id), std::to_string(id), s->account, name, std::to_string(t.size)}, id);
  }
  t.roa_sent = true;
}

void SgRole::Ror(const RequestContext& ctx, Session* s, const wire::CommandView& cmd,
                 Reply& reply) {
  Transfer* found = PartyTransfer(backend_.transfers_, cmd, &Transfer::receiver, s->account, reply);
  if (!found) return;
  Transfer& t = *found;
  if (t.state != TransferState::kOffered) return reply.Fail(StatusCode::kTransferState);
  const std::string decision = cmd.DecodeParam(1);
  if (decision != "accept" && decision != "reject") return reply.Fail(StatusCode::kBadParam);
  reply.Ok();
  t.last_progress = ctx.now;
  // SG-FILE-5: relay the decision; reject ends the transfer.
  FileDecided(t, decision);
}

void SgRole::FileDecided(Transfer& t, std::string_view decision) {
  t.state = decision == "accept"   ? TransferState::kAccepted
            : decision == "reject" ? TransferState::kRejected
                                   : TransferState::kDone;
  if (t.mirror) return RelayFile(t, decision);  // the sender's process tells the sender (CLU-17)
  if (t.state == TransferState::kAccepted) t.data.assign(t.size, '\0');
  DeliverTo(t.sender, "ROR", {std::to_string(t.id), std::string(decision)});
}

void SgRole::Roc(const RequestContext&, Session* s, const wire::CommandView& cmd, Reply& reply) {
  Transfer* found = PartyTransfer(backend_.transfers_, cmd, &Transfer::sender, s->account, reply);
  if (!found) return;
  Transfer& t = *found;
  if (t.state != TransferState::kOffered && t.state != TransferState::kAccepted) {
    return reply.Fail(StatusCode::kTransferState);  // a chunk was accepted, or it ended
  }
  reply.Ok();
  t.state = TransferState::kCancelled;  // SG-FILE-7
  t.data.clear();
  if (t.peer_sg != 0) return RelayFile(t, "cancel");  // its mirror sends the ROC
  if (t.roa_sent) DeliverTo(t.receiver, "ROC", {std::to_string(t.id)});
}

void SgRole::Rot(const RequestContext& ctx, Session* s, const wire::CommandView& cmd,
                 Reply& reply) {
  Transfer* found = PartyTransfer(backend_.transfers_, cmd, &Transfer::sender, s->account, reply);
  if (!found) return;
  Transfer& t = *found;
  if (t.state != TransferState::kAccepted && t.state != TransferState::kUploading) {
    return reply.Fail(StatusCode::kTransferState);
  }
  const auto offset = ParseDec(cmd.DecodeParam(1));
  const auto total = ParseDec(cmd.DecodeParam(2));
  const std::string_view payload = cmd.payload().value_or(std::string_view());
  if (!offset || !total || *total != t.size || !ChunkOk(*offset, *total, payload.size())) {
    return reply.Fail(StatusCode::kBadPayload);  // PAY-5, PAY-6
  }
  const std::uint32_t k = *offset / 1024;
  if (!t.have[k]) {  // PAY-9: the first copy wins
    t.have[k] = true;
    ++t.have_count;
    t.data.replace(*offset, payload.size(), payload);
  }
  t.state = TransferState::kUploading;
  t.last_progress = ctx.now;
  reply.Ok();
  if (t.have_count < t.chunks()) return;
  t.state = TransferState::kUploaded;
  if (t.peer_sg != 0) {  // CLU-17: the receiver's process relays it
    RelayFile(t, "data", std::move(t.data));
    t.data.clear();
    t.data.shrink_to_fit();
    return;
  }
  PushChunks(t);
}

void SgRole::PushChunks(Transfer& t) {
  Peer r = Locate(t.receiver);
  if (!r || r.s->state != SessionState::kActive) return FailTransfer(t);
  // SG-FILE-8: relay in ascending offset order within PAY-8.
  const std::string sid = std::to_string(t.id), stotal = std::to_string(t.size);
  for (std::uint32_t off = 0; off < t.size; off += 1024) {
    const std::uint32_t len = std::min<std::uint32_t>(1024, t.size - off);
    Enqueue(*r.s, "ROT", {sid, std::to_string(off), stotal}, t.id, kFileGroup | t.id,
            std::string_view(t.data).substr(off, len));
  }
  t.data.clear();  // the queued chunks hold the bytes now
  t.data.shrink_to_fit();
}

void SgRole::OnFileAnswer(TimeUs now, Session&, const PushChannel::Entry& e,
                          std::uint32_t status) {
  auto it = backend_.transfers_.find(e.tag);
  if (it == backend_.transfers_.end() || !it->second.open()) return;
  Transfer& t = it->second;
  if (e.word == "ROA") {
    if (status != 0 && t.state == TransferState::kOffered) FileDecided(t, "reject");  // SG-FILE-4
    return;
  }
  if (t.state != TransferState::kUploaded) return;
  if (status != 0) return FailTransfer(t);  // SG-FILE-10
  t.last_progress = now;
  if (++t.relay_acked < t.chunks()) return;
  FileDecided(t, "done");  // SG-FILE-9
}

void SgRole::FailTransfer(Transfer& t, bool tell_peer) {
  if (!t.open()) return;
  t.state = TransferState::kFailed;  // SG-FILE-12
  t.data.clear();
  if (t.peer_sg != 0 && tell_peer) RelayFile(t, "failed");
  if (!t.mirror) DeliverTo(t.sender, "ROR", {std::to_string(t.id), "failed"});
  if (t.peer_sg != 0 && !t.mirror) return;  // the receiver's side is its mirror's
  if (Peer r = Locate(t.receiver)) {
    r.s->push.DropGroup(kFileGroup | t.id);
    r.sg->MarkDirty(*r.s);  // window slots freed
  }
  if (t.roa_sent) DeliverTo(t.receiver, "ROC", {std::to_string(t.id)});
}

void SgRole::EndTransfersOf(std::string_view account, std::uint64_t call_id) {
  for (auto& [id, t] : backend_.transfers_) {
    if (!t.open() || (call_id != 0 && t.call_id != call_id)) continue;
    if (!account.empty() && t.sender != account && t.receiver != account) continue;
    FailTransfer(t);
  }
}

void SgRole::EndTransfersWith(std::uint32_t sg) {
  for (auto& [id, t] : backend_.transfers_) {
    if (t.peer_sg == sg) FailTransfer(t, false);
  }
}

// ---- CLU-17: a transfer whose parties are sessions of two SG processes ----

void SgRole::RelayFile(const Transfer& t, std::string_view event, std::string data) {
  Relay r;
  r.kind = Relay::Kind::kFile;
  r.to_sg = t.peer_sg;
  r.account = t.mirror ? t.sender : t.receiver;
  r.word = std::string(event);
  r.tag = t.id;
  r.call_id = t.call_id;
  if (event == "offer") r.params = {t.sender, t.name, std::to_string(t.size)};
  r.data = std::move(data);
  backend_.Emit(std::move(r));
}

void SgRole::OnFileRelay(TimeUs now, const Relay& r) {
  auto it = backend_.transfers_.find(r.tag);
  if (r.word == "offer") {
    const auto size = r.params.size() == 3 ? ParseDec64(r.params[2]) : std::nullopt;
    if (it != backend_.transfers_.end() || !size || *size == 0 || *size > config_.max_object) return;
    Transfer t;
    t.id = r.tag;
    t.call_id = r.call_id;
    t.sender = r.params[0];
    t.receiver = r.account;
    t.name = r.params[1];
    t.size = static_cast<std::uint32_t>(*size);
    t.last_progress = now;
    t.mirror = true;
    t.peer_sg = r.from_sg;
    Peer p = Locate(t.receiver);
    t.home = p ? p.sg : this;
    if (!p || p.s->state != SessionState::kActive || !(p.s->caps & kCapFile)) {
      return RelayFile(t, "reject");  // gone meanwhile: as a refused ROA (SG-FILE-4); nothing kept
    }
    Transfer& m = backend_.transfers_.emplace(t.id, std::move(t)).first->second;
    p.sg->Enqueue(*p.s, "ROA",
                  {std::to_string(m.call_id), std::to_string(m.id), m.sender, m.name, std::to_string(m.size)}, m.id);
    m.roa_sent = true;
    return;
  }
  if (it == backend_.transfers_.end() || !it->second.open() || it->second.peer_sg != r.from_sg) return;
  Transfer& t = it->second;
  t.last_progress = now;
  const std::string sid = std::to_string(t.id);
  if (!t.mirror) {  // the sender's process: what its receiver did
    if (((r.word == "accept" || r.word == "reject") && t.state == TransferState::kOffered) ||
        (r.word == "done" && t.state == TransferState::kUploaded)) {
      FileDecided(t, r.word);
    } else if (r.word == "failed") {
      FailTransfer(t, false);
    }
    return;
  }
  if (r.word == "data" && t.state == TransferState::kAccepted && r.data.size() == t.size) {
    t.state = TransferState::kUploaded;
    t.data = r.data;
    PushChunks(t);
  } else if (r.word == "cancel") {
    t.state = TransferState::kCancelled;  // SG-FILE-7
    if (t.roa_sent) DeliverTo(t.receiver, "ROC", {sid});
  } else if (r.word == "failed") {
    FailTransfer(t, false);
  }
}

}  // namespace mcpsim::reference
