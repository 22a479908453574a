// SgSession: file transfer (§7.7) and voice clips (§7.8) — chunked uploads
// within PAY-8 / LIM-20 windows with per-chunk resends (PAY-7), and
// reassembly of relayed ROT / RRV chunks in any order (PAY-9, SG-FILE-11).
#include <algorithm>

#include "reference/media/voice.h"
#include "reference/roles/mc/sg_session.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {
namespace {
constexpr std::uint32_t kChunk = 1024;            // LIM-9
constexpr std::uint32_t kMaxObject = 2097152;     // LIM-7 / LIM-8
constexpr std::size_t kTombstones = 16;           // completed objects remembered
std::uint32_t Chunks(std::uint32_t total) { return (total + kChunk - 1) / kChunk; }

void Remember(std::vector<std::uint32_t>& done, std::uint32_t id) {
  if (done.size() >= kTombstones) done.erase(done.begin());
  done.push_back(id);
}
bool Remembered(const std::vector<std::uint32_t>& done, std::uint32_t id) {
  return std::find(done.begin(), done.end(), id) != done.end();
}
}  // namespace

std::uint64_t SgSession::OfferFile(TimeUs now, std::uint32_t call, const std::string& name,
                                   std::string bytes) {
  if (auto r = NeedActive(now, McOp::kOfferFile)) return r;
  if (bytes.empty()) return Refuse(now, McOp::kOfferFile, "empty file (LIM-7: size >= 1)");
  Pending p;
  p.op = sink_.NewOp();
  p.id = call;
  const std::size_t size = bytes.size();
  p.arg = std::move(bytes);  // kept until AOI names the transfer
  return Send(now, Req::kRoi, "ROI", [&](wire::LineWriter& w) {
    w.ParamNumber(call).Param(name).ParamNumber(size);
  }, std::move(p));
}

std::uint64_t SgSession::AcceptFile(TimeUs now, std::uint32_t transfer) {
  if (auto r = NeedActive(now, McOp::kFileDecision)) return r;
  if (!xfer().files_in_.count(transfer)) return Refuse(now, McOp::kFileDecision, "no such incoming offer");
  Pending p;
  p.op = sink_.NewOp();
  p.id = transfer;
  p.arg = "accept";
  return Send(now, Req::kRor, "ROR", [&](wire::LineWriter& w) { w.ParamNumber(transfer).Param("accept"); },
              std::move(p));
}

std::uint64_t SgSession::RejectFile(TimeUs now, std::uint32_t transfer) {
  if (auto r = NeedActive(now, McOp::kFileDecision)) return r;
  if (!xfer().files_in_.count(transfer)) return Refuse(now, McOp::kFileDecision, "no such incoming offer");
  Pending p;
  p.op = sink_.NewOp();
  p.id = transfer;
  p.arg = "reject";
  return Send(now, Req::kRor, "ROR", [&](wire::LineWriter& w) { w.ParamNumber(transfer).Param("reject"); },
              std::move(p));
}

std::uint64_t SgSession::CancelFile(TimeUs now, std::uint32_t transfer) {
  if (auto r = NeedActive(now, McOp::kCancelFile)) return r;
  auto it = xfer().files_out_.find(transfer);
  if (it == xfer().files_out_.end()) return Refuse(now, McOp::kCancelFile, "no such outgoing transfer");
  if (it->second.next_offset > 0) {
    return Refuse(now, McOp::kCancelFile, "a chunk was already sent (SG-FILE-7)");
  }
  it->second.cancelled = true;  // never send ROT after ROC (SG-FILE-7)
  Pending p;
  p.op = sink_.NewOp();
  p.id = transfer;
  return Send(now, Req::kRoc, "ROC", [&](wire::LineWriter& w) { w.ParamNumber(transfer); }, std::move(p));
}

std::uint64_t SgSession::SendVoice(TimeUs now, std::uint32_t call, std::string clip) {
  if (auto r = NeedActive(now, McOp::kSendVoice)) return r;
  if (clip.empty()) return Refuse(now, McOp::kSendVoice, "empty clip");
  if (!config_.nonconforming_unchecked_voice) {
    if (clip.size() > kMaxObject) return Refuse(now, McOp::kSendVoice, "clip over LIM-8");
    if (auto v = ValidateVoice(clip); !v.ok()) {
      return Refuse(now, McOp::kSendVoice, "not GSM 6.10 (SG-VOICE-5): " + v.status().ToString());
    }
  }
  Upload up;
  up.op = sink_.NewOp();
  up.call = call;
  up.id = xfer().next_voice_id_++;
  if (xfer().next_voice_id_ == 0) xfer().next_voice_id_ = 1;  // voiceId 1..4294967295
  up.data = std::move(clip);
  up.sending = true;
  const std::uint64_t op = up.op;
  xfer().voice_out_[up.id] = std::move(up);
  PumpChunks(now);
  return op;
}

