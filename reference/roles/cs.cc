#include "reference/roles/cs.h"

#include <algorithm>

#include "reference/roles/validate.h"

namespace mcpsim::reference {

CsRole::CsRole(CsConfig config, Store& store, std::string name)
    : config_(std::move(config)), by_address_(config_.per_address), by_mid_(config_.per_mid),
      store_(store), name_(std::move(name)), server_(*this, config_.server) {}

void CsRole::OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) {
  if (!config_.test_cache_without_endpoint) return server_.OnDatagram(now, from, bytes, out_);
  const std::size_t before = out_.size();  // CS answers synchronously (no slow work)
  server_.OnDatagram(now, Endpoint{}, bytes, out_);
  for (std::size_t i = before; i < out_.size(); ++i) {
    if (out_[i].kind == Output::Kind::kDatagram) out_[i].to = from;
  }
}

void CsRole::Drain(std::vector<Output>& out) {
  std::move(out_.begin(), out_.end(), std::back_inserter(out));
  out_.clear();
}

bool CsRole::Admit(const RequestContext& ctx, const std::string& mid) {
  const std::string address = AddressKey(ctx.source, config_.server.test_rate_key_port);
  if (by_address_.Take(ctx.now, address) && by_mid_.Take(ctx.now, mid)) return true;
  ++rate_limited_;
  return false;
}

void CsRole::HandleRequest(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply) {
  if (cmd.word() == "RUP") return HandleUpload(ctx, cmd, reply);
  if (cmd.word() == "RAD") {
    // CS-3: CS MAY rate-limit any request with 403.
    if (FaultPoint(config_.server.faults, "cs.ad.rate_limited")) return reply.Fail(StatusCode::kRateLimited);
    return Ad(ctx, cmd, reply);
  }
  if (IsServerOnlyWord(cmd.word())) return reply.Fail(StatusCode::kNotAllowed);  // WIRE-21
  reply.Fail(StatusCode::kUnknownCommand);
}

void CsRole::HandleUpload(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply) {
  if (cmd.param_count() != 4) return reply.Fail(StatusCode::kBadParamCount);
  Upload& u = upload_;  // every field is set below
  cmd.DecodeParamInto(0, u.mid);
  cmd.DecodeParamInto(1, u.kind);
  const std::string ts = cmd.DecodeParam(2);
  const auto t = ts.size() <= 16 ? ParseDec64(ts) : std::nullopt;
  if (!IsHex32(u.mid) || !IsEventKind(u.kind) || !t) return reply.Fail(StatusCode::kBadParam);
  cmd.DecodeParamInto(3, u.data);
  if (u.data.size() > 1000) return reply.Fail(StatusCode::kTextTooLong);
  if (!Admit(ctx, u.mid)) return reply.Fail(StatusCode::kRateLimited);
  // CS-3: rate-limited (403, nothing recorded); the MC may resend it later as
  // a new request (CS-4).
  if (FaultPoint(config_.server.faults, "cs.upload.rate_limited")) return reply.Fail(StatusCode::kRateLimited);
  u.timestamp_ms = *t;
  u.received_ms = ctx.now / kMillis;
  // CS-1: recorded once even if the answer cache was lost. (The TEST-ONLY
  // broken reference without duplicate suppression stays broken.)
  u.trid = config_.server.dedup_enabled ? std::optional<std::uint32_t>(cmd.trid()) : std::nullopt;
  reply.MarkWrite();
  if (!store_.AddUpload(u).ok()) return reply.Fail(StatusCode::kStorage);
  ++uploads_;
  reply.Ok();
}

void CsRole::Ad(const RequestContext& ctx, const wire::CommandView& cmd, Reply& reply) {
  if (cmd.param_count() != 2) return reply.Fail(StatusCode::kBadParamCount);
  const std::string mid = cmd.DecodeParam(0), slot = cmd.DecodeParam(1);
  if (!IsHex32(mid) || !IsPlatform(slot)) return reply.Fail(StatusCode::kBadParam);
  if (!Admit(ctx, mid)) return reply.Fail(StatusCode::kRateLimited);
  std::vector<const AdEntry*> ads;
  for (const AdEntry& a : config_.catalog) {
    if (a.slot == slot) ads.push_back(&a);
  }
  if (ads.empty()) return reply.Ok({"", "", "", "", ""});
  const AdEntry& a = *ads[next_ad_[slot]++ % ads.size()];
  reply.Ok({a.ad_id, a.image_url, a.click_url, std::to_string(a.width), std::to_string(a.height)});
}

}  // namespace mcpsim::reference
