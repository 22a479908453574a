#include "scenarios/target_addresses.h"

#include <utility>
#include <vector>

#include "conformance/harness.h"

namespace mcpsim::scenarios {
namespace {

constexpr RolePorts kRoles[] = {
    {"dp", std::nullopt, std::nullopt, 80},
    {"rs", std::nullopt, 1864, 8080},
    {"cs", 7000, std::nullopt, std::nullopt},
    {"ms", std::nullopt, std::nullopt, 80},
    {"sg", 1863, 1863, 8080},
};

}  // namespace

std::span<const RolePorts> ServerRolePorts() { return kRoles; }

const RolePorts& PortsOf(const std::string& role) {
  for (const RolePorts& r : kRoles) {
    if (role == r.role) return r;
  }
  return kRoles[0];
}

std::string TargetAddresses::MapUri(const reference::Uri& u, const std::string& role) const {
  auto ip = node_ip.find(role);
  if (ip == node_ip.end()) return "";
  const RolePorts& p = PortsOf(role);
  std::optional<std::uint16_t> port;
  if (u.scheme == "udp" && udp && u.endpoint == *udp) port = p.udp;
  if (u.scheme == "tcp" && tcp && u.endpoint == *tcp) port = p.tcp;
  if (u.scheme == "http" && http && u.endpoint == *http) port = p.http;
  if (!port) return "";
  return reference::FormatUri(u.scheme, Endpoint::V4(ip->second, *port), u.path);
}

std::string TargetAddresses::MapList(const std::string& list, const std::string& role) const {
  std::string out;
  for (const reference::Uri& u : reference::ParseUriList(list)) {
    const std::string m = MapUri(u, role);
    if (!m.empty()) out += (out.empty() ? "" : ",") + m;
  }
  return out;
}

std::string TargetAddresses::RewriteCommands(std::string_view bytes) const {
  std::vector<std::string> errors;
  auto cmds = conformance::Decode(bytes, &errors);
  if (!errors.empty()) return std::string(bytes);
  bool changed = false;
  for (wire::Command& c : cmds) {
    if (c.word == "AQQW" && c.status == 0u && c.params.size() == 7) {
      c.params[3] = MapList(c.params[3], "sg");
      c.params[4] = MapList(c.params[4], "rs");
      c.params[5] = MapList(c.params[5], "cs");
      c.params[6] = MapList(c.params[6], "ms");
      changed = true;
    } else if (c.word == "AAD" && c.status == 0u && c.params.size() >= 2) {
      if (auto u = reference::ParseUri(c.params[1])) {
        const std::string m = MapUri(*u, "ms");
        if (!m.empty()) c.params[1] = m;
        changed = true;
      }
    }
  }
  if (!changed) return std::string(bytes);
  std::string out;
  for (const wire::Command& c : cmds) out += conformance::Encode(c);
  return out;
}

std::string HttpResponseFilter::operator()(std::string_view chunk) {
  if (chunk.empty()) return std::exchange(held_, {});  // EOF: an incomplete tail goes as it is
  if (broken_) return std::string(chunk);
  held_.append(chunk);
  if (!parser_.Append(chunk).ok()) {
    broken_ = true;  // not HTTP we understand: pass everything through
    return std::exchange(held_, {});
  }
  std::string out;
  while (auto msg = parser_.Next()) {
    edit_(*msg);
    out += reference::http::SerializeResponse(*msg);
    held_.clear();  // (a response ends a chunk on every server we relay; pipelining is not used)
  }
  return out;
}

}  // namespace mcpsim::scenarios
