#include "conformance/runner.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "conformance/catalog.h"

namespace mcpsim::conformance {
namespace {

std::int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

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
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::Error("CONF-3", "pipe failed");
  const pid_t pid = fork();
  if (pid < 0) return Status::Error("CONF-3", "fork failed");
  if (pid == 0) {
    dup2(fds[1], 1);
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  auto l = std::unique_ptr<Launched>(new Launched());
  l->pid_ = pid;
  l->out_fd_ = fds[0];
  std::string text;
  const std::int64_t deadline = NowUs() + static_cast<std::int64_t>(wait_ms) * 1000;
  bool seen = false;
  for (;;) {
    const std::int64_t left = (deadline - NowUs()) / 1000;
    if (left <= 0) break;
    pollfd p{l->out_fd_, POLLIN, 0};
    // Once a listening line arrived, a short quiet period ends the listing.
    if (poll(&p, 1, static_cast<int>(seen ? std::min<std::int64_t>(left, 300) : left)) <= 0) break;
    char buf[1024];
    const ssize_t n = read(l->out_fd_, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    seen = text.find("listening ") != std::string::npos;
  }
  l->target_ = ParseListening(text);
  if (!l->target_.udp && !l->target_.http && !l->target_.tcp) {
    return Status::Error("CONF-3", "launched target printed no `listening` line: " + text.substr(0, 200));
  }
  return l;
}

std::string Launched::Exited() {
  if (pid_ <= 0) return "";
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return "";
  pid_ = -1;
  if (WIFEXITED(status)) return "the launched target exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "the launched target was killed by signal " + std::to_string(WTERMSIG(status));
  return "the launched target ended";
}

void Launched::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    usleep(20000);
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  if (out_fd_ >= 0) close(out_fd_);
  out_fd_ = -1;
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
    Target only;
    only.udp = t.udp;
    Ctx c(only, timeout_ms, timeout_ms * 2, 0);
    bool got = false;
    for (int i = 0; i < 2 && !got; ++i) {  // one resend, as a client would (TIMER-2)
      (void)c.UdpSend("RUP 1 58d05d6affef8ab9dd5a8be7afdf1c83 launch 1 reachability\r\n");
      got = !c.UdpRecv(timeout_ms, 50, 1).empty();
    }
    if (!got) return Status::Error("CONF-3", "UDP target " + t.udp->ToString() + " did not answer");
  }
  if (t.http) {
    Target only;
    only.http = t.http;
    Ctx c(only, timeout_ms, timeout_ms * 2, 0);
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

const std::vector<std::string>& AllRoles() {
  static const std::vector<std::string> all = {"dp", "rs", "sg", "cs", "ms"};
  return all;
}

std::vector<std::string> MandatoryTransports(const std::string& role) {
  if (role == "dp" || role == "ms") return {"http"};
  if (role == "rs") return {"tcp", "http"};
  if (role == "sg") return {"udp", "tcp", "http"};
  if (role == "cs") return {"udp"};
  return {};
}

namespace {

bool Given(const Target& t, const std::string& transport) {
  return (transport == "udp" && t.udp) || (transport == "tcp" && t.tcp) || (transport == "http" && t.http) ||
         (transport == "udps" && t.udps);
}

// ARCH-1 per claimed role, then --require: cases the runner judges itself.
std::vector<reports::CaseResult> TransportCases(const RunOptions& o, const std::vector<std::string>& roles) {
  std::vector<reports::CaseResult> out;
  for (const std::string& role : roles) {
    reports::CaseResult r;
    r.id = "arch.transports." + role;
    r.title = "The " + role + " role offers its mandatory transports";
    r.group = "ARCH";
    r.clauses = {"ARCH-1", "CONV-1"};
    std::string want, missing;
    for (const std::string& t : MandatoryTransports(role)) {
      want += (want.empty() ? "" : "+") + t;
      if (!Given(o.target, t)) missing += (missing.empty() ? "" : ",") + t;
    }
    r.expected = want;
    r.actual = missing.empty() ? want : "missing " + missing;
    r.verdict = missing.empty() ? reports::Verdict::kOk : reports::Verdict::kFailed;
    if (!missing.empty()) {
      r.reason = "ARCH-1: " + role + " must offer " + want + "; no " + missing +
                 " target given (give it, or leave " + role + " out of --roles)";
    }
    out.push_back(std::move(r));
  }
  if (!o.require.empty()) {
    reports::CaseResult r;
    r.id = "run.require";
    r.title = "Every transport named by --require is given";
    r.group = "ARCH";
    r.clauses = {"ARCH-1"};
    std::string want, missing;
    for (const std::string& t : o.require) {
      want += (want.empty() ? "" : ",") + t;
      if (!Given(o.target, t)) missing += (missing.empty() ? "" : ",") + t;
    }
    r.expected = want;
    r.actual = missing.empty() ? want : "missing " + missing;
    r.verdict = missing.empty() ? reports::Verdict::kOk : reports::Verdict::kFailed;
    if (!missing.empty()) r.reason = "--require " + want + ": no " + missing + " target given";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

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
  std::vector<std::string> roles;
  for (const std::string& role : AllRoles()) {
    if (o.roles.empty() || o.roles.count(role)) roles.push_back(role);
  }
  std::string judged;
  for (const std::string& role : roles) judged += (judged.empty() ? "" : ",") + role;
  rep.target += " (roles judged: " + judged + ")";
  const std::int64_t start = NowUs();
  for (reports::CaseResult& r : TransportCases(o, roles)) {
    if (!Selected(r.id, o.cases)) continue;
    on_case(r);
    rep.cases.push_back(std::move(r));
  }
  for (const CaseDef& d : Catalog()) {
    if (!Selected(d.id, o.cases)) continue;
    reports::CaseResult r;
    r.id = d.id;
    r.title = d.title;
    r.group = d.group;
    r.clauses = d.clauses;
    std::string unclaimed;
    for (const std::string& role : CaseRoles(d)) {
      if (std::find(roles.begin(), roles.end(), role) == roles.end()) unclaimed += (unclaimed.empty() ? "" : ",") + role;
    }
    if (!unclaimed.empty()) {
      r.verdict = reports::Verdict::kUnimplemented;
      r.reason = "not judged: needs role " + unclaimed + ", which is not in --roles " + judged;
    } else if (!HasTransports(o.target, d.transport)) {
      r.verdict = reports::Verdict::kUnimplemented;
      r.reason = "no " + d.transport + " target given (--" + d.transport + ")";
      if (d.transport == "udps") r.reason = "no encrypted UDP endpoint with a key (--udps and --key-file)";
    } else {
      Ctx ctx(o.target, o.timeout_ms, o.timeout_ms * 10, o.seed);
      ctx.set_quiet_ms(o.quiet_ms);
      const std::int64_t t0 = NowUs();
      Outcome out = d.run(ctx);
      r.duration_us = NowUs() - t0;
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
    const bool passed = r.verdict == reports::Verdict::kOk || r.verdict == reports::Verdict::kUnimplemented ||
                        r.verdict == reports::Verdict::kInformational;
    on_case(r);
    rep.cases.push_back(std::move(r));
    if (!passed && o.liveness) {
      if (std::string why = o.liveness(); !why.empty()) {
        why += " (during or before case " + d.id + ")";
        if (o.aborted) *o.aborted = why;
        reports::CaseResult dead;
        dead.id = "run.target_alive";
        dead.title = "The target keeps running and answering until the run ends";
        dead.group = "ARCH";
        dead.verdict = reports::Verdict::kError;
        dead.expected = "a live target";
        dead.actual = why;
        dead.reason = "run stopped: " + why + "; the remaining cases were not run";
        on_case(dead);
        rep.cases.push_back(std::move(dead));
        break;
      }
    }
  }
  rep.duration_us = NowUs() - start;
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
