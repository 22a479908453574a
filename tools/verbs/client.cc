// `mcpsim client`: the MC engine (reference::McClient) on real sockets, for
// scripting and manual reproduction. One output line per McEvent:
//   ok dispatch update=none sg= rs=tcp://…,http://…/mcp cs=udp://… ms=http://…
//   ok captcha ./captcha.png | ok register alice | ok upload | ok ad id=… image=… click=… size=WxH
//   ok media image/png 1234 | status register 205 | gave-up upload | refused register <why>
// Exit 0 if every event was ok, 1 otherwise, 2 on usage errors, 3 if the
// client could not start. State that outlives the process (device id, IMSI/
// IMEI, privacy acceptance, the RS registration session) lives in --cache.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <spdlog/spdlog.h>

#include "host/host.h"
#include "net/asio_env.h"
#include "net/udps_env.h"
#include "reference/media/captcha.h"
#include "reference/roles/mc/client.h"
#include "reference/roles/uri.h"
#include "reference/store/sqlite.h"
#include "tools/verb.h"

namespace mcpsim::cli {
namespace {

using reference::McEvent;
using reference::McOp;

struct ClientArgs {
  std::string dp, cache = "mcpsim-client.db", device, password, captcha, captcha_file = "captcha.png";
  std::string key_file, media_out, retry;
  int key_id = 0;
  bool accept_privacy = false, auto_captcha = false, interactive = false;
  std::int64_t timeout_ms = 60000;
  std::vector<std::string> words;
};

// The client's persistent state: a key/value table in SQLite.
class Cache {
 public:
  static Result<Cache> Open(const std::string& path) {
    auto db = reference::sql::Db::Open(path);
    if (!db.ok()) return db.status();
    if (Status s = reference::sql::Migrate(*db, {"CREATE TABLE kv(key TEXT PRIMARY KEY, value TEXT NOT NULL);"});
        !s.ok()) {
      return s;
    }
    return Cache(std::move(*db));
  }
  std::string Get(const std::string& key, const std::string& fallback = "") {
    auto st = db_.Prepare("SELECT value FROM kv WHERE key = ?1");
    if (!st.ok()) return fallback;
    st->Bind(1, key);
    auto row = st->Step();
    return row.ok() && *row ? st->Text(0) : fallback;
  }
  Status Put(const std::string& key, const std::string& value) {
    auto st = db_.Prepare("INSERT OR REPLACE INTO kv(key, value) VALUES(?1, ?2)");
    if (!st.ok()) return st.status();
    st->Bind(1, key).Bind(2, value);
    return st->Run();
  }

 private:
  explicit Cache(reference::sql::Db db) : db_(std::move(db)) {}
  reference::sql::Db db_;
};

std::string Digits(Rng& rng, const char* prefix, std::size_t n) {
  std::string s = prefix;
  while (s.size() < n) s.push_back(static_cast<char>('0' + rng.Below(10)));
  return s;
}

class Session {
 public:
  Session(const ClientArgs& a, Cache& cache) : a_(a), cache_(cache) {}

