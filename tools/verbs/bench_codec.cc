// `mcpsim bench codec`: wire codec throughput on deterministic mixed traffic.
// Prints `codec.parse: <N> MB/s` and `codec.serialize: <N> MB/s` (MB = 10^6
// bytes, steady_clock; each figure is the best ~20 ms round within --seconds,
// since the machine may be shared).
//
// Traffic (fixed seed): short control requests (`RSII 12 1 7`), answers,
// chat lines of 40..400 bytes with spaces, '%' and CJK UTF-8, and 1 KB
// payload chunks (RBIN/ROT/RSV). Parse = DatagramParser over a ~4 MB buffer,
// touching every command's word, trid and params; serialize = AppendCommand of
// the same commands into a reused string.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/rng.h"
#include "reference/wire/command.h"
#include "reference/wire/parse.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string ChatText(Rng& rng) {
  static const char* kWords[] = {"hello", "ok", "see", "you", "at", "8pm", "100%", "sure", "lol", "thanks"};
  static const char* kCjk[] = {"\xE4\xBD\xA0\xE5\xA5\xBD", "\xE6\x98\x8E\xE5\xA4\xA9", "\xE8\xA7\x81",
                               "\xE8\xB0\xA2\xE8\xB0\xA2", "\xF0\x9F\x98\x80"};
  std::string s;
  const auto target = static_cast<std::size_t>(rng.Range(40, 400));
  while (s.size() < target) {
    if (!s.empty()) s.push_back(' ');
    if (rng.Chance(0.3)) {
      s += kCjk[rng.Below(5)];
    } else {
      s += kWords[rng.Below(10)];
    }
  }
  return s;
}

std::vector<wire::Command> MakeTraffic(std::size_t target_bytes) {
  Rng rng = Rng::Stream(20240601, "bench.codec");
  std::vector<wire::Command> cmds;
  std::size_t bytes = 0;
  std::uint32_t trid = 1;
  while (bytes < target_bytes) {
    wire::Command c;
    c.trid = trid++;
    const std::uint64_t kind = rng.Below(100);
    if (kind < 35) {
      static const char* kWords[] = {"RSII", "RCS", "RLO", "RPS", "RCM"};
      c.word = kWords[rng.Below(5)];
      c.params = {std::to_string(rng.Below(20)), std::to_string(rng.Below(10))};
    } else if (kind < 60) {
      static const char* kWords[] = {"ASM", "ASII", "ACS", "AQQW", "ARSM"};
      c.word = kWords[rng.Below(5)];
      c.status = rng.Chance(0.9) ? 0 : 300 + static_cast<std::uint32_t>(rng.Below(12));
      if (c.word == "AQQW") c.params = {"10.0.0.7:7000", "1"};
    } else if (kind < 88) {
      c.word = rng.Chance(0.5) ? "RSM" : "RRM";
      c.params = {"call" + std::to_string(rng.Below(1000)), "alice@example.com", ChatText(rng)};
    } else {
      static const char* kWords[] = {"RBIN", "ROT", "RSV"};
      c.word = kWords[rng.Below(3)];
      c.params = {"obj" + std::to_string(rng.Below(100)), std::to_string(rng.Below(2048) * 1024), "2097152"};
      std::string payload(1024, '\0');
      rng.Fill(payload.data(), payload.size());
      c.payload = std::move(payload);
    }
    auto wire = wire::Serialize(c);
    if (!wire.ok()) continue;  // cannot happen for this generator; skip defensively
    bytes += wire->size();
    cmds.push_back(std::move(c));
  }
  return cmds;
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int Run(double min_seconds) {
  const std::vector<wire::Command> cmds = MakeTraffic(4 << 20);
  wire::Limits limits = wire::Limits::Stream();
  std::string buf;
  for (const auto& c : cmds) {
    if (!wire::AppendCommand(c, buf, limits).ok()) {
      std::fprintf(stderr, "mcpsim: error: bench traffic failed to serialize\n");
      return 3;
    }
  }
  limits.max_datagram = buf.size();

  // Parse: rounds of kPasses passes until min_seconds; the figure is the best
  // round (the machine is shared, so the best round is the one-core figure).
  constexpr int kPasses = 5;
  std::uint64_t sink = 0, errors = 0;
  double parse_mbs = 0;
  auto begin = Clock::now(), now = begin;
  do {
    const auto start = Clock::now();
    for (int k = 0; k < kPasses; ++k) {
      errors += wire::ParseDatagram(
          buf, limits,
          [&](const wire::CommandView& v, std::uint64_t) {
            sink += v.trid() + v.word().size() + v.param_count();
            if (v.param_count()) sink += v.raw_param(v.param_count() - 1).size();
          },
          [&](const wire::WireError&) {});
    }
    now = Clock::now();
    parse_mbs = std::max(parse_mbs, static_cast<double>(buf.size()) * kPasses / 1e6 / Seconds(start, now));
  } while (Seconds(begin, now) < min_seconds);
  if (errors) {
    std::fprintf(stderr, "mcpsim: error: bench traffic did not parse cleanly\n");
    return 3;
  }

  // Serialize: same scheme.
  std::string out;
  out.reserve(buf.size());
  double ser_mbs = 0;
  begin = Clock::now();
  do {
    const auto start = Clock::now();
    for (int k = 0; k < kPasses; ++k) {
      out.clear();
      for (const auto& c : cmds) {
        if (!wire::AppendCommand(c, out, limits).ok()) return 3;
      }
    }
    now = Clock::now();
    ser_mbs = std::max(ser_mbs, static_cast<double>(out.size()) * kPasses / 1e6 / Seconds(start, now));
  } while (Seconds(begin, now) < min_seconds);
  if (out != buf) {
    std::fprintf(stderr, "mcpsim: error: serialize output differs from the parsed traffic\n");
    return 3;
  }

  std::printf("codec.parse: %.1f MB/s\n", parse_mbs);
  std::printf("codec.serialize: %.1f MB/s\n", ser_mbs);
  spdlog::info("bench codec: {} commands, {} bytes per pass (checksum {})", cmds.size(), buf.size(), sink % 1000);
  return 0;
}

RegisterVerb reg{{"bench", "codec",
                  "Wire codec throughput on deterministic mixed traffic: prints codec.parse and "
                  "codec.serialize in MB/s",
                  [](CLI::App& cmd) -> Runner {
                    auto seconds = std::make_shared<double>(1.0);
                    cmd.add_option("--seconds", *seconds, "Minimum wall time per measurement (default 1)")
                        ->check(CLI::Range(0.01, 60.0));
                    return [seconds] { return Run(*seconds); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
