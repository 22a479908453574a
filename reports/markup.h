// The one escaper of reports/: every HTML page (text and attribute values)
// and every XML document (JUnit) is escaped here, so the renderers cannot
// drift apart. Markdown is written as text (its renderers escape nothing).
#pragma once

#include <string>
#include <string_view>

namespace mcpsim::reports {

enum class Markup {
  kHtml,  // & < > " as entities; every other byte as is
  kXml,   // as kHtml, plus ' as &apos; and the control characters XML 1.0
          // forbids even as references (below 0x20 except tab, LF, CR) as '?'
};

std::string Escape(std::string_view s, Markup m);

}  // namespace mcpsim::reports
