// SG voice clips (§7.8: RSV → RRV, SG-VOICE-*): collect every chunk, validate
// GSM 6.10 on completion (SG-VOICE-6), then relay to each other voice-capable
// member under a fresh voiceId.
#include <algorithm>

#include "reference/media/voice.h"
#include "reference/roles/sg/sg.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {

void SgRole::Rsv(const RequestContext& ctx, Session* s, const wire::CommandView& cmd,
                 Reply& reply) {
  const auto voice_id = ParseDec(cmd.DecodeParam(1));
  if (!voice_id || *voice_id == 0) return reply.Fail(StatusCode::kBadParam);  // CONV-5
  Call* call = MemberCall(cmd, 0, *s, reply);
  if (!call) return;
  bool listener = false;
  for (const std::string& m : call->members) {
    if (m == s->account) continue;
    Peer p = Locate(m);
    listener |= p && p.s->state == SessionState::kActive && (p.s->caps & kCapVoice);
    if (auto r = backend_.remote_.find(m); !p && r != backend_.remote_.end()) {
      listener |= (r->second.caps & kCapVoice) != 0;  // ACTIVE at another SG process (CLU-16)
    }
  }
  if (!(s->caps & kCapVoice) || !listener) return reply.Fail(StatusCode::kNoCapability);
  const auto offset = ParseDec64(cmd.DecodeParam(2));
  const auto total = ParseDec64(cmd.DecodeParam(3));
  if (total && *total > config_.max_object) return reply.Fail(StatusCode::kTooLarge);  // LIM-8
  const std::string_view payload = cmd.payload().value_or(std::string_view());
  if (!offset || !total || !ChunkOk(*offset, *total, payload.size())) {
    return reply.Fail(StatusCode::kBadPayload);  // PAY-5
  }
  const auto key = std::make_pair(s->account, *voice_id);
  auto it = backend_.clips_.find(key);
  if (it == backend_.clips_.end()) {
    Clip c;
    c.call_id = call->id;
    c.total = static_cast<std::uint32_t>(*total);
    c.data.assign(c.total, '\0');
    c.have.assign((c.total + 1023) / 1024, false);
    c.home = this;
    it = backend_.clips_.emplace(key, std::move(c)).first;
  } else if (it->second.total != *total || it->second.call_id != call->id) {
    return reply.Fail(StatusCode::kBadPayload);  // PAY-6
  }
  Clip& c = it->second;
  c.last_progress = ctx.now;
  const std::size_t k = *offset / 1024;
  if (!c.have[k]) {  // PAY-9
    c.have[k] = true;
    ++c.have_count;
    c.data.replace(*offset, payload.size(), payload);
  }
  if (c.have_count < c.have.size()) return reply.Ok();
  // PAY-10 / SG-VOICE-2: validate before answering the completing chunk.
  const std::string clip = std::move(c.data);
  backend_.clips_.erase(it);
  if (!ValidateVoice(clip).ok()) return reply.Fail(StatusCode::kBadFormat);
  reply.Ok();
  // SG-VOICE-3: each other voice-capable member, member order, new voiceId.
  for (const std::string& m : call->members) {
    if (m == s->account) continue;
    if (Peer p = Locate(m)) {
      RelayClip(*p.s, call->id, s->account, clip);
    } else if (const std::uint32_t sg = backend_.RemoteSgOf(m)) {
      Relay r;  // CLU-16: the member's SG process relays it under its own voiceId
      r.kind = Relay::Kind::kVoice;
      r.to_sg = sg;
      r.account = m;
      r.call_id = call->id;
      r.params = {s->account};
      r.data = clip;
      backend_.Emit(std::move(r));
    }
  }
}

void SgRole::RelayClip(Session& to, std::uint64_t call_id, const std::string& from, const std::string& clip) {
  if (to.state != SessionState::kActive || !(to.caps & kCapVoice)) return;
  auto next = backend_.NextVoiceId();
  if (!next.ok()) return;  // CLU-9: this member misses the clip (as after SG-VOICE-4)
  const std::uint32_t rid = *next;
  const std::string sid = std::to_string(call_id), stotal = std::to_string(clip.size());
  const std::uint32_t chunks = static_cast<std::uint32_t>((clip.size() + 1023) / 1024);
  backend_.relays_[rid] = VoiceRelay{call_id, to.account, chunks, 0};
  for (std::size_t off = 0; off < clip.size(); off += 1024) {
    Enqueue(to, "RRV", {sid, std::to_string(rid), from, std::to_string(off), stotal}, rid, kVoiceGroup | rid,
            std::string_view(clip).substr(off, 1024));
  }
}

void SgRole::OnVoiceAnswer(Session& s, const PushChannel::Entry& e, std::uint32_t status) {
  auto it = backend_.relays_.find(e.tag);
  if (it == backend_.relays_.end()) return;
  if (status != 0 && config_.voice_refusal_stops) {  // SG-VOICE-4: this member stops receiving the clip
    s.push.DropGroup(kVoiceGroup | e.tag);
    backend_.relays_.erase(it);
    return;
  }
  if (++it->second.acked >= it->second.chunks) backend_.relays_.erase(it);
}

void SgRole::EndVoiceOf(std::string_view account, std::uint64_t call_id) {
  for (auto it = backend_.clips_.begin(); it != backend_.clips_.end();) {
    const bool match = (call_id == 0 || it->second.call_id == call_id) &&
                       (account.empty() || it->first.first == account);
    it = match ? backend_.clips_.erase(it) : std::next(it);
  }
  for (auto it = backend_.relays_.begin(); it != backend_.relays_.end();) {
    const VoiceRelay& r = it->second;
    if ((call_id != 0 && r.call_id != call_id) || (!account.empty() && r.recipient != account)) {
      ++it;
      continue;
    }
    if (Peer p = Locate(r.recipient)) {
      p.s->push.DropGroup(kVoiceGroup | it->first);
      p.sg->MarkDirty(*p.s);
    }
    it = backend_.relays_.erase(it);
  }
}

}  // namespace mcpsim::reference
