// What a case may assume about the target's catalogue (issue 14): nothing.
// Ad slots come from --ad-slot (default: try `top`); media ids from
// --media-id, else from the imageUrl of an ad the target returns. And what the
// cases know of the target's RATE-8 bucket for the runner's address (AwaitCsTokens).
#include <algorithm>
#include <string>

#include "conformance/catalog.h"

namespace mcpsim::conformance {

std::vector<std::string> AdSlots(const Ctx& c) {
  if (!c.target().ad_slots.empty()) return c.target().ad_slots;
  return {"top"};
}

std::optional<std::string> MediaIdFromUrl(std::string_view url) {
  const auto at = url.find("/media/");
  if (at == std::string_view::npos) return std::nullopt;
  std::string id(url.substr(at + 7));
  if (id.empty() || id.size() > 64) return std::nullopt;
  for (char ch : id) {  // LIM-18
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    if (!ok) return std::nullopt;
  }
  return id;
}

std::optional<std::string> FindMediaId(Ctx& c) {
  if (!c.target().media_ids.empty()) return c.target().media_ids.front();
  if (!c.target().udp) return std::nullopt;
  std::uint32_t trid = 9100;
  for (const std::string& slot : AdSlots(c)) {
    // Pre-padded (AMP-4) so that the full AAD fits the budget at once.
    std::string d = "RAD " + std::to_string(trid) + " 58d05d6affef8ab9dd5a8be7afdf1c83 " + slot + "\r\n";
    d += "RPAD " + std::to_string(trid + 1) + " " + std::string(1200, '0') + "\r\n";
    if (!c.UdpSend(d).ok()) return std::nullopt;
    for (const std::string& got : c.UdpRecv(c.io_timeout_ms())) {
      for (const wire::Command& a : Decode(got)) {
        if (a.word == "AAD" && a.trid == trid && a.status == 0u && a.params.size() == 5) {
          if (auto id = MediaIdFromUrl(a.params[1])) return id;
        }
      }
    }
    trid += 2;
  }
  return std::nullopt;
}

Outcome NoMediaId() {
  return Outcome{reports::Verdict::kInformational, "a media id to fetch", "none known",
                 "not judged: give --media-id, or --ad-slot naming a slot whose AAD has an imageUrl"};
}

std::vector<std::string> CaseRoles(const CaseDef& d) {
  const std::string& id = d.id;
  auto starts = [&id](const char* p) { return id.rfind(p, 0) == 0; };
  if (starts("udp.dispatch")) return {"cs", "sg"};  // ARCH-6: CS and SG on one UDP port
  if (starts("sg.") || starts("tcp.") || starts("rate.rat.") || starts("udp.cache.login")) return {"sg", "rs"};
  if (starts("amp.validated.")) return {"sg", "rs"};  // AMP-6 judged on an SG session (RPS + RLO)
  if (starts("rate.rup.")) return {"cs"};
  if (starts("rate.rap.")) return {"rs"};
  if (starts("http.conn.") || starts("http.header.")) return {"dp"};
  if (starts("http.content_length")) return {"rs"};  // POST /mcp (the listener answers before RS)
  if (starts("rs.tcp.")) return {"rs", "sg"};  // the new account logs in
  if (starts("cs.ad.media")) return {"cs", "ms"};
  if (starts("cs.") || starts("wire.") || starts("udp.") || starts("amp.") || starts("enc.")) return {"cs"};
  if (starts("dp.")) return {"dp"};
  if (starts("rs.")) return {"rs"};
  if (starts("ms.")) return {"ms"};
  if (starts("http.content_type") || starts("http.post")) return {"rs"};
  if (starts("http.path") || starts("http.method")) return {};  // any HTTP role
  if (d.group == "DP") return {"dp"};
  return {};
}

namespace {
constexpr double kCsAddressRate = 50, kCsAddressDepth = 200;  // RATE-8 defaults
double CsTokensNow(const Target::TokenModel& m, TimeUs now) {
  if (m.at < 0) return kCsAddressDepth;
  return std::min(kCsAddressDepth, m.tokens + kCsAddressRate * static_cast<double>(now - m.at) / 1e6);
}
}  // namespace

void AwaitCsTokens(Ctx& c, int n) {
  const Target::TokenModel& m = *c.target().cs_address_tokens;
  const double need = std::min(kCsAddressDepth, static_cast<double>(n) + 20);
  const double have = CsTokensNow(m, c.target().env->Now());
  if (have >= need) return;
  const int ms = static_cast<int>((need - have) / kCsAddressRate * 1000) + 1;
  c.Note("waiting " + std::to_string(ms) + " ms: the runner address's RUP bucket (RATE-8, 50/s) refills after earlier cases");
  c.Sleep(ms);
}

void ChargeCsTokens(Ctx& c, int n) {
  Target::TokenModel& m = *c.target().cs_address_tokens;
  const TimeUs now = c.target().env->Now();
  m.tokens = std::max(0.0, CsTokensNow(m, now) - n);
  m.at = now;
}

}  // namespace mcpsim::conformance