  int Start() {
    auto uri = reference::ParseUri(a_.dp);
    if (!uri || uri->scheme != "http") {
      std::cerr << "mcpsim client: error: --dp must be http://HOST:PORT\n";
      return 2;
    }
    env_ = std::make_unique<net::AsioEnv>(io_);
    Rng& rng = env_->Random();
    if (!a_.device.empty()) (void)cache_.Put("device_id", a_.device);
    if (cache_.Get("device_id").empty()) (void)cache_.Put("device_id", "dev-" + std::to_string(rng.Below(1000000000)));
    if (cache_.Get("imsi").empty()) (void)cache_.Put("imsi", Digits(rng, "460", 15));
    if (cache_.Get("imei").empty()) (void)cache_.Put("imei", Digits(rng, "35", 15));
    if (a_.accept_privacy) (void)cache_.Put("privacy", "accepted");  // PRIV-2: persisted once
    reference::McConfig c;
    c.device_id = cache_.Get("device_id");
    c.imsi = cache_.Get("imsi");
    c.imei = cache_.Get("imei");
    c.dp = uri->endpoint;
    if (!a_.retry.empty()) {  // CONV-2: TIMER-1..3 are configurable (INITIAL_MS,MAX_MS,RESENDS)
      unsigned long long init = 0, max = 0, resends = 0;
      if (std::sscanf(a_.retry.c_str(), "%llu,%llu,%llu", &init, &max, &resends) != 3 || init == 0 || max < init) {
        std::cerr << "mcpsim client: error: --retry-ms must be INITIAL,MAX,RESENDS\n";
        return 2;
      }
      c.retry.initial_timeout = static_cast<TimeUs>(init) * kMillis;
      c.retry.max_timeout = static_cast<TimeUs>(max) * kMillis;
      c.retry.max_resends = static_cast<std::uint32_t>(resends);
    }
    Env* env = env_.get();
    if (!a_.key_file.empty()) {
      std::ifstream f(a_.key_file);
      std::stringstream ss;
      ss << f.rdbuf();
      auto keys = reference::enc::ParseKeyTable(ss.str());
      if (!f || !keys.ok() || !keys->count(static_cast<std::uint8_t>(a_.key_id))) {
        std::cerr << "mcpsim client: error: --key-file must hold key id " << a_.key_id << "\n";
        return 2;
      }
      net::UdpsOptions u;
      u.keys = {{static_cast<std::uint8_t>(a_.key_id), keys->at(static_cast<std::uint8_t>(a_.key_id))}};
      u.plain = false;
      u.default_key_id = static_cast<std::uint8_t>(a_.key_id);
      udps_ = std::make_unique<net::UdpsEnv>(*env_, u);
      env = udps_.get();
    }
    mc_ = std::make_unique<reference::McClient>(c, Rng(rng.Next()));
    if (cache_.Get("privacy") == "accepted") mc_->AcceptPrivacyAgreement();
    mc_->RestoreRegistration({cache_.Get("rs_session"),
                              static_cast<std::uint32_t>(std::stoul(cache_.Get("captcha_id", "0")))});
    host_ = std::make_unique<host::RoleHost>(*env, *mc_);
    if (Status s = host_->Start({0, std::nullopt, std::nullopt}); !s.ok()) {
      std::cerr << "mcpsim client: error: " << s.ToString() << "\n";
      return 3;
    }
    return 0;
  }

  // Lets HTTP exchanges the engine still has in flight finish (at most
  // 2 s), e.g. the ABIN answers to the last RBIN chunks (RS-5).
  void Finish() {
    if (!mc_) return;
    host_->Pump();
    const TimeUs deadline = env_->Now() + 2 * kSeconds;
    while (mc_->http_in_flight() && env_->Now() < deadline) io_.run_one_for(std::chrono::milliseconds(50));
  }

  // Runs one command line; returns 0 ok, 1 failed, 2 usage.
  int Run(const std::vector<std::string>& w) {
    if (w.empty()) return 0;
    const std::string& cmd = w[0];
    auto need = [&](std::size_t n) {
      if (w.size() == n) return true;
      std::cerr << "mcpsim client: error: usage: dispatch | captcha | register ACCOUNT | upload KIND DATA | "
                   "ad SLOT | media URL\n";
      return false;
    };
    if (cmd == "accept-privacy" && need(1)) {
      mc_->AcceptPrivacyAgreement();
      (void)cache_.Put("privacy", "accepted");
      std::printf("ok accept-privacy\n");
      return 0;
    }
    if (cmd == "dispatch" && need(1)) return Dispatch();
    if (cmd == "media" && need(2)) return Await(mc_->FetchMedia(io_now(), w[1]));
    if (cmd != "captcha" && cmd != "register" && cmd != "upload" && cmd != "ad") return need(0) ? 2 : 2;
    if ((cmd == "captcha" && !need(1)) || (cmd == "register" && !need(2)) || (cmd == "upload" && !need(3)) ||
        (cmd == "ad" && !need(2))) {
      return 2;
    }
    // ARCH-2: addresses come from DP once per process.
    if (!dispatched_) {
      if (int rc = Dispatch(); rc != 0) return rc;
    }
    if (cmd == "captcha") return Captcha();
    if (cmd == "upload") {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
      return Await(mc_->Upload(io_now(), w[1], w[2], static_cast<std::uint64_t>(ms)));
    }
    if (cmd == "ad") return Await(mc_->QueryAd(io_now(), w[1]));
    return Register(w[1]);
  }

