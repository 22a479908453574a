#include "reports/markup.h"

namespace mcpsim::reports {

std::string Escape(std::string_view s, Markup m) {
  const bool xml = m == Markup::kXml;
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'':
        if (xml) {
          out += "&apos;";
        } else {
          out.push_back('\'');
        }
        break;
      default:
        if (xml && c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out.push_back('?');
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

}  // namespace mcpsim::reports
