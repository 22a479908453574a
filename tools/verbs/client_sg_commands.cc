// `mcpsim client`: SG commands (login, contacts, send, offline, sendfile,
// accept/reject, logout), the printing of server pushes as `event …` lines,
// and the interactive mode (commands from stdin while pushes keep arriving).
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "reference/media/voice.h"
#include "tools/verbs/client_session.h"

namespace mcpsim::cli::client {

using reference::McEvent;
using reference::McOp;
using Outcome = McEvent::Outcome;

namespace {

std::optional<std::int64_t> ParseNumber(const std::string& s) {
  if (s.empty() || s.size() > 12 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(s);
}

// A received file's name, reduced to a plain file name in the download dir.
std::string SafeName(const std::string& name, std::uint32_t transfer) {
  std::string base = name.substr(name.find_last_of("/\\") == std::string::npos ? 0 : name.find_last_of("/\\") + 1);
  for (char& c : base) {
    if (static_cast<unsigned char>(c) < 0x20) c = '_';
  }
  if (base.empty() || base == "." || base == "..") base = "file-" + std::to_string(transfer);
  return base;
}

}  // namespace

std::vector<std::string> SplitLine(const std::string& line) {
  std::vector<std::string> w;
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    if (w.size() == 2 && (w[0] == "upload" || w[0] == "send" || w[0] == "offline")) {  // the rest of the line
      std::string rest;
      std::getline(in, rest);
      w.push_back(word + rest);
      break;
    }
    w.push_back(word);
  }
  return w;
}

std::string Escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

bool Session::IsSgCommand(const std::string& cmd) const {
  static const std::set<std::string> kSg = {"login", "logout", "add", "del", "block", "unblock", "send",
                                            "offline", "sendfile", "voice", "accept", "reject", "wait",
                                            "sleep"};
  return kSg.count(cmd) > 0;
}

bool Session::Active() const { return mc_->sg() && mc_->sg()->active(); }

int Session::RunSg(const std::vector<std::string>& w) {
  const std::string& cmd = w[0];
  auto usage = [&](const char* form) {
    std::cerr << "mcpsim: error: usage: " << form << "\n";
    return 2;
  };
  if (cmd == "sleep") {
    auto ms = w.size() == 2 ? ParseNumber(w[1]) : std::nullopt;
    if (!ms) return usage("sleep MS");
    RunFor(*ms);
    return 0;
  }
  if (cmd == "wait") {
    auto ms = w.size() == 3 ? ParseNumber(w[2]) : std::optional<std::int64_t>(a_.timeout_ms);
    if (w.size() < 2 || w.size() > 3 || !ms) return usage("wait EVENT [MS]");
    return Wait(w[1], *ms);
  }
  if (cmd == "login" && (w.size() < 2 || w.size() > 3)) return usage("login ACCOUNT [PASSWORD]");
  if (cmd == "logout" && w.size() != 1) return usage("logout");
  if ((cmd == "send" || cmd == "offline" || cmd == "sendfile" || cmd == "voice") && w.size() != 3) {
    return usage("send|offline CONTACT TEXT | sendfile|voice CONTACT PATH");
  }
  if ((cmd == "add" || cmd == "del" || cmd == "block" || cmd == "unblock") && w.size() != 2) {
    return usage("add|del|block|unblock CONTACT");
  }
  std::optional<std::int64_t> transfer;
  if (cmd == "accept" || cmd == "reject") {
    transfer = w.size() == 2 ? ParseNumber(w[1]) : std::nullopt;
    if (!transfer) return usage("accept|reject TRANSFER");
  }
  // ARCH-2: the SG address comes from DP once per process.
  if (!dispatched_) {
    if (int rc = Dispatch(); rc != 0) return rc;
  }
  if (cmd == "login") {
    const std::string password = w.size() == 3 ? w[2] : a_.password;
    if (password.empty()) return usage("login ACCOUNT PASSWORD (or --password)");
    const int rc = Login(w[1], password);
    linger_ = rc == 0;
    return rc;
  }
  if (cmd == "logout") {
    auto e = AwaitEvent(mc_->Logout(io_now()));
    sending_.clear();
    account_.clear();
    return e ? Print(*e, "") : 1;
  }
  if (int rc = EnsureSession(); rc != 0) return rc;
  if (cmd == "send") return Send(w[1], w[2]);
  if (cmd == "offline") return Offline(w[1], w[2], "offline");
  if (cmd == "sendfile") return SendFile(w[1], w[2]);
  if (cmd == "voice") return SendVoice(w[1], w[2]);
  if (transfer) {
    const auto id = static_cast<std::uint32_t>(*transfer);
    auto e = AwaitEvent(cmd == "accept" ? mc_->AcceptFile(io_now(), id) : mc_->RejectFile(io_now(), id));
    if (!e) return 1;
    if (e->outcome != Outcome::kOk) return Print(*e, "");
    Line("ok " + cmd + " transfer=" + w[1]);
    return 0;
  }
  auto e = AwaitEvent(mc_->EditContact(io_now(), cmd, w[1]));  // add | del | block | unblock
  if (!e) return 1;
  if (e->outcome != Outcome::kOk) return Print(*e, w[1]);
  Line("ok " + cmd + " " + w[1] + " version=" + (e->params.empty() ? std::string("?") : e->params[0]));
  return 0;
}

int Session::Login(const std::string& account, const std::string& password) {
  auto e = AwaitEvent(mc_->Login(io_now(), account, password));
  if (!e) return 1;
  if (e->outcome != Outcome::kOk) return Print(*e, account);
  account_ = account;
  Line("ok login " + account + " contacts=" + std::to_string(mc_->sg()->contacts().size()) +
       " version=" + std::to_string(e->object_id));
  return 0;
}

int Session::EnsureSession() {
  if (Active()) return 0;
  if (a_.account.empty() || a_.password.empty()) {
    Line("refused session not logged in (login ACCOUNT PASSWORD first, or --account/--password)");
    return 1;
  }
  return Login(a_.account, a_.password);
}

std::uint32_t Session::CallWith(const std::string& contact, bool fresh, std::optional<McEvent>& failed) {
  if (!fresh) {
    for (const auto& [id, conv] : mc_->sg()->conversations()) {
      if (std::find(conv.members.begin(), conv.members.end(), contact) != conv.members.end()) return id;
    }
  }
  auto e = AwaitEvent(mc_->Invite(io_now(), contact));
  if (e && e->outcome == Outcome::kOk) return e->call_id;
  failed = std::move(e);
  return 0;
}

int Session::Send(const std::string& contact, const std::string& text) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<McEvent> failed;
    const std::uint32_t call = CallWith(contact, attempt > 0, failed);
    if (call == 0) {
      if (!failed) return 1;
      // SG-CHAT: RSI 304 = the contact is offline: store it with ROM instead.
      if (failed->outcome == Outcome::kStatus && failed->status == 304) return Offline(contact, text, "send");
      return Print(*failed, contact);
    }
    auto e = AwaitEvent(mc_->SendMessage(io_now(), call, text));
    if (!e) return 1;
    if (e->outcome == Outcome::kOk) {
      Line("ok send " + contact + " call=" + std::to_string(call));
      return 0;
    }
    // 302/303: the conversation ended meanwhile; one fresh invite.
    const bool stale = e->outcome == Outcome::kStatus && (e->status == 302 || e->status == 303);
    if (!stale || attempt > 0) return Print(*e, contact);
  }
  return 1;
}

