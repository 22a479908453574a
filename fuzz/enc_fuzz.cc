// libFuzzer target: the encrypted-UDP envelope (PROTOCOL.md §6.5). The input
// drives two senders sealing datagrams and an attacker that delivers them to
// one receiver duplicated, reordered, truncated or with flipped bits, plus
// raw junk envelopes. Checks (trap on failure):
//  1. an opened envelope's plaintext is exactly what its sender sealed;
//  2. every sealed (sender, counter) is accepted at most once (ENC-5);
//  3. a modified envelope is never accepted (ENC-4);
//  4. the receiver's state stays bounded (max_senders).
// (Time stands still here; ENC-7's idle discard, which legitimately accepts a
// very old replay again, is covered by tests/net/enc_test.cc.)
// Bytes after a 0xFF marker are also fed to ParseKeyTable (never crashes).
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "reference/transport/enc.h"

namespace {

using namespace mcpsim;
using namespace mcpsim::reference;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  enc::KeyTable keys;
  keys[1].fill(0x11);
  keys[7].fill(0x77);
  enc::Opener::Limits lim;
  lim.max_senders = 4;
  enc::Opener opener(keys, lim);
  Rng r1(1), r2(2);
  enc::Sealer senders[2] = {enc::Sealer(enc::NewSenderId(r1)), enc::Sealer(enc::NewSenderId(r2))};
  struct Sealed {
    std::string env, plain;
    std::uint64_t counter;
    int sender;
  };
  std::vector<Sealed> sealed;
  std::set<std::pair<int, std::uint64_t>> accepted;
  TimeUs now = 0;
  std::size_t i = 0;
  auto byte = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  while (i < size) {
    const std::uint8_t op = byte();
    if (op == 0xFF) {  // the rest is a key file
      (void)enc::ParseKeyTable(std::string_view(reinterpret_cast<const char*>(data + i), size - i));
      break;
    }
    // Time stands still and 2 keys x 2 senders fit max_senders: no window is
    // ever discarded (ENC-7), so "at most once" must hold exactly.
    switch (op % 4) {
      case 0: {  // seal a new datagram
        const int s = byte() & 1;
        const std::uint8_t kid = (byte() & 1) ? 7 : 1;
        const std::size_t len = byte();
        std::string plain(len, static_cast<char>(len));
        auto env = senders[s].Seal(kid, keys[kid], plain);
        Check(env.ok());
        sealed.push_back({*env, plain, senders[s].next_counter() - 1, s});
        break;
      }
      case 1:    // deliver a sealed one (maybe again)
      case 2: {  // deliver a modified one
        if (sealed.empty()) break;
        const Sealed& e = sealed[byte() % sealed.size()];
        std::string env = e.env;
        const bool modified = op % 4 == 2;
        if (modified) {
          const std::size_t at = byte() % env.size();
          const std::uint8_t flip = byte() | 1;
          if (byte() & 1) {
            env.resize(at);  // truncated
          } else {
            env[at] = static_cast<char>(env[at] ^ flip);
          }
        }
        auto got = opener.Open(now, env);
        if (got) {
          Check(!modified);
          Check(got->plain == e.plain);
          Check(got->counter == e.counter);
          Check(accepted.insert({e.sender, e.counter}).second);  // at most once
        }
        break;
      }
      default: {  // raw junk
        const std::size_t len = byte();
        std::string junk;
        for (std::size_t k = 0; k < len; ++k) junk.push_back(static_cast<char>(byte()));
        if (!junk.empty() && (op & 8)) junk[0] = static_cast<char>(enc::kMagic);
        Check(!opener.Open(now, junk).has_value());
        break;
      }
    }
    Check(opener.senders() <= 4);
  }
  return 0;
}
