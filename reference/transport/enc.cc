#include "reference/transport/enc.h"

#include <sodium.h>

#include <cstring>

namespace mcpsim::reference::enc {

namespace {
void InitSodium() {
  // sodium_init is idempotent; it fails only without an entropy source, which
  // this code never uses (nonces come from the Sealer, keys from the caller).
  if (sodium_init() < 0) return;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

SenderId NewSenderId(Rng& rng) {
  SenderId id;
  rng.Fill(id.data(), id.size());
  return id;
}

Result<KeyTable> ParseKeyTable(std::string_view text) {
  KeyTable keys;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](const std::string& why) {
      return Status::Error("ENC-2", "key file line " + std::to_string(line_no) + ": " + why);
    };
    const std::size_t sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) return bad("expected `<key id> <64 hex digits>`");
    std::string_view id_text = line.substr(0, sp), hex = line.substr(sp + 1);
    while (!hex.empty() && (hex.front() == ' ' || hex.front() == '\t')) hex.remove_prefix(1);
    unsigned id = 0;
    if (id_text.empty() || id_text.size() > 3) return bad("key id must be 0..255");
    for (char c : id_text) {
      if (c < '0' || c > '9') return bad("key id must be 0..255");
      id = id * 10 + static_cast<unsigned>(c - '0');
    }
    if (id > 255) return bad("key id must be 0..255");
    if (hex.size() != 64) return bad("key must be 64 hex digits");
    Key key;
    for (std::size_t i = 0; i < 32; ++i) {
      const int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
      if (hi < 0 || lo < 0) return bad("key must be 64 hex digits");
      key[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    if (!keys.emplace(static_cast<std::uint8_t>(id), key).second) return bad("duplicate key id");
  }
  return keys;
}

Sealer::Sealer(SenderId id) : id_(id) { InitSodium(); }

Result<std::string> Sealer::Seal(std::uint8_t key_id, const Key& key, std::string_view plain) {
  if (counter_ == UINT64_MAX) return Status::Error("ENC-3", "nonce counter exhausted");
  const std::uint64_t counter = counter_++;
  std::string out(kHeaderBytes + kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  p[0] = kMagic;
  p[1] = key_id;
  std::memcpy(p + kHeaderBytes, id_.data(), id_.size());
  for (int i = 0; i < 8; ++i) p[kHeaderBytes + kSenderIdBytes + i] = static_cast<unsigned char>(counter >> (56 - 8 * i));
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      p + kHeaderBytes + kNonceBytes, &clen, reinterpret_cast<const unsigned char*>(plain.data()),
      plain.size(), p, kHeaderBytes, nullptr, p + kHeaderBytes, key.data());
  return out;
}

Opener::Opener(KeyTable keys, Limits limits) : keys_(std::move(keys)), limits_(limits) { InitSodium(); }

std::optional<Opened> Opener::Open(TimeUs now, std::string_view envelope) {
  if (envelope.size() < kOverhead) {
    ++stats_.too_short;
    return std::nullopt;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(envelope.data());
  if (p[0] != kMagic) {
    ++stats_.bad_magic;
    return std::nullopt;
  }
  auto key = keys_.find(p[1]);
  if (key == keys_.end()) {
    ++stats_.unknown_key;
    return std::nullopt;
  }
  Opened o;
  o.key_id = p[1];
  std::memcpy(o.sender.data(), p + kHeaderBytes, kSenderIdBytes);
  for (int i = 0; i < 8; ++i) o.counter = (o.counter << 8) | p[kHeaderBytes + kSenderIdBytes + i];
  // Cheap replay test before the tag check; the window itself changes only after it.
  const auto wkey = std::make_pair(o.key_id, o.sender);
  auto w = windows_.find(wkey);
  if (w != windows_.end() && o.counter <= w->second.top) {
    const std::uint64_t back = w->second.top - o.counter;
    if (back >= kWindow) {
      ++stats_.too_old;
      return std::nullopt;
    }
    if (w->second.seen & (std::uint64_t{1} << back)) {
      ++stats_.replayed;
      return std::nullopt;
    }
  }
  const std::size_t clen = envelope.size() - kHeaderBytes - kNonceBytes;
  o.plain.resize(clen - kTagBytes);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(o.plain.data()), &mlen, nullptr, p + kHeaderBytes + kNonceBytes,
          clen, p, kHeaderBytes, p + kHeaderBytes, key->second.data()) != 0) {
    ++stats_.auth_failed;
    return std::nullopt;
  }
  o.plain.resize(mlen);
  if (w == windows_.end()) {
    if (windows_.size() >= limits_.max_senders) {
      auto oldest = windows_.begin();
      for (auto it = windows_.begin(); it != windows_.end(); ++it) {
        if (it->second.last < oldest->second.last) oldest = it;
      }
      windows_.erase(oldest);
    }
    windows_[wkey] = Window{o.counter, 1, now};
  } else if (o.counter > w->second.top) {
    const std::uint64_t shift = o.counter - w->second.top;
    w->second.seen = shift >= kWindow ? 1 : (w->second.seen << shift) | 1;
    w->second.top = o.counter;
    w->second.last = now;
  } else {
    w->second.seen |= std::uint64_t{1} << (w->second.top - o.counter);
    w->second.last = now;
  }
  ++stats_.accepted;
  return o;
}

void Opener::Expire(TimeUs now) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now - it->second.last >= limits_.idle) {
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace mcpsim::reference::enc
