// `mcpsim client`: the MC engine (reference::McClient) on real sockets, for
// scripting and manual reproduction. One output line per result or push (see
// client_session.h):
//   ok dispatch update=none sg= rs=tcp://…,http://…/mcp cs=udp://… ms=http://…
//   ok captcha ./captcha.png | ok register alice | ok upload | ok ad id=… image=… click=… size=WxH
//   ok media image/png 1234 | status register 205 | gave-up upload | refused register <why>
//   ok login alice@live.cn contacts=1 version=2 | ok send bob@live.cn call=1 | event message …
// State that outlives the process (device id, IMSI/IMEI, privacy acceptance,
// the RS registration session, the MC client cache) lives in --cache.
// This file: the verb, start-up and the DP/RS/CS/MS commands; SG commands,
// pushes and the interactive mode are in client_sg_commands.cc.
#include <utility>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "reference/media/captcha.h"
#include "reference/roles/uri.h"
#include "tools/verb.h"
#include "tools/verbs/client_session.h"

namespace mcpsim::cli::client {

using reference::McEvent;
using reference::McOp;

Result<Cache> Cache::Open(const std::string& path) {
  auto db = reference::sql::Db::Open(path);
  if (!db.ok()) return db.status();
  // Not sql::Migrate: PRAGMA user_version belongs to the MC engine's cache
  // (reference/roles/mc/cache.cc) in the same file. A file written by the
  // first CLI version (kv table at user_version 1, no engine tables) is handed
  // back to the engine's migrations at version 0.
  auto probe = db->Prepare(
      "SELECT (SELECT COUNT(*) FROM sqlite_master WHERE name = 'devices'), "
      "(SELECT COUNT(*) FROM sqlite_master WHERE name = 'kv')");
  if (!probe.ok()) return probe.status();
  if (auto row = probe->Step(); !row.ok()) return row.status();
  const bool legacy = probe->Int(0) == 0 && probe->Int(1) == 1;
  probe->Reset();
  if (legacy) {
    if (Status s = db->Exec("PRAGMA user_version = 0;"); !s.ok()) return s;
  }
  if (Status s = db->Exec("CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value TEXT NOT NULL);"); !s.ok()) {
    return s;
  }
  return Cache(std::move(*db));
}

std::string Cache::Get(const std::string& key, const std::string& fallback) {
  auto st = db_.Prepare("SELECT value FROM kv WHERE key = ?1");
  if (!st.ok()) return fallback;
  st->Bind(1, key);
  auto row = st->Step();
  return row.ok() && *row ? st->Text(0) : fallback;
}

Status Cache::Put(const std::string& key, const std::string& value) {
  auto st = db_.Prepare("INSERT OR REPLACE INTO kv(key, value) VALUES(?1, ?2)");
  if (!st.ok()) return st.status();
  st->Bind(1, key).Bind(2, value);
  return st->Run();
}

namespace {
std::string Digits(Rng& rng, const char* prefix, std::size_t n) {
  std::string s = prefix;
  while (s.size() < n) s.push_back(static_cast<char>('0' + rng.Below(10)));
  return s;
}
}  // namespace

int Session::Start() {
  auto uri = reference::ParseUri(a_.dp);
  if (!uri || uri->scheme != "http") {
    std::cerr << "mcpsim: error: --dp must be http://HOST:PORT\n";
    return 2;
  }
  rt_ = std::make_unique<net::Runtime>();
  env_ = &rt_->env();
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
      std::cerr << "mcpsim: error: --retry-ms must be INITIAL,MAX,RESENDS\n";
      return 2;
    }
    c.retry.initial_timeout = static_cast<TimeUs>(init) * kMillis;
    c.retry.max_timeout = static_cast<TimeUs>(max) * kMillis;
    c.retry.max_resends = static_cast<std::uint32_t>(resends);
  }
  c.cache_path = a_.cache;  // §7.11: the engine's tables live in the same file
  Env* env = env_;
  if (!a_.key_file.empty()) {
    std::ifstream f(a_.key_file);
    std::stringstream ss;
    ss << f.rdbuf();
    auto keys = reference::enc::ParseKeyTable(ss.str());
    if (!f || !keys.ok() || !keys->count(static_cast<std::uint8_t>(a_.key_id))) {
      std::cerr << "mcpsim: error: --key-file must hold key id " << a_.key_id << "\n";
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
  if (cache_.Get("privacy") == "accepted" && !mc_->privacy_accepted()) mc_->AcceptPrivacyAgreement();
  mc_->RestoreRegistration({cache_.Get("rs_session"),
                            static_cast<std::uint32_t>(std::stoul(cache_.Get("captcha_id", "0")))});
  host_ = std::make_unique<host::RoleHost>(*env, *mc_);
  if (Status s = host_->Start({0, std::nullopt, std::nullopt}); !s.ok()) {
    std::cerr << "mcpsim: error: " << s.ToString() << "\n";
    return 3;
  }
  return 0;
}

int Session::Run(const std::vector<std::string>& w) {
  if (w.empty()) return 0;
  const std::string& cmd = w[0];
  linger_ = false;
  auto need = [&](std::size_t n) {
    if (w.size() == n) return true;
    std::cerr << "mcpsim: error: usage: dispatch | captcha | register ACCOUNT | upload KIND DATA | "
                 "ad SLOT | media URL | login ACCOUNT [PASSWORD] | logout | add|del|block|unblock CONTACT | "
                 "send CONTACT TEXT | offline CONTACT TEXT | sendfile CONTACT PATH | voice CONTACT PATH | accept|reject TRANSFER | "
                 "wait EVENT [MS] | sleep MS\n";
    return false;
  };
  if (cmd == "accept-privacy" && need(1)) {
    mc_->AcceptPrivacyAgreement();
    (void)cache_.Put("privacy", "accepted");
    Line("ok accept-privacy");
    return 0;
  }
  if (cmd == "dispatch" && need(1)) return Dispatch();
  if (cmd == "media" && need(2)) return Await(mc_->FetchMedia(io_now(), w[1]));
  if (IsSgCommand(cmd)) return RunSg(w);
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

int Session::Dispatch() {
  const int rc = Await(mc_->QueryDispatch(io_now()));
  dispatched_ = rc == 0;
  if (dispatched_ && udps_) {
    if (auto u = reference::FirstWithScheme(cs_list_, "udps")) mc_->SetCsEndpoint(u->endpoint);
  }
  return rc;
}

int Session::Captcha() {
  const int rc = Await(mc_->RequestCaptcha(io_now()));
  SaveRegistration();
  return rc;
}

int Session::Register(const std::string& account) {
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
      Line("refused register cannot read the captcha image");
      return 1;
    }
    text = *read;
    for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));  // RS-9
  }
  if (text.empty() || a_.password.empty()) {
    std::cerr << "mcpsim: error: register needs --password and --captcha TEXT or --auto-captcha\n";
    return 2;
  }
  const int rc = Await(mc_->Register(io_now(), text, account, a_.password, a_.password, ""), account);
  if (rc == 0) mc_->RestoreRegistration({mc_->registration_state().session, 0});
  last_png_.clear();
  SaveRegistration();
  return rc;
}

