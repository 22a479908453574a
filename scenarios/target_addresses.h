// What a target (a third-party server playing some of the server roles) says
// about its own addresses, mapped to the relay nodes of a scenario world:
// shared by external targets on real sockets (external.h, net::Bridge) and
// targets inside the simulation (sim_stage.h, sim relays).
//
//   relay ports of each server node (RefWorld's layout)
//   udp             cs :7000, sg :1863
//   tcp             rs :1864, sg :1863
//   http            dp :80, rs :8080, ms :80, sg :8080
//
// The target's own addresses in the DP answer (AQQW: SG, RS, CS and MS URI
// lists) and in ad answers (AAD image URL) become the relay nodes' addresses;
// a URI the target lists that no relay serves is dropped, so clients reach
// every role through the simulated network.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/env.h"
#include "reference/http/http1.h"
#include "reference/roles/uri.h"

namespace mcpsim::scenarios {

struct RolePorts {
  const char* role;
  std::optional<std::uint16_t> udp, tcp, http;
};
// dp, rs, cs, ms, sg in this order.
std::span<const RolePorts> ServerRolePorts();
// The row of `role` (dp's for an unknown name).
const RolePorts& PortsOf(const std::string& role);

struct TargetAddresses {
  std::optional<Endpoint> udp, tcp, http;        // the target's listeners
  std::map<std::string, std::uint32_t> node_ip;  // relayed role -> its node's address

  // A target URI of `role` as the relay node's URI ("" if no relay serves it).
  std::string MapUri(const reference::Uri& u, const std::string& role) const;
  std::string MapList(const std::string& list, const std::string& role) const;
  // AQQW (DP answer): SG, RS, CS and MS lists; AAD (ad answer): the image URL.
  // Bytes that do not decode pass unchanged.
  std::string RewriteCommands(std::string_view bytes) const;
};

// Rewrites whole HTTP responses of one relayed connection (the chunks of the
// server -> client direction, in order; an empty chunk at EOF returns what it
// still holds). Bytes that do not parse as HTTP pass through from then on.
class HttpResponseFilter {
 public:
  explicit HttpResponseFilter(std::function<void(reference::HttpResponse&)> edit) : edit_(std::move(edit)) {}
  std::string operator()(std::string_view chunk);

 private:
  std::function<void(reference::HttpResponse&)> edit_;
  reference::http::ResponseParser parser_{8 << 20};
  std::string held_;
  bool broken_ = false;
};

}  // namespace mcpsim::scenarios
