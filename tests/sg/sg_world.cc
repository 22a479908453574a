#include "tests/sg/sg_world.h"

#include <gtest/gtest.h>


namespace mcpsim::reference::sgtest {

// ---- World ----

namespace {
// CLU-9's shared sequences, in memory.
class CountingIds final : public SharedIds {
 public:
  Result<std::uint64_t> Next(Counter c) override { return next_[static_cast<int>(c)]++; }

 private:
  std::uint64_t next_[3] = {1, 1, 1};
};
}  // namespace

World::World(std::size_t sgs, SgConfig config, const std::string& store_path, bool processes)
    : processes_(processes) {
  DeploymentOptions d;
  d.password_cost = PasswordCost::Minimal();  // the cost of the accounts' hashes (SG-LOGIN-16)
  d.sg = std::move(config);
  d.sgs = sgs;
  for (std::size_t i = 0; processes && i < sgs; ++i) d.sg_relay_ids.push_back(static_cast<std::uint32_t>(i + 1));
  auto made = Deployment::Open(std::move(d), store_path);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  deploy_ = std::move(*made);
  if (processes) {
    ids_ = std::make_unique<CountingIds>();
    deploy_->SetSharedIds(ids_.get());
  }
  deploy_->Build(ServerRole::kSg);
  accounts_ = std::make_unique<DirectAccounts>(store(), kPassword, Rng(7));
}

World::~World() = default;

void World::CreateAccount(const std::string& name, const std::string& nickname) {
  auto r = accounts_->Create(name, nickname);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

void World::AddContact(const std::string& owner, const std::string& contact) {
  Status st = accounts_->AddContact(owner, contact);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

void World::Befriend(const std::string& a, const std::string& b) {
  AddContact(a, b);
  AddContact(b, a);
}

Client& World::NewClient(const std::string& account, Via via, std::size_t sg) {
  clients_.push_back(std::make_unique<Client>(*this, account, via, sg));
  return *clients_.back();
}

bool World::Route() {
  bool moved = false;
  for (int round = 0; round < 200000; ++round) {
    bool again = CarryRelays();
    for (std::size_t i = 0; i < sg_count(); ++i) {
      SgRole& role = sg(i);
      std::vector<Output> outs;
      role.Drain(outs);
      if (dead_.count(i)) continue;
      for (const Output& o : outs) {
        moved = again = true;
        if (o.kind == Output::Kind::kWork) {
          work_log.push_back(*o.work);
          if (hold_work) {
            held_work.push_back({i, o.conn, *o.work});
          } else {
            role.OnWorkDone(now, o.conn, RunWork(*o.work));
          }
          continue;
        }
        if (o.kind == Output::Kind::kHttpResponse) {
          http_answers_[o.conn] = o.response;
          continue;
        }
        for (auto& c : clients_) {
          const bool mine = o.kind == Output::Kind::kDatagram
                                ? c->via == Via::kUdp && c->ep == o.to
                                : c->via == Via::kTcp && c->conn == o.conn;
          if (!mine) continue;
          if (o.kind == Output::Kind::kCloseStream) {
            c->closed = true;
          } else {
            c->OnBytes(o.bytes);
          }
        }
      }
    }
    if (!again) return moved;
  }
  ADD_FAILURE() << "Route did not settle";
  return moved;
}

bool World::CarryRelays() {
  if (!processes_) return false;
  bool moved = false;
  for (std::size_t from = 0; from < sg_count(); ++from) {
    std::vector<Relay> relays = backend(from).TakeRelays();
    if (dead_.count(from)) continue;
    for (const Relay& r : relays) {
      moved = true;
      ++relays_carried;
      // Through the bytes a queue row would hold.
      auto back = DecodeRelay(EncodeRelay(r));
      EXPECT_TRUE(back.ok() && *back == r);
      for (std::size_t to = 0; to < sg_count(); ++to) {
        if (to == from || !(r.to_sg == 0 || r.to_sg == to + 1)) continue;
        if (dead_.count(to)) {
          queued_for_dead_[to].push_back(*back);
        } else {
          backend(to).OnRelay(now, *back);
        }
      }
    }
  }
  return moved;
}

void World::Kill(std::size_t i) {
  ASSERT_TRUE(processes_);
  dead_.insert(i);
  (void)backend(i).TakeRelays();
}

void World::LeaseOver(std::size_t i) {
  ASSERT_TRUE(dead_.count(i));
  Backend* taker = nullptr;
  for (std::size_t to = 0; to < sg_count(); ++to) {
    if (dead_.count(to)) continue;
    backend(to).SgGone(now, static_cast<std::uint32_t>(i + 1));
    if (!taker) taker = &backend(to);
  }
  std::vector<Relay> orphans = std::move(queued_for_dead_[i]);
  queued_for_dead_.erase(i);
  for (const Relay& r : orphans) {
    if (taker) taker->OnOrphanRelay(now, r);
  }
  Pump();
}

void World::FinishWork() {
  auto held = std::move(held_work);
  held_work.clear();
  for (const Held& h : held) sg(h.sg).OnWorkDone(now, h.id, RunWork(h.work));
  Pump();
}

HttpResponse World::Http(const HttpRequest& req, std::size_t sg) {
  const std::uint64_t exchange = next_exchange_++;
  this->sg(sg).OnHttp(now, exchange, req);
  Route();
  auto it = http_answers_.find(exchange);
  if (it == http_answers_.end()) {
    ADD_FAILURE() << "HTTP exchange not answered";
    return HttpResponse{};
  }
  HttpResponse r = std::move(it->second);
  http_answers_.erase(it);
  return r;
}

void World::Pump() {
  for (int round = 0; round < 200000; ++round) {
    bool moved = Route();
    for (auto& c : clients_) {
      if (c->has_pending()) {
        moved = true;
        c->FlushPending();
      }
    }
    if (!moved) return;
  }
  ADD_FAILURE() << "Pump did not settle";
}

void World::Advance(TimeUs dt) {
  const TimeUs target = now + dt;
  for (int guard = 0; guard < 100000; ++guard) {
    TimeUs d = kNever;
    for (std::size_t i = 0; i < sg_count(); ++i) {
      if (!dead_.count(i)) d = std::min(d, sg(i).NextDeadline());
    }
    if (d > target) break;
    now = std::max(now, d);
    for (std::size_t i = 0; i < sg_count(); ++i) {
      if (!dead_.count(i) && sg(i).NextDeadline() <= now) sg(i).OnTimer(now);
    }
    Pump();
  }
  now = target;
}

// ---- Client ----

Client::Client(World& w, std::string account_, Via via_, std::size_t sg)
    : account(std::move(account_)), via(via_), w_(w), sg_(sg) {
  const std::uint16_t port = w.next_port_++;
  ep = Endpoint::V4(0x0A000100 + port, port);
  if (via == Via::kTcp) {
    conn = w.next_conn_++;
    w.sg(sg_).OnStreamOpen(w.now, conn, ep);
  }
}

void Client::SendRaw(const std::string& bytes) {
  if (w_.dead_.count(sg_)) return;  // its SG process is gone
  SgRole& sg = w_.sg(sg_);
  if (via == Via::kUdp) sg.OnDatagram(w_.now, ep, bytes);
  if (via == Via::kTcp) sg.OnStreamData(w_.now, conn, bytes);
  if (via == Via::kHttp) Post(bytes);
}

std::string Client::Build(const std::string& word, const std::vector<std::string>& params,
                          std::optional<std::string> payload, std::uint32_t* trid) {
  std::string out;
  wire::LineWriter wr(out);
  const std::uint32_t t = next_trid++;
  wr.Begin(word, t);
  for (const auto& p : params) wr.Param(p);
  if (payload) wr.Payload(*payload);
  EXPECT_TRUE(wr.Finish().ok()) << word;
  if (trid) *trid = t;
  return out;
}

std::uint32_t Client::Send(const std::string& word, const std::vector<std::string>& params,
                           std::optional<std::string> payload) {
  std::uint32_t t = 0;
  SendRaw(Build(word, params, std::move(payload), &t));
  return t;
}

std::optional<wire::Command> Client::Call(const std::string& word,
                                          const std::vector<std::string>& params,
                                          std::optional<std::string> payload) {
  const std::uint32_t t = Send(word, params, std::move(payload));
  w_.Pump();
  return AnswerTo(t);
}

int Client::Status(const std::string& word, const std::vector<std::string>& params,
                   std::optional<std::string> payload) {
  return StatusOf(Call(word, params, std::move(payload)));
}

int Client::StatusPadded(const std::string& word, const std::vector<std::string>& params) {
  std::uint32_t t = 0;
  std::string msg = Build(word, params, std::nullopt, &t);
  msg += "RPAD 1 " + std::string(256, '0') + "\r\n";
  SendRaw(msg);
  w_.Pump();
  return StatusOf(AnswerTo(t));
}

std::optional<wire::Command> Client::AnswerTo(std::uint32_t trid) const {
  for (auto it = answers.rbegin(); it != answers.rend(); ++it) {
    if (it->trid == trid) return *it;
  }
  return std::nullopt;
}

int Client::Login(const std::string& password) {
  seen_.clear();  // a new session: the server's trids restart at 1
  auto a = Call("RAT", {account, password, "dev-1", "1.0.0", "1"});
  if (StatusOf(a) == 0) token = a->params.at(0);
  return StatusOf(a);
}

bool Client::FullLogin(std::uint32_t caps, std::uint32_t list_version, const std::string& presence) {
  if (Login() != 0) return false;
  if (Status("RSII", {token, presence, std::to_string(caps), std::to_string(list_version)}) != 0) {
    return false;
  }
  if (Status("RPS", {"0", account.substr(0, account.find('@')), "", ""}) != 0) return false;
  auto info = w_.sg(sg_).SessionOf(account);
  return info && info->state == SessionState::kActive;
}

void Client::Post(const std::string& body) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/mcp";
  req.headers["content-type"] = "application/x-mcp";
  if (!token.empty()) req.headers["sessionid"] = token;
  req.body = body;
  req.peer = ep;
  HttpResponse resp = w_.Http(req, sg_);
  if (auto it = resp.headers.find("sessionid"); it != resp.headers.end()) token = it->second;
  if (!resp.body.empty()) OnBytes(resp.body);
}

void Client::Poll() {
  Send("RPOL", {});
  w_.Pump();
}

void Client::FlushPending() {
  std::string p;
  p.swap(pending_);
  SendRaw(p);
}

std::vector<wire::Command> Client::Received(const std::string& word) const {
  std::vector<wire::Command> out;
  for (const auto& c : received) {
    if (c.word == word) out.push_back(c);
  }
  return out;
}

void Client::OnBytes(const std::string& bytes) {
  ++datagrams_in;
  bytes_in_last = bytes.size();
  if (deaf) return;
  if (via == Via::kTcp) {
    framer_.Append(bytes);
    for (;;) {
      wire::Outcome o = framer_.Next();
      if (o.need_more()) break;
      EXPECT_TRUE(o.is_command()) << "SG sent undecodable bytes";
      if (o.is_command()) Handle(o.command);
    }
    return;
  }
  wire::DatagramParser p(bytes, via == Via::kUdp ? wire::Limits::Datagram() : wire::Limits::Stream());
  wire::Outcome o;
  while (p.Next(o)) {
    EXPECT_TRUE(o.is_command()) << "SG sent undecodable bytes";
    if (o.is_command()) Handle(o.command);
  }
}

void Client::Handle(const wire::CommandView& v) {
  wire::Command c = wire::Command::FromView(v);
  log.push_back(c.word);
  if (v.is_answer()) {
    answers.push_back(std::move(c));
    return;
  }
  if (!seen_.insert({c.trid, c.word}).second) {
    ++duplicates;  // TIMER-8: answer again, do not process again
  } else {
    received.push_back(c);
    w_.trace.emplace_back(account, c);
  }
  if (hold.count(c.word)) return;
  std::string aword = c.word;
  aword[0] = 'A';
  auto st = status_for.find(c.word);
  wire::LineWriter wr(pending_);
  wr.Begin(aword, c.trid, st == status_for.end() ? 0u : st->second);
  EXPECT_TRUE(wr.Finish().ok());
}

}  // namespace mcpsim::reference::sgtest
