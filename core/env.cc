#include "core/env.h"

#include <cstdio>

namespace mcpsim {

std::string Endpoint::ToString() const {
  char buf[64];
  if (!v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", addr[0], addr[1], addr[2], addr[3], port);
    return buf;
  }
  std::string s = "[";
  for (int i = 0; i < 16; i += 2) {
    if (i) s += ':';
    std::snprintf(buf, sizeof buf, "%x", (addr[i] << 8) | addr[i + 1]);
    s += buf;
  }
  s += "]:" + std::to_string(port);
  return s;
}

void Env::Offload(TimeUs cost, std::function<void()> work, std::function<void()> done) {
  (void)cost;
  StartTimer(Now(), [work = std::move(work), done = std::move(done)] {
    if (work) work();
    if (done) done();
  });
}

}  // namespace mcpsim
