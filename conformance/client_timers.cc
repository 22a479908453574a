// ClientTimers (client_cases.h): the TIMER-1..3 schedule a client is
// expected to follow, and the --client-timers parser.
#include <algorithm>

#include "conformance/client_cases.h"

namespace mcpsim::conformance {

TimeUs ClientTimers::Wait(int k) const {
  TimeUs w = initial;
  for (int i = 0; i < k && w < max; ++i) w *= 2;
  return std::min(w, max);
}

TimeUs ClientTimers::SendAt(int k) const {
  TimeUs t = 0;
  for (int i = 0; i < k; ++i) t += Wait(i);
  return t;
}

TimeUs ClientTimers::GiveUp() const { return SendAt(resends) + Wait(resends); }

TimeUs ClientTimers::Tolerance(TimeUs wait) const { return std::max<TimeUs>(80 * kMillis, wait / 4); }

Result<ClientTimers> ParseClientTimers(const std::string& text) {
  ClientTimers t;
  if (text.empty()) return t;
  std::vector<long long> v;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto comma = std::min(text.find(',', pos), text.size());
    const std::string f = text.substr(pos, comma - pos);
    if (f.empty() || f.size() > 9 || !std::all_of(f.begin(), f.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Status::Error("CONF-1", "--client-timers: expected INITIAL_MS,MAX_MS,RESENDS");
    }
    v.push_back(std::stoll(f));
    pos = comma + 1;
  }
  if (v.size() > 3 || v[0] <= 0) return Status::Error("CONF-1", "--client-timers: expected INITIAL_MS,MAX_MS,RESENDS");
  t.initial = v[0] * kMillis;
  if (v.size() > 1) t.max = v[1] * kMillis;
  if (v.size() > 2) t.resends = static_cast<int>(v[2]);
  if (t.max < t.initial || t.resends > 20) return Status::Error("CONF-1", "--client-timers: need MAX >= INITIAL, RESENDS <= 20");
  return t;
}

}  // namespace mcpsim::conformance
