// libFuzzer target: CS (RUP uploads, RAD ads, rate limits) through the Role
// interface over UDP; every endpoint is unvalidated, so AMP-1 is checked on
// every datagram (fuzz/role_harness.h).
#include "fuzz/role_harness.h"
#include "reference/roles/cs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpsim;
  auto store = fuzz::FuzzStore();
  reference::CsConfig cfg;
  cfg.catalog.push_back({"top", "ad-1", "http://10.0.0.9/media/banner-1", "http://x.invalid/c", 120, 40});
  cfg.per_address = {5, 8};
  reference::CsRole cs(cfg, *store);
  fuzz::RoleUnderTest r;
  r.role = &cs;
  fuzz::Harness(r).Run(data, size);
  return 0;
}
