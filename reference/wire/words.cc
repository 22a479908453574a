#include "reference/wire/words.h"

#include <array>


namespace mcpsim::wire {
namespace {

using R = WordRole;
using D = WordDirection;

constexpr WordInfo kWords[] = {
    {"RQQW", "AQQW", R::kDp, D::kClientToServer, false, "§7.1", "HTTP GET"},
    {"RAP", "AAP", R::kRs, D::kClientToServer, false, "§7.2", ""},
    {"RBIN", "ABIN", R::kRs, D::kServerToClient, true, "§7.2", ""},
    {"REG", "AEG", R::kRs, D::kClientToServer, false, "§7.2", ""},
    {"RAT", "AAT", R::kSg, D::kClientToServer, false, "§7.3", ""},
    {"RSII", "ASII", R::kSg, D::kClientToServer, false, "§7.3", ""},
    {"RLI", "ALI", R::kSg, D::kClientToServer, false, "§7.3", ""},
    {"RPOL", "APOL", R::kSg, D::kClientToServer, false, "§7.3", ""},
    {"RLO", "ALO", R::kSg, D::kClientToServer, false, "§7.3", ""},
    {"ROUT", "AOUT", R::kSg, D::kServerToClient, false, "§7.3", ""},
    {"RCS", "ACS", R::kSg, D::kServerToClient, false, "§7.4.1", ""},
    {"RCR", "ACR", R::kSg, D::kServerToClient, false, "§7.4.2", ""},
    {"RPS", "APS", R::kSg, D::kClientToServer, false, "§7.4.3", ""},
    {"RCE", "ACE", R::kSg, D::kClientToServer, false, "§7.4.4", ""},
    {"RNP", "ANP", R::kSg, D::kServerToClient, false, "§7.4.5", ""},
    {"RSI", "ASI", R::kSg, D::kClientToServer, false, "§7.5", ""},
    {"RRI", "ARI", R::kSg, D::kServerToClient, false, "§7.5", ""},
    {"RSR", "ASR", R::kSg, D::kClientToServer, false, "§7.5", ""},
    {"RRR", "ARR", R::kSg, D::kServerToClient, false, "§7.5", ""},
    {"RAC", "AAC", R::kSg, D::kServerToClient, false, "§7.5", ""},
    {"RCM", "ACM", R::kSg, D::kClientToServer, false, "§7.5", ""},
    {"RSM", "ASM", R::kSg, D::kClientToServer, false, "§7.5", ""},
    {"RRM", "ARM", R::kSg, D::kServerToClient, false, "§7.5", ""},
    {"RSB", "ASB", R::kSg, D::kClientToServer, false, "§7.5", ""},
    {"RRB", "ARB", R::kSg, D::kServerToClient, false, "§7.5", ""},
    {"ROM", "AOM", R::kSg, D::kClientToServer, false, "§7.6", ""},
    {"RPN", "APN", R::kSg, D::kServerToClient, false, "§7.6", ""},
    {"ROI", "AOI", R::kSg, D::kClientToServer, false, "§7.7", ""},
    {"ROA", "AOA", R::kSg, D::kServerToClient, false, "§7.7", ""},
    {"ROR", "AOR", R::kSg, D::kBoth, false, "§7.7", ""},
    {"ROC", "AOC", R::kSg, D::kBoth, false, "§7.7", ""},
    {"ROT", "AOT", R::kSg, D::kBoth, true, "§7.7", ""},
    {"RSV", "ASV", R::kSg, D::kClientToServer, true, "§7.8", ""},
    {"RRV", "ARV", R::kSg, D::kServerToClient, true, "§7.8", ""},
    {"RRN", "ARN", R::kSg, D::kServerToClient, false, "§7.8", "client sending it → 310"},
    {"RSN", "ASN", R::kSg, D::kNever, false, "§7.8", ""},
    {"RUP", "AUP", R::kCs, D::kClientToServer, false, "§7.9.2", ""},
    {"RAD", "AAD", R::kCs, D::kClientToServer, false, "§7.9.3", ""},
    {"RPAD", "", R::kAnyUdp, D::kEither, false, "§6.3", ""},
};

// The hot readers (the parser asks for every command) scan short lists
// derived from the table at compile time, not the whole table.
template <typename Pred>
constexpr std::size_t Count(Pred pred) {
  std::size_t n = 0;
  for (const WordInfo& w : kWords) n += pred(w) ? 1 : 0;
  return n;
}
template <std::size_t N, typename Pred>
constexpr std::array<std::string_view, N> Select(Pred pred) {
  std::array<std::string_view, N> out{};
  std::size_t n = 0;
  for (const WordInfo& w : kWords) {
    if (pred(w)) out[n++] = w.request;
  }
  return out;
}
constexpr auto kIsPayload = [](const WordInfo& w) { return w.payload; };
constexpr auto kIsServerOnly = [](const WordInfo& w) { return w.direction == D::kServerToClient; };
constexpr auto kPayloadWords = Select<Count(kIsPayload)>(kIsPayload);
constexpr auto kServerOnlyWords = Select<Count(kIsServerOnly)>(kIsServerOnly);

template <std::size_t N>
bool In(const std::array<std::string_view, N>& words, std::string_view w) {
  for (std::string_view k : words) {
    if (k == w) return true;
  }
  return false;
}

}  // namespace

std::span<const WordInfo> AllWords() { return kWords; }

bool IsPayloadRequest(std::string_view word) { return In(kPayloadWords, word); }
bool IsServerToClientOnly(std::string_view word) { return In(kServerOnlyWords, word); }

const WordInfo* FindWord(std::string_view word) {
  for (const WordInfo& w : AllWords()) {
    if (w.request == word) return &w;
  }
  return nullptr;
}

bool ServerSends(const WordInfo& w) {
  return w.direction == WordDirection::kServerToClient || w.direction == WordDirection::kBoth;
}

std::string_view RoleText(WordRole role) {
  switch (role) {
    case WordRole::kDp: return "DP";
    case WordRole::kRs: return "RS";
    case WordRole::kSg: return "SG";
    case WordRole::kCs: return "CS";
    case WordRole::kAnyUdp: return "any UDP receiver";
  }
  return "?";
}

std::string DirectionText(const WordInfo& w) {
  std::string d;
  switch (w.direction) {
    case WordDirection::kClientToServer: d = "C→S"; break;
    case WordDirection::kServerToClient: d = "S→C"; break;
    case WordDirection::kBoth: d = "both"; break;
    case WordDirection::kNever: d = "never valid (always answered 310)"; break;
    case WordDirection::kEither: d = "either"; break;
  }
  if (!w.note.empty()) d += " (" + std::string(w.note) + ")";
  return d;
}

}  // namespace mcpsim::wire
