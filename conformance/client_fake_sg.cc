// Fake SG of client conformance (see client_fake_sg.h). Invariant: every
// server-initiated request is recorded in obs.sg_requests when first sent and
// in obs.sg_resent when sent again, so the cases can pair each with the
// client's answers by (trid, A-word).
#include "conformance/client_fake_sg.h"

#include <cstdlib>
#include <optional>

#include "conformance/client_servers.h"
#include "conformance/fake_lines.h"

namespace mcpsim::conformance {
namespace {

using fake::Hex32;
using fake::Line;

std::string Contact(int i) {
  static const char* names[] = {"bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"};
  return std::string(names[i % 8]) + "@example.com";
}

constexpr int kPages = (kSgContacts + 3) / 4;
constexpr std::uint32_t kListVersion = 3;

}  // namespace

bool IsCsWord(const std::string& word) { return word == "RUP" || word == "RAD" || word == "RPAD"; }

std::string AWord(const std::string& word) {
  std::string out = "A";
  if (word.size() > 1) out.append(word, 1, std::string::npos);
  return out;
}

void FakeSg::Reset(const SgPolicy& p) {
  *this = FakeSg{};
  policy_ = p;
}

std::string FakeSg::Request(const std::string& word, std::vector<std::string> params, ClientObserved& obs) {
  const std::uint32_t trid = next_trid_++;
  std::string line = Line(word, trid, std::nullopt, std::move(params));
  requests_[trid] = line;
  obs.sg_requests.push_back(line);
  return line;
}

std::string FakeSg::Page(int page, ClientObserved& obs) {
  std::vector<std::string> p{std::to_string(kListVersion), std::to_string(page), std::to_string(kPages)};
  for (int i = (page - 1) * 4; i < kSgContacts && i < page * 4; ++i) {
    const std::string nick = Contact(i).substr(0, Contact(i).find('@'));
    for (std::string f : {std::string("A"), Contact(i), nick, std::string(i == 0 ? "at work" : ""), std::string(""),
                          std::string("1"), std::string("0")}) {
      p.push_back(std::move(f));
    }
  }
  const std::string line = Request("RCR", std::move(p), obs);
  rcr_page_[next_trid_ - 1] = page;
  return line;
}

std::string FakeSg::OnCommands(const std::vector<wire::Command>& cmds, ClientObserved& obs, Rng& rng) {
  std::string out;
  for (const wire::Command& c : cmds) {
    if (IsCsWord(c.word) || c.word.empty()) continue;
    if (c.status) {  // the client's answer to one of our requests
      auto req = requests_.find(c.trid);
      if (req == requests_.end()) continue;
      const auto sent = Decode(req->second);
      if (sent.empty() || c.word != AWord(sent[0].word)) continue;
      const bool first = !answered_[c.trid];
      answered_[c.trid] = true;
      if (!first) continue;
      if (policy_.resend_answered) {
        out += req->second;
        obs.sg_resent.push_back(req->second);
      }
      if (*c.status != 0) continue;
      if (c.trid == rcs_trid_) {
        out += Page(1, obs);
      } else if (auto pg = rcr_page_.find(c.trid); pg != rcr_page_.end() && pg->second < kPages) {
        out += Page(pg->second + 1, obs);
      }
      continue;
    }
    const auto param = [&](std::size_t i) { return i < c.params.size() ? c.params[i] : std::string(); };
    if (c.word == "RAT") {
      obs.sg_token = Hex32(rng);
      next_trid_ = static_cast<std::uint32_t>(rng.Range(1, 2147483647));  // TRID-4: per session, at random
      out += Line("AAT", c.trid, 0, {obs.sg_token});
    } else if (c.word == "RSII") {
      caps_ = param(2) == "" ? 0 : std::atoi(param(2).c_str());
      out += Line("ASII", c.trid, 0, {});
      out += Request("RCS", {std::to_string(kListVersion), "full", std::to_string(kSgContacts)}, obs);
      rcs_trid_ = next_trid_ - 1;
    } else if (c.word == "RPS") {
      out += Line("APS", c.trid, 0, {"1", param(1), param(2), param(3)});
      out += Request("RNP", {Contact(0), "online", "7"}, obs);
      out += Request("RRI", {std::to_string(kSgPushCall), Contact(0)}, obs);
      out += Request("RRM", {std::to_string(kSgPushCall), Contact(0), kSgPushText}, obs);
      out += Request("RPN", {"9", Contact(1), "1700000000000", "see you later"}, obs);
      if (caps_ & 4) out += Request("RRN", {std::to_string(kSgPushCall), Contact(0)}, obs);
    } else if (c.word == "RSI") {
      out += Line("ASI", c.trid, 0, {std::to_string(next_call_++)});
    } else if (c.word == "ROM") {
      out += Line("AOM", c.trid, 0, {"17"});
    } else if (c.word == "RCE") {
      out += Line("ACE", c.trid, 0, {std::to_string(kListVersion)});
    } else if (c.word == "RCM") {
      out += Line("ACM", c.trid, 0, {"2", Contact(0), "alice@example.com"});
    } else if (c.word == "RPOL") {
      out += Line("APOL", c.trid, 0, {"60"});
    } else if (c.word == "RSN" || c.word == "RRN") {
      out += Line(AWord(c.word), c.trid, 310, {});
    } else if (c.word == "RSM" || c.word == "RSB" || c.word == "RLI" || c.word == "RLO" || c.word == "RSR") {
      out += Line(AWord(c.word), c.trid, 0, {});
    } else if (c.word[0] == 'R') {
      out += Line(AWord(c.word), c.trid, 100, {});
    }
  }
  return out;
}

}  // namespace mcpsim::conformance
