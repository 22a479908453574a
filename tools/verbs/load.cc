// `mcpsim load`: a load generator of realistic MC behaviour against any target
// (host/load.h on real sockets, net/load_run.h). Target flags and the
// --launch contract are conform's: --udp/--udps (+--key-file) give the SG/CS
// datagram endpoint, --http the DP (registration through RS), --launch starts
// the target and reads its `listening` lines. --users N MC engines, each with
// its own UDP port, log in (accounts from --accounts FILE, or registered
// first through DP/RS), list --contacts neighbours each, then --rate R
// operations per second drawn from --mix are offered for --duration seconds.
//
// Output: a live status line on stderr when it is a TTY (rate, in flight,
// errors, p50/p99 each second); the final summary on stdout as
// `load.<name>: <value>` lines (overall and per operation: offered,
// completed, errors, skipped, per_s, p50/p90/p99/p99.9/max in ms); --csv FILE
// gets one row per second (time, then offered, completed, errors, p50, p90,
// p99, p99.9 for all operations and for each kind in the mix). Latencies are
// kept in log-bucketed histograms (core/histogram.h, within 6.25%).
//
// Exit: 0; 1 when the error rate (errors + unfinished over finished +
// unfinished) passes --max-errors; 2 usage or input error; 3 target or
// harness failure (launch failed, no user could log in, set-up timed out).
// Bounded: --users <= 100000, --duration <= 86400 s, --rate <= 10^7/s; UDP
// goes only to the given (or launched) endpoint.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include "conformance/runner.h"
#include "host/load.h"
#include "net/load_run.h"
#include "reference/roles/uri.h"
#include "reference/transport/enc.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

struct LoadArgs {
  std::string udp, udps, key_file, tcp, http, launch;
  int users = 100;
  std::string rate = "100";
  double duration = 10, drain = 5, setup_timeout = 120;
  std::string mix = "login=1,chat=8,offline=1,upload=1";
  std::string accounts, csv, prefix, password = "load-password";
  std::string max_errors = "1%";
  std::string ramp = "500";
  int contacts = 4, window = 4;
  std::size_t text_bytes = 32, file_bytes = 2048, upload_bytes = 64;
  std::uint64_t seed = 1;
};

int Usage(const std::string& msg) {
  std::cerr << "mcpsim load: error: " << msg << "\n";
  return 2;
}

// "1000", "1000/s" -> 1000.
std::optional<double> ParseRate(std::string text) {
  if (text.size() > 2 && text.compare(text.size() - 2, 2, "/s") == 0) text.resize(text.size() - 2);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v > 0)) return std::nullopt;
  return v;
}

// "0.01" or "1%" -> 0.01.
std::optional<double> ParseFraction(std::string text) {
  double scale = 1;
  if (!text.empty() && text.back() == '%') {
    text.pop_back();
    scale = 0.01;
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end) * scale;
  if (text.empty() || *end != '\0' || !(v >= 0) || v > 1) return std::nullopt;
  return v;
}

std::optional<Endpoint> EndpointOf(const std::string& text) {
  auto hp = conformance::ParseAddress(text);
  if (!hp.ok()) return std::nullopt;
  auto uri = reference::ParseUri("udp://" + hp->ToString());
  if (!uri) return std::nullopt;
  return uri->endpoint;
}

// "account password" per line; '#' starts a comment.
Result<std::vector<host::LoadAccount>> ReadAccounts(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error("LOAD-4", "cannot read " + path);
  std::vector<host::LoadAccount> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    std::istringstream words(line);
    host::LoadAccount a;
    if (!(words >> a.account)) continue;
    if (!(words >> a.password)) return Status::Error("LOAD-4", path + ":" + std::to_string(n) + ": account without a password");
    out.push_back(std::move(a));
  }
  return out;
}

double Ms(std::uint64_t us) { return static_cast<double>(us) / 1000.0; }

// The kinds shown: every kind with a positive weight.
std::vector<int> Kinds(const host::LoadMix& mix) {
  std::vector<int> k;
  for (int i = 0; i < host::kLoadOps; ++i) {
    if (mix.weight[static_cast<std::size_t>(i)] > 0) k.push_back(i);
  }
  return k;
}

host::LoadCounters All(const host::LoadStats& s) {
  host::LoadCounters all;
  for (const auto& c : s) all.Merge(c);
  return all;
}

