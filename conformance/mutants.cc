#include "conformance/mutants.h"

#include <map>

#include "net/server.h"

#include "reference/http/http1.h"
#include "reference/wire/parse.h"
#include "reference/wire/text.h"

namespace mcpsim::conformance {
namespace {

std::string Write(const wire::Command& c, const WriteStyle& st) {
  // Appends only (GCC 12 -Wrestrict false positives on `" " + string`).
  std::string s = c.word;
  s.append(" ").append(std::to_string(c.trid));
  if (c.status) {
    s.append(" ");
    s.append(st.ok_status_00 && *c.status == 0 ? std::string("00") : std::to_string(*c.status));
  }
  for (const std::string& p : c.params) {
    s.append(" ");
    std::string e = st.escape ? wire::Escape(p) : p;
    if (st.over_escape) {
      std::string o;
      for (char ch : e) o += ch == '.' ? std::string("%2e") : std::string(1, ch);
      e = std::move(o);
    }
    s.append(e);
  }
  if (c.payload) s.append(" ").append(std::to_string(c.payload->size()));
  if (st.trailing_space) s.append(" ");
  s.append(st.eol);
  if (c.payload) s.append(*c.payload);
  return s;
}

// Forwards everything to `inner`, applying the mutant on the way.
class MutatingRole final : public reference::Role {
 public:
  MutatingRole(const Mutant& m, reference::Role& inner) : m_(m), inner_(inner) {}

  void OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) override {
    inner_.OnDatagram(now, from, bytes);
  }
  void OnStreamOpen(TimeUs now, std::uint64_t conn, const Endpoint& peer) override {
    inner_.OnStreamOpen(now, conn, peer);
  }
  void OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) override {
    if (!m_.on_stream_in) return inner_.OnStreamData(now, conn, bytes);
    const std::string kept = m_.on_stream_in(bytes);
    if (!kept.empty()) inner_.OnStreamData(now, conn, kept);
  }
  void OnStreamClosed(TimeUs now, std::uint64_t conn) override { inner_.OnStreamClosed(now, conn); }
  void OnHttp(TimeUs now, std::uint64_t exchange, const reference::HttpRequest& req) override {
    if (m_.before_http) {
      if (auto r = m_.before_http(req)) return own_.push_back(reference::HttpAnswer(exchange, *r));
    }
    requests_[exchange] = req;  // until its answer leaves (possibly later)
    inner_.OnHttp(now, exchange, req);
  }
  void OnWorkDone(TimeUs now, std::uint64_t id, const reference::WorkResult& result) override {
    inner_.OnWorkDone(now, id, result);
  }
  void BeginBatch(TimeUs now) override { inner_.BeginBatch(now); }
  void EndBatch(TimeUs now, bool committed) override { inner_.EndBatch(now, committed); }
  void OnTimer(TimeUs now) override { inner_.OnTimer(now); }
  TimeUs NextDeadline() const override { return inner_.NextDeadline(); }
  void Drain(std::vector<reference::Output>& out) override {
    std::vector<reference::Output> mine = std::move(own_);
    own_.clear();
    inner_.Drain(mine);
    for (reference::Output& o : mine) {
      using K = reference::Output::Kind;
      if (o.kind == K::kHttpResponse) {
        if (auto it = requests_.find(o.conn); it != requests_.end()) {
          reference::HttpResponse& r = o.response;
          if (reference::http::TargetPath(it->second.target) == "/mcp") r.body = RewriteCommands(m_, r.body);
          if (m_.on_http) m_.on_http(it->second, r);
          requests_.erase(it);
        }
      }
      if (o.kind == K::kCloseStream && m_.keep_streams_open) continue;
      if (o.kind == K::kDatagram || o.kind == K::kStream) {
        o.bytes = RewriteCommands(m_, o.bytes);
        if (o.bytes.empty()) continue;  // every command was dropped
      }
      out.push_back(std::move(o));
    }
  }
  std::string_view name() const override { return inner_.name(); }

 private:
  const Mutant& m_;
  reference::Role& inner_;
  std::vector<reference::Output> own_;                     // before_http answers
  std::map<std::uint64_t, reference::HttpRequest> requests_;  // exchanges in progress
};

}  // namespace

std::string RewriteCommands(const Mutant& m, std::string_view bytes) {
  if (!m.on_command && !m.on_batch && m.style.Default()) return std::string(bytes);
  std::vector<wire::Command> cmds;
  wire::Limits limits = wire::Limits::Stream();
  limits.max_datagram = 1 << 20;
  wire::DatagramParser p(bytes, limits);
  wire::Outcome o;
  while (p.Next(o)) {
    if (!o.is_command()) return std::string(bytes);  // not ours to judge: pass through
    cmds.push_back(wire::Command::FromView(o.command));
  }
  std::vector<wire::Command> kept;
  for (wire::Command& c : cmds) {
    if (!m.on_command || m.on_command(c)) kept.push_back(std::move(c));
  }
  if (m.on_batch) m.on_batch(kept);
  std::string out;
  for (const wire::Command& c : kept) out += Write(c, m.style);
  return out;
}

const Mutant* FindMutant(const std::string& name) {
  for (const Mutant& m : Mutants()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::unique_ptr<reference::Role> MakeMutatingRole(const Mutant& m, reference::Role& inner) {
  return std::make_unique<MutatingRole>(m, inner);
}

void ApplyMutant(const Mutant& m, net::ServerOptions& o) {
  o.tweak_rs = m.rs;
  o.tweak_sg = m.sg;
  o.tweak_cs = m.cs;
  o.tweak_dp = m.dp;
  if (m.server) m.server(o);
  if (m.HasDecorator()) {
    o.wrap_front = [&m](reference::Role& front) { return MakeMutatingRole(m, front); };
  }
}

}  // namespace mcpsim::conformance
