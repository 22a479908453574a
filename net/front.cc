#include "net/front.h"

#include <algorithm>
#include <iterator>

#include "reference/http/http1.h"

namespace mcpsim::net {

using reference::HttpRequest;
using reference::HttpResponse;
using reference::Role;

namespace {
// A command word is at most a few letters; more bytes without a separator
// cannot start a valid command, and the chosen role reports the error.
constexpr std::size_t kMaxHead = 16;

bool IsRsWord(std::string_view w) { return w == "RAP" || w == "REG" || w == "ABIN"; }
bool IsCsWord(std::string_view w) { return w == "RUP" || w == "RAD" || w == "RPAD"; }

HttpResponse NotFound() {
  HttpResponse r;
  r.status = 404;
  r.body = "not found\n";
  return r;
}
}  // namespace

FrontRole::FrontRole(FrontRoutes routes, std::string name) : name_(std::move(name)) { SetRoutes(routes); }

void FrontRole::SetRoutes(FrontRoutes routes) {
  routes_ = routes;
  distinct_.clear();
  for (Role* r : {routes_.dp, routes_.rs, routes_.sg, routes_.cs, routes_.ms}) {
    if (r && std::find(distinct_.begin(), distinct_.end(), r) == distinct_.end()) distinct_.push_back(r);
  }
}

std::string_view FrontRole::FirstWord(std::string_view bytes) {
  const std::size_t end = bytes.find_first_of(" \r\n");
  if (end == std::string_view::npos) return {};
  return bytes.substr(0, end);
}

Role* FrontRole::Slot(std::size_t i) const {
  Role* const order[] = {routes_.dp, routes_.rs, routes_.sg, routes_.cs, routes_.ms};
  return i < 5 ? order[i] : nullptr;
}

Role* FrontRole::ForMcpWord(std::string_view word) const {
  if (!routes_.sg) return routes_.rs;
  if (!routes_.rs) return routes_.sg;
  return IsRsWord(word) ? routes_.rs : routes_.sg;
}

void FrontRole::OnDatagram(TimeUs now, const Endpoint& from, std::string_view bytes) {
  Role* r = routes_.cs;
  if (routes_.sg && (!r || !IsCsWord(FirstWord(bytes)))) r = routes_.sg;
  if (r) r->OnDatagram(now, from, bytes);
}

void FrontRole::OnStreamOpen(TimeUs, std::uint64_t conn, const Endpoint& peer) {
  streams_[conn].peer = peer;
}

void FrontRole::OnStreamData(TimeUs now, std::uint64_t conn, std::string_view bytes) {
  auto it = streams_.find(conn);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  if (s.role) return s.role->OnStreamData(now, conn, bytes);
  if (s.decided) return;  // no role serves streams: drop
  s.head.append(bytes);  // bounded: decided once kMaxHead bytes are held
  const std::string_view word = FirstWord(std::string_view(s.head).substr(0, kMaxHead + 1));
  if (word.empty() && s.head.size() <= kMaxHead) return;
  s.role = ForMcpWord(word);
  s.decided = true;
  std::string head = std::move(s.head);
  s.head.clear();
  if (!s.role) return;
  s.role->OnStreamOpen(now, conn, s.peer);
  s.role->OnStreamData(now, conn, head);
}

void FrontRole::OnStreamClosed(TimeUs now, std::uint64_t conn) {
  auto it = streams_.find(conn);
  if (it == streams_.end()) return;
  Role* r = it->second.role;
  streams_.erase(it);
  if (r) r->OnStreamClosed(now, conn);
}

void FrontRole::OnHttp(TimeUs now, std::uint64_t exchange, const HttpRequest& req) {
  const std::string_view path = reference::http::TargetPath(req.target);
  Role* r = nullptr;
  if (path.rfind("/media/", 0) == 0) {
    r = routes_.ms;
  } else if (path == "/mcp") {
    r = req.method == "GET" ? routes_.dp : ForMcpWord(FirstWord(req.body));
  }
  if (r) return r->OnHttp(now, exchange, req);
  own_.push_back(reference::HttpAnswer(exchange, NotFound()));
}

void FrontRole::OnWorkDone(TimeUs now, std::uint64_t id, const reference::WorkResult& result) {
  if (Role* r = Slot(id % 8)) r->OnWorkDone(now, id / 8, result);
}

void FrontRole::OnTimer(TimeUs now) {
  for (Role* r : distinct_) {
    if (r->NextDeadline() <= now) r->OnTimer(now);
  }
}

TimeUs FrontRole::NextDeadline() const {
  TimeUs t = kNever;
  for (Role* r : distinct_) t = std::min(t, r->NextDeadline());
  return t;
}

void FrontRole::Drain(std::vector<reference::Output>& out) {
  std::move(own_.begin(), own_.end(), std::back_inserter(out));
  own_.clear();
  for (Role* r : distinct_) {
    const std::size_t first = out.size();
    r->Drain(out);
    std::size_t slot = 0;
    while (Slot(slot) != r) ++slot;  // r is routed, so found (< 5)
    for (std::size_t k = first; k < out.size(); ++k) {
      if (out[k].kind == reference::Output::Kind::kWork) out[k].conn = out[k].conn * 8 + slot;
    }
  }
}

void FrontRole::BeginBatch(TimeUs now) {
  for (Role* r : distinct_) r->BeginBatch(now);
}

void FrontRole::EndBatch(TimeUs now, bool committed) {
  for (Role* r : distinct_) r->EndBatch(now, committed);
}

}  // namespace mcpsim::net
