#include "core/env.h"

#include <cstdio>

namespace mcpsim {

std::string Endpoint::ToString() const {
  char buf[64];
  std::string s;
  if (!v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", addr[0], addr[1], addr[2], addr[3], port);
    s = buf;
  } else {
    s.assign(1, '[');  // assign(): GCC 12 -Wrestrict false positive on = "["
    for (int i = 0; i < 16; i += 2) {
      if (i) s += ':';
      std::snprintf(buf, sizeof buf, "%x", (addr[i] << 8) | addr[i + 1]);
      s += buf;
    }
    s += "]:" + std::to_string(port);
  }
  if (channel != 0) {
    const int k = channel_key_id();
    std::snprintf(buf, sizeof buf, k >= 0 ? "~k%d" : "~c%d", k >= 0 ? k : int{channel});
    s += buf;
  }
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