int Session::Offline(const std::string& contact, const std::string& text, const char* cmd) {
  auto e = AwaitEvent(mc_->SendOffline(io_now(), contact, text));
  if (!e) return 1;
  if (e->outcome != Outcome::kOk) return Print(*e, contact);
  const std::string how = std::string(cmd) == "send" ? " offline" : "";
  Line("ok " + std::string(cmd) + " " + contact + how + " id=" + std::to_string(e->object_id));
  return 0;
}

int Session::SendFile(const std::string& contact, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  if (!f) {
    Line("refused sendfile cannot read " + path);
    return 1;
  }
  std::optional<McEvent> failed;
  const std::uint32_t call = CallWith(contact, false, failed);
  if (call == 0) return failed ? Print(*failed, contact) : 1;
  std::string bytes = ss.str();
  const std::size_t size = bytes.size();
  auto e = AwaitEvent(mc_->OfferFile(io_now(), call, SafeName(path, 0), std::move(bytes)));
  if (!e) return 1;
  if (e->outcome != Outcome::kOk) return Print(*e, contact);
  sending_.insert(e->object_id);
  Line("ok sendfile " + contact + " transfer=" + std::to_string(e->object_id) + " call=" + std::to_string(call) +
       " size=" + std::to_string(size));
  return 0;
}

