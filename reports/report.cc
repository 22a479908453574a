#include "reports/report.h"

#include <cctype>
#include <filesystem>
#include <fstream>

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

namespace {

bool IdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'; }

// "[PREFIX-N] rest" at the start of a (possibly bulleted) line: fills id/rest.
bool ClauseStart(std::string_view line, std::string& id, std::string& rest) {
  std::size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i + 1 < line.size() && (line[i] == '-' || line[i] == '*') && (line[i + 1] == ' ' || line[i + 1] == '\t')) {
    i += 2;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  }
  if (i >= line.size() || line[i] != '[') return false;
  const std::size_t close = line.find(']', i);
  if (close == std::string_view::npos) return false;
  const std::string_view cand = line.substr(i + 1, close - i - 1);
  const std::size_t dash = cand.rfind('-');
  if (cand.empty() || cand[0] < 'A' || cand[0] > 'Z' || dash == std::string_view::npos || dash + 1 == cand.size()) {
    return false;
  }
  for (char c : cand) {
    if (!IdChar(c)) return false;
  }
  for (char c : cand.substr(dash + 1)) {
    if (c < '0' || c > '9') return false;
  }
  id = std::string(cand);
  std::size_t r = close + 1;
  while (r < line.size() && line[r] == ' ') ++r;
  rest = std::string(line.substr(r));
  return true;
}

// The requirement level of the first RFC 2119 keyword in `body` ("" if none).
std::string LevelOf(std::string_view body) {
  static const std::pair<std::string_view, const char*> kWords[] = {
      {"MUST", "MUST"},     {"SHALL", "MUST"},       {"REQUIRED", "MUST"}, {"SHOULD", "SHOULD"},
      {"RECOMMENDED", "SHOULD"}, {"MAY", "MAY"},     {"OPTIONAL", "MAY"}};
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  std::size_t best = std::string_view::npos;
  const char* level = "";
  for (const auto& [word, lvl] : kWords) {
    for (std::size_t at = body.find(word); at != std::string_view::npos; at = body.find(word, at + 1)) {
      const bool left = at == 0 || !alnum(body[at - 1]);
      const bool right = at + word.size() == body.size() || !alnum(body[at + word.size()]);
      if (left && right) {
        if (at < best) {
          best = at;
          level = lvl;
        }
        break;
      }
    }
  }
  return level;
}

}  // namespace

