// libFuzzer target: MS (GET|HEAD /media/<id>) through the Role interface
// (fuzz/role_harness.h).
#include "fuzz/role_harness.h"
#include "reference/roles/ms.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpsim;
  auto store = mcpsim::fuzz::FuzzStore();
  reference::MsRole ms(*store);
  fuzz::RoleUnderTest r;
  r.role = &ms;
  fuzz::Harness(r).Run(data, size);
  return 0;
}
