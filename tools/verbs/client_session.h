// `mcpsim client` internals shared by client.cc (DP/RS/CS/MS commands, the
// verb) and client_sg_commands.cc (SG commands, notifications, interactive mode).
//
// Output contract (stdout, one line each, flushed at once):
//   result of a command:   ok <op> … | status <op> <code> | gave-up <op> | refused <op> <why>
//   a server push (SG):    event <name> key=value … [text=<rest of line>]
// Message texts are printed last and escaped (\\ \n \r) so an event stays one
// line. Exit code: 0 if every command ended ok, 1 otherwise, 2 usage, 3 start.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "host/host.h"
#include "net/asio_env.h"
#include "net/runtime.h"
#include "net/udps_env.h"
#include "reference/roles/mc/client.h"
#include "reference/store/sqlite.h"

namespace mcpsim::cli::client {

struct ClientArgs {
  std::string dp, cache = "mcpsim-client.db", device, password, captcha, captcha_file = "captcha.png";
  std::string key_file, media_out, account, download_dir = ".", retry;
  int key_id = 0;
  bool accept_privacy = false, auto_captcha = false, interactive = false, accept_files = false;
  std::int64_t timeout_ms = 60000;
  std::int64_t linger_ms = 1000;  // one-shot `login`: how long to print pushes before logging out
  std::vector<std::string> words;
};

// The CLI's own persistent state (device id, IMSI/IMEI, RS registration
// session): a key/value table in the --cache file. The MC engine's client
// cache (§7.11: contact lists, profiles, seen offline messages, privacy
// acceptance) lives in the same file, in its own tables and schema version.
class Cache {
 public:
  static Result<Cache> Open(const std::string& path);
  std::string Get(const std::string& key, const std::string& fallback = "");
  Status Put(const std::string& key, const std::string& value);

 private:
  explicit Cache(reference::sql::Db db) : db_(std::move(db)) {}
  reference::sql::Db db_;
};

// Splits a command line into words; for `upload KIND DATA`, `send CONTACT
// TEXT` and `offline CONTACT TEXT` the last word is the rest of the line.
std::vector<std::string> SplitLine(const std::string& line);
// `\` `\n` `\r` escaped, so that a text fits on one output line.
std::string Escape(const std::string& text);

class Session {
 public:
  Session(const ClientArgs& a, Cache& cache) : a_(a), cache_(cache) {}

  // 0, or 2 (usage) / 3 (could not start).
  int Start();
  // Runs one command; returns 0 ok, 1 failed, 2 usage.
  int Run(const std::vector<std::string>& w);
  // Interactive mode: commands from stdin, pushes printed as they arrive.
  int Interactive();
  // End of the run: waits (bounded) for outgoing file transfers, then logs
  // out if a session is open. Returns 0 or 1.
  int Finish();
  // One-shot mode: true if the last command wants pushes printed for a while
  // (`login`) before Finish.
  bool linger() const { return linger_; }
  void RunFor(std::int64_t ms);

 private:
  TimeUs io_now() const { return env_->Now(); }
  // client.cc
  int Dispatch();
  int Captcha();
  int Register(const std::string& account);
  void SaveRegistration();
  // Drives the io_context until op `op` is reported (nullopt: timed out,
  // `gave-up timeout` printed); pushes are printed meanwhile.
  std::optional<reference::McEvent> AwaitEvent(std::uint64_t op);
  int Await(std::uint64_t op, const std::string& account = "");
  int Print(const reference::McEvent& e, const std::string& account);
  std::string OkDetail(const reference::McEvent& e, const std::string& account);
  void Line(const std::string& line);
  // client_sg_commands.cc
  bool IsSgCommand(const std::string& cmd) const;
  int RunSg(const std::vector<std::string>& w);
  int Login(const std::string& account, const std::string& password);
  int EnsureSession();
  bool Active() const;
  // The conversation with `contact`: an existing one (unless `fresh`), else a
  // new one (RSI). 0 if none: `failed` holds the invite's result (status 304:
  // the contact is offline), or is empty if the invite timed out.
  std::uint32_t CallWith(const std::string& contact, bool fresh, std::optional<reference::McEvent>& failed);
  int Send(const std::string& contact, const std::string& text);
  int Offline(const std::string& contact, const std::string& text, const char* cmd);
  int SendFile(const std::string& contact, const std::string& path);
  // `voice CONTACT PATH`: a GSM 6.10 clip (raw frames or WAV 0x0031), checked
  // with ValidateVoice before anything is sent (refused otherwise).
  int SendVoice(const std::string& contact, const std::string& path);
  int Wait(const std::string& name, std::int64_t ms);
  // Takes the engine's events in order: pushes are printed (and acted on),
  // op results kept in results_; stops after the result of op `stop_at`.
  void Collect(std::uint64_t stop_at = 0);
  void OnPush(const reference::McEvent& e);
  void Idle(int ms);

  const ClientArgs& a_;
  Cache& cache_;
  std::unique_ptr<net::Runtime> rt_;
  net::AsioEnv* env_ = nullptr;  // rt_'s
  std::unique_ptr<net::UdpsEnv> udps_;
  std::unique_ptr<reference::McClient> mc_;
  std::unique_ptr<host::RoleHost> host_;
  std::map<std::uint64_t, reference::McEvent> results_;  // op results not yet awaited
  std::deque<reference::McEvent> unseen_;                // taken from the engine, not yet handled
  std::map<std::uint64_t, std::string> background_;     // ops started by a push: op -> "accept transfer=N"
  bool dispatched_ = false, linger_ = false;
  std::string cs_list_, last_png_;
  std::string account_;                             // of the current SG session
  std::set<std::uint32_t> sending_;                 // outgoing transfers not yet final
  bool transfer_failed_ = false;                    // an outgoing transfer was rejected / failed
  std::map<std::string, std::uint64_t> pushed_, waited_;  // push counts by name (for `wait`)
};

}  // namespace mcpsim::cli::client