void SgSession::PumpChunks(TimeUs now) {
  if (!xfer_) return;  // no transfer ever started: nothing to pump
  // PAY-8: <= chunk_window per object; LIM-20: <= session_window in total;
  // PAY-12: ascending offsets. Voice first, then files, each by id.
  auto pump = [&](std::map<std::uint32_t, Upload>& uploads, bool voice) {
    for (auto& [id, up] : uploads) {
      if (!up.sending || up.cancelled) continue;
      while (up.next_offset < up.data.size() && up.outstanding < config_.chunk_window &&
             link_.outstanding() < config_.session_window) {
        const auto total = static_cast<std::uint32_t>(up.data.size());
        const std::uint32_t offset = up.next_offset;
        const std::string_view chunk = std::string_view(up.data).substr(offset, kChunk);
        const std::uint32_t call = up.call;
        const std::uint32_t object = id;
        Pending p;
        p.req = voice ? Req::kRsv : Req::kRot;
        p.id = object;
        p.offset = offset;
        const std::uint64_t tag = next_tag_++;
        auto trid = link_.Send(now, voice ? "RSV" : "ROT", [&](wire::LineWriter& w) {
          if (voice) w.ParamNumber(call);
          w.ParamNumber(object).ParamNumber(offset).ParamNumber(total).Payload(chunk);
        }, tag);
        if (!trid.ok()) {
          FailUpload(now, voice, object, McEvent::Outcome::kRefused, 0, trid.status().ToString());
          return;  // the map changed: stop this round
        }
        p.trid = *trid;
        pending_.emplace(tag, std::move(p));
        up.next_offset += static_cast<std::uint32_t>(chunk.size());
        ++up.outstanding;
      }
    }
  };
  pump(xfer().voice_out_, true);
  pump(xfer().files_out_, false);
}

void SgSession::FailUpload(TimeUs now, bool voice, std::uint32_t id, McEvent::Outcome outcome,
                           std::uint16_t status, std::string detail) {
  auto& uploads = voice ? xfer().voice_out_ : xfer().files_out_;
  auto it = uploads.find(id);
  if (it == uploads.end()) return;
  const Req req = voice ? Req::kRsv : Req::kRot;
  for (auto p = pending_.begin(); p != pending_.end();) {
    if (p->second.req == req && p->second.id == id) {
      link_.Cancel(p->second.trid, voice ? "RSV" : "ROT");
      p = pending_.erase(p);
    } else {
      ++p;
    }
  }
  McEvent e;
  e.op_id = voice ? it->second.op : 0;
  e.op = voice ? McOp::kSendVoice : McOp::kFileFailed;
  e.outcome = voice ? outcome : McEvent::Outcome::kOk;
  e.status = status;
  e.call_id = it->second.call;
  e.object_id = id;
  e.detail = std::move(detail);
  e.at = now;
  uploads.erase(it);
  sink_.Emit(std::move(e));
}

void SgSession::OnChunkAnswer(TimeUs now, const Pending& p, std::uint16_t status, bool gave_up) {
  const bool voice = p.req == Req::kRsv;
  auto& uploads = voice ? xfer().voice_out_ : xfer().files_out_;
  auto it = uploads.find(p.id);
  if (it == uploads.end()) return;
  Upload& up = it->second;
  --up.outstanding;
  const std::string at = " (chunk at offset " + std::to_string(p.offset) + ")";
  if (gave_up) {
    return FailUpload(now, voice, p.id, McEvent::Outcome::kGaveUp, 0, "a chunk gave up (PAY-11)" + at);
  }
  if (status != 0) {
    return FailUpload(now, voice, p.id, McEvent::Outcome::kStatus, status, "chunk refused" + at);
  }
  ++up.acked;
  if (up.acked < Chunks(static_cast<std::uint32_t>(up.data.size()))) return;
  McEvent e;
  e.call_id = up.call;
  e.object_id = p.id;
  e.at = now;
  if (voice) {
    e.op_id = up.op;
    e.op = McOp::kSendVoice;
    uploads.erase(it);
    return sink_.Emit(std::move(e));
  }
  // Uploaded: the bytes are no longer needed; ROR done/failed ends the transfer.
  e.op = McOp::kFileUploaded;
  up.data = std::string();
  up.sending = false;
  Notify(std::move(e));
}

