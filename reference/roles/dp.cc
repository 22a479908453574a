#include "reference/roles/dp.h"

#include <iterator>

#include "core/hash.h"
#include "reference/http/http1.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {

DpRole::DpRole(DpConfig config, std::string name)
    : config_(std::move(config)), name_(std::move(name)), server_(*this) {
  if (auto v = ParseClientVersion(config_.min_version)) min_ = *v;
  if (auto v = ParseClientVersion(config_.latest_version)) latest_ = *v;
}

void DpRole::SetAvailable(std::size_t i, bool available) {
  if (i < config_.gateways.size()) config_.gateways[i].available = available;
}

void DpRole::OnHttp(TimeUs now, std::uint64_t exchange, const HttpRequest& req) {
  out_.push_back(HttpAnswer(exchange, Answer(now, req)));
}

void DpRole::Drain(std::vector<Output>& out) {
  std::move(out_.begin(), out_.end(), std::back_inserter(out));
  out_.clear();
}

HttpResponse DpRole::Answer(TimeUs now, const HttpRequest& req) {
  HttpResponse resp;
  resp.headers["connection"] = "close";  // HTTP-11
  if (http::TargetPath(req.target) != "/mcp") {
    resp.status = 404;  // HTTP-6
    return resp;
  }
  if (req.method != "GET") {
    resp.status = 405;
    resp.headers["allow"] = "GET";
    return resp;
  }
  // HTTP-1: exactly one q parameter.
  const std::string_view target = req.target;
  std::size_t count = 0;
  for (std::size_t p = target.find('?'); p != std::string_view::npos; p = target.find('&', p + 1)) {
    if (target.substr(p + 1, 2) == "q=") ++count;
  }
  const auto q = http::QueryParam(req.target, "q");
  if (count != 1 || !q) {
    resp.status = 400;  // HTTP-2
    return resp;
  }
  RequestContext ctx;
  ctx.now = now;
  ctx.via = Via::kHttp;
  ctx.peer = PeerKey{req.peer, 0};
  const std::vector<std::string> answers = server_.Execute(ctx, *q, wire::Limits::Stream());
  if (answers.empty()) {
    resp.status = 400;  // undecodable without an MCP answer
    return resp;
  }
  resp.content_type = "application/x-mcp";
  for (const std::string& a : answers) resp.body += a;
  return resp;
}

void DpRole::HandleRequest(const RequestContext&, const wire::CommandView& cmd, Reply& reply) {
  ++requests_;
  if (cmd.word() != "RQQW") return reply.Fail(StatusCode::kUnknownCommand);  // DP-4
  if (cmd.param_count() != 3) return reply.Fail(StatusCode::kBadParamCount);
  const auto version = ParseClientVersion(cmd.DecodeParam(0));
  if (!version || !IsPlatform(cmd.DecodeParam(1)) || !IsDeviceId(cmd.DecodeParam(2))) {
    return reply.Fail(StatusCode::kBadParam);
  }
  const char* update = *version < min_ ? "required" : *version < latest_ ? "recommended" : "none";
  if (config_.compare_versions_as_strings) {
    const std::string v = cmd.DecodeParam(0);
    update = v < config_.min_version ? "required" : v < config_.latest_version ? "recommended" : "none";
  }
  std::vector<const DpGateway*> up;
  for (const DpGateway& g : config_.gateways) {
    if (g.available) up.push_back(&g);
  }
  // DP-3: which SGs are available is the DP's own judgement (overload,
  // maintenance); now and then none is, and the answer is 502.
  if (FaultPoint(config_.faults, "dp.sg.unavailable")) up.clear();
  const std::string url = std::string(update) == "none" ? "" : config_.update_url;
  if (std::string(update) == "required") {  // DP-2: no addresses until updated
    reply.Ok({update, config_.latest_version, url, "", "", "", config_.ms});
    return;
  }
  if (up.empty()) return reply.Fail(StatusCode::kUnavailable);  // DP-3
  const DpGateway& g = *up[Fnv1a(cmd.DecodeParam(2)) % up.size()];
  reply.Ok({update, config_.latest_version, url, g.sg, g.rs, config_.cs, config_.ms});
}

}  // namespace mcpsim::reference