void CsvCounters(std::ostream& out, const host::LoadCounters& c) {
  char buf[160];
  std::snprintf(buf, sizeof buf, ",%llu,%llu,%llu,%.3f,%.3f,%.3f,%.3f", static_cast<unsigned long long>(c.offered),
                static_cast<unsigned long long>(c.completed), static_cast<unsigned long long>(c.errors),
                Ms(c.latency_us.Percentile(0.5)), Ms(c.latency_us.Percentile(0.9)), Ms(c.latency_us.Percentile(0.99)),
                Ms(c.latency_us.Percentile(0.999)));
  out << buf;
}

void PrintCounters(const std::string& name, const host::LoadCounters& c, double run_s) {
  const auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("load.%s.offered: %llu\n", name.c_str(), u(c.offered));
  std::printf("load.%s.completed: %llu\n", name.c_str(), u(c.completed));
  std::printf("load.%s.errors: %llu\n", name.c_str(), u(c.errors));
  std::printf("load.%s.skipped: %llu\n", name.c_str(), u(c.skipped));
  std::printf("load.%s.per_s: %.1f\n", name.c_str(), run_s > 0 ? static_cast<double>(c.completed) / run_s : 0.0);
  std::printf("load.%s.p50_ms: %.3f\n", name.c_str(), Ms(c.latency_us.Percentile(0.5)));
  std::printf("load.%s.p90_ms: %.3f\n", name.c_str(), Ms(c.latency_us.Percentile(0.9)));
  std::printf("load.%s.p99_ms: %.3f\n", name.c_str(), Ms(c.latency_us.Percentile(0.99)));
  std::printf("load.%s.p999_ms: %.3f\n", name.c_str(), Ms(c.latency_us.Percentile(0.999)));
  std::printf("load.%s.max_ms: %.3f\n", name.c_str(), Ms(c.latency_us.max()));
}

