// libFuzzer target: RS (RAP, captcha RBIN pushes, REG with its hashing as
// work) through the Role interface over TCP and HTTP (fuzz/role_harness.h).
#include "fuzz/role_harness.h"
#include "reference/roles/rs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpsim;
  auto store = fuzz::FuzzStore();
  reference::RsConfig cfg;
  cfg.password_cost = reference::PasswordCost::Minimal();
  cfg.max_sessions = 4;  // reach RATE-7 eviction
  cfg.rap_per_address = {1, 6};
  reference::RsRole rs(cfg, *store, Rng(12));
  fuzz::RoleUnderTest r;
  r.role = &rs;
  r.bounded = [&rs] { return rs.session_count() <= 4; };  // RATE-7
  fuzz::Harness(r).Run(data, size);
  return 0;
}
