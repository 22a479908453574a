// Loopback test helpers: a net::Server with every listener on port 0 and an
// in-memory store, and a Phone (one MC engine on its own AsioEnv, optionally
// behind encrypted UDP) driven op by op through a shared io_context.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cctype>
#include <memory>
#include <string>

#include "host/host.h"
#include "net/asio_env.h"
#include "net/server.h"
#include "net/udps_env.h"
#include "reference/media/captcha.h"
#include "reference/roles/mc/client.h"
#include "tests/net/net_util.h"

namespace mcpsim::net {

using reference::McEvent;
using Outcome = McEvent::Outcome;

inline ServerOptions Loopback() {
  ServerOptions o;
  o.udp = ListenSpec{};
  o.tcp = ListenSpec{};
  o.http = ListenSpec{};
  o.db = ":memory:";
  o.password_cost = reference::PasswordCost::Minimal();
  return o;
}

inline Endpoint ListenerOf(const Server& s, const std::string& scheme) {
  for (const auto& l : s.listeners()) {
    if (l.scheme == scheme) return l.endpoint;
  }
  ADD_FAILURE() << "no " << scheme << " listener";
  return {};
}

// One MC engine on its own AsioEnv (optionally behind a UdpsEnv).
struct Phone {
  Phone(boost::asio::io_context& io, Endpoint dp, const std::string& device, const UdpsOptions* udps = nullptr)
      : io(io), env(io) {
    reference::McConfig c;
    c.device_id = device;
    c.dp = dp;
    mc = std::make_unique<reference::McClient>(c, Rng(std::hash<std::string>{}(device)));
    Env* e = &env;
    if (udps) {
      enc = std::make_unique<UdpsEnv>(env, *udps);
      e = enc.get();
    }
    host = std::make_unique<host::RoleHost>(*e, *mc);
    EXPECT_TRUE(host->Start({0, std::nullopt, std::nullopt}).ok());
  }
  template <typename Fn>
  McEvent Do(Fn&& fn) {
    const std::uint64_t op = fn(*mc, env.Now());
    host->Pump();
    McEvent got;
    bool done = false;
    EXPECT_TRUE(testing::RunUntil(io, [&] {
      for (McEvent& e : mc->TakeEvents()) {
        if (e.op_id == op) got = e, done = true;
      }
      return done;
    }, 20000)) << "op " << op << " never completed";
    return got;
  }
  // DP, privacy, captcha (read from the image) and REG: true if registered.
  bool Register(const std::string& account, const std::string& password) {
    if (Do([](auto& mc, TimeUs now) { return mc.QueryDispatch(now); }).outcome != Outcome::kOk) return false;
    mc->AcceptPrivacyAgreement();
    McEvent cap = Do([](auto& mc, TimeUs now) { return mc.RequestCaptcha(now); });
    auto text = reference::ReadCaptcha(cap.data);
    if (cap.outcome != Outcome::kOk || !text) return false;
    std::string typed = *text;
    for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));  // RS-9
    return Do([&](auto& mc, TimeUs now) { return mc.Register(now, typed, account, password, password, ""); })
               .outcome == Outcome::kOk;
  }
  boost::asio::io_context& io;
  AsioEnv env;
  std::unique_ptr<UdpsEnv> enc;
  std::unique_ptr<reference::McClient> mc;
  std::unique_ptr<host::RoleHost> host;
};

}  // namespace mcpsim::net
