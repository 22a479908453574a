#include "reference/http/http1.h"

#include <algorithm>
#include <cctype>
#include <type_traits>

namespace mcpsim::reference::http {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status Bad(const std::string& why, std::size_t offset) {
  return Status::Error("HTTP-1", why, offset);
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Start line: fills method/target (request) or status (response).
Status StartLine(std::string_view line, HttpRequest& m) {
  const auto sp1 = line.find(' ');
  const auto sp2 = line.find(' ', sp1 == std::string_view::npos ? sp1 : sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
    return Bad("malformed request line", 0);
  }
  m.method = std::string(line.substr(0, sp1));
  m.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  if (line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) return Bad("not HTTP/1.x", sp2 + 1);
  if (m.target.empty() || m.target[0] != '/') return Bad("target is not origin-form", sp1 + 1);
  return {};
}

Status StartLine(std::string_view line, HttpResponse& m) {
  if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12 || line[8] != ' ') {
    return Bad("malformed status line", 0);
  }
  int code = 0;
  for (int i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return Bad("bad status code", i);
    code = code * 10 + (line[i] - '0');
  }
  m.status = code;
  return {};
}

}  // namespace

int ErrorStatus(const Status& e) {
  if (e.clause() == "HTTP-13") return 413;
  if (e.clause() == "HTTP-15") return 431;
  return 400;
}

std::string SerializeRequest(const HttpRequest& req, std::string_view host) {
  std::string out = req.method + " " + req.target + " HTTP/1.1\r\nHost: " + std::string(host) +
                    "\r\nConnection: close\r\n";
  for (const auto& [k, v] : req.headers) {
    if (k == "host" || k == "content-length" || k == "connection") continue;
    out += k + ": " + v + "\r\n";
  }
  if (!req.body.empty() || req.method == "POST") {
    out += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += req.body;
  return out;
}

std::string SerializeResponse(const HttpResponse& resp) {
  std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + Reason(resp.status) +
                    "\r\nContent-Type: " + resp.content_type +
                    "\r\nContent-Length: " + std::to_string(resp.head_length.value_or(resp.body.size())) +
                    "\r\nConnection: close\r\n";
  for (const auto& [k, v] : resp.headers) {
    if (k == "content-type" || k == "content-length" || k == "connection") continue;
    out += k + ": " + v + "\r\n";
  }
  out += "\r\n";
  out += resp.body;
  return out;
}

std::string UrlEncode(std::string_view raw) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : raw) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> UrlDecode(std::string_view enc) {
  std::string out;
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] == '+') {
      out.push_back(' ');
    } else if (enc[i] == '%') {
      if (i + 2 >= enc.size()) return std::nullopt;
      const int h = HexVal(enc[i + 1]), l = HexVal(enc[i + 2]);
      if (h < 0 || l < 0) return std::nullopt;
      out.push_back(static_cast<char>(h * 16 + l));
      i += 2;
    } else {
      out.push_back(enc[i]);
    }
  }
  return out;
}

std::string_view TargetPath(std::string_view target) { return target.substr(0, target.find('?')); }

std::optional<std::string> QueryParam(std::string_view target, std::string_view key) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return UrlDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

template <typename Message>
Status Parser<Message>::ParseHead() {
  const auto end = buf_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (buf_.size() > kMaxHeaderBytes) return Status::Error("HTTP-15", "header block too large", kMaxHeaderBytes);
    return {};
  }
  if (end + 4 > kMaxHeaderBytes) return Status::Error("HTTP-15", "header block too large", kMaxHeaderBytes);
  msg_ = Message{};
  std::string_view head(buf_.data(), end);
  const auto eol = head.find("\r\n");
  if (Status s = StartLine(head.substr(0, eol), msg_); !s.ok()) return s;
  std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  body_len_ = 0;
  bool have_length = false;
  while (pos < head.size()) {
    auto next = head.find("\r\n", pos);
    if (next == std::string_view::npos) next = head.size();
    const std::string_view line = head.substr(pos, next - pos);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Bad("malformed header line", pos);
    const std::string name = Lower(line.substr(0, colon));
    const std::string value(Trim(line.substr(colon + 1)));
    if (name == "transfer-encoding") return Bad("Transfer-Encoding is not supported", pos);
    if (name == "content-length") {
      if (value.empty() ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Bad("bad Content-Length", pos);
      }
      // Any number of digits: a length over the limit is 413, not 400.
      std::size_t len = 0;
      bool huge = false;
      for (char c : value) {
        if (len > max_body_) {
          huge = true;
          break;
        }
        len = len * 10 + static_cast<std::size_t>(c - '0');
      }
      // RFC 9112 §6.3: differing Content-Length fields are unrecoverable.
      if (have_length && reject_conflicting_length_ && (huge || len != body_len_)) {
        return Status::Error("HTTP-14", "conflicting Content-Length headers", pos);
      }
      have_length = true;
      body_len_ = len;
      if (huge || body_len_ > max_body_) return Status::Error("HTTP-13", "body larger than the limit", pos);
    }
    msg_.headers[name] = value;
    pos = next + 2;
  }
  if constexpr (std::is_same_v<Message, HttpResponse>) {
    // RFC 9112 §6.3: a response to HEAD, and any 1xx, 204 or 304 response,
    // ends with its header block whatever Content-Length says (for HEAD it
    // is the length of the GET body, RFC 9110 §9.3.2).
    if (head_request_ || msg_.status / 100 == 1 || msg_.status == 204 || msg_.status == 304) body_len_ = 0;
  }
  head_done_ = true;
  head_len_ = end + 4;
  return {};
}

template <typename Message>
Status Parser<Message>::Append(std::string_view bytes) {
  if (failed_) return error_;
  buf_.append(bytes);
  if (!head_done_) {
    Status s = ParseHead();
    if (!s.ok()) {
      failed_ = true;
      error_ = s;
    }
    return s;
  }
  return {};
}

template <typename Message>
std::optional<Message> Parser<Message>::Next() {
  if (failed_) return std::nullopt;
  if (!head_done_) {
    if (Status s = ParseHead(); !s.ok()) {
      failed_ = true;
      error_ = std::move(s);
      return std::nullopt;
    }
    if (!head_done_) return std::nullopt;
  }
  if (buf_.size() < head_len_ + body_len_) return std::nullopt;
  Message m = std::move(msg_);
  m.body = buf_.substr(head_len_, body_len_);
  if constexpr (std::is_same_v<Message, HttpResponse>) {
    if (auto ct = m.headers.find("content-type"); ct != m.headers.end()) m.content_type = ct->second;
  }
  buf_.erase(0, head_len_ + body_len_);
  head_done_ = false;
  msg_ = Message{};
  return m;
}

template class Parser<HttpRequest>;
template class Parser<HttpResponse>;

}  // namespace mcpsim::reference::http
