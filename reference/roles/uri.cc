#include "reference/roles/uri.h"

#include <cstdio>

namespace mcpsim::reference {
namespace {

std::optional<Endpoint> ParseHostPort(std::string_view hp) {
  unsigned a, b, c, d, port;
  char tail;
  const std::string s(hp);
  if (std::sscanf(s.c_str(), "%u.%u.%u.%u:%u%c", &a, &b, &c, &d, &port, &tail) == 5 &&
      a < 256 && b < 256 && c < 256 && d < 256 && port < 65536) {
    return Endpoint::V4((a << 24) | (b << 16) | (c << 8) | d, static_cast<std::uint16_t>(port));
  }
  if (s.size() > 4 && s[0] == '[') {
    const auto close = s.find("]:");
    if (close == std::string::npos) return std::nullopt;
    const std::string host = s.substr(1, close - 1);
    if (host == "::1" && std::sscanf(s.c_str() + close + 2, "%u%c", &port, &tail) == 1 &&
        port < 65536) {
      Endpoint e;
      e.v6 = true;
      e.addr[15] = 1;
      e.port = static_cast<std::uint16_t>(port);
      return e;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Uri> ParseUri(std::string_view text) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  Uri u;
  u.scheme = std::string(text.substr(0, sep));
  if (u.scheme != "udp" && u.scheme != "udps" && u.scheme != "tcp" && u.scheme != "http" &&
      u.scheme != "https") {
    return std::nullopt;
  }
  std::string_view rest = text.substr(sep + 3);
  const auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    u.path = std::string(rest.substr(slash));
    rest = rest.substr(0, slash);
  }
  auto ep = ParseHostPort(rest);
  if (!ep) return std::nullopt;
  u.endpoint = *ep;
  return u;
}

std::vector<Uri> ParseUriList(std::string_view list) {
  std::vector<Uri> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (auto u = ParseUri(list.substr(0, comma))) out.push_back(*u);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<Uri> FirstWithScheme(std::string_view list, std::string_view scheme) {
  for (Uri& u : ParseUriList(list)) {
    if (u.scheme == scheme) return u;
  }
  return std::nullopt;
}

std::string FormatUri(std::string_view scheme, const Endpoint& ep, std::string_view path) {
  return std::string(scheme) + "://" + ep.ToString() + std::string(path);
}

}  // namespace mcpsim::reference
