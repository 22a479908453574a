// Shared harness of the role fuzz targets (dp_fuzz, rs_fuzz, sg_fuzz, cs_fuzz,
// ms_fuzz): a server role fed a sequence of inputs through the Role
// interface, with a fixed seed and an in-memory store, and invariants checked
// after every input. Each fuzz input is decoded into events:
//
//   op   = byte % 8          0 datagram, 1 stream open, 2 stream bytes,
//                            3 stream close, 4 raw HTTP request (parsed by
//                            the host's parser), 5 POST /mcp with a body,
//                            6 time passes (u16 ms; timers fire), 7 finish work
//   peer = byte % 4          one of four endpoints / connections
//   then, for 0/2/4/5: len (u16, bounded) and that many bytes
//
// Invariants (__builtin_trap on violation, so libFuzzer reports a crash):
//   - every datagram sent is <= LIM-3 and decodes as complete commands;
//   - in reply to a datagram from an unvalidated endpoint the role sends that
//     endpoint no more bytes than the datagram held (AMP-1), and sends
//     nothing to an endpoint that never sent anything;
//   - stream bytes go only to connections that were opened;
//   - every HTTP exchange is answered exactly once (after the work is done);
//   - work asked for (kWork) always completes, and parked requests drain;
//   - the role's state stays bounded (per-role check hook).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reference/crypto/password.h"
#include "reference/http/http1.h"
#include "reference/roles/role.h"
#include "reference/store/store.h"
#include "reference/wire/parse.h"