void Session::SaveRegistration() {
  const auto st = mc_->registration_state();
  (void)cache_.Put("rs_session", st.session);
  (void)cache_.Put("captcha_id", std::to_string(st.captcha_id));
}

void Session::Line(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::optional<McEvent> Session::AwaitEvent(std::uint64_t op) {
  host_->Pump();
  const TimeUs deadline = env_->Now() + a_.timeout_ms * kMillis;
  for (;;) {
    Collect(op);
    if (auto it = results_.find(op); it != results_.end()) {
      McEvent e = std::move(it->second);
      results_.erase(it);
      return e;
    }
    if (env_->Now() >= deadline) {
      Line("gave-up timeout");
      return std::nullopt;
    }
    Idle(50);
  }
}

int Session::Await(std::uint64_t op, const std::string& account) {
  auto e = AwaitEvent(op);
  return e ? Print(*e, account) : 1;
}

int Session::Print(const McEvent& e, const std::string& account) {
  const char* op = reference::McOpName(e.op);
  std::string line;
  switch (e.outcome) {
    case McEvent::Outcome::kStatus: line = "status " + std::string(op) + " " + std::to_string(e.status); break;
    case McEvent::Outcome::kGaveUp: line = "gave-up " + std::string(op); break;
    case McEvent::Outcome::kRefused: line = "refused " + std::string(op) + " " + e.detail; break;
    case McEvent::Outcome::kOk: line = "ok " + std::string(op) + OkDetail(e, account); break;
  }
  if (!e.detail.empty()) spdlog::info("client: {} {}: {}", op, e.op_id, e.detail);
  Line(line);
  return e.outcome == McEvent::Outcome::kOk ? 0 : 1;
}

std::string Session::OkDetail(const McEvent& e, const std::string& account) {
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
    default: {  // other SG operations: their answer params, space-separated
      std::string d = account.empty() ? "" : " " + account;
      for (const std::string& x : e.params) d += " " + x;
      return d;
    }
  }
}