std::vector<ClauseInfo> ExtractClauses(std::string_view md) {
  std::vector<ClauseInfo> out;
  std::string body;
  bool open = false;
  auto finish = [&] {
    if (open) out.back().level = LevelOf(body);
    open = false;
  };
  std::size_t pos = 0;
  while (pos <= md.size()) {
    const auto eol = md.find('\n', pos);
    const std::string_view line = md.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    std::string id, rest;
    if (ClauseStart(line, id, rest)) {
      finish();
      out.push_back(ClauseInfo{id, "", rest, ""});
      body = rest;
      open = true;
    } else if (open) {
      // A clause continues on indented lines; a blank or unindented line ends it.
      if (line.empty() || !std::isspace(static_cast<unsigned char>(line[0]))) {
        finish();
      } else {
        body += ' ';
        body += line;
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

bool IsFlaky(const CaseResult& c) { return c.runs > 1 && c.passes > 0 && c.passes < c.runs; }

namespace {
bool IsClauseId(std::string_view s) {
  const std::size_t dash = s.rfind('-');
  if (s.empty() || s[0] < 'A' || s[0] > 'Z' || dash == std::string_view::npos || dash + 1 == s.size()) return false;
  for (char c : s) {
    if (!IdChar(c)) return false;
  }
  for (char c : s.substr(dash + 1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
}  // namespace

std::string ReasonText(const Report& r, const CaseResult& c) {
  std::string_view reason = c.reason;
  while (!reason.empty() && reason.back() == ' ') reason.remove_suffix(1);
  const bool bare = reason.empty() || IsClauseId(reason);
  if (!bare) return c.reason;
  if (c.verdict == Verdict::kOk) return c.reason;
  std::string out;
  std::string id(reason);
  if (id.empty() && !c.clauses.empty()) id = c.clauses.front();
  if (!id.empty()) {
    out = id;
    for (const ClauseInfo& k : r.clauses) {
      if (k.id == id) {
        out += (k.level.empty() ? std::string() : " " + k.level) + ": " + k.text;
        break;
      }
    }
  }
  if (!c.expected.empty() || !c.actual.empty()) {
    if (!out.empty()) out += " — ";
    out += "expected " + (c.expected.empty() ? std::string("—") : c.expected) + ", got " +
           (c.actual.empty() ? std::string("—") : c.actual);
  }
  return out.empty() ? std::string(VerdictName(c.verdict)) : out;
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
  j["commit"] = r.commit;
  j["build_type"] = r.build_type;
  j["target"] = r.target;
  j["seed"] = r.seed;
  if (!r.seeds.empty()) j["seeds"] = r.seeds;
  j["strict"] = r.strict;
  if (!r.error.empty()) j["error"] = r.error;
  j["duration_us"] = r.duration_us;
  json counts = json::object();
  for (auto [v, n] : CountVerdicts(r)) counts[std::string(VerdictName(v))] = n;
  j["counts"] = counts;
  json cases = json::array();
  for (const CaseResult& c : r.cases) {
    json w = json::array();
    for (const WireEvent& e : c.wire) {
      // "text" is for people (non-printable bytes as \xHH); "b64" is exact.
      json ev = {{"t_us", e.t_us}, {"dir", e.dir}, {"transport", e.transport},
                 {"text", Printable(e.bytes)}, {"b64", wire::Base64Encode(e.bytes)}};
      w.push_back(std::move(ev));
    }
    json k = {{"id", c.id}, {"title", c.title}, {"group", c.group}, {"clauses", c.clauses},
              {"verdict", std::string(VerdictName(c.verdict))}, {"expected", c.expected},
              {"actual", c.actual}, {"reason", c.reason}, {"reason_text", ReasonText(r, c)},
              {"duration_us", c.duration_us}, {"wire", w}, {"metrics", c.metrics}};
    if (c.runs > 0) {
      k["runs"] = c.runs;
      k["passes"] = c.passes;
      k["pass_rate"] = static_cast<double>(c.passes) / c.runs;
      k["flaky"] = IsFlaky(c);
      k["failing_seeds"] = c.failing_seeds;
    }
    cases.push_back(std::move(k));
  }
  j["cases"] = cases;
  json clauses = json::array();
  for (const ClauseInfo& c : r.clauses) {
    json one = {{"id", c.id}, {"level", c.level}, {"text", c.text}};
    if (!c.not_judged.empty()) one["not_judged"] = c.not_judged;
    clauses.push_back(std::move(one));
  }
  j["clauses"] = clauses;
  json uncovered = json::array();
  for (const ClauseInfo& c : UncoveredClauses(r)) uncovered.push_back(c.id);
  j["uncovered_clauses"] = uncovered;
  if (r.kind == "conformance" && !r.cases.empty()) {
    const std::vector<WordUse> coverage = WordCoverage(r);
    json words = json::array();
    for (const WordUse& w : coverage) {
      words.push_back({{"word", w.word}, {"answer", w.answer}, {"role", w.role}, {"direction", w.direction},
                       {"cases", w.cases}});
    }
    j["words"] = words;
    j["unexercised_words"] = UnexercisedWords(coverage);
  }
  if (!r.fault.empty()) j["fault"] = {{"spec", r.fault}, {"counters", r.fault_counters}};
  j["artifacts"] = r.artifacts;
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
    r.commit = j.value("commit", "");
    r.build_type = j.value("build_type", "");
    r.target = j.value("target", "");
    r.seed = j.value("seed", std::uint64_t{0});
    r.seeds = j.value("seeds", "");
    r.strict = j.value("strict", false);
    r.error = j.value("error", "");
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
      k.runs = c.value("runs", 0);
      k.passes = c.value("passes", 0);
      k.failing_seeds = c.value("failing_seeds", std::vector<std::uint64_t>{});
      r.cases.push_back(std::move(k));
    }
    for (const json& c : j.value("clauses", json::array())) {
      r.clauses.push_back(
          ClauseInfo{c.value("id", ""), c.value("level", ""), c.value("text", ""), c.value("not_judged", "")});
    }
    if (j.contains("fault")) {
      const json& f = j.at("fault");
      r.fault = f.value("spec", "");
      r.fault_counters = f.value("counters", std::map<std::string, std::int64_t>{});
    }
    r.artifacts = j.value("artifacts", std::vector<std::string>{});
  } catch (const json::exception& e) {
    return Status::Error("REPORT-1", std::string("malformed report: ") + e.what());
  }
  return r;
}

std::vector<ClauseInfo> UncoveredClauses(const Report& r) {
  std::map<std::string, int> cited;
  for (const CaseResult& c : r.cases) {
    for (const std::string& id : c.clauses) cited[id]++;
  }
  std::vector<ClauseInfo> out;
  for (const ClauseInfo& c : r.clauses) {
    if ((c.level == "MUST" || c.level == "SHOULD") && !cited.count(c.id) && c.not_judged.empty()) out.push_back(c);
  }
  return out;
}

std::vector<ClauseInfo> NotJudgedClauses(const Report& r) {
  std::map<std::string, int> cited;
  for (const CaseResult& c : r.cases) {
    for (const std::string& id : c.clauses) cited[id]++;
  }
  std::vector<ClauseInfo> out;
  for (const ClauseInfo& c : r.clauses) {
    if ((c.level == "MUST" || c.level == "SHOULD") && !cited.count(c.id) && !c.not_judged.empty()) out.push_back(c);
  }
  return out;
}

void DeriveWireMetrics(CaseResult& c) {
  std::int64_t first_send = -1, first_recv = -1;
  int resends = 0;
  std::vector<const std::string*> sent;
  for (const WireEvent& e : c.wire) {
    if (e.transport == "note") continue;
    if (e.dir == "send") {
      if (first_send < 0) first_send = e.t_us;
      for (const std::string* s : sent) {
        if (*s == e.bytes) {
          ++resends;
          break;
        }
      }
      sent.push_back(&e.bytes);
    } else if (e.dir == "recv" && first_recv < 0 && first_send >= 0) {
      first_recv = e.t_us;
    }
  }
  if (first_recv >= 0 && !c.metrics.count("latency_ms")) c.metrics["latency_ms"] = (first_recv - first_send) / 1000.0;
  if (first_send >= 0 && !c.metrics.count("resends")) c.metrics["resends"] = resends;
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
