// The one escaper of reports/ (reports/markup.h): HTML and XML modes.
#include <gtest/gtest.h>

#include <string>

#include "reports/markup.h"

namespace mcpsim::reports {
namespace {

TEST(Markup, HtmlEscapesTheFourSpecialCharactersOnly) {
  EXPECT_EQ(Escape("a&b<c>d\"e'f", Markup::kHtml), "a&amp;b&lt;c&gt;d&quot;e'f");
  // Control characters and UTF-8 bytes pass (a <pre> shows what was sent).
  const std::string raw = std::string("\x01\t\n\r") + "\xC3\xA9";
  EXPECT_EQ(Escape(raw, Markup::kHtml), raw);
  EXPECT_EQ(Escape("&amp;", Markup::kHtml), "&amp;amp;");  // escaping is not idempotent
}

TEST(Markup, XmlAlsoEscapesApostropheAndReplacesForbiddenControls) {
  EXPECT_EQ(Escape("a&b<c>d\"e'f", Markup::kXml), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  EXPECT_EQ(Escape(std::string("\x01\x1f\x00x", 4), Markup::kXml), "???x");
  // Tab, LF, CR and bytes >= 0x80 (UTF-8) are kept.
  const std::string kept = std::string("\t\n\r") + "\xC3\xA9\x7f";
  EXPECT_EQ(Escape(kept, Markup::kXml), kept);
}

}  // namespace
}  // namespace mcpsim::reports