void SgSession::OnRoa(TimeUs now, const wire::CommandView& c, Reply& reply) {
  // SG-FILE-3: acknowledge at once; the user's decision follows as ROR.
  if (c.param_count() != 5) return reply.Fail(StatusCode::kBadParamCount);
  const auto call = ParseDec(c.raw_param(0));
  const auto id = ParseDec(c.raw_param(1));
  std::string sender = c.DecodeParam(2);
  std::string name = c.DecodeParam(3);
  const auto size = ParseDec(c.raw_param(4));
  if (!call || !id || !IsAccountName(sender) || name.empty() || name.size() > 255 || !size ||
      *size == 0 || *size > kMaxObject) {
    return reply.Fail(StatusCode::kBadParam);  // SG-FILE-4: treated as reject
  }
  reply.Ok();
  if (xfer().files_in_.count(*id)) return;
  Incoming in;
  in.call = *call;
  in.total = *size;
  in.sender = sender;
  in.name = name;
  xfer().files_in_[*id] = std::move(in);
  McEvent e;
  e.op = McOp::kFileOffered;
  e.call_id = *call;
  e.object_id = *id;
  e.account = std::move(sender);
  e.text = std::move(name);
  e.params = {std::to_string(*size)};
  e.at = now;
  Notify(std::move(e));
}

void SgSession::OnRorFromSg(TimeUs now, const wire::CommandView& c, Reply& reply) {
  if (c.param_count() != 2) return reply.Fail(StatusCode::kBadParamCount);
  const auto id = ParseDec(c.raw_param(0));
  const std::string_view d = c.raw_param(1);
  if (!id || (d != "accept" && d != "reject" && d != "done" && d != "failed")) {
    return reply.Fail(StatusCode::kBadParam);
  }
  reply.Ok();
  auto it = xfer().files_out_.find(*id);
  if (it == xfer().files_out_.end()) {
    // The decision may overtake the AOI of a still outstanding ROI.
    const bool roi_open = std::any_of(pending_.begin(), pending_.end(),
                                      [](const auto& kv) { return kv.second.req == Req::kRoi; });
    if (roi_open && xfer().early_decisions_.size() < 8) xfer().early_decisions_[*id] = std::string(d);
    return;
  }
  McEvent e;
  e.call_id = it->second.call;
  e.object_id = *id;
  e.at = now;
  if (d == "accept") {
    if (it->second.cancelled || it->second.sending || it->second.acked > 0) return;
    it->second.sending = true;  // SG-FILE-6: now the chunks may flow
    e.op = McOp::kFileAccepted;
    return Notify(std::move(e));
  }
  if (d == "failed") {
    return FailUpload(now, false, *id, McEvent::Outcome::kOk, 0, "ROR failed from SG (SG-FILE-12)");
  }
  e.op = d == "reject" ? McOp::kFileRejected : McOp::kFileDone;
  xfer().files_out_.erase(it);
  Notify(std::move(e));
}

void SgSession::OnRocFromSg(TimeUs now, const wire::CommandView& c, Reply& reply) {
  if (c.param_count() != 1) return reply.Fail(StatusCode::kBadParamCount);
  const auto id = ParseDec(c.raw_param(0));
  if (!id) return reply.Fail(StatusCode::kBadParam);
  reply.Ok();
  auto it = xfer().files_in_.find(*id);
  if (it == xfer().files_in_.end()) return;
  McEvent e;
  e.op = McOp::kFileCancelled;
  e.call_id = it->second.call;
  e.object_id = *id;
  e.account = it->second.sender;
  e.at = now;
  xfer().files_in_.erase(it);
  Notify(std::move(e));
}

