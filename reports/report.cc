#include "reports/report.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "reference/wire/base64.h"

namespace mcpsim::reports {

using nlohmann::json;

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kOk: return "OK";
    case Verdict::kNonStrict: return "NON-STRICT";
    case Verdict::kInformational: return "INFORMATIONAL";
    case Verdict::kUnimplemented: return "UNIMPLEMENTED";
    case Verdict::kFailed: return "FAILED";
    case Verdict::kError: return "ERROR";
  }
  return "?";
}

std::optional<Verdict> ParseVerdict(std::string_view name) {
  for (Verdict v : {Verdict::kOk, Verdict::kNonStrict, Verdict::kInformational,
                    Verdict::kUnimplemented, Verdict::kFailed, Verdict::kError}) {
    if (VerdictName(v) == name) return v;
  }
  return std::nullopt;
}

std::vector<ClauseInfo> ExtractClauses(std::string_view md) {
  std::vector<ClauseInfo> out;
  static const std::regex start(R"(^\s*(?:[-*]\s+)?\[([A-Z][A-Z0-9-]*-[0-9]+)\]\s*(.*)$)");
  static const std::regex level(R"(\b(MUST NOT|MUST|REQUIRED|SHALL NOT|SHALL|SHOULD NOT|SHOULD|RECOMMENDED|MAY|OPTIONAL)\b)");
  std::size_t pos = 0;
  ClauseInfo* cur = nullptr;
  std::string body;
  auto finish = [&] {
    if (!cur) return;
    std::smatch m;
    if (std::regex_search(body, m, level)) {
      const std::string k = m[1];
      cur->level = k.rfind("MUST", 0) == 0 || k.rfind("SHALL", 0) == 0 || k == "REQUIRED" ? "MUST"
                   : k.rfind("SHOULD", 0) == 0 || k == "RECOMMENDED"                     ? "SHOULD"
                                                                                         : "MAY";
    }
    cur = nullptr;
  };
  while (pos <= md.size()) {
    const auto eol = md.find('\n', pos);
    const std::string line(md.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos));
    std::smatch m;
    if (std::regex_match(line, m, start)) {
      finish();
      out.push_back(ClauseInfo{m[1], "", m[2]});
      cur = &out.back();
      body = m[2];
    } else if (cur) {
      // A clause continues on indented lines; a blank or unindented line ends it.
      if (line.empty() || !std::isspace(static_cast<unsigned char>(line[0]))) {
        finish();
      } else {
        body += " " + line;
      }
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  finish();
  return out;
}

std::string Printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7F || c >= 0x80) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::map<Verdict, int> CountVerdicts(const Report& r) {
  std::map<Verdict, int> c;
  for (const CaseResult& k : r.cases) c[k.verdict]++;
  return c;
}

std::string ToJson(const Report& r, int indent) {
  json j;
  j["schema"] = "mcpsim-report/1";
  j["kind"] = r.kind;
  j["tool"] = r.tool;
  j["version"] = r.version;
  j["target"] = r.target;
  j["seed"] = r.seed;
  j["duration_us"] = r.duration_us;
  json counts = json::object();
  for (auto [v, n] : CountVerdicts(r)) counts[std::string(VerdictName(v))] = n;
  j["counts"] = counts;
  json cases = json::array();
  for (const CaseResult& c : r.cases) {
    json w = json::array();
    for (const WireEvent& e : c.wire) {
      // "text" is for people (non-printable bytes as \xHH); "b64" is exact.
      w.push_back({{"t_us", e.t_us}, {"dir", e.dir}, {"transport", e.transport},
                   {"text", Printable(e.bytes)}, {"b64", wire::Base64Encode(e.bytes)}});
    }
    cases.push_back({{"id", c.id}, {"title", c.title}, {"group", c.group}, {"clauses", c.clauses},
                     {"verdict", std::string(VerdictName(c.verdict))}, {"expected", c.expected},
                     {"actual", c.actual}, {"reason", c.reason}, {"duration_us", c.duration_us},
                     {"wire", w}, {"metrics", c.metrics}});
  }
  j["cases"] = cases;
  json clauses = json::array();
  for (const ClauseInfo& c : r.clauses) clauses.push_back({{"id", c.id}, {"level", c.level}, {"text", c.text}});
  j["clauses"] = clauses;
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

Result<Report> FromJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Error("REPORT-1", "not a JSON object");
  if (j.value("schema", "") != "mcpsim-report/1") return Status::Error("REPORT-1", "unknown schema");
  Report r;
  try {
    r.kind = j.value("kind", "");
    r.tool = j.value("tool", "");
    r.version = j.value("version", "");
    r.target = j.value("target", "");
    r.seed = j.value("seed", std::uint64_t{0});
    r.duration_us = j.value("duration_us", std::int64_t{0});
    for (const json& c : j.at("cases")) {
      CaseResult k;
      k.id = c.at("id");
      k.title = c.value("title", "");
      k.group = c.value("group", "");
      k.clauses = c.value("clauses", std::vector<std::string>{});
      auto v = ParseVerdict(c.at("verdict").get<std::string>());
      if (!v) return Status::Error("REPORT-1", "unknown verdict in case " + k.id);
      k.verdict = *v;
      k.expected = c.value("expected", "");
      k.actual = c.value("actual", "");
      k.reason = c.value("reason", "");
      k.duration_us = c.value("duration_us", std::int64_t{0});
      for (const json& e : c.value("wire", json::array())) {
        WireEvent w;
        w.t_us = e.value("t_us", std::int64_t{0});
        w.dir = e.value("dir", "");
        w.transport = e.value("transport", "");
        auto bytes = wire::Base64Decode(e.value("b64", ""));
        if (!bytes.ok()) return Status::Error("REPORT-1", "bad b64 in case " + k.id);
        w.bytes = std::move(*bytes);
        k.wire.push_back(std::move(w));
      }
      k.metrics = c.value("metrics", std::map<std::string, double>{});
      r.cases.push_back(std::move(k));
    }
    for (const json& c : j.value("clauses", json::array())) {
      r.clauses.push_back(ClauseInfo{c.value("id", ""), c.value("level", ""), c.value("text", "")});
    }
  } catch (const json::exception& e) {
    return Status::Error("REPORT-1", std::string("malformed report: ") + e.what());
  }
  return r;
}

Status WriteReportFiles(const Report& r, const std::string& dir, const Report* baseline) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error("REPORT-2", "cannot create " + dir + ": " + ec.message());
  const std::pair<const char*, std::string> files[] = {
      {"report.json", ToJson(r)},
      {"junit.xml", RenderJunit(r)},
      {"index.html", RenderHtml(r, baseline)},
      {"summary.md", RenderMarkdown(r, baseline)},
  };
  for (const auto& [name, content] : files) {
    std::ofstream f(dir + "/" + name, std::ios::binary | std::ios::trunc);
    f << content;
    if (!f) return Status::Error("REPORT-2", std::string("cannot write ") + dir + "/" + name);
  }
  return {};
}

}  // namespace mcpsim::reports