namespace {

int ClientMain(const ClientArgs& a) {
  auto cache = Cache::Open(a.cache);
  if (!cache.ok()) {
    std::cerr << "mcpsim: error: --cache: " << cache.status().ToString() << "\n";
    return 2;
  }
  Session s(a, *cache);
  if (int rc = s.Start(); rc != 0) return rc;
  if (a.interactive) return s.Interactive();
  if (a.words.empty()) {
    if (a.accept_privacy) return 0;  // `--accept-privacy` alone just records the acceptance
    std::cerr << "mcpsim: error: no command (see mcpsim client --help)\n";
    return 2;
  }
  // One-shot: the words are one command; for upload/send/offline the words
  // after the second are the text, joined by single spaces.
  std::vector<std::string> words = a.words;
  if ((words[0] == "upload" || words[0] == "send" || words[0] == "offline") && words.size() > 3) {
    for (std::size_t i = 3; i < words.size(); ++i) words[2] += " " + words[i];
    words.resize(3);
  }
  int rc = s.Run(words);
  if (rc == 2) return 2;
  if (rc == 0 && s.linger()) s.RunFor(a.linger_ms);
  return std::max(rc, s.Finish());
}

RegisterVerb reg{{"", "client",
                  "Run the MC client engine against a server (dispatch, captcha, register, upload, ad, media, "
                  "login, send, sendfile, voice, offline, logout; --interactive)",
                  [](CLI::App& cmd) -> Runner {
                    auto a = std::make_shared<ClientArgs>();
                    cmd.add_option("--dp", a->dp, "DP address http://HOST:PORT")->required();
                    cmd.add_option("--cache", a->cache, "Client state and client cache (SQLite)")
                        ->capture_default_str();
                    cmd.add_option("--device", a->device, "Device id (persisted in the cache)");
                    cmd.add_flag("--accept-privacy", a->accept_privacy, "Accept the privacy agreement (persisted)");
                    cmd.add_option("--password", a->password, "Password for register, and for login without one");
                    cmd.add_option("--account", a->account,
                                   "One-shot SG commands log in as this account first (with --password)");
                    cmd.add_option("--captcha", a->captcha, "The captcha text as read by the user");
                    cmd.add_flag("--auto-captcha", a->auto_captcha, "Decode the captcha image (scripts/tests)");
                    cmd.add_option("--captcha-file", a->captcha_file, "Where captcha saves / register reads the PNG")
                        ->capture_default_str();
                    cmd.add_option("--media-out", a->media_out, "Save fetched media to this file");
                    cmd.add_flag("--accept-files", a->accept_files, "Accept every offered file");
                    cmd.add_option("--download-dir", a->download_dir, "Where received files and voice clips are saved")
                        ->capture_default_str();
                    cmd.add_option("--key-file", a->key_file, "Use encrypted UDP (udps) with this key table");
                    cmd.add_option("--key-id", a->key_id, "Key id for --key-file")->check(CLI::Range(0, 255));
                    cmd.add_option("--timeout-ms", a->timeout_ms, "Give up waiting for an event after this")
                        ->capture_default_str();
                    cmd.add_option("--linger-ms", a->linger_ms, "One-shot login: print pushes this long, then log out")
                        ->capture_default_str();
                    cmd.add_option("--retry-ms", a->retry, "UDP resend timers INITIAL,MAX,RESENDS (default 1000,8000,5)");
                    cmd.add_flag("-i,--interactive", a->interactive,
                                 "Read commands from stdin, one per line; print pushes as they arrive");
                    cmd.add_option("command", a->words,
                                   "dispatch | captcha | register ACCOUNT | upload KIND DATA | ad SLOT | media URL | "
                                   "login ACCOUNT [PASSWORD] | logout | add|del|block|unblock CONTACT | "
                                   "send CONTACT TEXT | offline CONTACT TEXT | sendfile CONTACT PATH | voice CONTACT PATH | "
                                   "accept|reject TRANSFER | wait EVENT [MS] | sleep MS");
                    return [a] { return ClientMain(*a); };
                  }}};

}  // namespace
}  // namespace mcpsim::cli::client