namespace mcpsim::fuzz {

inline void Check(bool ok) {
  if (!ok) __builtin_trap();
}

class Reader {
 public:
  Reader(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  bool empty() const { return n_ == 0; }
  std::uint8_t U8() {
    if (!n_) return 0;
    --n_;
    return *p_++;
  }
  std::uint16_t U16() { return static_cast<std::uint16_t>(U8() | (U8() << 8)); }
  std::string_view Bytes(std::size_t max) {
    const std::size_t len = std::min<std::size_t>(U16() % (max + 1), n_);
    std::string_view v(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    n_ -= len;
    return v;
  }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

inline Endpoint PeerEndpoint(int i) { return Endpoint::V4(0x0A000002u + static_cast<std::uint32_t>(i), static_cast<std::uint16_t>(4000 + i)); }

// An in-memory store with two accounts (password "password1", minimal
// Argon2id cost, fixed salt) who list each other, and one media item.
inline std::unique_ptr<reference::Store> FuzzStore() {
  // Built and migrated once, then copied per input (migrating per input was
  // ~85% of a role target's time).
  static const std::string image = [] {
    auto st = reference::OpenSqliteStore(":memory:");
    Check(st.ok());
    std::unique_ptr<reference::Store> s = std::move(*st);
    Rng rng(7);
    const std::string hash = *reference::HashPassword("password1", rng, reference::PasswordCost::Minimal());
    for (const char* name : {"alice@live.cn", "bob@live.cn"}) {
      reference::Account a;
      a.name = name;
      a.nickname = std::string(name).substr(0, std::string(name).find('@'));
      a.password_hash = hash;
      a.profile_version = a.list_version = 1;
      Check(s->CreateAccount(a).ok());
    }
    (void)s->EditContact("alice@live.cn", "bob@live.cn", reference::ContactEdit::kAdd);
    (void)s->EditContact("bob@live.cn", "alice@live.cn", reference::ContactEdit::kAdd);
    (void)s->PutMedia({"banner-1", "image/png", std::string(300, 'p')});
    auto bytes = reference::SerializeSqliteStore(*s);
    Check(bytes.ok());
    return *bytes;
  }();
  auto st = reference::OpenSqliteStoreImage(image);
  Check(st.ok());
  return std::move(*st);
}

struct RoleUnderTest {
  reference::Role* role = nullptr;
  // AMP: true when the role treats `peer` as validated (then AMP-1 does not apply).
  std::function<bool(const Endpoint&)> validated = [](const Endpoint&) { return false; };
  // Bounded state (e.g. sessions, parked requests) after every input.
  std::function<bool()> bounded = [] { return true; };
};

class Harness {
 public:
  explicit Harness(RoleUnderTest r) : r_(std::move(r)) {}

  void Run(const std::uint8_t* data, std::size_t size) {
    Reader in(data, size);
    for (int step = 0; step < 48 && !in.empty(); ++step) {
      const int op = in.U8() % 8;
      const int peer = in.U8() % 4;
      const Endpoint ep = PeerEndpoint(peer);
      const std::uint64_t conn = static_cast<std::uint64_t>(peer) + 1;
      switch (op) {
        case 0: {
          const std::string bytes(in.Bytes(9000));
          const bool validated = r_.validated(ep);
          spoke_.insert(ep);
          r_.role->OnDatagram(now_, ep, bytes);
          // AMP-6: judged on arrival, or validated by the datagram itself (RSII).
          Drain(&ep, validated || r_.validated(ep) ? SIZE_MAX : bytes.size());
          break;
        }
        case 1:
          if (open_.insert(conn).second) r_.role->OnStreamOpen(now_, conn, ep);
          ever_open_.insert(conn);
          Drain();
          break;
        case 2: {
          const std::string bytes(in.Bytes(4096));
          if (!open_.count(conn)) break;
          r_.role->OnStreamData(now_, conn, bytes);
          Drain();
          break;
        }
        case 3:
          if (open_.erase(conn)) r_.role->OnStreamClosed(now_, conn);
          Drain();
          break;
        case 4: {
          reference::http::RequestParser p(131072);
          if (!p.Append(in.Bytes(4096)).ok()) break;
          if (auto req = p.Next()) Ask(*req, ep);
          break;
        }
        case 5: {
          reference::HttpRequest req;
          req.method = "POST";
          req.target = "/mcp";
          req.body = std::string(in.Bytes(4096));
          if (!session_.empty() && (peer & 1)) req.headers["sessionid"] = session_;
          Ask(req, ep);
          break;
        }
        case 6: {
          now_ += static_cast<TimeUs>(in.U16()) * kMillis * (peer + 1);
          for (int i = 0; i < 1000 && r_.role->NextDeadline() <= now_; ++i) {
            r_.role->OnTimer(now_);
            Drain();
          }
          break;
        }
        default:
          FinishWork();
          break;
      }
      Check(r_.bounded());
    }
    FinishWork();
    Check(unanswered_.empty());  // every exchange answered exactly once
  }

 private:
  void Ask(reference::HttpRequest req, const Endpoint& ep) {
    req.peer = ep;
    const std::uint64_t x = ++exchange_;
    unanswered_.insert(x);
    r_.role->OnHttp(now_, x, req);
    Drain();
  }

  void FinishWork() {
    for (int round = 0; round < 64 && !work_.empty(); ++round) {
      auto jobs = std::move(work_);
      work_.clear();
      for (auto& [id, w] : jobs) {
        r_.role->OnWorkDone(now_, id, reference::RunWork(*w));
        Drain();
      }
    }
    Check(work_.empty());
  }

  // Takes the outputs; `from`/`budget`: the datagram just delivered (AMP-1).
  void Drain(const Endpoint* from = nullptr, std::size_t budget = SIZE_MAX) {
    std::vector<reference::Output> out;
    r_.role->Drain(out);
    std::size_t to_sender = 0;
    for (const reference::Output& o : out) {
      using K = reference::Output::Kind;
      switch (o.kind) {
        case K::kDatagram: {
          Check(o.bytes.size() <= 8192);  // LIM-3
          Check(spoke_.count(o.to) > 0);  // no reflection to third parties
          wire::DatagramParser p(o.bytes, wire::Limits::Datagram());
          wire::Outcome oc;
          while (p.Next(oc)) Check(oc.is_command());
          if (from && o.to == *from) to_sender += o.bytes.size();
          break;
        }
        case K::kStream:
        case K::kCloseStream:
          Check(ever_open_.count(o.conn) > 0);
          break;
        case K::kHttpResponse: {
          Check(unanswered_.erase(o.conn) == 1);  // answered once, and asked
          if (auto s = o.response.headers.find("sessionid"); s != o.response.headers.end()) session_ = s->second;
          break;
        }
        case K::kWork:
          Check(o.work != nullptr);
          Check(work_.emplace(o.conn, o.work).second);
          break;
        case K::kHttp:
        case K::kConnect:
          Check(false);  // a server never starts HTTP exchanges or connections
          break;
      }
    }
    Check(to_sender <= budget);  // AMP-1
  }

  RoleUnderTest r_;
  TimeUs now_ = 1 * kSeconds;
  std::uint64_t exchange_ = 0;
  std::set<std::uint64_t> open_, ever_open_, unanswered_;
  std::set<Endpoint> spoke_;
  std::map<std::uint64_t, std::shared_ptr<const reference::Work>> work_;
  std::string session_;
};

}  // namespace mcpsim::fuzz