int Load(const LoadArgs& a) {
  // ---- options ----
  if (a.users < 1 || a.users > 100000) return Usage("--users must be 1..100000");
  const auto rate = ParseRate(a.rate);
  if (!rate || *rate > 1e7) return Usage("--rate must be a positive number of operations per second (<= 10000000)");
  const auto ramp = ParseRate(a.ramp);
  if (!ramp) return Usage("--ramp must be a positive number of set-ups per second");
  if (!(a.duration > 0) || a.duration > 86400) return Usage("--duration must be in (0, 86400] seconds");
  if (!(a.drain >= 0) || a.drain > 600) return Usage("--drain must be in [0, 600] seconds");
  if (a.contacts < 0 || a.contacts > 100 || a.window < 1 || a.window > 32) {
    return Usage("--contacts must be 0..100 and --window 1..32 (LIM-20)");
  }
  const auto max_errors = ParseFraction(a.max_errors);
  if (!max_errors) return Usage("--max-errors must be a fraction (0.01) or a percentage (1%)");
  auto mix = host::LoadMix::Parse(a.mix);
  if (!mix.ok()) return Usage("--mix: " + mix.status().message());
  if (!a.tcp.empty()) std::cerr << "mcpsim load: note: --tcp is not used (the MC engine speaks UDP to SG and CS)\n";

  net::LoadRunOptions ro;
  host::LoadOptions& lo = ro.load;
  lo.mix = *mix;
  lo.rate_per_s = *rate;
  lo.ramp_per_s = *ramp;
  lo.contacts = a.contacts;
  lo.window = a.window;
  lo.text_bytes = a.text_bytes;
  lo.file_bytes = a.file_bytes;
  lo.upload_bytes = a.upload_bytes;
  lo.seed = a.seed;
  ro.duration_s = a.duration;
  ro.drain_s = a.drain;
  ro.setup_timeout_s = a.setup_timeout;

  // ---- target ----
  std::unique_ptr<conformance::Launched> launched;
  std::string udp = a.udp, udps = a.udps, http = a.http;
  if (!a.launch.empty()) {
    auto l = conformance::Launched::Start(a.launch, 10000);
    if (!l.ok()) {
      std::cerr << "mcpsim load: error: --launch: " << l.status().ToString() << "\n";
      return 3;
    }
    launched = std::move(*l);
    const conformance::Target& t = launched->target();
    if (udp.empty() && t.udp) udp = t.udp->ToString();
    if (udps.empty() && t.udps) udps = t.udps->ToString();
    if (http.empty() && t.http) http = "http://" + t.http->ToString();
  }
  std::string key_file = a.key_file;
  if (key_file.empty()) {  // the `--key-file F` of the --launch command, as conform does
    std::istringstream words(a.launch);
    for (std::string w; words >> w;) {
      if (w == "--key-file" && (words >> key_file)) break;
    }
  }
  std::string dgram = udp;
  if (!udps.empty() && udp.empty()) {
    if (key_file.empty()) return Usage("--udps needs --key-file");
    std::ifstream kf(key_file);
    std::stringstream ss;
    ss << kf.rdbuf();
    auto keys = reference::enc::ParseKeyTable(ss.str());
    if (!kf || !keys.ok() || keys->empty()) return Usage("--key-file: cannot read a key table from " + key_file);
    ro.udps_keys = *keys;
    dgram = udps;
  }
  if (dgram.empty()) return Usage("give the SG/CS datagram endpoint: --udp HOST:PORT, --udps HOST:PORT or --launch");
  const auto ep = EndpointOf(dgram);
  if (!ep) return Usage("bad datagram endpoint: " + dgram);
  lo.sg = lo.cs = *ep;
  if (!http.empty()) {
    auto uri = reference::ParseUri(http.find("://") == std::string::npos ? "http://" + http : http);
    if (!uri || uri->scheme != "http") return Usage("--http must be http://HOST:PORT (the DP)");
    lo.mc.dp = uri->endpoint;
  }

  // ---- accounts ----
  if (!a.accounts.empty()) {
    auto acc = ReadAccounts(a.accounts);
    if (!acc.ok()) return Usage(acc.status().message());
    if (acc->size() < static_cast<std::size_t>(a.users)) {
      return Usage(a.accounts + " lists " + std::to_string(acc->size()) + " accounts, --users wants " +
                   std::to_string(a.users));
    }
    acc->resize(static_cast<std::size_t>(a.users));
    lo.accounts = std::move(*acc);
  } else {
    if (http.empty()) return Usage("without --accounts the users are registered first: give --http (the DP) or --launch");
    std::string prefix = a.prefix;
    if (prefix.empty()) {
      std::random_device rd;
      char buf[16];
      std::snprintf(buf, sizeof buf, "ld%06x", rd() & 0xffffffu);
      prefix = buf;
    }
    lo.register_first = true;
    for (int i = 0; i < a.users; ++i) lo.accounts.push_back({prefix + "u" + std::to_string(i) + "@load.test", a.password});
  }

  // ---- live output ----
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::ofstream csv;
  const std::vector<int> kinds = Kinds(lo.mix);
  if (!a.csv.empty()) {
    csv.open(a.csv);
    if (!csv) return Usage("cannot write " + a.csv);
    csv << "time_s";
    std::vector<std::string> names{"all"};
    for (int k : kinds) names.push_back(host::LoadOpName(static_cast<host::LoadOp>(k)));
    for (const std::string& n : names) {
      for (const char* f : {"offered", "completed", "errors", "p50_ms", "p90_ms", "p99_ms", "p999_ms"}) csv << "," << n << "_" << f;
    }
    csv << "\n";
  }
  ro.on_second = [&](double t, const host::LoadStats& s, const host::LoadStats& total, std::size_t in_flight) {
    const host::LoadCounters all = All(s), sum = All(total);
    if (csv.is_open()) {
      char tb[32];
      std::snprintf(tb, sizeof tb, "%.3f", t);
      csv << tb;
      CsvCounters(csv, all);
      for (int k : kinds) CsvCounters(csv, s[static_cast<std::size_t>(k)]);
      csv << "\n";
      csv.flush();
    }
    if (tty) {
      const double done = static_cast<double>(sum.errors + sum.completed);
      std::fprintf(stderr, "\r[%6.1fs] offered %llu/s  done %llu/s  in flight %zu  errors %llu (%.2f%%)  p50 %.2f ms  p99 %.2f ms   ",
                   t, static_cast<unsigned long long>(all.offered),
                   static_cast<unsigned long long>(all.completed), in_flight, static_cast<unsigned long long>(sum.errors),
                   done > 0 ? 100.0 * static_cast<double>(sum.errors) / done : 0.0, Ms(all.latency_us.Percentile(0.5)),
                   Ms(all.latency_us.Percentile(0.99)));
      std::fflush(stderr);
    }
  };

  // ---- run ----
  const net::LoadRunResult r = net::RunLoad(ro);
  if (tty) std::fprintf(stderr, "\n");
  if (launched) launched->Stop();
  if (!r.status.ok()) {
    std::cerr << "mcpsim load: error: " << r.status.ToString() << "\n";
    return 3;
  }
  const host::LoadCounters all = All(r.total);
  const double finished = static_cast<double>(all.completed + all.errors + r.unfinished);
  const double error_rate = finished > 0 ? static_cast<double>(all.errors + r.unfinished) / finished : 0.0;
  std::printf("load.users: %zu\n", r.users);
  std::printf("load.logged_in: %zu\n", r.logged_in);
  std::printf("load.setup_failures: %zu\n", r.setup_failures);
  std::printf("load.setup_s: %.3f\n", r.setup_s);
  std::printf("load.run_s: %.3f\n", r.run_s);
  std::printf("load.rate_per_s: %.1f\n", *rate);
  std::printf("load.unfinished: %zu\n", r.unfinished);
  std::printf("load.error_rate: %.4f\n", error_rate);
  PrintCounters("all", all, r.run_s);
  for (int k : kinds) {
    PrintCounters(host::LoadOpName(static_cast<host::LoadOp>(k)), r.total[static_cast<std::size_t>(k)], r.run_s);
  }
  if (r.interrupted) std::printf("load.interrupted: 1\n");
  if (error_rate > *max_errors) {
    std::cerr << "mcpsim load: error rate " << error_rate << " passes --max-errors " << *max_errors << "\n";
    return 1;
  }
  return 0;
}