int Session::SendVoice(const std::string& contact, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  if (!f) {
    Line("refused voice cannot read " + path);
    return 1;
  }
  std::string clip = ss.str();
  // SG-VOICE-5/6: only GSM 6.10 (raw frames or WAV 0x0031) leaves the client.
  auto info = reference::ValidateVoice(clip);
  if (!info.ok()) {
    Line("refused voice " + Escape(path) + " is not a GSM 6.10 clip (raw .gsm or WAV-GSM): " +
         Escape(info.status().ToString()));
    return 1;
  }
  std::optional<McEvent> failed;
  const std::uint32_t call = CallWith(contact, false, failed);
  if (call == 0) return failed ? Print(*failed, contact) : 1;
  const std::size_t size = clip.size();
  auto e = AwaitEvent(mc_->SendVoice(io_now(), call, std::move(clip)));
  if (!e) return 1;
  if (e->outcome != Outcome::kOk) return Print(*e, contact);
  const bool wav = info->container == reference::VoiceInfo::Container::kWav49;
  Line("ok voice " + contact + " id=" + std::to_string(e->object_id) + " call=" + std::to_string(call) +
       " size=" + std::to_string(size) + " format=" + (wav ? "wav" : "gsm") + " ms=" +
       std::to_string(info->duration_ms));
  return 0;
}

int Session::Wait(const std::string& name, std::int64_t ms) {
  const TimeUs deadline = io_now() + ms * kMillis;
  for (;;) {
    Collect();
    if (pushed_[name] > waited_[name]) {
      ++waited_[name];
      return 0;
    }
    if (io_now() >= deadline) {
      Line("gave-up wait " + name);
      return 1;
    }
    Idle(20);
  }
}

void Session::Collect(std::uint64_t stop_at) {
  for (McEvent& e : mc_->TakeEvents()) unseen_.push_back(std::move(e));
  // In engine order; after the awaited op's result the rest waits, so that
  // its line comes before the pushes that followed it.
  while (!unseen_.empty()) {
    McEvent e = std::move(unseen_.front());
    unseen_.pop_front();
    const std::uint64_t op = e.op_id;
    if (e.op_id == 0) {
      OnPush(e);
    } else if (auto it = background_.find(e.op_id); it != background_.end()) {
      const std::string label = it->second;
      background_.erase(it);
      if (e.outcome == Outcome::kOk) {
        Line("ok " + label);
      } else {
        Print(e, "");
      }
    } else {
      results_[e.op_id] = std::move(e);
    }
    if (op != 0 && op == stop_at) break;
  }
  host_->Pump();  // a push may have made the engine act (auto-accept)
}