void SgSession::OnChunk(TimeUs now, const wire::CommandView& c, Reply& reply, bool voice) {
  // ROT: transferId offset total; RRV: callId voiceId sender offset total
  // (the codec strips the length param, PAY-1).
  if (c.param_count() != (voice ? 5u : 3u)) return reply.Fail(StatusCode::kBadParamCount);
  const std::size_t b = voice ? 3 : 1;
  const auto id = ParseDec(c.raw_param(voice ? 1 : 0));
  const auto offset = ParseDec(c.raw_param(b));
  const auto total = ParseDec(c.raw_param(b + 1));
  const std::string_view data = c.payload().value_or("");
  std::optional<std::uint32_t> call;
  std::string sender;
  if (voice) {
    call = ParseDec(c.raw_param(0));
    sender = c.DecodeParam(2);
  }
  // PAY-5 (RRV: total <= LIM-8, else 104 at the MC).
  if (!id || !offset || !total || *total == 0 || *offset % kChunk != 0 || *offset >= *total ||
      data.size() != std::min(kChunk, *total - *offset) || (voice && (!call || *total > kMaxObject))) {
    return reply.Fail(StatusCode::kBadPayload);
  }
  auto& objects = voice ? xfer().voice_in_ : xfer().files_in_;
  auto& done = voice ? xfer().done_voice_ : xfer().done_files_;
  auto it = objects.find(*id);
  if (it == objects.end()) {
    if (Remembered(done, *id)) return reply.Ok();  // duplicate of a completed object (PAY-9)
    if (!voice) return reply.Fail(StatusCode::kBadPayload);  // no such offer
    Incoming in;
    in.call = *call;
    in.total = *total;
    in.sender = sender;
    it = objects.emplace(*id, std::move(in)).first;
  }
  Incoming& in = it->second;
  if (*total != in.total) return reply.Fail(StatusCode::kBadPayload);  // PAY-6, SG-FILE-11
  if (in.bytes.empty()) {
    in.bytes.assign(in.total, '\0');
    in.have.assign(Chunks(in.total), false);
  }
  const std::size_t chunk = *offset / kChunk;
  if (!in.have[chunk]) {  // PAY-9: the first accepted copy wins
    in.bytes.replace(*offset, data.size(), data);
    in.have[chunk] = true;
    ++in.received;
    in.last_progress = now;
  }
  if (in.received < in.have.size()) return reply.Ok();
  // PAY-10: completion processing before the completing chunk's answer.
  McEvent e;
  e.call_id = in.call;
  e.object_id = *id;
  e.account = in.sender;
  e.text = in.name;
  e.at = now;
  if (voice) {
    e.op = McOp::kVoiceReceived;
    if (auto v = ValidateVoice(in.bytes); !v.ok()) {
      objects.erase(it);
      reply.Fail(StatusCode::kBadPayload);
      e.outcome = McEvent::Outcome::kStatus;
      e.status = Code(StatusCode::kBadPayload);
      e.detail = "relayed clip is not GSM 6.10: " + v.status().ToString();
      return Notify(std::move(e));
    }
  } else {
    e.op = McOp::kFileReceived;
  }
  e.data = std::move(in.bytes);
  objects.erase(it);
  Remember(done, *id);
  reply.Ok();
  Notify(std::move(e));
}

TimeUs SgSession::IncomingDeadline() const {
  TimeUs t = kNever;
  if (!xfer_) return t;
  for (const auto* objects : {&xfer_->files_in_, &xfer_->voice_in_}) {
    for (const auto& [id, in] : *objects) {
      if (in.received > 0) t = std::min(t, in.last_progress + config_.transfer_idle_timeout);
    }
  }
  return t;
}

void SgSession::ExpireIncoming(TimeUs now) {
  if (!xfer_) return;
  // PAY-11 / TIMER-12: an incomplete object without progress is discarded.
  for (bool voice : {false, true}) {
    auto& objects = voice ? xfer().voice_in_ : xfer().files_in_;
    for (auto it = objects.begin(); it != objects.end();) {
      const Incoming& in = it->second;
      if (in.received == 0 || in.last_progress + config_.transfer_idle_timeout > now) {
        ++it;
        continue;
      }
      if (!voice) {
        McEvent e;
        e.op = McOp::kFileFailed;
        e.call_id = in.call;
        e.object_id = it->first;
        e.account = in.sender;
        e.detail = "no progress for the transfer-idle timeout (TIMER-12)";
        e.at = now;
        Notify(std::move(e));
      }
      it = objects.erase(it);
    }
  }
}

}  // namespace mcpsim::reference
