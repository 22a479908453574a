// The form of what a server writes, judged on every answer line a case gets
// back rather than on one expected value: canonical encoding (WIRE-14),
// status codes from §8 only (STATUS-1), addresses as ARCH-4 URIs.
#include <cctype>

#include "conformance/catalog.h"
#include "reference/http/http1.h"
#include "reference/status_codes.h"

namespace mcpsim::conformance {
namespace {

using V = reports::Verdict;
constexpr const char* kMid = "58d05d6affef8ab9dd5a8be7afdf1c83";  // MID-1 test vector

// Splits `bytes` into lines, each with its CRLF (a last line without one is
// kept as is: the decoder reports it).
std::vector<std::string> Lines(std::string_view bytes) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    const std::size_t end = bytes.find("\r\n");
    const std::size_t n = end == std::string_view::npos ? bytes.size() : end + 2;
    out.emplace_back(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  return out;
}

// "" when `line` (no payload) decodes to one answer that re-encodes to the
// same bytes and carries a §8 status; else what is wrong, with its clause.
std::string JudgeLine(const std::string& line) {
  std::vector<std::string> errors;
  const std::vector<wire::Command> cmds = Decode(line, &errors);
  if (!errors.empty() || cmds.size() != 1) return "undecodable answer line (" + (errors.empty() ? "" : errors[0]) + ")";
  const wire::Command& c = cmds[0];
  if (!c.status) return "a request where an answer was due";
  const std::string again = Encode(c);
  if (again != line) return "WIRE-14: not canonical: sent `" + line.substr(0, 120) + "`, canonical `" + again.substr(0, 120) + "`";
  if (*c.status > 65535 || reference::StatusName(static_cast<std::uint16_t>(*c.status)) == "unassigned") {
    return "STATUS-1: status " + std::to_string(*c.status) + " of " + c.word + " is not in §8";
  }
  return "";
}

bool IsHost(std::string_view h) {
  if (h.empty()) return false;
  if (h.front() == '[') return h.size() > 2 && h.back() == ']';
  for (char ch : h) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-') return false;
  }
  return true;
}

// ARCH-4: `scheme://host:port[path]`; `path_rule`: "" none, "/" any path
// starting with '/', or exactly that path ("/mcp").
bool IsUri(std::string_view u, const std::vector<std::string>& schemes, std::string_view path_rule) {
  const std::size_t sep = u.find("://");
  if (sep == std::string_view::npos) return false;
  bool scheme_ok = false;
  for (const std::string& s : schemes) scheme_ok = scheme_ok || u.substr(0, sep) == s;
  if (!scheme_ok) return false;
  std::string_view rest = u.substr(sep + 3);
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= authority.size() || colon + 6 < authority.size()) return false;
  std::uint32_t port = 0;
  for (char ch : authority.substr(colon + 1)) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
    port = port * 10 + static_cast<std::uint32_t>(ch - '0');
  }
  if (port == 0 || port > 65535 || !IsHost(authority.substr(0, colon))) return false;
  const bool http = u.substr(0, 4) == "http";
  if (!http) return path.empty();
  if (path_rule.empty()) return path.empty();
  if (path_rule == "/") return !path.empty() && path[0] == '/';
  return path == path_rule;
}

// "" when every entry of the comma-joined list is a URI (an empty list is "").
std::string JudgeList(const std::string& what, const std::string& list, const std::vector<std::string>& schemes,
                      std::string_view path_rule) {
  if (list.empty()) return "";
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = list.find(',', start);
    const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!IsUri(item, schemes, path_rule)) return "ARCH-4: " + what + " entry `" + item + "` is not a URI of " + schemes[0] + "…";
    if (comma == std::string::npos) return "";
    start = comma + 1;
  }
}

Outcome AnswerForm(Ctx& c) {
  std::vector<std::string> lines;
  std::string aqqw;  // the AQQW 0 line
  // DP over HTTP: a success and a failure (102).
  for (const std::string& q : {std::string("RQQW 61 1.0.0 s60 dev-form\r\n"), std::string("RQQW 62 1.0.0 s60\r\n")}) {
    reference::HttpRequest req;
    req.method = "GET";
    req.target = "/mcp?q=" + reference::http::UrlEncode(q);
    auto r = c.Http(req);
    if (!r.ok()) return Failed("an AQQW answer", r.status().message(), "no response from DP");
    for (std::string& l : Lines(r->body)) {
      if (aqqw.empty() && l.rfind("AQQW 61 0 ", 0) == 0) aqqw = l;
      lines.push_back(std::move(l));
    }
  }
  // CS over UDP: a success, a wrong param count (102) and an unknown word (100).
  const std::string dg = "RUP 63 " + std::string(kMid) + " launch 1700000000000 a%20b%25c\r\nRUP 64 " + kMid +
                         " launch\r\nRXYZ 65 q\r\n";
  if (!c.UdpSend(dg).ok()) return Failed("AUP answers", "send failed", "UDP");
  std::size_t udp_lines = 0;
  for (const std::string& d : c.UdpRecv(c.io_timeout_ms())) {
    for (std::string& l : Lines(d)) {
      lines.push_back(std::move(l));
      ++udp_lines;
    }
  }
  if (aqqw.empty()) return Failed("AQQW 61 0 …", lines.empty() ? "(nothing)" : lines[0], "DP answer missing");
  if (udp_lines < 3) return Failed("3 answers from CS", std::to_string(udp_lines), "WIRE-19: every request is answered");
  for (const std::string& l : lines) {
    if (std::string why = JudgeLine(l); !why.empty()) return Failed("canonical answers with §8 statuses", l, why);
  }
  const std::vector<wire::Command> a = Decode(aqqw);
  if (a.empty() || a[0].params.size() != 7) return Failed("AQQW with 7 params", aqqw, "DP-1");
  const std::vector<std::string>& p = a[0].params;
  for (const std::string& why :
       {JudgeList("sg", p[3], {"udp", "udps", "tcp", "http", "https"}, "/mcp"),
        JudgeList("rs", p[4], {"tcp", "http", "https"}, "/mcp"), JudgeList("cs", p[5], {"udp", "udps"}, ""),
        p[6].empty() ? std::string() : JudgeList("ms", p[6], {"http", "https"}, "")}) {
    if (!why.empty()) return Failed("URI lists (ARCH-4)", aqqw, why);
  }
  return Ok("every answer canonical, §8 statuses, URI lists", std::to_string(lines.size()) + " answer lines");
}

}  // namespace

void AddFormCases(std::vector<CaseDef>& out) {
  CaseDef d;
  d.id = "wire.answer.form";
  d.title = "Every answer line is canonically encoded, carries a §8 status, and AQQW lists are URIs";
  d.group = "WIRE";
  d.clauses = {"WIRE-14", "STATUS-1", "ARCH-4"};
  d.transport = "udp+http";
  d.run = AnswerForm;
  out.push_back(std::move(d));
}

}  // namespace mcpsim::conformance