void Session::OnPush(const McEvent& e) {
  const std::string name = reference::McOpName(e.op);
  std::string l = "event " + name;
  auto kv = [&](const char* k, const std::string& v) { l += std::string(" ") + k + "=" + v; };
  auto num = [](std::uint64_t v) { return std::to_string(v); };
  auto param = [&](std::size_t i) { return i < e.params.size() ? e.params[i] : std::string(); };
  const std::uint32_t transfer = e.object_id;
  switch (e.op) {
    case McOp::kContactsChanged: kv("version", num(e.object_id)), kv("mode", param(0)), kv("count", param(1)); break;
    case McOp::kPresence: kv("account", e.account), kv("state", e.text), kv("caps", num(e.object_id)); break;
    case McOp::kInvited:
    case McOp::kAddedToCall: kv("call", num(e.call_id)), kv("from", e.account); break;
    case McOp::kMemberAdded: kv("call", num(e.call_id)), kv("account", e.account), kv("by", e.text); break;
    case McOp::kMemberLeft:
      kv("call", num(e.call_id)), kv("account", e.account), kv("reason", e.text), kv("ended", num(e.object_id));
      break;
    case McOp::kMessage: kv("call", num(e.call_id)), kv("from", e.account), kv("text", Escape(e.text)); break;
    case McOp::kOfflineMessage:
      kv("id", num(e.object_id)), kv("from", e.account), kv("ts", param(0)), kv("text", Escape(e.text));
      break;
    case McOp::kFileOffered:
      kv("call", num(e.call_id)), kv("transfer", num(transfer)), kv("from", e.account), kv("size", param(0));
      kv("name", Escape(e.text));
      break;
    case McOp::kFileReceived: {
      const std::string path = a_.download_dir + "/" + SafeName(e.text, transfer);
      std::ofstream f(path, std::ios::binary);
      f << e.data;
      kv("call", num(e.call_id)), kv("transfer", num(transfer)), kv("from", e.account);
      kv("size", num(e.data.size())), kv("saved", f ? Escape(path) : std::string("(write failed)"));
      break;
    }
    case McOp::kVoiceReceived: {
      // The engine validated the clip (SG-VOICE-5); its container names the file.
      auto info = reference::ValidateVoice(e.data);
      const bool wav = info.ok() && info->container == reference::VoiceInfo::Container::kWav49;
      const std::string path = a_.download_dir + "/" +
                               SafeName("voice-" + e.account + "-" + num(e.object_id) + (wav ? ".wav" : ".gsm"), 0);
      std::ofstream f(path, std::ios::binary);
      f << e.data;
      kv("call", num(e.call_id)), kv("id", num(e.object_id)), kv("from", e.account), kv("size", num(e.data.size()));
      kv("format", wav ? "wav" : "gsm"), kv("ms", num(info.ok() ? info->duration_ms : 0));
      kv("saved", f ? Escape(path) : std::string("(write failed)"));
      break;
    }
    case McOp::kNudgeReceived: kv("call", num(e.call_id)), kv("from", e.account); break;
    case McOp::kFileAccepted:
    case McOp::kFileUploaded: kv("transfer", num(transfer)); break;
    case McOp::kFileRejected:
    case McOp::kFileDone:
    case McOp::kFileFailed:
    case McOp::kFileCancelled:
      kv("transfer", num(transfer));
      if (sending_.erase(transfer) && e.op != McOp::kFileDone) transfer_failed_ = true;
      if (!e.detail.empty()) kv("detail", Escape(e.detail));
      break;
    case McOp::kKicked:
      kv("status", num(e.status));
      sending_.clear();
      break;
    case McOp::kSessionLost:
      kv("detail", Escape(e.detail));
      sending_.clear();
      break;
    default: break;
  }
  Line(l);
  ++pushed_[name];
  if (e.op == McOp::kFileOffered && a_.accept_files) {
    background_[mc_->AcceptFile(io_now(), transfer)] = "accept transfer=" + num(transfer);
  }
}

void Session::Idle(int ms) {
  rt_->RunOneFor(ms * kMillis);
  Collect();
}

void Session::RunFor(std::int64_t ms) {
  const TimeUs end = io_now() + ms * kMillis;
  while (io_now() < end) Idle(static_cast<int>(std::min<std::int64_t>(20, (end - io_now()) / kMillis + 1)));
}

int Session::Interactive() {
  std::string buf;
  int rc = 0;
  bool closed = false, quit = false;
  while (!quit) {
    std::size_t nl;
    while (!quit && (nl = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto w = SplitLine(line);
      if (w.empty() || w[0][0] == '#') continue;
      if (w[0] == "quit" || w[0] == "exit") {
        quit = true;
      } else if (Run(w) != 0) {
        rc = 1;
      }
    }
    if (quit || closed) break;
    // Pushes keep printing while no command line is complete.
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, 0) > 0) {
      char chunk[4096];
      const ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
      if (n > 0) {
        buf.append(chunk, static_cast<std::size_t>(n));
      } else {
        closed = true;  // EOF: run what is left, then finish
        if (!buf.empty()) buf += '\n';
      }
      continue;
    }
    Idle(20);
  }
  return std::max(rc, Finish());
}

int Session::Finish() {
  Collect();  // pushes that came after the last result
  int rc = 0;
  const TimeUs deadline = io_now() + a_.timeout_ms * kMillis;
  while (!sending_.empty() && Active() && io_now() < deadline) Idle(20);
  if (!sending_.empty()) {
    Line("gave-up sendfile transfers=" + std::to_string(sending_.size()));
    rc = 1;
  }
  if (transfer_failed_) rc = 1;
  // HTTP exchanges still in flight finish first (at most 2 s), e.g. the ABIN
  // answers to the last RBIN chunks (RS-5).
  const TimeUs http_deadline = io_now() + 2 * kSeconds;
  while (mc_ && mc_->http_in_flight() && io_now() < http_deadline) Idle(20);
  if (!Active()) return rc;
  auto e = AwaitEvent(mc_->Logout(io_now()));
  account_.clear();
  return std::max(rc, e ? Print(*e, "") : 1);
}

}  // namespace mcpsim::cli::client
