// libFuzzer target: DP (GET /mcp?q=RQQW…) through the Role interface: raw
// HTTP requests through the host's parser, and POSTs (fuzz/role_harness.h).
#include "fuzz/role_harness.h"
#include "reference/roles/dp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpsim;
  reference::DpConfig cfg;
  cfg.min_version = "1.1.0";
  cfg.latest_version = "1.3.0";
  cfg.update_url = "http://dl.example/mc.sis";
  cfg.gateways = {{"udp://10.0.0.3:1863", "tcp://10.0.0.3:1864", true}, {"udp://10.0.0.4:1863", "", true}};
  cfg.cs = "udp://10.0.0.5:7000";
  cfg.ms = "http://10.0.0.6:80";
  reference::DpRole dp(cfg);
  fuzz::RoleUnderTest r;
  r.role = &dp;
  fuzz::Harness(r).Run(data, size);
  return 0;
}
