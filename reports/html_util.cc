// The shared pieces of the HTML renderers (html_util.h): numbers, verdict
// colours and chips, anchors and the page frame.
#include <cctype>
#include <cstdio>

#include "reports/html_util.h"

namespace mcpsim::reports::html {

std::string Num(double v, const char* fmt) {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string Ms(std::int64_t us) { return us < 0 ? "—" : Num(static_cast<double>(us) / 1000.0, "%.1f") + " ms"; }

const char* Color(Verdict v) {
  switch (v) {
    case Verdict::kOk: return "#2e7d32";
    case Verdict::kNonStrict: return "#ef6c00";
    case Verdict::kInformational: return "#1565c0";
    case Verdict::kUnimplemented: return "#757575";
    case Verdict::kFailed: return "#c62828";
    case Verdict::kError: return "#6a1b9a";
  }
  return "#000";
}

std::string Badge(Verdict v) {
  return "<span class=b style=\"background:" + std::string(Color(v)) + "\">" + std::string(VerdictName(v)) + "</span>";
}

std::string Anchor(std::string_view id) {
  std::string a = "case-";
  for (char c : id) a.push_back((std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_');
  return a;
}

std::string PageStart(const std::string& title) {
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + H(title) +
         "</title><style>"
         "body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}"
         "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;"
         "vertical-align:top;text-align:left}th{background:#f3f3f3}"
         ".b{color:#fff;padding:1px 6px;border-radius:3px;font-size:12px;white-space:nowrap}.muted{color:#777}"
         "pre{background:#f6f6f6;padding:6px;white-space:pre-wrap;word-break:break-all;margin:0;font-size:12px}"
         "details{margin:6px 0}summary{cursor:pointer}.err{border:2px solid #c62828;background:#fdecea;padding:8px}"
         ".num{text-align:right;white-space:nowrap}.flaky{color:#ef6c00;font-weight:bold}"
         "code{font-size:90%}section{border-top:1px solid #ddd;margin-top:14px}"
         "</style></head><body>";
}

}  // namespace mcpsim::reports::html
