// The protocol's words, described once (PROTOCOL.md Appendix A): each request
// word with its answer word, the role that serves it, who may send it, whether
// it carries a payload (PAY-1) and the section that specifies it.
//
// Readers: the codec's payload rule (IsPayloadWord), the servers' WIRE-21
// server-only rule (IsServerOnlyWord), the MC's list of server requests it
// answers. tests/wire/words_test.cc checks that this table and Appendix A
// agree row by row, so a word added here and not documented (or the other
// way round) fails the build's tests.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mcpsim::wire {

enum class WordRole : std::uint8_t { kDp, kRs, kSg, kCs, kAnyUdp };

enum class WordDirection : std::uint8_t {
  kClientToServer,  // C→S: a client's request
  kServerToClient,  // S→C: a server-initiated request the client answers
  kBoth,            // either side sends it (file transfer decisions and chunks)
  kNever,           // valid from nobody (RSN: always answered 310, SG-NUDGE-4)
  kEither,          // RPAD: padding any UDP receiver skips (§6.3)
};

struct WordInfo {
  std::string_view request;
  std::string_view answer;   // "" = never answered (RPAD)
  WordRole role;
  WordDirection direction;
  bool payload;              // PAY-1
  std::string_view section;  // "§7.5"
  std::string_view note;     // how it travels when it matters ("HTTP GET"), or ""
};

// Every word, in Appendix A's order.
std::span<const WordInfo> AllWords();
// The row of request word `word`, or nullptr (answer words are not rows).
const WordInfo* FindWord(std::string_view word);
// True iff a server sends `word` to a client (S→C or both).
bool ServerSends(const WordInfo& w);
// The table's payload words (PAY-1), and its S→C-only words (WIRE-21),
// without a table scan (the parser and the servers ask per command).
bool IsPayloadRequest(std::string_view word);
bool IsServerToClientOnly(std::string_view word);

// Appendix A's rendering of the role and direction columns.
std::string_view RoleText(WordRole role);
std::string DirectionText(const WordInfo& w);

}  // namespace mcpsim::wire
