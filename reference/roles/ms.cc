#include "reference/roles/ms.h"

#include "reference/http/http1.h"
#include "reference/roles/validate.h"

namespace mcpsim::reference {

MsRole::MsRole(Store& store, std::string name) : store_(store), name_(std::move(name)) {}

HttpResponse MsRole::OnHttp(TimeUs, const HttpRequest& req) {
  HttpResponse resp;
  resp.headers["connection"] = "close";
  const std::string_view path = http::TargetPath(req.target);
  constexpr std::string_view kPrefix = "/media/";
  if (path.substr(0, kPrefix.size()) != kPrefix) {
    resp.status = 404;
    return resp;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    resp.status = 405;
    resp.headers["allow"] = "GET, HEAD";
    return resp;
  }
  const std::string_view id = path.substr(kPrefix.size());
  if (!IsMediaId(id)) {
    resp.status = 400;
    return resp;
  }
  auto media = store_.GetMedia(id);
  if (!media.ok()) {
    resp.status = 503;
    return resp;
  }
  if (!media->has_value()) {
    resp.status = 404;
    return resp;
  }
  ++served_;
  resp.content_type = (*media)->content_type;
  if (req.method == "GET") resp.body = (*media)->bytes;
  // MS-6: HEAD is GET without the body; Content-Length is the GET body's.
  if (req.method == "HEAD") resp.head_length = (*media)->bytes.size();
  return resp;
}

}  // namespace mcpsim::reference