 private:
  TimeUs io_now() const { return env_->Now(); }

  int Dispatch() {
    const int rc = Await(mc_->QueryDispatch(io_now()));
    dispatched_ = rc == 0;
    if (dispatched_ && udps_) {
      if (auto u = reference::FirstWithScheme(cs_list_, "udps")) mc_->SetCsEndpoint(u->endpoint);
    }
    return rc;
  }

  int Captcha() {
    const int rc = Await(mc_->RequestCaptcha(io_now()));
    SaveRegistration();
    return rc;
  }

  int Register(const std::string& account) {
    std::string text = a_.captcha;
    if (text.empty() && a_.auto_captcha) {
      if (last_png_.empty()) {
        std::ifstream f(a_.captcha_file, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        last_png_ = ss.str();
      }
      if (mc_->registration_state().session.empty() || last_png_.empty()) {
        if (int rc = Captcha(); rc != 0) return rc;
      }
      auto read = reference::ReadCaptcha(last_png_);
      if (!read) {
        std::printf("refused register cannot read the captcha image\n");
        return 1;
      }
      text = *read;
      for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));  // RS-9
    }
    if (text.empty() || a_.password.empty()) {
      std::cerr << "mcpsim client: error: register needs --password and --captcha TEXT or --auto-captcha\n";
      return 2;
    }
    const int rc = Await(mc_->Register(io_now(), text, account, a_.password, a_.password, ""), account);
    if (rc == 0) mc_->RestoreRegistration({mc_->registration_state().session, 0});
    last_png_.clear();
    SaveRegistration();
    return rc;
  }

  void SaveRegistration() {
    const auto st = mc_->registration_state();
    (void)cache_.Put("rs_session", st.session);
    (void)cache_.Put("captcha_id", std::to_string(st.captcha_id));
  }

  // Drives the io_context until op `op` is reported; prints its line.
  int Await(std::uint64_t op, const std::string& account = "") {
    host_->Pump();
    const TimeUs deadline = env_->Now() + a_.timeout_ms * kMillis;
    for (;;) {
      for (McEvent& e : mc_->TakeEvents()) events_.push_back(std::move(e));
      for (auto it = events_.begin(); it != events_.end(); ++it) {
        if (it->op_id != op) continue;
        McEvent e = std::move(*it);
        events_.erase(it);
        return Print(e, account);
      }
      if (env_->Now() >= deadline) {
        std::printf("gave-up %s\n", "timeout");
        std::fflush(stdout);
        return 1;
      }
      io_.run_one_for(std::chrono::milliseconds(50));
    }
  }

  int Print(const McEvent& e, const std::string& account) {
    const char* op = reference::McOpName(e.op);
    std::string line;
    switch (e.outcome) {
      case McEvent::Outcome::kStatus: line = "status " + std::string(op) + " " + std::to_string(e.status); break;
      case McEvent::Outcome::kGaveUp: line = "gave-up " + std::string(op); break;
      case McEvent::Outcome::kRefused: line = "refused " + std::string(op) + " " + e.detail; break;
      case McEvent::Outcome::kOk: line = "ok " + std::string(op) + OkDetail(e, account); break;
    }
    if (!e.detail.empty()) spdlog::info("client: {} {}: {}", op, e.op_id, e.detail);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    return e.outcome == McEvent::Outcome::kOk ? 0 : 1;
  }

  std::string OkDetail(const McEvent& e, const std::string& account) {
    auto p = [&](std::size_t i) { return i < e.params.size() ? e.params[i] : std::string(); };
    switch (e.op) {
      case McOp::kDispatch:
        cs_list_ = p(5);
        return " update=" + p(0) + " sg=" + p(3) + " rs=" + p(4) + " cs=" + p(5) + " ms=" + p(6);
      case McOp::kCaptcha: {
        last_png_ = e.data;
        std::ofstream f(a_.captcha_file, std::ios::binary);
        f << e.data;
        return " " + a_.captcha_file;
      }
      case McOp::kRegister: return " " + account;
      case McOp::kUpload: return "";
      case McOp::kAd:
        if (p(0).empty()) return " none";
        return " id=" + p(0) + " image=" + p(1) + " click=" + p(2) + " size=" + p(3) + "x" + p(4);
      case McOp::kMedia:
        if (!a_.media_out.empty()) {
          std::ofstream f(a_.media_out, std::ios::binary);
          f << e.data;
        }
        return " " + p(0) + " " + std::to_string(e.data.size());
      default: {  // SG operations: their answer params, space-separated
        std::string d;
        for (const std::string& x : e.params) d += " " + x;
        return d;
      }
    }
  }

