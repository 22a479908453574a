#include "conformance/runner.h"

#include <fnmatch.h>

#include <sstream>

#include "conformance/catalog.h"

namespace mcpsim::conformance {

Target ParseListening(const std::string& text) {
  Target t;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string word, url;
    ls >> word >> url;
    if (word != "listening") continue;
    const auto p = url.find("://");
    if (p == std::string::npos) continue;
    const std::string scheme = url.substr(0, p);
    auto hp = ParseAddress(url);
    if (!hp.ok()) continue;
    if (scheme == "udp" && !t.udp) t.udp = *hp;
    if (scheme == "tcp" && !t.tcp) t.tcp = *hp;
    if (scheme == "http" && !t.http) t.http = *hp;
    if (scheme == "udps" && !t.udps) t.udps = *hp;
  }
  return t;
}

Result<std::unique_ptr<Launched>> Launched::Start(const std::string& cmd, int wait_ms) {
  net::ChildOptions co;
  co.pipe_stdout = true;
  auto child = net::Child::Start(cmd, co);
  if (!child.ok()) return Status::Error("CONF-3", "cannot start the target: " + child.status().message());
  auto l = std::unique_ptr<Launched>(new Launched());
  l->child_ = std::move(*child);
  // Once a listening line arrived, a short quiet period ends the listing.
  const std::string text = l->child_->ReadStdout(
      wait_ms, [](const std::string& t) { return t.find("listening ") != std::string::npos; }, 300);
  l->target_ = ParseListening(text);
  if (!l->target_.udp && !l->target_.http && !l->target_.tcp && !l->target_.udps) {
    std::string why = "launched target printed no `listening` line";
    if (l->child_->Exited()) {
      why += " (it exited with status " + std::to_string(l->child_->exit_status()) + ")";
    } else {
      why += " within " + std::to_string(wait_ms) + " ms";
    }
    if (!text.empty()) why += "; its output: " + text.substr(0, 200);
    return Status::Error("CONF-3", why);
  }
  return l;
}

void Launched::Stop() {
  if (child_) child_->Stop();
}

Launched::~Launched() { Stop(); }

bool Selected(const std::string& id, const std::string& globs) {
  std::istringstream in(globs);
  std::string g;
  while (std::getline(in, g, ',')) {
    if (!g.empty() && fnmatch(g.c_str(), id.c_str(), 0) == 0) return true;
  }
  return false;
}

Status CheckReachable(const Target& t, int timeout_ms) {
  if (t.udp) {
    Target only = t;
    only.tcp.reset();
    only.http.reset();
    only.resend_ms = 0;
    Ctx c(only, timeout_ms, timeout_ms * 2, 0, "reachability");
    bool got = false;
    for (int i = 0; i < 2 && !got; ++i) {  // one resend, as a client would (TIMER-2)
      (void)c.UdpSend("RUP 1 58d05d6affef8ab9dd5a8be7afdf1c83 launch 1 reachability\r\n");
      got = !c.UdpRecv(timeout_ms, 50, 1).empty();
    }
    if (!got) return Status::Error("CONF-3", "UDP target " + t.udp->ToString() + " did not answer");
  }
  if (t.http) {
    Target only = t;
    only.udp.reset();
    only.tcp.reset();
    Ctx c(only, timeout_ms, timeout_ms * 2, 0, "reachability");
    reference::HttpRequest req;
    req.method = "GET";
    req.target = "/mcp";
    auto r = c.Http(req);
    if (!r.ok()) return Status::Error("CONF-3", "HTTP target " + t.http->ToString() + ": " + r.status().message());
  }
  return Status();
}

bool HasTransports(const Target& t, const std::string& needs) {
  std::istringstream in(needs);
  std::string one;
  while (std::getline(in, one, '+')) {
    if ((one == "udp" && !t.udp) || (one == "tcp" && !t.tcp) || (one == "http" && !t.http) ||
        (one == "udps" && (!t.udps || t.udps_keys.empty()))) {
      return false;
    }
  }
  return true;
}

reports::Report RunCatalog(const RunOptions& o, const std::function<void(const reports::CaseResult&)>& on_case) {
  reports::Report rep;
  rep.kind = "conformance";
  rep.seed = o.seed;
  std::string target;
  if (o.target.udp) target += "udp://" + o.target.udp->ToString() + " ";
  if (o.target.tcp) target += "tcp://" + o.target.tcp->ToString() + " ";
  if (o.target.http) target += "http://" + o.target.http->ToString() + " ";
  if (o.target.udps) target += "udps://" + o.target.udps->ToString() + " ";
  rep.target = target.empty() ? "(none)" : target.substr(0, target.size() - 1);
  Env& env = *o.target.env;
  const TimeUs start = env.Now();
  for (const CaseDef& d : Catalog()) {
    if (!Selected(d.id, o.cases)) continue;
    reports::CaseResult r;
    r.id = d.id;
    r.title = d.title;
    r.group = d.group;
    r.clauses = d.clauses;
    if (!HasTransports(o.target, d.transport)) {
      r.verdict = reports::Verdict::kUnimplemented;
      r.reason = "no " + d.transport + " target given (--" + d.transport + ")";
      if (d.transport == "udps") r.reason = "no encrypted UDP endpoint with a key (--udps and --key-file)";
    } else {
      Ctx ctx(o.target, o.timeout_ms, o.timeout_ms * 10, o.seed, d.id);
      ctx.set_quiet_ms(o.quiet_ms);
      const TimeUs t0 = env.Now();
      Outcome out = d.run(ctx);
      r.duration_us = env.Now() - t0;
      r.expected = out.expected;
      r.actual = out.actual;
      r.reason = out.reason;
      r.verdict = out.verdict;
      if (ctx.Expired() && out.verdict != reports::Verdict::kOk) {
        r.verdict = reports::Verdict::kFailed;
        r.reason = "case budget of " + std::to_string(o.timeout_ms * 10) + " ms exceeded; " + r.reason;
      }
      if (r.verdict == reports::Verdict::kFailed && !d.required) r.verdict = reports::Verdict::kNonStrict;
      r.wire = std::move(ctx.wire());
      reports::DeriveWireMetrics(r);
    }
    on_case(r);
    rep.cases.push_back(std::move(r));
  }
  rep.duration_us = env.Now() - start;
  return rep;
}

int ExitCode(const reports::Report& r, bool strict) {
  for (const reports::CaseResult& c : r.cases) {
    if (c.verdict == reports::Verdict::kFailed || c.verdict == reports::Verdict::kError) return 1;
    if (strict && c.verdict == reports::Verdict::kNonStrict) return 1;
  }
  return 0;
}

}  // namespace mcpsim::conformance
