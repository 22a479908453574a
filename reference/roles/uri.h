// ARCH-4 address URIs: `udp://host:port`, `udps://…`, `tcp://…`,
// `http://host:port/path`, `https://…`, joined with ',' into URI lists.
// Hosts are IPv4 dotted quads or bracketed IPv6 literals (no name lookup:
// a sans-I/O role cannot resolve names).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"

namespace mcpsim::reference {

struct Uri {
  std::string scheme;  // "udp", "udps", "tcp", "http", "https"
  Endpoint endpoint;
  std::string path;    // "/mcp", "/media/x"; "" for udp/tcp
};

std::optional<Uri> ParseUri(std::string_view text);
// Splits a URI list; unparsable entries are skipped.
std::vector<Uri> ParseUriList(std::string_view list);
// The first URI of `list` with `scheme`, if any.
std::optional<Uri> FirstWithScheme(std::string_view list, std::string_view scheme);
// "udp://10.0.0.3:1863"
std::string FormatUri(std::string_view scheme, const Endpoint& ep, std::string_view path = "");

}  // namespace mcpsim::reference