RegisterVerb reg{{"", "load", "Load generator: N simulated phones (the MC engine) against a server",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<LoadArgs>();
                    cmd.add_option("--udp", a->udp, "SG/CS datagram endpoint HOST:PORT");
                    cmd.add_option("--udps", a->udps, "Encrypted-UDP SG/CS endpoint HOST:PORT (with --key-file)");
                    cmd.add_option("--key-file", a->key_file, "ENC-2 key table for --udps");
                    cmd.add_option("--tcp", a->tcp, "Accepted for conform compatibility; unused");
                    cmd.add_option("--http", a->http, "DP URL http://HOST:PORT (registration through RS)");
                    cmd.add_option("--launch", a->launch, "Start the target (prints `listening` lines)");
                    cmd.add_option("--users", a->users, "Simulated phones (1..100000)")->capture_default_str();
                    cmd.add_option("--rate", a->rate, "Operations offered per second, e.g. 1000 or 1000/s")
                        ->capture_default_str();
                    cmd.add_option("--duration", a->duration, "Measured seconds")->capture_default_str();
                    cmd.add_option("--mix", a->mix, "Weights: login=,chat=,offline=,upload=,file=")->capture_default_str();
                    cmd.add_option("--accounts", a->accounts, "File of `account password` lines (else register first)");
                    cmd.add_option("--password", a->password, "Password of registered accounts")->capture_default_str();
                    cmd.add_option("--prefix", a->prefix, "Local-part prefix of registered accounts (default random)");
                    cmd.add_option("--csv", a->csv, "Per-second statistics file");
                    cmd.add_option("--max-errors", a->max_errors, "Error rate above which the exit code is 1 (0.01 or 1%)")
                        ->capture_default_str();
                    cmd.add_option("--contacts", a->contacts, "Contacts each user lists (neighbours)")->capture_default_str();
                    cmd.add_option("--window", a->window, "Operations in flight per user")->capture_default_str();
                    cmd.add_option("--ramp", a->ramp, "Set-ups (registration/login) started per second")->capture_default_str();
                    cmd.add_option("--drain", a->drain, "Seconds in-flight operations get after the run")->capture_default_str();
                    cmd.add_option("--setup-timeout", a->setup_timeout, "Seconds the set-up may take")->capture_default_str();
                    cmd.add_option("--text-bytes", a->text_bytes, "Chat / offline message size")->capture_default_str();
                    cmd.add_option("--file-bytes", a->file_bytes, "File size")->capture_default_str();
                    cmd.add_option("--upload-bytes", a->upload_bytes, "Upload data size")->capture_default_str();
                    cmd.add_option("--seed", a->seed, "Seed of the operation schedule")->capture_default_str();
                    return [a] { return Load(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
