// MS, the media server (PROTOCOL.md §7.10, MS-1..4): `GET|HEAD /media/<id>`
// serves stored media (banners, avatars) over HTTP; no MCP lines.
#pragma once

#include <string>

#include "reference/roles/role.h"
#include "reference/store/store.h"

namespace mcpsim::reference {

class MsRole final : public Role {
 public:
  // `store` is not owned and must outlive the role.
  explicit MsRole(Store& store, std::string name = "ms");

  void OnHttp(TimeUs now, std::uint64_t exchange, const HttpRequest& req) override;
  void Drain(std::vector<Output>& out) override;
  std::string_view name() const override { return name_; }
  std::uint64_t served() const { return served_; }

 private:
  Store& store_;
  std::string name_;
  std::uint64_t served_ = 0;
  std::vector<Output> out_;
  HttpResponse Answer(const HttpRequest& req);
};

}  // namespace mcpsim::reference