  const ClientArgs& a_;
  Cache& cache_;
  boost::asio::io_context io_;
  std::unique_ptr<net::AsioEnv> env_;
  std::unique_ptr<net::UdpsEnv> udps_;
  std::unique_ptr<reference::McClient> mc_;
  std::unique_ptr<host::RoleHost> host_;
  std::vector<McEvent> events_;
  bool dispatched_ = false;
  std::string cs_list_, last_png_;
};

std::vector<std::string> SplitLine(const std::string& line) {
  std::vector<std::string> w;
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    if (w.size() == 2 && w[0] == "upload") {  // DATA is the rest of the line
      std::string rest;
      std::getline(in, rest);
      w.push_back(word + rest);
      break;
    }
    w.push_back(word);
  }
  return w;
}

int ClientMain(const ClientArgs& a) {
  auto cache = Cache::Open(a.cache);
  if (!cache.ok()) {
    std::cerr << "mcpsim client: error: --cache: " << cache.status().ToString() << "\n";
    return 2;
  }
  Session s(a, *cache);
  if (int rc = s.Start(); rc != 0) return rc;
  if (!a.interactive) {
    if (a.words.empty()) {
      if (a.accept_privacy) return 0;  // `--accept-privacy` alone just records the acceptance
      std::cerr << "mcpsim client: error: no command (see mcpsim client --help)\n";
      return 2;
    }
    const int rc = s.Run(a.words);
    s.Finish();
    return rc;
  }
  int rc = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    auto w = SplitLine(line);
    if (!w.empty() && (w[0] == "quit" || w[0] == "exit")) break;
    const int r = s.Run(w);
    if (r != 0) rc = std::max(rc, r == 2 ? 1 : r);
  }
  s.Finish();
  return rc;
}

RegisterVerb reg{{"", "client", "Run the MC client engine against a server (dispatch, captcha, register, upload, ad, media)",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<ClientArgs>();
                    cmd.add_option("--dp", a->dp, "DP address http://HOST:PORT")->required();
                    cmd.add_option("--cache", a->cache, "Client state (SQLite)")->capture_default_str();
                    cmd.add_option("--device", a->device, "Device id (persisted in the cache)");
                    cmd.add_flag("--accept-privacy", a->accept_privacy, "Accept the privacy agreement (persisted)");
                    cmd.add_option("--password", a->password, "Password for register");
                    cmd.add_option("--captcha", a->captcha, "The captcha text as read by the user");
                    cmd.add_flag("--auto-captcha", a->auto_captcha, "Decode the captcha image (scripts/tests)");
                    cmd.add_option("--captcha-file", a->captcha_file, "Where captcha saves / register reads the PNG")
                        ->capture_default_str();
                    cmd.add_option("--media-out", a->media_out, "Save fetched media to this file");
                    cmd.add_option("--key-file", a->key_file, "Use encrypted UDP (udps) with this key table");
                    cmd.add_option("--key-id", a->key_id, "Key id for --key-file")->check(CLI::Range(0, 255));
                    cmd.add_option("--timeout-ms", a->timeout_ms, "Give up waiting for an event after this")
                        ->capture_default_str();
                    cmd.add_option("--retry-ms", a->retry, "UDP resend timers INITIAL,MAX,RESENDS (default 1000,8000,5)");
                    cmd.add_flag("--interactive", a->interactive, "Read commands from stdin, one per line");
                    cmd.add_option("command", a->words, "dispatch | captcha | register ACCOUNT | upload KIND DATA | ad SLOT | media URL");
                    return [a] { return ClientMain(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli
