#include "conformance/provision.h"

#include <cstdlib>
#include <set>
#include <sstream>

#include "conformance/catalog_sg.h"
#include "core/hash.h"
#include "reference/http/http1.h"
#include "reference/media/captcha.h"
#include "reference/roles/uri.h"
#include "reference/wire/text.h"

namespace mcpsim::conformance {

Result<std::string> FetchCaptchaImage(Ctx& c, const std::string& sid, std::vector<wire::Command> cmds) {
  if (cmds.empty() || cmds[0].params.size() != 5) return Status::Error("RS-1", "no AAP with 5 params");
  const std::size_t total = std::strtoul(cmds[0].params[2].c_str(), nullptr, 10);
  if (total == 0 || total > 65536) return Status::Error("RS-1", "AAP total " + cmds[0].params[2] + " not in 1..65536");
  std::string image(total, '\0');
  std::set<std::size_t> have;
  for (int round = 0; round < 20 && have.size() < (total + 1023) / 1024; ++round) {
    std::string abins;
    for (const wire::Command& k : cmds) {
      if (k.word != "RBIN" || k.params.size() != 3 || !k.payload) continue;
      const std::size_t off = std::strtoul(k.params[1].c_str(), nullptr, 10);
      if (off < total && k.payload->size() <= total - off) {
        image.replace(off, k.payload->size(), *k.payload);
        have.insert(off);
      }
      abins += "ABIN " + std::to_string(k.trid) + " 0\r\n";
    }
    if (abins.empty()) abins = "RPOL 2\r\n";  // nothing to acknowledge: ask again
    auto next = c.PostMcp(abins, sid);
    if (!next.ok() || next->status != 200) {
      return Status::Error("RS-4", "captcha download (RBIN/ABIN) failed: " +
                                       (next.ok() ? "HTTP " + std::to_string(next->status) : next.status().message()));
    }
    cmds = Decode(next->body);
  }
  return image;
}
namespace {

Status Fail(const std::string& what) { return Status::Error("CONF-7", what); }

}  // namespace

Result<std::vector<ProvisionAccount>> ParseAccountsFile(std::string_view text) {
  std::vector<ProvisionAccount> out;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream ls(line);
    ProvisionAccount a;
    std::string extra;
    if (!(ls >> a.name >> a.password) || (ls >> extra)) {
      return Status::Error("CONF-6", "accounts file line " + std::to_string(n) + ": expected `account password`");
    }
    out.push_back(std::move(a));
  }
  return out;
}

Provisioner::Provisioner(Target target, std::vector<ProvisionAccount> existing, int timeout_ms)
    : target_(std::move(target)), existing_(std::move(existing)), timeout_ms_(timeout_ms) {}

Result<ProvisionAccount> Provisioner::Account(const std::string& name, const std::string& password) {
  if (next_existing_ < existing_.size()) {
    ++stats_.from_file;
    return existing_[next_existing_++];
  }
  if (!target_.http) {
    return Status::Error("CONF-7", "no account for " + name + ": registration needs the target's HTTP listener (RS) "
                                   "and --accounts has no account left");
  }
  auto r = Register(name, password);
  if (!r.ok()) {
    return Status::Error("CONF-7", "no account for " + name + ": " + r.status().message() +
                                       (existing_.empty() ? " (give existing accounts with --accounts FILE)"
                                                          : " (--accounts has no account left)"));
  }
  return r;
}

Result<ProvisionAccount> Provisioner::Register(const std::string& name, const std::string& password) {
  Ctx c(target_, timeout_ms_, timeout_ms_ * 30, ++serial_, "provision/" + name);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = c.PostMcp("RAP 1 1.0.0 mcpsim-provision\r\n");
    if (!r.ok()) return Fail("RAP: " + r.status().message());
    if (r->status != 200) return Fail("RAP: HTTP " + std::to_string(r->status));
    auto cmds = Decode(r->body);
    if (cmds.empty() || cmds[0].word != "AAP" || cmds[0].status != 0u || cmds[0].params.size() != 5) {
      return Fail("RAP: no AAP 0 (got " + (cmds.empty() ? std::string("nothing") : Show(cmds[0])) + ")");
    }
    const std::string sid = cmds[0].params[0], captcha = cmds[0].params[1];
    std::string text;
    if (auto h = r->headers.find("x-mcp-test-captcha"); h != r->headers.end() && !h->second.empty()) {
      text = h->second;  // TEST-1: the server is in test mode
      ++stats_.captcha_hook;
    } else {
      auto image = FetchCaptchaImage(c, sid, cmds);
      if (!image.ok()) return Fail(image.status().message());
      auto read = reference::ReadCaptcha(*image);
      if (!read) {
        return Fail("the captcha could not be read: the server does not offer the TEST-1 hook and the reference "
                    "reader cannot read its image");
      }
      text = *read;
      ++stats_.captcha_reader;
    }
    const auto at = name.find('@');
    const std::string local = name.substr(0, std::min<std::size_t>(at == std::string::npos ? name.size() : at, 22));
    const std::string domain = at == std::string::npos ? "example.com" : name.substr(at + 1);
    const std::string account = local + "-" + Hex64(c.Fresh()).substr(0, 8) + "@" + domain;
    auto reg = c.PostMcp("REG 3 " + captcha + " " + wire::Escape(text) + " " + wire::Escape(account) + " " +
                           wire::Escape(password) + " " + wire::Escape(local) + "\r\n",
                    sid);
    if (!reg.ok()) return Fail("REG: " + reg.status().message());
    auto aeg = Decode(reg->body);
    if (!aeg.empty() && aeg[0].word == "AEG" && aeg[0].status == 0u) {
      ++stats_.registered;
      return ProvisionAccount{account, password};
    }
    if (aeg.empty() || aeg[0].word != "AEG" || aeg[0].status != 205u) {
      return Fail("REG " + account + ": " + (aeg.empty() ? std::string("no answer") : Show(aeg[0])));
    }
    // 205: the name exists (a persistent server): once more with another name.
  }
  return Fail("REG: the account names exist already");
}

Status Provisioner::AddContacts(const ProvisionAccount& owner, const std::vector<std::string>& contacts) {
  if (contacts.empty()) return Status();
  Target t = target_;
  // Where is the SG? Ask DP when there is one (the SG may live elsewhere).
  Ctx probe(t, timeout_ms_, timeout_ms_ * 3, ++serial_, "provision/dp");
  if (t.http) {
    reference::HttpRequest req;
    req.method = "GET";
    req.target = "/mcp?q=" + reference::http::UrlEncode("RQQW 1 1.3.0 j2me mcpsim-provision\r\n");
    if (auto r = probe.Http(req); r.ok()) {
      for (const wire::Command& c : Decode(r->body)) {
        if (c.word != "AQQW" || c.status != 0u || c.params.size() != 7) continue;
        auto udp = reference::FirstWithScheme(c.params[3], "udp");
        auto tcp = reference::FirstWithScheme(c.params[3], "tcp");
        auto hp = [](const reference::Uri& u) {
          const std::string s = u.endpoint.ToString();
          std::string host = s.substr(0, s.rfind(':'));
          if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
          return HostPort{host, u.endpoint.port};
        };
        if (udp) t.udp = hp(*udp);
        if (tcp) t.tcp = hp(*tcp);
        if (udp && !tcp) t.tcp.reset();
        if (tcp && !udp) t.udp.reset();
      }
    }
  }
  if (!t.udp && !t.tcp) return Fail("no SG address (the DP answer lists none, and no --udp/--tcp target)");
  Ctx c(t, timeout_ms_, static_cast<int>(std::min<std::size_t>(600000, 60000 + contacts.size() * 2000)), ++serial_,
        "provision/contacts/" + owner.name);
  sg::SgClient s(c, t.udp ? "udp" : "tcp", "provision");
  if (!s.ok()) return Fail("SG connection: " + s.error());
  const std::uint32_t rat = s.Request("RAT", {owner.name, owner.password, "mcpsim-provision", "1.3.0", "1"});
  const wire::Command* aat = s.Await(rat);
  if (!aat || aat->word != "AAT" || aat->status != 0u || aat->params.size() != 1) {
    return Fail("login of " + owner.name + ": " + sg::ShowOne(aat));
  }
  const std::uint32_t rsii = s.Request("RSII", {aat->params[0], "online", "0", "0"});
  const wire::Command* asii = s.Await(rsii);
  if (!asii || asii->status != 0u) return Fail("RSII of " + owner.name + ": " + sg::ShowOne(asii));
  s.Pump(timeout_ms_, [&] { return s.sync_done; });
  const std::uint32_t rps = s.Request("RPS", {"0", owner.name.substr(0, owner.name.find('@')), "", ""});
  const wire::Command* aps = s.Await(rps);
  if (!aps || aps->status != 0u) return Fail("RPS of " + owner.name + ": " + sg::ShowOne(aps));
  ++stats_.logins;
  for (const std::string& contact : contacts) {
    const std::uint32_t rce = s.Request("RCE", {"add", contact});
    const wire::Command* ace = s.Await(rce);
    if (!ace || ace->word != "ACE" || ace->status != 0u) {
      return Fail(owner.name + " adding " + contact + ": " + sg::ShowOne(ace));
    }
    ++stats_.contacts_added;
  }
  s.Pump(50);  // let the delta syncs be answered
  const std::uint32_t rlo = s.Request("RLO", {});
  (void)s.Await(rlo);
  return Status();
}

}  // namespace mcpsim::conformance
