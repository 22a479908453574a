// Texts compiled into the mcpsim binary (cmake/embed_text.cmake, generated at
// build time into build/.../tools/generated/).
#pragma once

#include <string_view>

namespace mcpsim::embedded {

// reference/PROTOCOL.md as it was when this binary was built: the spec whose
// clauses the catalog cites. The report's clause coverage uses it, so it does
// not depend on the working directory or on where the binary was copied
// (issue 14; it used to be looked up as a file next to the cwd or the binary).
std::string_view ProtocolMd();

}  // namespace mcpsim::embedded
