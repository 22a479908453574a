// Encrypted UDP (PROTOCOL.md §6.5, ENC-1..6) against target().udps with the
// key table in target().udps_keys. The harness seals CS RUP requests itself
// (reference::enc::Sealer) and opens the answers (reference::enc::Opener).
// Drops are observed as silence followed by an answered probe: datagrams on
// one loopback socket are processed in order.

#include <string>

#include "conformance/catalog.h"
#include "reference/transport/enc.h"

namespace mcpsim::conformance {
namespace {

namespace enc = reference::enc;
constexpr const char* kMid = "58d05d6affef8ab9dd5a8be7afdf1c83";  // MID-1 test vector

void Add(std::vector<CaseDef>& out, std::string id, std::string title, std::vector<std::string> clauses,
         std::function<Outcome(Ctx&)> run) {
  out.push_back({std::move(id), std::move(title), "ENC", std::move(clauses), true, "udps", std::move(run)});
}

std::string Rup(std::uint32_t trid) {
  return "RUP " + std::to_string(trid) + " " + kMid + " launch 1700000000000 enc\r\n";
}

// One encrypted session: a socket to the udps endpoint and a sender whose id
// is fresh per case and process (ENC-3: a server keeps replay windows per
// sender id, so ids must not repeat across runs against the same server).
struct Session {
  explicit Session(Ctx& c) : ctx(c), sealer(Fresh(c)), opener(c.target().udps_keys) {
    auto h = ctx.Open("udps");
    if (h.ok()) handle = *h;
    key_id = ctx.target().udps_keys.begin()->first;
    key = ctx.target().udps_keys.begin()->second;
  }
  static enc::SenderId Fresh(Ctx& c) {
    Rng rng(c.Fresh());
    return enc::NewSenderId(rng);
  }
  std::string Seal(const std::string& plain, std::optional<std::uint8_t> id = std::nullopt) {
    const std::uint8_t kid = id.value_or(key_id);
    auto e = sealer.Seal(kid, ctx.target().udps_keys.at(kid), plain);
    return e.ok() ? *e : std::string();
  }
  void Send(const std::string& bytes) { (void)ctx.Send(handle, bytes); }
  // Every datagram until silence; opened ones in `opened`, others counted.
  struct Got {
    std::vector<enc::Opened> opened;
    std::vector<wire::Command> answers;
    std::size_t unopenable = 0;
  };
  Got Recv() {
    Got g;
    for (const std::string& d : ctx.Recv(handle, ctx.io_timeout_ms())) {
      auto o = opener.Open(0, d);
      if (!o) {
        ++g.unopenable;
        continue;
      }
      for (const wire::Command& c : Decode(o->plain)) g.answers.push_back(c);
      g.opened.push_back(std::move(*o));
    }
    return g;
  }
  Ctx& ctx;
  enc::Sealer sealer;
  enc::Opener opener;
  int handle = -1;
  std::uint8_t key_id = 0;
  enc::Key key{};
};

std::string Trids(const Session::Got& g) {
  std::string s;
  for (const wire::Command& c : g.answers) {
    if (!s.empty()) s += ", ";
    s += Show(c);
  }
  if (g.unopenable) s += " (+" + std::to_string(g.unopenable) + " datagrams that do not open)";
  return s.empty() ? "(nothing)" : s;
}

// Expects exactly one AUP 0 per trid in `trids`, in order, all sealed.
std::optional<Outcome> ExpectAups(const Session::Got& g, const std::vector<std::uint32_t>& trids, const std::string& clause) {
  std::vector<Want> want;
  for (std::uint32_t t : trids) want.push_back({"AUP", t, 0, 0});
  std::string exp;
  for (const Want& w : want) {
    if (!exp.empty()) exp += ", ";
    exp += w.Show();
  }
  if (g.unopenable) return Failed(exp + " (sealed)", Trids(g), clause + ": every answer is a valid envelope (ENC-1)");
  if (auto why = Match(g.answers, want)) return Failed(exp, Trids(g), *why + " (" + clause + ")");
  return std::nullopt;
}

Outcome SealedAnswered(Ctx& ctx) {
  Session s(ctx);
  if (s.handle < 0) return Failed("a UDP socket", "none", "harness");
  std::vector<std::string> seen;
  std::uint32_t trid = 1;
  std::optional<enc::Opened> prev;
  for (const auto& [kid, key] : ctx.target().udps_keys) {
    if (trid > 3) break;  // a few keys are enough
    s.Send(s.Seal(Rup(trid), kid));
    Session::Got g = s.Recv();
    if (auto bad = ExpectAups(g, {trid}, "ENC-6")) return *bad;
    const enc::Opened& o = g.opened[0];
    if (o.key_id != kid) {
      return Failed("answer under key id " + std::to_string(kid), "key id " + std::to_string(o.key_id), "ENC-2");
    }
    if (prev && (o.sender != prev->sender || o.counter <= prev->counter)) {
      return Failed("one server sender id, increasing counter", "counter " + std::to_string(o.counter) + " after " +
                    std::to_string(prev->counter) + (o.sender != prev->sender ? ", new sender id" : ""), "ENC-3");
    }
    prev = o;
    ++trid;
  }
  // A second answer under the same key: the server's counter must advance (ENC-3).
  s.Send(s.Seal(Rup(trid)));
  Session::Got g = s.Recv();
  if (auto bad = ExpectAups(g, {trid}, "ENC-6")) return *bad;
  if (prev && (g.opened[0].sender != prev->sender || g.opened[0].counter <= prev->counter)) {
    return Failed("one server sender id, increasing counter", "counter " + std::to_string(g.opened[0].counter), "ENC-3");
  }
  return Ok("sealed RUP answered by a sealed AUP 0 under the same key id", "AUP, server counter " +
            std::to_string(g.opened[0].counter));
}

Outcome InvalidDropped(Ctx& ctx) {
  Session s(ctx);
  if (s.handle < 0) return Failed("a UDP socket", "none", "harness");
  std::string tampered = s.Seal(Rup(1));
  tampered.back() = static_cast<char>(tampered.back() ^ 0x01);  // tag byte
  std::string body = s.Seal(Rup(2));
  body[30] = static_cast<char>(body[30] ^ 0x80);  // first ciphertext byte
  std::string magic = s.Seal(Rup(3));
  magic[0] = static_cast<char>(0xA6);
  std::string header = s.Seal(Rup(4));
  header[1] = static_cast<char>(static_cast<std::uint8_t>(header[1]) ^ 0x01);  // AD: key id differs
  std::uint8_t unknown = 0;
  while (ctx.target().udps_keys.count(unknown) && unknown < 255) ++unknown;
  std::string other = s.Seal(Rup(5));
  other[1] = static_cast<char>(unknown);
  const std::string shorter = s.Seal("").substr(0, enc::kOverhead - 1);
  const std::string plain = Rup(7);  // a plain datagram on the encrypted port
  for (const std::string& bad : {tampered, body, magic, header, other, shorter, plain}) s.Send(bad);
  s.Send(s.Seal(Rup(8)));
  if (auto bad = ExpectAups(s.Recv(), {8}, "ENC-4")) return *bad;
  return Ok("tampered tag/ciphertext/header, bad magic, unknown key id, short and plain datagrams dropped; probe AUP 8",
            "only AUP 8");
}

Outcome ReplayDropped(Ctx& ctx) {
  Session s(ctx);
  if (s.handle < 0) return Failed("a UDP socket", "none", "harness");
  const std::string e1 = s.Seal(Rup(1));
  s.Send(e1);
  if (auto bad = ExpectAups(s.Recv(), {1}, "ENC-6")) return *bad;
  // The byte-identical envelope again, then a probe.
  s.Send(e1);
  s.Send(s.Seal(Rup(2)));
  if (auto bad = ExpectAups(s.Recv(), {2}, "ENC-5: a replayed envelope is dropped")) return *bad;
  // The window: 70 envelopes (trids 10..79); the newest first, then counters
  // 69, 64 and 63 below it, then the 63-below one again.
  std::vector<std::string> env;
  for (std::uint32_t t = 10; t < 80; ++t) env.push_back(s.Seal(Rup(t)));
  s.Send(env[69]);
  s.Send(env[0]);
  s.Send(env[5]);
  s.Send(env[6]);
  s.Send(env[6]);
  s.Send(s.Seal(Rup(90)));
  if (auto bad = ExpectAups(s.Recv(), {79, 16, 90}, "ENC-5: 64 or more below the highest or seen is dropped")) return *bad;
  return Ok("replay dropped; window: -69 and -64 dropped, -63 accepted once", "AUP 79, 16, 90");
}

}  // namespace

void AddEncCases(std::vector<CaseDef>& out) {
  Add(out, "enc.sealed.ok", "A sealed RUP is answered by a sealed AUP under the same key id; server counter advances",
      {"ENC-1", "ENC-2", "ENC-3", "ENC-6"}, SealedAnswered);
  Add(out, "enc.drop.invalid", "Tampered, bad-magic, unknown-key, short and plain datagrams are dropped silently",
      {"ENC-4"}, InvalidDropped);
  Add(out, "enc.drop.replay", "A replayed envelope and counters 64 or more below the highest are dropped",
      {"ENC-5"}, ReplayDropped);
}

}  // namespace mcpsim::conformance
