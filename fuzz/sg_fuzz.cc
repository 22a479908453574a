// libFuzzer target: SG (login, sync, contacts, chat, offline, files, voice)
// through the Role interface over UDP, TCP and HTTP (fuzz/role_harness.h).
#include "fuzz/role_harness.h"
#include "reference/roles/sg/backend.h"
#include "reference/roles/sg/sg.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpsim;
  auto store = fuzz::FuzzStore();
  reference::Backend backend(*store);
  reference::SgConfig cfg;
  cfg.dummy_cost = reference::PasswordCost::Minimal();
  cfg.server.max_parked = 3;  // reach LIM-23 and RATE-10
  reference::SgRole sg(cfg, *store, backend, Rng(11));
  fuzz::RoleUnderTest r;
  r.role = &sg;
  r.validated = [&sg](const Endpoint& e) { return sg.EndpointValidated(e); };
  r.bounded = [&sg] { return sg.session_count() <= 48; };
  fuzz::Harness(r).Run(data, size);
  return 0;
}
